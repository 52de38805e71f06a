"""TensorFlow Playground's 2-D problems, generated with NumPy from a seed.

The generators follow ``src/dataset.ts`` of tensorflow/playground (same shapes, ranges, labels
and meaning of ``noise``, 0 to 0.5 in the Playground's slider), vectorised and drawn from
``np.random.RandomState(seed)`` instead of JavaScript's ``Math.random``: the same seed gives the
same points on every machine, not the Playground's points.

- classification (labels -1 and +1 → classes "-1", "+1"): ``circle``, ``xor``, ``gaussians``, ``spiral``;
- regression (targets in [-1, 1]): ``plane``, ``multi-gaussian``.

Coordinates are kept raw (about -6 … 6), as the Playground feeds them to its network.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .dataset_registry import (Dataset, DatasetGroup, DatasetOption, DatasetSpec, LoadRequest, Task, build_dataset,
                               register)

DEFAULT_N = {"classification": 500, "regression": 1200}   # the Playground's NUM_SAMPLES_CLASSIFY / _REGRESS
MIN_N, MAX_N = 10, 100_000
MAX_NOISE = 1.0
CLASS_NAMES = ("-1", "+1")
FEATURE_NAMES = ("x1", "x2")


def _uniform(rng, low, high, n):
    return rng.uniform(low, high, n)


def circle(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Half the points inside radius 2.5, half in the ring 3.5–5; the label is whether the noisy point is inside."""
    radius = 5.0
    inside = n // 2
    r = np.concatenate([_uniform(rng, 0, radius * 0.5, inside), _uniform(rng, radius * 0.7, radius, n - inside)])
    angle = _uniform(rng, 0, 2 * np.pi, n)
    x = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    shifted = x + _uniform(rng, -radius, radius, (n, 2)) * noise
    labels = np.where(np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5, 1, -1)
    return x, labels


def xor(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-5, 5]² pushed 0.3 away from the axes; +1 where the noisy point's x·y ≥ 0."""
    x = _uniform(rng, -5, 5, (n, 2))
    x += np.where(x > 0, 0.3, -0.3)
    shifted = x + _uniform(rng, -5, 5, (n, 2)) * noise
    return x, np.where(shifted[:, 0] * shifted[:, 1] >= 0, 1, -1)


def gaussians(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs at (2, 2) (+1) and (-2, -2) (-1); noise 0 … 0.5 widens the variance 0.5 … 4."""
    variance = 0.5 + noise * (4 - 0.5) / 0.5
    positive = n - n // 2
    centres = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [positive, n // 2], axis=0)
    x = centres + rng.normal(0, np.sqrt(variance), (n, 2))
    return x, np.repeat([1, -1], [positive, n // 2])


def spiral(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.75 turns out to radius 5, the second turned by π; noise jitters ±noise."""
    parts, labels = [], []
    for delta, label, count in ((0.0, 1, n - n // 2), (np.pi, -1, n // 2)):
        i = np.arange(count) / count
        r, t = i * 5, 1.75 * i * 2 * np.pi + delta
        jitter = _uniform(rng, -1, 1, (count, 2)) * noise
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]) + jitter)
        labels.append(np.full(count, label))
    return np.concatenate(parts), np.concatenate(labels)


def plane(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-6, 6]²; target (x1 + x2) / 10 of the noisy point."""
    x = _uniform(rng, -6, 6, (n, 2))
    shifted = x + _uniform(rng, -6, 6, (n, 2)) * noise
    return x, shifted.sum(axis=1) / 10


MULTI_GAUSSIAN_CENTRES = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1],
                                   [4, -2.5, -1]], dtype=np.float64)


def multi_gaussian(n: int, noise: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Uniform on [-6, 6]²; target ±(1 - distance/2, clamped to [0, 1]) of the nearest-counting of six bumps."""
    x = _uniform(rng, -6, 6, (n, 2))
    shifted = x + _uniform(rng, -6, 6, (n, 2)) * noise
    distances = np.hypot(shifted[:, None, 0] - MULTI_GAUSSIAN_CENTRES[:, 0],
                         shifted[:, None, 1] - MULTI_GAUSSIAN_CENTRES[:, 1])
    heights = MULTI_GAUSSIAN_CENTRES[:, 2] * np.clip(1 - distances / 2, 0, 1)
    strongest = np.abs(heights).argmax(axis=1)  # the first of equals wins, as the Playground's strict '>'
    return x, heights[np.arange(n), strongest]


@dataclass(frozen=True)
class ToyProblem:
    """One generator and its task."""

    name: str
    title: str          # the dataset menu's
    task: str
    generate: Callable
    description: str


PROBLEMS = {problem.name: problem for problem in (
    ToyProblem("circle", "Circle (Playground, 2 classes)", "classification", circle, "a disc inside a ring"),
    ToyProblem("xor", "XOR (Playground, 2 classes)", "classification", xor,
               "the four quadrants, +1 where x1·x2 ≥ 0"),
    ToyProblem("gaussians", "Two Gaussians (Playground, 2 classes)", "classification", gaussians,
               "two Gaussian blobs"),
    ToyProblem("spiral", "Spiral (Playground, 2 classes)", "classification", spiral, "two interleaved spirals"),
    ToyProblem("plane", "Plane (Playground, regression)", "regression", plane, "the plane (x1 + x2) / 10"),
    ToyProblem("multi-gaussian", "Multi-Gaussian (Playground, regression)", "regression", multi_gaussian,
               "six bumps of alternating sign"),
)}
NAMES = tuple(PROBLEMS)
def generate(name: str, n: int | None = None, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, target)``: float64 points ``(n, 2)`` and labels ±1 (classification) or values (regression)."""
    problem = PROBLEMS[name]
    n = DEFAULT_N[problem.task] if n is None else n
    x, target = problem.generate(n, float(noise), np.random.RandomState(seed))
    return x.astype(np.float64), target


def source(name: str, n: int | None, noise: float, seed: int) -> str:
    problem = PROBLEMS[name]
    n = DEFAULT_N[problem.task] if n is None else n
    return (f"TensorFlow Playground's {name} ({problem.description}), generated: {n} points, noise {noise:g}, "
            f"seed {seed}")


def load_toy(request: LoadRequest) -> Dataset:
    """A registered toy problem: points drawn with the data seed (default: the seed), classes '-1'/'+1' or values,
    raw coordinates or the chosen features of them, seeded split."""
    problem = PROBLEMS[request.name]
    n, noise = request.options["n"], request.options["noise"]
    data_seed = request.seed if request.data_seed is None else request.data_seed
    x, target = generate(request.name, n, noise, data_seed)
    classes = ()
    if problem.task == "classification":
        target, classes = (target == 1).astype(np.int64), CLASS_NAMES
    return build_dataset(request.name, problem.task, x, target, classes, FEATURE_NAMES,
                         source(request.name, n, noise, data_seed), request.val_fraction, request.seed,
                         standardise=False, inputs=request.inputs)


for _problem in PROBLEMS.values():
    register(DatasetSpec(
        _problem.name, _problem.title, Task(_problem.task), load_toy,
        options=(DatasetOption("n", int, DEFAULT_N[_problem.task], "number of points", minimum=MIN_N, maximum=MAX_N),
                 DatasetOption("noise", float, 0.0, "noise as in TensorFlow Playground (its slider: 0 to 0.5)",
                               minimum=0, maximum=MAX_NOISE)),
        group=DatasetGroup.TOY, help=f"TensorFlow Playground's {_problem.name}: {_problem.description}"))
