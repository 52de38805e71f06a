"""What colouring a sweep's trials by a hyper-parameter and grouping their seeds costs the loss plot.

    python bench/bench_sweep_look.py --trials 24 --trials 96 --steps 300

Runs a real sweep per size in a temporary store (spiral, MLP 16,16 tanh, batch 10, PyTorch or else TensorFlow;
learning rate log-spaced × SGD, Adam × 2 seeds, one thread), puts its trials on an offscreen LossPlot as the window
does, then times each of three looks, alternating them ``--repeats`` times (medians):

- plain: the runs in their own styles;
- coloured: Colour by learning rate (colours, colour bar);
- grouped: Mean ± std over seeds too (one band per configuration, the runs' own curves hidden).

For each: "switch", the redraw that applies the look after the choice changed (once per click) and the paint after
it (its new items' first); then "redraw", every run drawn again as after a change of smoothing or axis (the look
kept: its bands follow), "paint", a paint of that, and "repaint", a paint with nothing changed (as when the mouse
moves the hover line). Ratios are against plain in the same run; the table goes to
docs/bench_sweep_look.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter

import bench_support  # noqa: F401 - this checkout's kgui first

import numpy as np  # noqa: E402


def sweep_records(trials: int, steps: int, scratch: Path):
    """A real sweep of ``trials`` trials (rates × 2 optimizers × 2 seeds), its runs read with their steps."""
    import kgui.backend
    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.core.runs import RunStore
    from kgui.core.sweeps import Axis, SweepRunner, SweepSpec, ThreadExecutor
    from kgui.core.sweeps.table import sweep_records as listed

    engine = "torch" if any(info.id == "torch" and info.installed for info in kgui.backend.available()) \
        else "tensorflow"
    rates = tuple(float(rate) for rate in np.logspace(-3, -0.5, max(1, trials // 4)))
    experiment = ExperimentSettings(backend=engine, dataset="spiral", model="mlp", hidden=(16, 16),
                                    activation="tanh", steps=steps, batch_size=10)
    store = RunStore(scratch / f"runs-{trials}")
    spec = SweepSpec(experiment, (Axis("learning_rate", rates), Axis("optimizer", ("sgd", "adam"))), seeds=2)
    result = SweepRunner(spec, store, ThreadExecutor(1)).run()
    return engine, [store.load(record.id) for record in listed(store, result.sweep_id)]


def timed(action) -> float:
    start = perf_counter()
    action()
    return 1000 * (perf_counter() - start)


def measure(plot, repeats: int) -> dict[str, tuple[float, ...]]:
    """Median (switch ms, its paint ms, redraw ms, paint ms, repaint ms) of each look, the looks alternating."""
    controls = plot.look.controls
    looks = {"plain": (None, False), "coloured": ("learning_rate", False), "grouped": ("learning_rate", True)}
    times: dict[str, list[tuple[float, ...]]] = {name: [] for name in looks}
    for _ in range(repeats):
        for name, (colour_by, grouped) in looks.items():
            controls.blockSignals(True)                 # the choice set quietly: the redraw timed below applies it
            controls.set_colour_by(colour_by)
            controls.seeds_box.setChecked(grouped)
            controls.blockSignals(False)
            plot.look.invalidate()
            switch = timed(plot.redraw)
            first_paint = timed(plot.widget.grab)
            redraw = timed(plot._redraw_all)
            paint = timed(plot.widget.grab)
            repaint = timed(plot.widget.grab)
            times[name].append((switch, first_paint, redraw, paint, repaint))
    return {name: tuple(statistics.median(t[part] for t in values) for part in range(5))
            for name, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, action="append", help="trials of a sweep (repeat for several sizes)")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from kgui.ui import create_app
    from kgui.ui.loss_plot import LossPlot
    from kgui.ui.names import plot_placement, run_title

    app = create_app([])  # noqa: F841 - kept alive
    print("| trials | steps | engine | look | switch ms | its paint ms | redraw ms | paint ms | repaint ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="kgui-bench-look-") as scratch:
        for trials in args.trials or [24]:
            engine, records = sweep_records(trials, args.steps, Path(scratch))
            plot = LossPlot(redraws_itself=False)
            plot.resize(1000, 600)
            plot.show()
            for record in records:
                plot.add_run(record.id, run_title(record), **plot_placement(record))
                plot.add_steps(record.id, record.history, record.lr_changes)
            plot.redraw()
            result = measure(plot, args.repeats)
            for name, times in result.items():
                cells = [f"{len(records)}", f"{args.steps}", engine, name] + [
                    f"{value:.1f}" + ("" if name == "plain" else f" ({value / base:.2f}×)")
                    for value, base in zip(times, result["plain"])]
                print("| " + " | ".join(cells) + " |", flush=True)
            plot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
