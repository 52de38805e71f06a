"""The range test's four suggestions (fast.ai's valley, steep, minimum, slide) against the sanity check: 300 steps at
the suggested rate end with a lower training loss than 300 steps at 10× above and at 10× below it.

    python bench/bench_lr_suggestions.py [--otto PATH] [--backend tensorflow] [--steps 300]

Prints one table row per experiment and rule: the suggested rate, the final training losses at rate/10, rate and
10·rate, and whether the suggestion beats both (docs/bench_lr_suggestions.md).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from bench_support import ROOT  # first: this checkout's kgui, the shared Otto data

from kgui.core.training.lr_finder import Suggestion, find_learning_rate  # noqa: E402
from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.core.training.trainer import Trainer  # noqa: E402

OTTO = ROOT.parent / "shared/data/kaggle_ottogroup/train.csv.gz"


def experiments(otto: Path | None) -> dict[str, ExperimentSettings]:
    spiral = ExperimentSettings(dataset="spiral", dataset_options={"noise": 0.1}, model="mlp", hidden=(8, 8),
                                activation="tanh")
    cases = {"spiral MLP 8,8 tanh, SGD": spiral,
             "spiral MLP 8,8 tanh, Adam": spiral.replace(optimizer="adam"),
             "linear exercise, SGD": ExperimentSettings(dataset="linear")}
    if otto is not None and otto.exists():
        cases["Otto softmax, SGD"] = ExperimentSettings(dataset="otto", dataset_options={"path": str(otto)})
    return cases


def final_loss(settings: ExperimentSettings, rate: float, steps: int) -> float:
    record = Trainer(settings.replace(learning_rate=rate, steps=steps)).run()
    loss = record.history[-1].train_loss if record.history else math.inf
    return loss if record.status == "finished" and math.isfinite(loss) else math.inf


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otto", type=Path, default=OTTO)
    parser.add_argument("--only", help="run the experiments whose name contains this text")
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    print("| experiment | rule | suggested rate | loss at rate/10 | loss at rate | loss at 10·rate | beats both |")
    print("|---|---|---|---|---|---|---|")
    for name, settings in experiments(args.otto).items():
        if args.only and args.only not in name:
            continue
        settings = settings.replace(backend=args.backend)
        result = find_learning_rate(settings)
        for rule in Suggestion:
            rate = result.suggestions.get(rule)
            if rate is None:
                print(f"| {name} | {rule} | — | | | | no suggestion |")
                continue
            low, at, high = (final_loss(settings, rate * factor, args.steps) for factor in (0.1, 1.0, 10.0))
            verdict = "yes" if at < low and at < high else "no"
            print(f"| {name} | {rule} | {rate:.3g} | {low:.4g} | {at:.4g} | {high:.4g} | {verdict} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
