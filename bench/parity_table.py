"""Backend parity of every model × optimizer on Otto and spiral: the largest relative loss difference between
engines over 200 steps (float32), through kgui.core.training.parity (the window's Compare Backends).

    python bench/parity_table.py [--steps 200] [--datasets otto spiral] [--engines ...]

Prints a Markdown table for docs/parity.md.
"""
from __future__ import annotations

import argparse
import sys
import time

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)

from kgui.core.data.datasets import load_dataset  # noqa: E402
from kgui.core.training.engines import installed_ids  # noqa: E402
from kgui.core.training.parity import compare_backends  # noqa: E402
from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402

GOAL = 1e-5
OPTIMIZERS = {  # label: settings changes, each at a rate that trains without diverging
    "sgd": {"optimizer": "sgd", "learning_rate": 0.1},
    "sgd momentum 0.9 nesterov": {"optimizer": "sgd", "momentum": 0.9, "nesterov": True, "learning_rate": 0.02},
    "rmsprop": {"optimizer": "rmsprop", "learning_rate": 0.001},
    "adagrad": {"optimizer": "adagrad", "learning_rate": 0.05},
    "adam": {"optimizer": "adam", "learning_rate": 0.001},
}
MODELS = {"softmax": {"model": "softmax"}, "mlp 64,32 relu": {"model": "mlp", "hidden": (64, 32)},
          "mlp 16 tanh": {"model": "mlp", "hidden": (16,), "activation": "tanh"}}
DATASETS = {"otto": {"dataset": "otto", "batch_size": 256}, "spiral": {"dataset": "spiral", "batch_size": None,
                                                                       "dataset_options": {"noise": 0.1}}}


def relative_difference(records) -> tuple[float, int]:
    """Largest |Δloss| / |loss| between any two engines over the steps all reached, and its step."""
    worst, where = 0.0, 0
    for index in range(min(len(r.history) for r in records)):
        losses = [r.history[index].train_loss for r in records]
        scale = max(abs(v) for v in losses) or 1.0
        value = (max(losses) - min(losses)) / scale
        if value > worst:
            worst, where = value, index + 1
    return worst, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--engines", nargs="+", default=None)
    args = parser.parse_args()
    engines = args.engines or installed_ids()
    print(f"engines: {', '.join(engines)}; {args.steps} steps; goal: relative difference ≤ {GOAL:g}\n")
    print("| dataset | model | optimizer | final loss | max relative Δloss | at step | ≤ 1e-5 |")
    print("|---|---|---|---|---|---|---|")
    for dataset_name in args.datasets:
        base = ExperimentSettings(steps=args.steps, seed=0).replace(**DATASETS[dataset_name])
        dataset = load_dataset(base.dataset, base.dataset_options, base.val_fraction, base.seed)
        for model_label, model in MODELS.items():
            for optimizer_label, optimizer in OPTIMIZERS.items():
                settings = base.replace(**model, **optimizer)
                start = time.perf_counter()
                result = compare_backends(settings, engines, dataset=dataset)
                failed = [r for r in result.records if r.status not in ("finished", "diverged")]
                if failed or not result.initial_weights_match:
                    print(f"| {dataset_name} | {model_label} | {optimizer_label} | – | {result.verdict} | | |")
                    continue
                value, step = relative_difference(result.records)
                final = result.records[0].history[-1].train_loss
                print(f"| {dataset_name} | {model_label} | {optimizer_label} | {final:.4f} | {value:.1e} | {step} | "
                      f"{'yes' if value <= GOAL else 'no'} |", flush=True)
                print(f"  ({time.perf_counter() - start:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
