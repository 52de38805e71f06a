"""Classroom mode: controls of the window a teacher hides or locks (TensorFlow Playground's ``HIDABLE_CONTROLS``).

A :class:`Classroom` names controls by the ids of :data:`CONTROLS`; it comes from ``kgui open --hide ... --lock
...``, from a JSON file (``{"hide": ["optimizer", "engine"], "lock": ["dataset"]}``, ``kgui open --classroom
FILE``) or from a ``kgui:`` experiment string, and lasts for that window (it is not remembered). A hidden control
is not shown; a locked one is shown and cannot be changed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import json_files
from .settings import ExperimentSettings

CONTROLS = {   # id: what it is in the window
    "engine": "the engine picker",
    "dataset": "the dataset picker and its options (noise, points)",
    "learning_rate": "the learning-rate slider and box",
    "steps": "steps",
    "batch_size": "batch size",
    "seed": "seed (initial weights, split, batch order)",
    "data_seed": "the toy datasets' data seed",
    "val_fraction": "the training/test ratio",
    "features": "the input features (2-D sets) or polynomial degree",
    "model": "model, hidden layers and activation",
    "regularization": "L2 and L1",
    "optimizer": "the optimizer and its hyper-parameters",
    "schedule": "the learning-rate schedule and decay",
    "epochs": "epochs",
    "start": "Start",
    "pause": "Pause",
    "step": "Step",
    "stop": "Stop",
    "reset": "Reset",
    "compare": "Compare Backends",
    "range_test": "the learning-rate range test",
    "show_test_data": "the decision boundary's Show test data",
    "discretize": "the decision boundary's Discretize output",
}

CONTROL_FIELDS = {   # id: the ExperimentSettings fields a locked control keeps when an experiment is loaded
    "engine": ("backend",), "dataset": ("dataset", "dataset_options"), "learning_rate": ("learning_rate",),
    "steps": ("steps",), "batch_size": ("batch_size",), "seed": ("seed",), "data_seed": ("data_seed",),
    "val_fraction": ("val_fraction",), "features": ("features",), "model": ("model", "hidden", "activation"),
    "regularization": ("l2", "l1"),
    "optimizer": ("optimizer", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon"),
    "schedule": ("schedule", "decay", "drop", "every", "max_lr"), "epochs": ("epochs",),
}

@dataclass(frozen=True)
class Classroom:
    """Controls hidden and controls locked (ids of :data:`CONTROLS`)."""

    hide: frozenset[str] = frozenset()
    lock: frozenset[str] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "hide", frozenset(self.hide))
        object.__setattr__(self, "lock", frozenset(self.lock))

    def __bool__(self) -> bool:
        return bool(self.hide or self.lock)

    def validate(self) -> None:
        """ValueError naming the unknown controls."""
        for kind in ("hide", "lock"):
            unknown = sorted(getattr(self, kind) - CONTROLS.keys())
            if unknown:
                raise ValueError(f"cannot {kind} {', '.join(map(repr, unknown))}: the controls are "
                                 f"{', '.join(CONTROLS)}")

    def to_dict(self) -> dict:
        return {"hide": sorted(self.hide), "lock": sorted(self.lock)}

    @classmethod
    def from_dict(cls, data) -> "Classroom":
        """A validated Classroom from ``{"hide": [...], "lock": [...]}``; ValueError for anything else."""
        if not isinstance(data, dict) or set(data) - {"hide", "lock"}:
            raise ValueError('a classroom must be a JSON object like {"hide": ["optimizer"], "lock": ["dataset"]}')
        lists = {}
        for kind in ("hide", "lock"):
            value = data.get(kind, [])
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                raise ValueError(f"the classroom's {kind} must be a list of control names")
            lists[kind] = value
        classroom = cls(**lists)
        classroom.validate()
        return classroom

    @classmethod
    def load(cls, path) -> "Classroom":
        """A Classroom from a JSON file; ValueError/OSError naming the file (a damaged, deeply nested or binary
        one, a FIFO or a device: :func:`kgui.core.json_files.load_file`)."""
        return json_files.load_file(path, lambda text: cls.from_dict(json_files.parse(text)))

    def locked_fields(self) -> tuple[str, ...]:
        """The settings fields of the locked controls (only those ExperimentSettings has)."""
        names = {f for control in self.lock for f in CONTROL_FIELDS.get(control, ())}
        return tuple(sorted(names & set(ExperimentSettings().to_dict())))

    def fixed_fields(self) -> frozenset[str]:
        """The settings fields a student cannot change, those of the hidden and locked controls ("dataset_options":
        the dataset's options too): a sweep from the window offers none of them as an axis."""
        return frozenset(f for control in self.hide | self.lock for f in CONTROL_FIELDS.get(control, ()))

    def merged(self, other: "Classroom") -> "Classroom":
        """Both classrooms' hidden and locked controls."""
        return Classroom(self.hide | other.hide, self.lock | other.lock)


def parse_controls(text: str, kind: str = "hide") -> frozenset[str]:
    """``"optimizer,engine"`` → the control ids to ``kind`` (hide or lock); ValueError naming unknown ones."""
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    Classroom(**{kind: names}).validate()
    return names
