"""Compile the standard experiments' functions ahead of time, so that a user's first run starts at once.

PyTensor (the Theano engine) turns each function into C code and keeps the compiled modules in
its cache (``~/.pytensor``): the first ever Start of a model pays 10–40 s of compiling, every later
one reuses the cache. :func:`warm_up` prepares each standard experiment once, exactly as a run
would (same model code, same feature and class counts), so the README's install fills the cache.
Otto's data is not needed: a few random rows of its shape compile the same code.

The cache is keyed by each node's code and types (dtype, rank), not by shapes, and a model's nodes are those of
its layers, its activation and its optimizer. So :data:`SHARED_KERNELS`, a one-hidden-layer MLP for each
activation (with SGD) and for each optimizer (with ReLU), on a classification and a regression set, compiles the
kernels that the first run of any model × activation × optimizer would otherwise wait for
(docs/bench_workers.md has the measurement).
"""
from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

import numpy as np

from kgui.core.data.datasets import Dataset, load_dataset
from kgui.core.training.models import ACTIVATIONS
from kgui.core.training.optimizers import OPTIMIZERS
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

OTTO_FEATURES, OTTO_CLASSES = 93, 9
STANDARD_DATASETS = ("linear", "otto")
KERNEL_DATASETS = ("circle", "linear")   # a classification set and a regression set (toy sets: no file to read)
SHARED_KERNELS = tuple(
    ExperimentSettings(dataset=dataset, model="mlp", hidden=(2,), activation=activation, optimizer=optimizer)
    for dataset in KERNEL_DATASETS
    for activation, optimizer in dict.fromkeys([(a, "sgd") for a in ACTIVATIONS] + [("relu", o) for o in OPTIMIZERS]))


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


def warm_up(engine: str = "theano", datasets=STANDARD_DATASETS, on_done=None,
            kernels=SHARED_KERNELS) -> list[WarmUpResult]:
    """Prepare each dataset's default experiment, then each of ``kernels``, on ``engine`` without training or saving
    anything."""
    results = []
    experiments = [(name, ExperimentSettings(dataset=name)) for name in datasets]
    experiments += [(f"{settings.dataset} MLP, {settings.activation}, {settings.optimizer}", settings)
                    for settings in kernels]
    for label, settings in experiments:
        dataset = otto_shaped() if settings.dataset == "otto" else load_dataset(settings.dataset)
        start = perf_counter()
        Trainer(settings.replace(backend=engine), dataset=dataset).prepare()
        result = WarmUpResult(label, engine, perf_counter() - start)
        results.append(result)
        if on_done is not None:
            on_done(result)
    return results
