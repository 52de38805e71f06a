"""Input features computed from a dataset's raw columns, before standardisation.

- The 2-D sets (TensorFlow Playground's problems): any of Playground's inputs X₁, X₂, X₁², X₂², X₁X₂, sin X₁,
  sin X₂ (:data:`PLANE_FEATURES`), in that order; none chosen means the raw X₁, X₂.
- Other numeric datasets: "polynomial degree 2", the raw columns followed by every square and pairwise product
  ``x_i·x_j`` (i ≤ j, in row-major order), refused above :data:`MAX_COLUMNS` columns.

The formulas are NumPy in float64; the exported script writes the same expressions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PLANE_FEATURES = {   # id: (name shown, e.g. in the Network view's input column; NumPy expression of x1, x2)
    "x1": ("x1", "x1"),
    "x2": ("x2", "x2"),
    "x1_squared": ("x1²", "x1 * x1"),
    "x2_squared": ("x2²", "x2 * x2"),
    "x1x2": ("x1·x2", "x1 * x2"),
    "sin_x1": ("sin(x1)", "np.sin(x1)"),
    "sin_x2": ("sin(x2)", "np.sin(x2)"),
}
MAX_COLUMNS = 10_000
CHUNK_ROWS = 4096     # rows computed at a time (a float64 temporary of the new columns each)


@dataclass(frozen=True)
class InputFeatures:
    """Which columns the model gets: chosen plane features (2-D sets), or a polynomial degree (1: the raw ones)."""

    plane: tuple[str, ...] = ()     # ids of PLANE_FEATURES; () = the raw x1, x2
    degree: int = 1                 # 2: squares and pairwise products added

    def __post_init__(self):
        object.__setattr__(self, "plane", tuple(self.plane))

    @property
    def identity(self) -> bool:
        return not self.plane and self.degree == 1

    def validate(self) -> None:
        """ValueError naming an unknown or repeated feature, a bad degree, or both kinds at once."""
        unknown = [name for name in self.plane if name not in PLANE_FEATURES]
        if unknown:
            raise ValueError(f"unknown feature(s) {', '.join(map(repr, unknown))}; the 2-D sets' features are "
                             f"{', '.join(PLANE_FEATURES)}")
        if len(set(self.plane)) != len(self.plane):
            raise ValueError(f"features must not repeat, got {','.join(self.plane)}")
        if isinstance(self.degree, bool) or self.degree not in (1, 2):
            raise ValueError(f"polynomial_degree must be 1 or 2, got {self.degree!r}")
        if self.plane and self.degree != 1:
            raise ValueError("choose either features (2-D sets) or polynomial_degree 2 (other datasets), not both")

    def ordered_plane(self) -> tuple[str, ...]:
        """The chosen plane features in Playground's order."""
        return tuple(name for name in PLANE_FEATURES if name in self.plane)

    def columns(self, n_raw: int) -> int:
        """How many columns ``n_raw`` raw ones become."""
        if self.plane:
            return len(self.plane)
        return n_raw + n_raw * (n_raw + 1) // 2 if self.degree == 2 else n_raw

    def raw_columns(self, n_columns: int) -> int:
        """How many raw columns made ``n_columns`` polynomial ones (n + n(n + 1)/2 = n_columns)."""
        if self.degree == 1:
            return n_columns
        return round((-3 + (9 + 8 * n_columns) ** 0.5) / 2)

    def names(self, raw_names) -> tuple[str, ...]:
        """The new columns' names (``x1²``, ``a·b`` …)."""
        raw_names = tuple(map(str, raw_names))
        if self.plane:
            return tuple(PLANE_FEATURES[name][0] for name in self.ordered_plane())
        if self.degree == 2:
            first, second = np.triu_indices(len(raw_names))
            return raw_names + tuple(f"{raw_names[i]}²" if i == j else f"{raw_names[i]}·{raw_names[j]}"
                                     for i, j in zip(first, second))
        return raw_names

    def check(self, n_raw: int, label: str) -> None:
        """ValueError in one line when these features do not apply to ``n_raw`` columns of ``label``."""
        if self.plane and n_raw != 2:
            raise ValueError(f"features {','.join(self.plane)} are for the 2-D sets; {label} has {n_raw} columns")
        if self.degree == 2 and self.columns(n_raw) > MAX_COLUMNS:
            raise ValueError(f"polynomial degree 2 of {label}'s {n_raw:,} columns makes {self.columns(n_raw):,} "
                             f"columns, more than {MAX_COLUMNS:,}")

    def apply(self, x) -> np.ndarray:
        """The feature columns of raw rows ``x`` (rows, raw columns), float64."""
        x = np.asarray(x, dtype=np.float64)
        if self.identity:
            return x
        return np.concatenate([self._block(x[start:start + CHUNK_ROWS])
                               for start in range(0, len(x), CHUNK_ROWS)] or [self._block(x)])

    def apply_float32(self, x) -> np.ndarray:
        """:meth:`apply` into a float32 array, a block of rows at a time (no float64 copy of the whole result)."""
        out = np.empty((len(x), self.columns(x.shape[1])), dtype=np.float32)
        for start in range(0, len(x), CHUNK_ROWS):
            out[start:start + CHUNK_ROWS] = self._block(np.asarray(x[start:start + CHUNK_ROWS], dtype=np.float64))
        return out

    def _block(self, x: np.ndarray) -> np.ndarray:
        if self.plane:
            x1, x2 = x[:, 0], x[:, 1]
            formulas = {"x1": x1, "x2": x2, "x1_squared": x1 * x1, "x2_squared": x2 * x2, "x1x2": x1 * x2,
                        "sin_x1": np.sin(x1), "sin_x2": np.sin(x2)}
            return np.column_stack([formulas[name] for name in self.ordered_plane()])
        first, second = np.triu_indices(x.shape[1])
        return np.concatenate([x, x[:, first] * x[:, second]], axis=1)

    def script_lines(self, float32: bool = False) -> str:
        """The same computation as Python lines on ``x`` (rows, raw columns), for the exported script (``float32``:
        the columns are kept in float32, as :meth:`apply_float32` keeps a file's)."""
        if self.plane:
            columns = ", ".join(PLANE_FEATURES[name][1] for name in self.ordered_plane())
            return ("# Input features from the raw coordinates (before any scaling)\n"
                    "x1, x2 = x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)\n"
                    f"x = np.column_stack([{columns}])  # {', '.join(self.names(('x1', 'x2')))}\n")
        if self.degree == 2:
            return ("# Polynomial degree 2 of the raw columns (before standardising): them, then x_i·x_j for i <= j\n"
                    "x = x.astype(np.float64)\n"
                    "first, second = np.triu_indices(x.shape[1])\n"
                    "x = np.concatenate([x, x[:, first] * x[:, second]], axis=1)\n"
                    + ("x = x.astype(np.float32)  # kept in float32, as a file's columns are\n" if float32 else ""))
        return ""
