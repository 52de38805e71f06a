"""The GUI thread's long frames while the window runs a 2-worker sweep, and what each was doing.

    python bench/window_frames.py --engine theano --trials 48            # frames over 12 ms, with their stacks
    python bench/window_frames.py --engine tensorflow --trials 24 --over 16

The window and the sweep are bench_sweep.py's ``--window`` ones (the real window offscreen, the sweep started from
its Sweep tab). A 10 ms timer ticks on the GUI thread; a sampling thread notes the GUI thread's Python stack and CPU
time every half millisecond (``sys._current_frames``, ``pthread_getcpuclockid``). For each gap between ticks longer
than ``--over`` ms it prints when it came (from Start), its length, the GUI thread's CPU time in it (none: the
machine's load kept the thread waiting, not kgui's work) and the stacks it was sampled in most: the outermost frames
(what Qt called: a slot, a handler, a paint) and the innermost. An empty stack is Qt's own work (a layout, a table's
paint) or a wait. The sampler slows the GUI thread a little: read which frames are long and what fills them, not
their exact lengths (bench_sweep.py --window is the measure).
"""
from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_sweep import RATES  # noqa: E402

SAMPLE_S = 0.0005
ENTRY_FRAMES = 3     # the outermost frames of each stack printed (what Qt called), outermost first
LEAF_FRAMES = 2      # and the innermost ones, innermost first


def _where(frame) -> str:
    path = frame.f_code.co_filename
    for marker in ("/kgui/", "/pyqtgraph/", "/bench/"):
        if marker in path:
            path = path[path.index(marker) + 1:]
            break
    else:
        path = Path(path).name
    return f"{path}:{frame.f_lineno} {frame.f_code.co_name}"


def _stack(frame) -> tuple[str, ...]:
    """The stack from the innermost frame out, up to the event loop's frame (the bench's own ones left out)."""
    stack = []
    while frame is not None:
        if frame.f_code.co_filename == __file__:
            break
        stack.append(_where(frame))
        frame = frame.f_back
    return tuple(stack)


class Sampler(threading.Thread):
    """Notes thread ``ident``'s stack every SAMPLE_S seconds until stopped: (perf_counter, stack)."""

    def __init__(self, ident: int):
        super().__init__(name="frame-sampler", daemon=True)
        self.watched, self.samples, self.stopped = ident, [], threading.Event()
        self.clock = time.pthread_getcpuclockid(ident)   # the watched thread's CPU time

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_S):
            frame = sys._current_frames().get(self.watched)
            self.samples.append((time.perf_counter(), time.clock_gettime(self.clock),
                                 _stack(frame) if frame is not None else ()))


def long_frames(engine: str, count: int, over_ms: float) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QEventLoop, QTimer

    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.core.runs import RunStore
    from kgui.core.sweeps.spec import Axis, SweepSpec
    from kgui.ui import create_app
    from kgui.ui.main_window import MainWindow
    from kgui.ui.sweep.dialog import SweepRun

    app = create_app([])    # held: the window needs it alive
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-window-frames-"))
    try:
        window = MainWindow(store=RunStore(folder))
        window.show()
        window.tabs.setCurrentWidget(window.sweep_view)
        for _ in range(5):
            app.processEvents()
        experiment = ExperimentSettings(backend=engine, dataset="spiral", model="mlp", hidden=(8, 8),
                                        optimizer="adam", steps=500, batch_size=10)
        spec = SweepSpec(experiment, (Axis("learning_rate", RATES),), seeds=max(1, count // len(RATES)))
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        sys.setswitchinterval(SAMPLE_S)     # the sampler gets the GIL within a sample's time
        sampler = Sampler(threading.get_ident())
        run = SweepRun(spec, window.session.store, 2)
        loop = QEventLoop()
        run.finished.connect(lambda *_: QTimer.singleShot(300, loop.quit))   # the end's frames too
        sampler.start()
        timer.start()
        started = time.perf_counter()
        ticks.append(started)
        window.sweep_view.start(run)
        loop.exec()
        timer.stop()
        sampler.stopped.set()
        sampler.join()
        window.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(ticks, sampler.samples, started, over_ms)


def report(ticks: list[float], samples: list, started: float, over_ms: float) -> None:
    gaps = [(a, b) for a, b in zip(ticks, ticks[1:]) if (b - a) * 1000 > over_ms]
    print(f"{len(ticks) - 1} gaps, {len(gaps)} over {over_ms:g} ms")
    index = 0
    for begin, end in gaps:
        while index < len(samples) and samples[index][0] < begin:
            index += 1
        inside = []
        while index < len(samples) and samples[index][0] <= end:
            inside.append(samples[index])
            index += 1
        cpu = (inside[-1][1] - inside[0][1]) * 1000 if len(inside) > 1 else 0.0
        print(f"\n== at {(begin - started) * 1000:8.0f} ms: {(end - begin) * 1000:5.1f} ms, GUI CPU {cpu:5.1f} ms, "
              f"{len(inside)} samples")
        counts = collections.Counter(_entry_and_leaf(stack) for _, _, stack in inside)
        for (entry, leaf), hits in counts.most_common(6):
            print(f"   {hits * SAMPLE_S * 1000:5.1f} ms  " + "  >  ".join(entry) + "  ...  " + "  <  ".join(leaf))


def _entry_and_leaf(stack: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The outermost frames (what Qt called into: a slot, a handler, a paint) and the innermost ones."""
    return tuple(reversed(stack[-ENTRY_FRAMES:])), stack[:LEAF_FRAMES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="theano")
    parser.add_argument("--trials", type=int, default=48)
    parser.add_argument("--over", type=float, default=12.0, help="gaps longer than this (ms) are shown")
    args = parser.parse_args()
    long_frames(args.engine, args.trials, args.over)


if __name__ == "__main__":
    main()
