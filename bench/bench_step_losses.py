"""What it costs to report a step's training and validation loss on the same weights.

    python bench/bench_step_losses.py [--steps 100] [--engines tensorflow theano] [--otto PATH]

A step today: the update (its function also returns the batch's loss, on the weights before the update), then
the validation loss and accuracy on the weights after it. Two ways to put both on the same weights:

- "train after": one more evaluation, of the batch's loss on the updated weights (a forward pass over the batch);
- "val before": the validation loss measured before the update instead of after it (no extra work).

Each variant runs ``--steps`` steps of the same model in this process, interleaved in rounds; the table gives
the median ms per step and the ratio to today's step.
"""
from __future__ import annotations

import argparse
import statistics
import time

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)

from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.core.training.trainer import Trainer  # noqa: E402

CASES = {
    "linear exercise, full batch": ExperimentSettings(dataset="linear", learning_rate=0.5),
    "Otto softmax, full batch": ExperimentSettings(dataset="otto", learning_rate=0.01),
    "Otto MLP 64,32 Adam, batch 128": ExperimentSettings(dataset="otto", model="mlp", hidden=(64, 32),
                                                        optimizer="adam", learning_rate=0.001, batch_size=128),
}


def today(model, x, y, dataset):
    model.train_step(x, y)
    model.evaluate(dataset.x_val, dataset.y_val)


def train_after(model, x, y, dataset):
    model.train_step(x, y)
    model.evaluate(x, y)
    model.evaluate(dataset.x_val, dataset.y_val)


def val_before(model, x, y, dataset):
    model.evaluate(dataset.x_val, dataset.y_val)
    model.train_step(x, y)


VARIANTS = {"today": today, "train after": train_after, "val before": val_before}


def measure(settings: ExperimentSettings, steps: int, rounds: int) -> dict[str, float]:
    trainer = Trainer(settings)
    trainer.prepare()
    dataset, model = trainer.dataset, trainer.model
    times = {name: [] for name in VARIANTS}
    batch = settings.batch_size or len(dataset.x_train)
    x, y = dataset.x_train[:batch], dataset.y_train[:batch]
    for _ in range(rounds):
        for name, variant in VARIANTS.items():
            variant(model, x, y, dataset)   # warm
            start = time.perf_counter()
            for _ in range(steps):
                variant(model, x, y, dataset)
            times[name].append((time.perf_counter() - start) * 1000 / steps)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=["tensorflow", "theano"])
    parser.add_argument("--otto", help="the Otto train.csv(.gz) or its folder")
    args = parser.parse_args()
    otto = {"path": args.otto} if args.otto else {}
    print("| engine | experiment | today ms/step | train after: ms, ratio | val before: ms, ratio |")
    print("|---|---|---|---|---|")
    for engine in args.engines:
        for title, settings in CASES.items():
            settings = settings.replace(backend=engine)
            if settings.dataset == "otto":
                settings = settings.replace(dataset_options=otto)
            ms = measure(settings, args.steps, args.rounds)
            base = ms["today"]
            print(f"| {engine} | {title} | {base:.3f} | {ms['train after']:.3f}, {ms['train after'] / base:.3f} | "
                  f"{ms['val before']:.3f}, {ms['val before'] / base:.3f} |", flush=True)


if __name__ == "__main__":
    main()
