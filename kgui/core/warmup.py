"""Compile the standard experiments' functions ahead of time, so that a user's first run starts at once.

PyTensor (the Theano engine) turns each function into C code and keeps the compiled modules in
its cache (``~/.pytensor``): the first ever Start of a model pays 10–40 s of compiling, every later
one reuses the cache. :func:`warm_up` prepares each standard experiment once, exactly as a run
would (same model code, same feature and class counts), so the README's install fills the cache.
Otto's data is not needed: a few random rows of its shape compile the same code.
"""
from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np

from kgui.core.datasets import Dataset, load_dataset
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import Trainer

OTTO_FEATURES, OTTO_CLASSES = 93, 9
STANDARD_DATASETS = ("linear", "otto")


@dataclass(frozen=True)
class WarmUpResult:
    """One experiment prepared: its dataset, engine and the seconds it took (compiling included)."""

    dataset: str
    engine: str
    seconds: float


def otto_shaped(rows: int = 16, seed: int = 0) -> Dataset:
    """Random rows with Otto's 93 features and 9 classes: compiles the same functions as the real data."""
    rng = np.random.RandomState(seed)
    x = rng.randn(rows, OTTO_FEATURES).astype(np.float32)
    y = np.eye(OTTO_CLASSES, dtype=np.float32)[rng.randint(OTTO_CLASSES, size=rows)]
    return Dataset(name="otto", task="classification", x_train=x, y_train=y, x_val=x, y_val=y,
                   feature_names=tuple(f"feat_{i + 1}" for i in range(OTTO_FEATURES)),
                   class_names=tuple(f"Class_{i + 1}" for i in range(OTTO_CLASSES)),
                   source="random rows of Otto's shape (warm-up)")


def warm_up(engine: str = "theano", datasets=STANDARD_DATASETS, on_done=None) -> list[WarmUpResult]:
    """Prepare each dataset's default experiment on ``engine`` without training or saving anything."""
    results = []
    for name in datasets:
        dataset = otto_shaped() if name == "otto" else load_dataset(name)
        start = perf_counter()
        Trainer(ExperimentSettings(dataset=name, backend=engine), dataset=dataset).prepare()
        result = WarmUpResult(name, engine, perf_counter() - start)
        results.append(result)
        if on_done is not None:
            on_done(result)
    return results
