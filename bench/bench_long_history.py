"""The window showing a saved run with a very long history: the GUI thread's longest gap, before and after.

    QT_QPA_PLATFORM=offscreen python bench/bench_long_history.py [--steps 1000000] [--repeat 2]

Writes one run of ``--steps`` steps with the store's writer, opens the real window (offscreen) on that store, and
ticks the run in the runs table (``Session.set_shown``, what the check box does) while a 10 ms QTimer ticks on
the GUI thread, until the run's curve holds every step and the plot has drawn it. Printed per variant: the
longest gap between ticks (what a user sees as a freeze) and the seconds from the tick to the whole curve drawn.
Variants, each in a fresh window of the same process, alternated ``--repeat`` times:

- ``before``: the history read on the GUI thread (no history reader) and the plot's buffer filled one step at a
  time (as before the fix);
- ``after``: the history read on a thread of its own, the buffer filled by whole columns.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from time import perf_counter

from bench_support import wait_until  # first: this checkout's kgui

from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.core.runs import RunRecord, RunStore  # noqa: E402
from kgui.core.runs.records import StepRecord  # noqa: E402
from kgui.ui.loss_plot import series  # noqa: E402

TICK_MS = 10


def write_run(store: RunStore, steps: int) -> str:
    record = RunRecord.new(ExperimentSettings(steps=steps))
    writer = store.begin(record)
    for step in range(1, steps + 1):
        writer.append(StepRecord(step, 2.0 / (1 + step * 1e-4), 2.1 / (1 + step * 1e-4), None, 0.1, step * 1e-3,
                                 0.5))
    writer.close()
    return record.id


def show_once(app, scratch: Path, run_id: str, steps: int, before: bool) -> tuple[float, float]:
    """(longest GUI-thread gap in ms, seconds until the whole curve is drawn) for one tick of the run."""
    from PyQt6.QtCore import QTimer

    from PyQt6.QtCore import QSettings

    from kgui.ui.main_window import MainWindow

    ini = scratch / "kgui.ini"   # nothing remembered: the window that closed last had the run shown
    ini.unlink(missing_ok=True)
    window = MainWindow(store=RunStore(scratch / "runs"), preferences=QSettings(str(ini), QSettings.Format.IniFormat))
    window.show()
    wait_until(app, lambda: True, "window shown", 5, 0.01)
    bulk = series.BULK_STEPS
    if before:
        window.session.history_reader = None
        series.BULK_STEPS = steps + 1
    ticks: list[float] = []
    timer = QTimer(interval=TICK_MS, timeout=lambda: ticks.append(perf_counter()))
    try:
        for _ in range(20):
            app.processEvents()
        timer.start()
        wait_until(app, lambda: len(ticks) >= 5, "the timer ticking", 5, 0.001)
        started = perf_counter()
        QTimer.singleShot(0, lambda: window.session.set_shown(run_id, True))

        def drawn() -> bool:
            run = window.plot.runs.get(run_id)
            return run is not None and run.buffer.size == steps and not run.dirty

        wait_until(app, drawn, "the curve drawn", 300, 0.001)
        done = perf_counter() - started
        end = perf_counter() + 0.3
        wait_until(app, lambda: perf_counter() > end, "the last paints", 5, 0.001)
        gaps = [b - a for a, b in zip(ticks, ticks[1:]) if b >= started]
        return max(gaps) * 1e3, done
    finally:
        timer.stop()
        series.BULK_STEPS = bulk
        window.close()
        window.deleteLater()
        app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    from kgui.ui import create_app

    app = create_app([])
    scratch = Path(tempfile.mkdtemp(prefix="kgui-bench-long-"))
    try:
        started = perf_counter()
        run_id = write_run(RunStore(scratch / "runs"), args.steps)
        print(f"wrote a run of {args.steps:,} steps in {perf_counter() - started:.1f} s")
        results: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        for _ in range(args.repeat):
            for variant in results:
                results[variant].append(show_once(app, scratch, run_id, args.steps, variant == "before"))
                gap, done = results[variant][-1]
                print(f"{variant:7s} longest GUI gap {gap:8.0f} ms, whole curve drawn after {done:6.2f} s", flush=True)
        best = {variant: (min(g for g, _ in runs), min(d for _, d in runs)) for variant, runs in results.items()}
        print(f"longest gap after/before: {best['after'][0] / best['before'][0]:.3f} "
              f"({best['after'][0]:.0f} / {best['before'][0]:.0f} ms, best of {args.repeat}); curve drawn "
              f"after/before: {best['after'][1] / best['before'][1]:.2f}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
