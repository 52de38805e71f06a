"""LivePlot's cost in a K-API training loop: the README's linear exercise, 10,000 steps, with and without
``plot.update(step, loss)`` at every step, measured in the same process, rounds alternating.

    python bench/bench_live_plot.py [--steps 10000] [--rounds 3] [--backend tensorflow]

The plot is a real kgui.notebook.LivePlot: each frame redraws kgui's loss plot, renders it, encodes it and sends
it through its jupyter_rfb widget (no browser takes it here: the widget's comm goes nowhere, the work is the same).
The same run also times every ``update`` call inside the plotted loop: its share of that loop's time is the cost
itself, steadier than the ratio of two loops on a busy machine. Also the bare cost of one ``update`` in an empty
loop. Prints a table (docs/bench_notebook.md has one); compare the
ratios: on a busy machine the seconds move, the ratios much less.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import redirect_stdout
from io import StringIO

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402

import kgui.backend  # noqa: E402
from kgui.notebook import LivePlot  # noqa: E402


def linear_exercise(K):
    """The notebook's y = 0.96·x + 0.24 step function and its data."""
    rng = np.random.RandomState(0)
    x, target = K.placeholder(ndim=1), K.placeholder(ndim=1)
    w, b = K.variable(rng.rand()), K.variable(rng.rand())
    loss = K.mean(K.square(w * x + b - target))
    grads = K.gradients(loss, [w, b])
    lr = K.constant(0.5)
    train = K.function([x, target], [loss], updates=[(w, w - lr * grads[0]), (b, b - lr * grads[1])])
    np_x = rng.rand(1000).astype("float32")
    return train, [np_x, 0.96 * np_x + 0.24]


def timed_loop(train, data, steps: int, plot: LivePlot | None) -> tuple[float, float, float, float]:
    """Wall and CPU seconds of ``steps`` training steps, each followed by ``plot.update`` when there is a plot,
    and the wall and this thread's CPU seconds spent inside ``update`` (0 without a plot)."""
    wall, cpu = time.perf_counter(), time.process_time()
    in_update = in_update_cpu = 0.0
    for step in range(1, steps + 1):
        loss = train(data)[0]
        if plot is not None:
            called, called_cpu = time.perf_counter(), time.thread_time()
            plot.update(step, loss)
            in_update += time.perf_counter() - called
            in_update_cpu += time.thread_time() - called_cpu
    return time.perf_counter() - wall, time.process_time() - cpu, in_update, in_update_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", default="tensorflow")
    args = parser.parse_args()
    K = kgui.backend.load(args.backend)
    train, data = linear_exercise(K)
    timed_loop(train, data, 200, None)          # compiled and warm
    bare, plotted, frames = [], [], []
    for _ in range(args.rounds):
        bare.append(timed_loop(train, data, args.steps, None))
        with redirect_stdout(StringIO()):       # outside a kernel, display() prints the widget's repr
            plot = LivePlot("bench", steps=args.steps)
        plotted.append(timed_loop(train, data, args.steps, plot))
        frames.append(plot.frames)
        plot.close()
    with redirect_stdout(StringIO()):
        plot = LivePlot("bench", steps=args.steps)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        plot.update(step, 1.0 / step)
    per_update_us = (time.perf_counter() - start) / args.steps * 1e6

    def median(pairs, index):
        return statistics.median(pair[index] for pair in pairs)

    print(f"{K.name} {K.version}, {args.steps:,} steps, median of {args.rounds} alternating rounds")
    print("| loop | wall s | CPU s | frames drawn |")
    print("|---|---|---|---|")
    print(f"| K-API training loop | {median(bare, 0):.2f} | {median(bare, 1):.2f} | — |")
    print(f"| same loop + `plot.update(step, loss)` | {median(plotted, 0):.2f} | {median(plotted, 1):.2f} | "
          f"{statistics.median(frames):.0f} |")
    ratios = [p[0] / b[0] for b, p in zip(bare, plotted)]
    print(f"| ratio (plotted / bare) | {statistics.median(ratios):.3f} (rounds: "
          f"{', '.join(f'{r:.3f}' for r in ratios)}) | {median(plotted, 1) / median(bare, 1):.3f} | |")
    shares = [p[2] / p[0] for p in plotted]
    print(f"| time inside `update` / the plotted loop's time | {statistics.median(shares):.1%} (rounds: "
          f"{', '.join(f'{r:.1%}' for r in shares)}) | {statistics.median(p[3] / p[1] for p in plotted):.1%} | |")
    print(f"| `update` alone in an empty loop | {per_update_us:.1f} µs per call, frames included | | {plot.frames} |")


if __name__ == "__main__":
    main()
