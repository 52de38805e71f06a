"""Layer statistics on every engine: the largest relative difference between engines of each statistic at steps 1,
10 and 100, for a tanh MLP 8,8 on the spiral and a ReLU MLP 64,32 on Otto (3,000 training rows), Adam. Two
readings: each engine trains its own run ("trained"; the runs themselves drift apart in float32 as Adam amplifies
rounding), and every engine computes the statistics of the first engine's weights at those steps ("same weights":
the statistics alone).

    python bench/layer_stats_parity.py [--engines tensorflow theano jax torch]

Prints a Markdown table for docs/bench_network.md.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)

from kgui.core.training import layer_stats  # noqa: E402
from kgui.core.data.datasets import load_dataset  # noqa: E402
from kgui.core.training.engines import installed_ids  # noqa: E402
from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.core.training.trainer import Trainer  # noqa: E402

EXPERIMENTS = {
    "spiral, tanh MLP 8,8": ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), activation="tanh",
                                               optimizer="adam", learning_rate=0.03, steps=100),
    "Otto (3,000 rows), ReLU MLP 64,32": ExperimentSettings(dataset="otto", model="mlp", hidden=(64, 32),
                                                             optimizer="adam", learning_rate=0.01, steps=100),
}
SAMPLED = (1, 10, 100)
STATISTICS = ("gradient_norms", "update_ratios", "weight_percentiles", "activation_mean", "activation_std",
              "dead_fraction")


def samples(settings: ExperimentSettings, dataset, engine: str) -> dict[int, layer_stats.LayerStats]:
    trainer = Trainer(settings.replace(backend=engine), dataset=dataset)
    trainer.prepare()
    sampler = layer_stats.LayerStatsSampler(interval_s=None, every=10)
    sampler.start(trainer)
    taken = {}
    for _ in range(settings.steps):
        trainer.step()
        stats = sampler.after_step(trainer)
        if stats is not None and stats.step in SAMPLED:
            taken[stats.step] = stats
    return taken


def same_weight_samples(settings: ExperimentSettings, dataset, engine: str,
                        reference: dict[int, tuple[list, list]]) -> dict[int, layer_stats.LayerStats]:
    """``engine``'s statistics of the reference run's weights (before and after each sampled step)."""
    trainer = Trainer(settings.replace(backend=engine), dataset=dataset)
    trainer.prepare()
    model = trainer.model
    taken = {}
    for step, (before, after) in reference.items():
        for variable, value in zip(model.params, after):
            model.K.set_value(variable, value)
        taken[step] = layer_stats.compute(model, dataset, step, before)
    return taken


def reference_weights(settings: ExperimentSettings, dataset, engine: str) -> dict[int, tuple[list, list]]:
    """The weights before and after each sampled step of ``engine``'s run."""
    trainer = Trainer(settings.replace(backend=engine), dataset=dataset)
    trainer.prepare()
    taken = {}
    for step in range(1, settings.steps + 1):
        before = [np.array(w) for w in trainer.model.K.batch_get_value(trainer.model.params)]
        trainer.step()
        if step in SAMPLED:
            taken[step] = (before, [np.array(w) for w in trainer.model.K.batch_get_value(trainer.model.params)])
    return taken


def largest_difference(values: list[np.ndarray]) -> float:
    """max over entries of |a − b| between any two engines, over the largest |value| of that statistic (a median
    weight near 0 would make an entry-wise ratio meaningless)."""
    stacked = np.stack([np.asarray(v, np.float64) for v in values])
    if not stacked.size:
        return 0.0
    spread = stacked.max(axis=0) - stacked.min(axis=0)
    return float(np.nanmax(spread) / max(np.nanmax(np.abs(stacked)), 1e-12))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=None)
    args = parser.parse_args()
    engines = args.engines or installed_ids()
    print(f"engines: {', '.join(engines)}; largest relative difference between engines at steps 1, 10, 100")
    print("| experiment | step | runs | " + " | ".join(STATISTICS) + " | activation histograms (counts apart) |")
    print("|---|---|---|" + "---|" * (len(STATISTICS) + 1))
    for name, settings in EXPERIMENTS.items():
        dataset = load_dataset(settings.dataset)
        if settings.dataset == "otto":
            dataset = dataclasses.replace(dataset, x_train=dataset.x_train[:3000], y_train=dataset.y_train[:3000],
                                          x_val=dataset.x_val[:1500], y_val=dataset.y_val[:1500])
        reference = reference_weights(settings, dataset, engines[0])
        readings = {"trained": [samples(settings, dataset, engine) for engine in engines],
                    "same weights": [same_weight_samples(settings, dataset, engine, reference) for engine in engines]}
        for step in SAMPLED:
            for reading, runs in readings.items():
                cells = [largest_difference([getattr(run[step], statistic) for run in runs])
                         for statistic in STATISTICS]
                counts = int(np.abs(np.stack([run[step].histograms for run in runs]).astype(np.int64)
                                    - runs[0][step].histograms).sum(axis=(1, 2)).max())
                print(f"| {name} | {step} | {reading} | " + " | ".join(f"{cell:.1e}" for cell in cells)
                      + f" | {counts} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
