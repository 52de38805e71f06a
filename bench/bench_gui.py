"""Window benchmark: start-up time, GUI-thread responsiveness while training Otto, plot redraw cost.

    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--steps 200] [--engines tensorflow theano]
    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py --dataset linear --steps 20000   # fast, Python-bound steps
    QT_QPA_PLATFORM=offscreen python bench/bench_gui.py --training-only --engines tensorflow --variants live \
        "no surface" --dataset spiral --noise 0.1 --model mlp --hidden 8,8 --activation tanh --optimizer adam \
        --lr 0.03 --steps 1500 --batch-size 10        # the decision boundary live (issue 13)

Every experiment flag of ``kgui run`` (model, hidden, activation, optimizer and its hyper-parameters, batch size,
epochs, dataset options ...) picks the experiment trained in part 2; ``--engines`` replaces ``--backend``.

1. time from process start to the window shown (a fresh ``python`` process, median of 3);
2. while the real window trains Otto (or ``--dataset``) at full speed on each engine, the gaps between ticks of a
   10 ms QTimer on the GUI thread: largest and 99th percentile (goal p99 <= 16 ms), during
   training (from the first step shown to the run's end event), the largest at the run's end (the end event
   until the job is over: the view's refit, the run saved) and, separately, while the job loads the data, imports
   the engine and compiles (each window has its own worker processes: a fresh one imports the engine); the same
   with baselines in the same process (see ``VARIANTS``): the view re-fitted at every frame as before, the plot
   frozen, (2-feature data) no decision boundary computed or drawn, the GIL switch interval at 0.5 ms, the workers
   not niced; with
   ``--compare`` also Compare Backends (every gap from Start to the job's end); also the GUI thread's CPU time
   over the training's wall time ("GUI thread busy": what the window costs, less sensitive to a loaded machine
   than the gaps);
3. the cost of one plot redraw (setData + paint) with 1e5 and 1e6 points, whole curve and zoomed;
4. the first minute (issue 14), each in a fresh process, so that the engine is not imported yet: Start -> first
   point with the window open >= 5 s (the experiment prepared ahead) against Start right after opening (Start
   prepares), and the GUI-thread gaps (p99, max) from the window shown to Start 5 s later (the window preparing
   ahead: dataset, engine import, compile), and the largest from Start right after opening to the first point;
   the engines imported into the window's process; then quitting (closing the window) 1.5 s after it was shown
   (its experiment's engine importing): seconds until the process has ended.

The Otto train.csv(.gz) is looked up as kgui does (data/kaggle_ottogroup/, $KGUI_DATA_DIR), then
in shared/data beside the checkout or a folder above it (bench_support).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from time import perf_counter, thread_time

import numpy as np

from bench_support import ROOT, fresh_window  # first: this checkout's kgui, the shared Otto data

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TICK_MS = 10
STARTUP_PROBE = """
import sys
from PyQt6.QtCore import QTimer
from kgui.ui import create_app
from kgui.ui.main_window import MainWindow
app = create_app([])
window = MainWindow()
window.show()
def shown():
    engines = [m for m in ("tensorflow", "pytensor") if m in sys.modules]
    print("shown", ",".join(engines) or "-", flush=True)
    app.quit()
QTimer.singleShot(0, shown)
app.exec()
"""


FIRST_MINUTE_PROBE = """
import json, os, sys, tempfile
from time import perf_counter
from PyQt6.QtCore import QSettings, QTimer
from kgui.core.runs import RunStore
from kgui.ui import create_app
from kgui.ui.main_window import MainWindow
engine, dataset, open_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
app = create_app([])
folder = tempfile.mkdtemp(prefix="kgui-bench-")
window = MainWindow(store=RunStore(folder + "/runs"), preferences=QSettings(folder + "/prefs.ini", QSettings.Format.IniFormat))
window.form.backend_picker.select(engine)
window.form.dataset_picker.select(dataset)
window.form.steps_box.setValue(3)
shown_gaps, start_gaps, last, marks = [], [], [perf_counter()], {}
def tick():
    now = perf_counter()
    if "point" not in marks:
        (start_gaps if "start" in marks else shown_gaps).append((now - last[0]) * 1000)
    last[0] = now
def first_point(event):
    if type(event).__name__ == "StepsTaken" and "point" not in marks:
        marks["point"] = perf_counter()
        QTimer.singleShot(0, app.quit)
def start():
    marks["start"] = perf_counter()
    window.start()
window.session.subscribe(first_point)
timer = QTimer(interval=10, timeout=tick)
timer.start()
window.show()
QTimer.singleShot(int(open_s * 1000), start)
QTimer.singleShot(300_000, app.quit)
app.exec()
engines = [name for name in ("tensorflow", "pytensor", "jax", "torch") if name in sys.modules]
print("result", json.dumps({"first_point_s": marks["point"] - marks["start"], "shown_gaps": shown_gaps,
                            "start_gaps": start_gaps, "engines_in_window": engines}), flush=True)
window.close()
"""

QUIT_PROBE = """
import sys, time
from PyQt6.QtCore import QTimer
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui import create_app, main
from kgui.ui.main_window import MainWindow
app = create_app([])
def close():
    print("closing", time.time(), flush=True)
    for widget in app.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            widget.close()
QTimer.singleShot(int(float(sys.argv[2]) * 1000), close)
sys.exit(main(ExperimentSettings(backend=sys.argv[1], dataset="linear", steps=3)))
"""

QUIT_AFTER_S = 1.5   # the window prepares ahead 0.3 s after it is shown: by then the engine is importing


def quit_seconds(engine: str) -> float:
    """Seconds from closing the window (``QUIT_AFTER_S`` after it was shown: the engine of its experiment importing
    to prepare it ahead) to the process's end, in a fresh process with its own settings and run folders."""
    folder = tempfile.mkdtemp(prefix="kgui-bench-")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KGUI_RUNS_DIR": folder + "/runs",
                   "XDG_CONFIG_HOME": folder + "/config"}
    process = subprocess.run([sys.executable, "-c", QUIT_PROBE, engine, str(QUIT_AFTER_S)], cwd=ROOT,
                             capture_output=True, text=True, env=environment)
    ended = time.time()
    lines = [line for line in process.stdout.splitlines() if line.startswith("closing ")]
    if process.returncode or not lines:
        raise SystemExit(f"{engine}: quit probe failed ({process.returncode}):\n{process.stderr[-2000:]}")
    return ended - float(lines[0].split()[1])


def first_minute(engine: str, dataset: str, open_s: float) -> dict:
    """Start -> first point in a fresh process, Start pressed ``open_s`` after the window was shown; GUI gaps (ms)
    from shown to Start (the window preparing ahead) and from Start to the first point."""
    process = subprocess.run([sys.executable, "-c", FIRST_MINUTE_PROBE, engine, dataset, str(open_s)], cwd=ROOT,
                             capture_output=True, text=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    lines = [line for line in process.stdout.splitlines() if line.startswith("result ")]
    if not lines:
        raise SystemExit(f"{engine}: first-minute probe failed:\n{process.stderr[-2000:]}")
    import json
    return json.loads(lines[0].split(" ", 1)[1])


def startup_seconds(repeats: int = 3) -> tuple[float, str]:
    """Median wall time from spawning ``python`` to the window's first event-loop turn, and engines imported."""
    times, engines = [], "-"
    for _ in range(repeats):
        start = perf_counter()
        process = subprocess.Popen([sys.executable, "-c", STARTUP_PROBE], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        for line in process.stdout:
            if line.startswith("shown"):
                times.append(perf_counter() - start)
                engines = line.split()[1]
                break
        process.wait()
    return float(np.median(times)), engines


def gap_stats(gaps_ms: list[float]) -> tuple[float, float, int]:
    if not gaps_ms:
        return float("nan"), float("nan"), 0
    return max(gaps_ms), float(np.percentile(gaps_ms, 99)), len(gaps_ms)


VARIANTS = {
    "live": "",
    "autorange": " (view re-fitted every frame: before)",
    "frozen": " (plot frozen)",
    "no surface": " (no decision boundary)",
    "points repainted": " (decision boundary's points repainted with it: before)",
    "0.5 ms switch": " (the interpreter's GIL switch interval at 0.5 ms, not 5 ms)",
    "not niced": " (workers not niced)",
    "row once a second": " (the runs table's live row once a second: before)",
}


def live_steps(window) -> list:
    """The steps the window's session has received of the run being trained (or the last one)."""
    record = window.session.runs.get(window.session.live_run_id)
    return record.history if record is not None else []


def responsiveness(app, settings, runs_dir: str, variant: str = "live", compare: bool = False) -> dict:
    """Train ``settings`` in the real window; 10 ms timer gaps while preparing and while training.

    ``compare``: run Compare Backends (every installed engine) instead of one run; every gap from Start until the
    job is over counts as "training" (the engines' imports and compiles between their runs included).

    Variants, each a baseline for the window as it is ("live"): "autorange" lets pyqtgraph re-fit the
    view at every frame (kgui before its view followed the data in jumps); "frozen" stops the plot's redraws (the
    job and its signals alone); "no surface" computes and draws no decision boundary (2-feature data: the Decision
    boundary dock is in front otherwise); "points repainted" paints the dock's points at every surface instead of
    from a cached picture; "0.5 ms switch" sets the interpreter's GIL switch interval to 0.5 ms (the window did so
    while engines ran in its process); "not niced" starts the window's workers at its own priority; "row once a
    second" refreshes the runs table's live row once a second only (its Steps cell trailed the side panel).
    """
    from PyQt6.QtCore import QEventLoop, QTimer

    from kgui.core.session import RunEnded, SurfaceComputed
    from kgui.ui import main_window, worker

    surface_s, nice = worker.SURFACE_S, getattr(main_window, "WORKER_NICE", 0)
    worker.SURFACE_S = None if variant == "no surface" else surface_s
    main_window.WORKER_NICE = 0 if variant == "not niced" else nice
    engine = settings.backend
    scratch = Path(tempfile.mkdtemp(dir=runs_dir))  # a fresh store: only this run on the plot
    window = fresh_window(scratch)
    if variant == "autorange":
        window.plot.following = False
        window.plot.item.enableAutoRange()
    switch_interval = sys.getswitchinterval()
    if variant == "0.5 ms switch":
        sys.setswitchinterval(0.0005)
    window.apply_settings(settings)
    window.resize(1200, 760)
    window.show()
    if variant == "frozen":
        window.plot.redraws_itself = False
    if variant == "row once a second":    # the live row's Steps and losses not set at the frames between
        window.runs_table.show_latest_step = lambda *args: None
    if variant == "points repainted":
        for points in (window.surface_view.train_points, window.surface_view.val_points):
            points.setCacheMode(points.CacheMode.NoCache)
    preparing, training, ending = [], [], []
    last = [perf_counter()]
    busy = {}   # (GUI-thread CPU s, wall s) at the first and the last tick while training
    surfaces, ended = [], []
    window.session.subscribe(lambda event: isinstance(event, SurfaceComputed) and surfaces.append(event.step))
    window.session.subscribe(lambda event: isinstance(event, RunEnded) and ended.append(event))

    def tick():
        now = perf_counter()
        if compare:
            training.append((now - last[0]) * 1000)
        else:
            (ending if ended else training if live_steps(window) else preparing).append((now - last[0]) * 1000)
        last[0] = now
        if compare or (live_steps(window) and not ended):
            busy.setdefault("first", (thread_time(), now))
            busy["last"] = (thread_time(), now)

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    started = perf_counter()
    if compare:
        window.compare_backends()
    else:
        window.start()
    loop = QEventLoop()
    window.jobs.changed.connect(lambda: window.jobs.running or loop.quit())
    loop.exec()
    app.processEvents()
    timer.stop()
    worker.SURFACE_S, main_window.WORKER_NICE = surface_s, nice
    sys.setswitchinterval(switch_interval)
    record = window.session.last_ended
    surface_shown = window.surface_dock.isVisible() and window.surface_view.surface is not None
    window.close()
    if record.status != "finished":
        raise SystemExit(f"{engine}: run {record.status}: {record.message}")
    step_ms = np.median([s.step_ms for s in record.history])
    (cpu_0, wall_0), (cpu_1, wall_1) = busy["first"], busy["last"]
    label = (f"Compare Backends (every engine){VARIANTS[variant]}" if compare
             else f"{engine} {record.engine_version}{VARIANTS[variant]}")
    return {"engine": label, "steps": len(record.history),
            "wall_s": perf_counter() - started, "step_ms": step_ms, "surfaces": len(surfaces) if surface_shown else 0,
            "gui_cpu": (cpu_1 - cpu_0) / max(wall_1 - wall_0, 1e-9),
            "train": gap_stats(training[1:]), "prepare": gap_stats(preparing[1:]), "end": gap_stats(ending)[0]}


def median_result(results: list[dict]) -> dict:
    """One row from repeated runs of a configuration: the median of each number."""
    def median(key, index=None):
        return float(np.median([r[key] if index is None else r[key][index] for r in results]))

    return {"engine": results[0]["engine"], "step_ms": median("step_ms"), "wall_s": median("wall_s"),
            "surfaces": median("surfaces"), "gui_cpu": median("gui_cpu"), "end": median("end"),
            "train": (median("train", 0), median("train", 1)), "prepare": (median("prepare", 0), median("prepare", 1))}


def redraw_ms(app, points: int, zoomed: bool, repeats: int = 5) -> float:
    """Median ms of one redraw (new data pushed + synchronous repaint) of a LossPlot holding ``points`` steps."""
    from kgui.ui.loss_plot import LossPlot

    plot = LossPlot(redraws_itself=False)
    plot.resize(900, 600)
    plot.show()
    steps = np.arange(1, points + 1, dtype=np.float64)
    rng = np.random.default_rng(0)
    train = 2.0 / np.sqrt(steps) + 0.01 * rng.random(points)
    run = plot.add_run("bench", "bench")
    run.buffer.fill(steps, train, train * 1.05, np.full(points, 0.1))
    run.dirty = True
    plot.redraw()
    app.processEvents()
    if zoomed:
        plot.following = False  # as when the user zooms: the view stays where it is
        plot.item.setXRange(points * 0.45, points * 0.55, padding=0)
    times = []
    for _ in range(repeats):
        run.buffer.append(points + 1, train[-1], train[-1], 0.1)  # like a live update: data changed
        start = perf_counter()
        run.dirty = True
        plot.redraw()
        plot.widget.viewport().repaint()
        app.processEvents()
        times.append((perf_counter() - start) * 1000)
    plot.close()
    return float(np.median(times))


def experiment(args):
    """The experiment part 2 trains: ``kgui run``'s flags over the bench's defaults (Otto, 200 full-batch steps,
    rate 0.1); the engine is filled in per run."""
    from kgui.core.experiment import settings as experiment_settings

    if args.dataset is None:
        args.dataset = "otto"
    if args.steps is None and args.epochs is None:
        args.steps = 200
    if args.learning_rate is None:
        args.learning_rate = 0.1
    try:
        return experiment_settings.from_arguments(args)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"bench_gui: {exc}") from None


def main() -> int:
    from kgui.core.experiment import settings as experiment_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    experiment_settings.add_arguments(parser)
    parser.add_argument("--engines", nargs="*", help="engines to train on (default: --backend, else every installed one)")
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), default=list(VARIANTS),
                        help="window variants of part 2 (default: all; 'live' is the window as it is)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per configuration; the table shows medians")
    parser.add_argument("--training-only", action="store_true", help="only part 2 (GUI gaps while training)")
    parser.add_argument("--first-minute-only", action="store_true", help="only part 4 (Start -> first point)")
    parser.add_argument("--compare", action="store_true",
                        help="part 2 also runs Compare Backends (every installed engine) in the window")
    args = parser.parse_args()
    settings = experiment(args)
    from kgui import backend

    engines = args.engines or ([args.backend] if args.backend else
                               [info.id for info in backend.available() if info.installed])
    if args.first_minute_only:
        print_first_minute(engines, args.dataset)
        return 0

    startup, engines_at_start = (None, "") if args.training_only else startup_seconds()
    from kgui.ui import create_app

    app = create_app([])
    with tempfile.TemporaryDirectory(prefix="kgui-bench-") as runs_dir:
        configs = [(engine, variant) for variant in args.variants for engine in engines]
        runs = {config: [] for config in configs}
        for _ in range(args.repeats):  # interleaved, so that a busy moment of the machine hits every config
            for engine, variant in configs:
                runs[engine, variant].append(responsiveness(app, settings.replace(backend=engine), runs_dir, variant))
            if args.compare:
                runs.setdefault(("compare", "live"), []).append(
                    responsiveness(app, settings.replace(backend=engines[0]), runs_dir, "live", compare=True))
        results = [median_result(repeats) for repeats in runs.values()]
    print(f"\nkgui window benchmark  (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']})\n")
    if startup is not None:
        print(f"start-up: process start to window shown  {startup * 1000:.0f} ms   "
              f"(engines imported by then: {engines_at_start})\n")
    print_training(settings, args.repeats, results)
    if args.training_only:
        return 0
    redraws = {(points, zoomed): redraw_ms(app, points, zoomed) for points in (10**5, 10**6) for zoomed in (False, True)}

    print("\nplot redraw (setData + repaint, downsampling + clip-to-view on):")
    print("| points | whole curve | zoomed to 10 % |")
    print("|---|---|---|")
    for points in (10**5, 10**6):
        print(f"| {points:.0e} | {redraws[points, False]:.1f} ms | {redraws[points, True]:.1f} ms |")
    print_first_minute(engines, args.dataset)
    return 0


def print_training(settings, repeats: int, results: list[dict]) -> None:
    """Part 2's table."""
    from kgui.core.data.dataset_registry import spec_for

    task = spec_for(settings.dataset).task or "classification"
    length = f"{settings.epochs} epochs" if settings.epochs else f"{settings.steps} steps"
    batch = f"batch {settings.batch_size}" if settings.batch_size else "full batch"
    options = "".join(f" {key}={value}" for key, value in settings.dataset_options.items())
    print(f"GUI thread, {TICK_MS} ms timer, {settings.dataset}{options}, {settings.describe_model(task)}, "
          f"rate {settings.learning_rate:g}, {batch}, {length}; median of {repeats} run(s) each:")
    print("| engine | median step | run wall time | training: max gap | training: p99 gap | run's end: max gap | "
          "load+compile: max gap | load+compile: p99 gap | GUI thread busy | decision boundaries drawn |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        (train_max, train_p99), (prep_max, prep_p99) = r["train"], r["prepare"]
        prepare = "— | —" if np.isnan(prep_max) else f"{prep_max:.0f} ms | {prep_p99:.1f} ms"  # no ticks: cached
        end = "—" if np.isnan(r["end"]) else f"{r['end']:.0f} ms"    # no tick after the run's end event
        print(f"| {r['engine']} | {r['step_ms']:.2f} ms | {r['wall_s']:.1f} s | {train_max:.1f} ms | "
              f"{train_p99:.1f} ms | {end} | {prepare} | {r['gui_cpu']:.0%} | {r['surfaces']:.0f} |")


def print_first_minute(engines: list[str], dataset: str) -> None:
    print(f"\nfirst minute, {dataset} (fresh process each; 3 steps; load average "
          f"{os.getloadavg()[0]:.1f} at the start): Start -> first point, the GUI-thread gaps ({TICK_MS} ms timer) "
          f"while the window prepares ahead (shown -> Start 5 s later) and while Start right after opening loads the "
          f"engine (Start -> first point), and quitting {QUIT_AFTER_S} s after the window was shown (the engine "
          f"importing)")
    print("| engine | Start right after opening | window open 5 s | ratio | preparing ahead: p99 gap | "
          "preparing ahead: max gap | Start right after opening -> first point: max gap | "
          "engines in the window's process | quit while importing |")
    print("|---|---|---|---|---|---|---|---|---|")
    for engine in engines:
        cold, warm = first_minute(engine, dataset, 0.0), first_minute(engine, dataset, 5.0)
        gaps = warm["shown_gaps"][1:]
        p99, worst = (float(np.percentile(gaps, 99)), max(gaps)) if gaps else (float("nan"), float("nan"))
        print(f"| {engine} | {cold['first_point_s']:.2f} s | {warm['first_point_s']:.2f} s | "
              f"{cold['first_point_s'] / warm['first_point_s']:.0f}x | {p99:.0f} ms | {worst:.0f} ms | "
              f"{max(cold['start_gaps'][1:], default=float('nan')):.0f} ms | "
              f"{','.join(warm['engines_in_window']) or '-'} | {quit_seconds(engine):.2f} s |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
