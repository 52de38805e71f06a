"""Start/stop cycles in the real window: live QThread objects, worker processes, RSS and cycle time over many cycles.

    QT_QPA_PLATFORM=offscreen python bench/bench_cycles.py [--cycles 100] [--engine tensorflow] [--delete]

Each cycle starts a paused run of the linear exercise (50 rows) that takes exactly one step (Step, F6), waits
for the step to reach the window, stops the run and waits until the job's thread has ended (``--delete``: then deletes the run, so that RSS growth
is what leaked; without it every run stays in the table and on the plot, as a user's runs do). After 5 warm-up cycles (engine import, first compile)
it prints, every 10 cycles, the live QThread objects, the window process's child processes (its workers), RSS
growth since the warm-up, and the median cycle time of those 10 cycles as a ratio to the first 10 (the baseline,
same process): flat means ~1.00. RSS is the window process's, read after ``gc.collect()`` and glibc's
``malloc_trim(0)`` (freed memory the allocator still holds is not growth), and also as is ("raw": what top shows).
At the end the window is closed and the child processes left 2 s later are counted (goal: none).
"""
from __future__ import annotations

import argparse
import ctypes
import gc
import os
import statistics
import tempfile
from pathlib import Path
from time import perf_counter, sleep

from bench_window_rss import children, rss_mb

from bench_support import fresh_window, wait_until  # first: this checkout's kgui, the shared Otto data
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

WARM_UP = 5
TIMEOUT_S = 120


def live_steps(window) -> list:
    """The steps the window's session has received of the run being trained (or the last one)."""
    record = window.session.runs.get(window.session.live_run_id)
    return record.history if record is not None else []


def trimmed_rss_mb() -> float:
    """RSS after a full collection and after glibc returns the freed memory it holds (when it is glibc)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    return rss_mb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--engine", default="tensorflow")
    parser.add_argument("--delete", action="store_true", help="delete each run after its cycle")
    args = parser.parse_args()

    from PyQt6 import sip
    from PyQt6.QtCore import QThread

    from kgui.ui import create_app

    app = create_app([])
    folder = Path(tempfile.mkdtemp(prefix="kgui-cycles-"))
    window = fresh_window(folder)
    window.show()
    window.form.backend_picker.select(args.engine)
    window.form.dataset_picker.select("linear", {"n": 50})
    window.form.steps_box.setValue(1_000_000)

    def wait(condition) -> None:
        wait_until(app, condition, "bench_cycles: the window's step", TIMEOUT_S, poll_s=0.001)

    def cycle() -> float:
        start = perf_counter()
        window.jobs.step_once()            # a paused run that takes exactly one step: the same work every cycle
        wait(lambda: len(live_steps(window)) >= 1)
        window.stop()
        wait(lambda: not window.jobs.running)
        if args.delete:
            window.session.delete(window.session.last_ended.id)
        return perf_counter() - start

    def live_qthreads() -> int:
        wrapped = [obj for obj in gc.get_objects() if issubclass(type(obj), QThread) and not sip.isdeleted(obj)]
        return max(len(wrapped), len(window.findChildren(QThread)))

    for _ in range(WARM_UP):
        cycle()
    raw_before = rss_mb()
    before = trimmed_rss_mb()
    kept = "each run deleted after its cycle" if args.delete else "runs kept"
    print(f"{args.engine}, linear (50 rows), {kept}: {WARM_UP} warm-up cycles, then {args.cycles}")
    print("| cycles | live QThreads | child processes | RSS growth (MB) | raw RSS growth (MB) | median cycle (s) | "
          "ratio to cycles 1-10 |")
    print("|---|---|---|---|---|---|---|")
    times: list[float] = []
    baseline = None
    for done in range(1, args.cycles + 1):
        times.append(cycle())
        if done % 10 == 0:
            raw = rss_mb()
            growth = trimmed_rss_mb() - before
            median = statistics.median(times[-10:])
            baseline = baseline or median
            print(f"| {done} | {live_qthreads()} | {len(children(os.getpid()))} | {growth:+.1f} | "
                  f"{raw - raw_before:+.1f} | {median:.3f} | {median / baseline:.2f} |", flush=True)
    threads = live_qthreads()
    window.close()
    closed = perf_counter()
    while children(os.getpid()) and perf_counter() - closed < 2.0:
        sleep(0.05)
    print(f"result: live_qthreads={threads} rss_growth_mb={growth:.2f} raw_rss_growth_mb={raw - raw_before:.2f} "
          f"last_to_first_ratio={median / baseline:.3f} processes_left_2s_after_close={len(children(os.getpid()))}")


if __name__ == "__main__":
    main()
