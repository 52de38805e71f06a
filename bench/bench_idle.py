"""The window's CPU while idle: ``QT_QPA_PLATFORM=offscreen python bench/bench_idle.py [--seconds 5] [--repeat 3]``.

With a fresh run store and fresh preferences, trains one short run in the real window (linear, 100 steps, its curves
shown), then measures the window's process CPU time per second of wall time while nothing trains, alternating:

- now: the loss plot's redraw timer runs only while there is something to draw;
- baseline: the same window with its plot redrawn every ``REDRAW_MS`` regardless, as its timer did before.

Prints a table of milliseconds of CPU per second (medians over ``--repeat``) and their ratio (now / baseline).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_support import fresh_window  # first: this checkout's kgui

from PyQt6.QtCore import QTimer  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402

from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.ui import create_app  # noqa: E402
from kgui.ui.loss_plot.widget import REDRAW_MS  # noqa: E402


def idle_cpu_ms_per_s(seconds: float) -> float:
    cpu, wall = time.process_time(), time.perf_counter()
    QTest.qWait(int(seconds * 1000))
    return 1000 * (time.process_time() - cpu) / (time.perf_counter() - wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="idle time measured each time")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = create_app([])  # noqa: F841 - kept alive
    with tempfile.TemporaryDirectory(prefix="kgui-bench-idle-") as scratch:
        window = fresh_window(Path(scratch))
        window.resize(1400, 880)
        window.show()
        window.apply_settings(ExperimentSettings(backend="tensorflow", dataset="linear", steps=100))
        window.start()
        QTest.qWait(100)
        while window.jobs.running:
            QTest.qWait(50)
        QTest.qWait(2000)
        always = QTimer()                 # the baseline: a redraw every frame, whether or not anything changed
        always.setInterval(REDRAW_MS)
        always.timeout.connect(window.plot.redraw)
        now, baseline = [], []
        for _ in range(args.repeat):
            now.append(idle_cpu_ms_per_s(args.seconds))
            always.start()
            baseline.append(idle_cpu_ms_per_s(args.seconds))
            always.stop()
        window.close()
    now_ms, baseline_ms = statistics.median(now), statistics.median(baseline)
    print("| window idle, a run shown | CPU ms per s (median) | runs |")
    print("|---|---|---|")
    print(f"| baseline: plot redrawn at {1000 // REDRAW_MS} Hz | {baseline_ms:.2f} | "
          f"{', '.join(f'{value:.2f}' for value in baseline)} |")
    print(f"| now: redraw timer only while something changed | {now_ms:.2f} | "
          f"{', '.join(f'{value:.2f}' for value in now)} |")
    print(f"\nnow / baseline: {now_ms / baseline_ms:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
