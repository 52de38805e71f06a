"""Write otto_sample.csv: a synthetic, Otto-shaped stand-in for Kaggle's Otto Group train.csv (whose rules do not
allow sharing it), used by keras_backend.ipynb where the real file is missing.

Same columns (id, feat_1 … feat_93, target Class_1 … Class_9), sparse non-negative counts like Otto's, classes
as unbalanced as Otto's; each class has its own mean count per feature, so a logistic regression learns it.
Seeded: running this again writes the same file.

    python resources/notebooks/make_otto_sample.py
"""
from pathlib import Path

import numpy as np

ROWS = 450
FEATURES = 93
CLASS_SHARES = np.array([3.1, 26.1, 12.9, 4.4, 4.4, 22.8, 4.6, 13.7, 8.0])   # Otto's class shares, percent
ZERO_SHARE = 0.6   # Otto's counts are mostly zeros


def sample(seed: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """(counts (ROWS, FEATURES) int, class codes (ROWS,) 0 … 8)."""
    rng = np.random.default_rng(seed)
    classes = rng.choice(len(CLASS_SHARES), size=ROWS, p=CLASS_SHARES / CLASS_SHARES.sum())
    means = rng.lognormal(mean=-0.5, sigma=1.0, size=(len(CLASS_SHARES), FEATURES))
    counts = rng.poisson(means[classes]) * (rng.random((ROWS, FEATURES)) > ZERO_SHARE)
    return counts, classes


def main() -> None:
    counts, classes = sample()
    header = ",".join(["id", *(f"feat_{i}" for i in range(1, FEATURES + 1)), "target"])
    lines = [header] + [",".join([str(row + 1), *map(str, counts[row]), f"Class_{classes[row] + 1}"])
                        for row in range(ROWS)]
    Path(__file__).with_name("otto_sample.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
