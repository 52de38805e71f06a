"""What the Network and Layers docks cost: training steps per second in the real window with both docks shown
(Network in its place, Layers floating beside it) against both hidden, and against no layer statistics sampled
at all, on the spiral MLP and on the Otto MLP (issue 23: shown ≥ 0.9 × hidden).

    xvfb-run -a -s "-screen 0 1920x1080x24" python bench/bench_network.py [--repeats 3] [--engine tensorflow]

Steps per second are the run's steps over the wall time from its start event to its end event, as the window
receives them; the variants alternate within each repeat, and the table gives the median of the repeats and each
variant's ratio to "docks hidden" in the same run. On a loaded machine wall time is noisy, so CPU time per step is
given too, as "CPU steps/s": steps per CPU second of the window's process and its worker processes (every thread:
the job's, the engine's pools, the GUI's), with its ratio; and the GUI thread's CPU time over the run's wall time
("GUI busy").
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from time import perf_counter, thread_time

import psutil

from bench_support import fresh_window  # first: this checkout's kgui, the shared Otto data

from PyQt6.QtTest import QTest  # noqa: E402

from kgui.core.session import RunEnded, RunStarted  # noqa: E402
from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.ui import create_app, worker  # noqa: E402

EXPERIMENTS = {
    "spiral MLP 8,8,8 tanh": ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8, 8), activation="tanh",
                                                optimizer="adam", learning_rate=0.03, steps=3000),
    "Otto MLP 64,32 relu": ExperimentSettings(dataset="otto", model="mlp", hidden=(64, 32), activation="relu",
                                              optimizer="adam", learning_rate=0.001, steps=600, batch_size=512),
}
VARIANTS = ("docks shown", "docks hidden", "no statistics")


def cpu_seconds() -> float:
    """CPU time so far of this process and of its children (the worker processes), user and system."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def steps_per_second(window, settings: ExperimentSettings, variant: str) -> tuple[float, float, float]:
    """Steps per wall second, steps per CPU second of the process, and the GUI thread's CPU share."""
    docks = (window.network_dock, window.layers_dock)
    if variant == "docks shown":
        window.network_dock.show()
        window.network_dock.raise_()
        window.layers_dock.setFloating(True)
        window.layers_dock.resize(640, 700)
        window.layers_dock.show()
    else:
        for dock in docks:
            dock.hide()
    worker.LAYER_STATS_S = None if variant == "no statistics" else DEFAULT_INTERVAL
    times = {}

    def on_event(event):    # on the GUI thread
        if isinstance(event, (RunStarted, RunEnded)):
            times[type(event).__name__] = (perf_counter(), cpu_seconds(), thread_time())

    window.session.subscribe(on_event)
    window.apply_settings(settings)
    window.start()
    QTest.qWait(50)
    while window.jobs.running:
        QTest.qWait(20)
    window.session.unsubscribe(on_event)
    record = window.session.last_ended
    if record.status != "finished":
        raise SystemExit(f"{variant}: the run {record.status}: {record.message}")
    (wall0, cpu0, gui0), (wall1, cpu1, gui1) = times["RunStarted"], times["RunEnded"]
    steps = len(record.history)
    window.session.delete(record.id)    # the loss plot holds a few dozen runs a panel
    return steps / (wall1 - wall0), steps / (cpu1 - cpu0), (gui1 - gui0) / (wall1 - wall0)


DEFAULT_INTERVAL = worker.LAYER_STATS_S


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--engine", default="tensorflow")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="kgui-bench-network-"))
    app = create_app([])
    window = fresh_window(scratch)
    window.resize(1400, 900)
    window.show()
    print(f"engine {args.engine}, sampling every {DEFAULT_INTERVAL} s, {args.repeats} repeats, medians; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print("| experiment | measure | " + " | ".join(VARIANTS) + " | shown / hidden | no statistics / hidden |")
    print("|---|---|" + "---|" * (len(VARIANTS) + 2))
    for name, settings in EXPERIMENTS.items():
        settings = settings.replace(backend=args.engine)
        steps_per_second(window, settings.replace(steps=20), "docks hidden")   # prepared, compiled, warm
        rates = {variant: [] for variant in VARIANTS}
        for _ in range(args.repeats):
            for variant in VARIANTS:
                rates[variant].append(steps_per_second(window, settings, variant))
        for column, measure in enumerate(("steps/s", "CPU steps/s", "GUI busy")):
            median = {variant: statistics.median(values[column] for values in rates[variant]) for variant in VARIANTS}
            hidden = median["docks hidden"]
            cells = " | ".join(f"{median[v]:.0%}" if column == 2 else f"{median[v]:.0f}" for v in VARIANTS)
            ratios = (f" | {median['docks shown'] / hidden:.2f} | {median['no statistics'] / hidden:.2f} |"
                      if column < 2 else " | | |")
            print(f"| {name} ({settings.steps} steps) | {measure} | {cells}{ratios}", flush=True)
    window.close()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
