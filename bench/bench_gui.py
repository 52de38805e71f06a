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
   10 ms QTimer on the GUI thread: largest and 99th percentile (goal p99 <= 33 ms), during
   training (from the first step shown to the run's end event), the largest at the run's end (the end event
   until the job is over: the view's refit, the run saved) and, separately, while the worker imports the
   engine and compiles; the same with
   baselines in the same process (see ``VARIANTS``): the view re-fitted at every frame as before,
   the job thread not niced, the plot frozen, and (2-feature data) no decision boundary computed or drawn;
   also the GUI thread's CPU time over the training's wall time ("GUI thread busy": what the window costs, less
   sensitive to a loaded machine than the gaps);
3. the cost of one plot redraw (setData + paint) with 1e5 and 1e6 points, whole curve and zoomed;
4. the first minute (issue 14), each in a fresh process, so that the engine is not imported yet: Start -> first
   point with the window open >= 5 s (the experiment prepared ahead) against Start right after opening (Start
   prepares), and the GUI-thread gaps (p99, max) while the window prepares ahead: dataset, engine import, compile
   (and the largest from the window shown until prepared, which includes the GUI thread's own work); then quitting
   (closing the window) 0.5 s into the engine's import: seconds until the process has ended.

The Otto train.csv(.gz) is looked up as kgui does (data/kaggle_ottogroup/, $KGUI_DATA_DIR), then
in ../shared/data beside the repository.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
SHARED_DATA = ROOT.parent / "shared" / "data"
if "KGUI_DATA_DIR" not in os.environ and (SHARED_DATA / "kaggle_ottogroup").is_dir():
    os.environ["KGUI_DATA_DIR"] = str(SHARED_DATA)

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
import json, sys, tempfile
from time import perf_counter
from PyQt6.QtCore import QSettings, QTimer
from kgui.core.runs import RunStore
from kgui.ui import create_app
from kgui.ui.main_window import MainWindow
engine, dataset, open_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
app = create_app([])
folder = tempfile.mkdtemp(prefix="kgui-bench-")
window = MainWindow(store=RunStore(folder + "/runs"), preferences=QSettings(folder + "/prefs.ini", QSettings.Format.IniFormat))
window.backend_picker.select(engine)
window.dataset_picker.select(dataset)
window.steps_box.setValue(3)
gaps, shown_gaps, last, marks = [], [], [perf_counter()], {}
def tick():
    now = perf_counter()
    preparation = window.session.preparation
    if "start" not in marks and preparation is not None and not preparation.done:
        gaps.append((now - last[0]) * 1000)
    if "start" not in marks and (preparation is None or not preparation.done):   # from shown until prepared
        shown_gaps.append((now - last[0]) * 1000)
    last[0] = now
def first_point(event):
    if type(event).__name__ == "StepsTaken" and "point" not in marks:
        marks["point"] = perf_counter()
        app.quit()
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
job = window.jobs.job
print("result", json.dumps({"first_point_s": marks["point"] - marks["start"], "prepared_ahead": job.prepared_ahead,
                            "gaps": gaps, "shown_gaps": shown_gaps}), flush=True)
window.close()
"""

QUIT_PROBE = """
import sys, time
from PyQt6.QtCore import QTimer
from kgui.core.settings import ExperimentSettings
from kgui.ui import create_app, main
from kgui.ui.main_window import MainWindow
app = create_app([])
def close_while_importing():
    for widget in app.topLevelWidgets():
        preparation = widget.session.preparation if isinstance(widget, MainWindow) else None
        if preparation is not None and preparation.phases and preparation.phases[-1].startswith("importing"):
            time.sleep(0.5)   # well into the import
            print("closing", time.time(), flush=True)
            widget.close()
            return
    QTimer.singleShot(10, close_while_importing)
QTimer.singleShot(10, close_while_importing)
sys.exit(main(ExperimentSettings(backend=sys.argv[1], dataset="linear", steps=3)))
"""


def quit_seconds(engine: str) -> float:
    """Seconds from closing the window (0.5 s into the engine's import on the preparing thread) to the process's end,
    in a fresh process with its own settings and run folders."""
    folder = tempfile.mkdtemp(prefix="kgui-bench-")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "KGUI_RUNS_DIR": folder + "/runs",
                   "XDG_CONFIG_HOME": folder + "/config"}
    process = subprocess.run([sys.executable, "-c", QUIT_PROBE, engine], cwd=ROOT, capture_output=True, text=True,
                             env=environment)
    ended = time.time()
    lines = [line for line in process.stdout.splitlines() if line.startswith("closing ")]
    if process.returncode or not lines:
        raise SystemExit(f"{engine}: quit probe failed ({process.returncode}):\n{process.stderr[-2000:]}")
    return ended - float(lines[0].split()[1])


def first_minute(engine: str, dataset: str, open_s: float) -> dict:
    """Start -> first point in a fresh process, Start pressed ``open_s`` after the window was shown; GUI gaps (ms)
    while the window prepared ahead."""
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
    "not niced": " (job thread not niced)",
    "no yield": " (job does not yield the GIL)",
    "no gui wait": " (job does not wait for an idle GUI thread: before)",
    "frozen": " (plot frozen)",
    "no surface": " (no decision boundary)",
    "points repainted": " (decision boundary's points repainted with it: before)",
    "5 ms switch": " (the interpreter's 5 ms GIL switch interval: before)",
}


def responsiveness(app, settings, runs_dir: str, variant: str = "live") -> dict:
    """Train ``settings`` in the real window; 10 ms timer gaps while preparing and while training.

    Variants, each a baseline for the window as it is ("live"): "autorange" lets pyqtgraph re-fit the
    view at every frame (kgui before its view followed the data in jumps); "not niced" leaves the job
    thread at the GUI's priority; "no yield" keeps the job from handing the GIL to the GUI between
    steps; "no gui wait" lets the job step while the GUI thread handles events; "frozen" stops the plot's redraws (the worker and its signals alone); "no surface" computes and
    draws no decision boundary (2-feature data: the Decision boundary dock is in front otherwise); "points
    repainted" paints the dock's points at every surface instead of from a cached picture.
    """
    from PyQt6.QtCore import QEventLoop, QSettings, QTimer

    from kgui.core.runs import RunStore
    from kgui.core.session import RunEnded, SurfaceComputed
    from kgui.ui import worker
    from kgui.ui.main_window import MainWindow

    engine = settings.backend
    scratch = Path(tempfile.mkdtemp(dir=runs_dir))  # a fresh store: only this run on the plot
    preferences = QSettings(str(scratch / "kgui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store=RunStore(scratch / "runs"), preferences=preferences)
    if variant == "autorange":
        window.plot.following = False
        window.plot.item.enableAutoRange()
    nice, gil_yield, surface_s = worker.WORKER_NICE, worker.GIL_YIELD_S, worker.SURFACE_S
    worker.WAIT_FOR_GUI = variant != "no gui wait"
    worker.WORKER_NICE = 0 if variant == "not niced" else nice
    worker.GIL_YIELD_S = float("inf") if variant == "no yield" else gil_yield
    worker.SURFACE_S = None if variant == "no surface" else surface_s
    switch_interval = sys.getswitchinterval()
    if variant == "5 ms switch":
        sys.setswitchinterval(0.005)
    window.apply_settings(settings)
    window.resize(1200, 760)
    window.show()
    if variant == "frozen":
        window.plot.timer.stop()
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
        (ending if ended else training if window.history else preparing).append((now - last[0]) * 1000)
        last[0] = now
        if window.history and not ended:
            busy.setdefault("first", (thread_time(), now))
            busy["last"] = (thread_time(), now)

    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    timer.start()
    started = perf_counter()
    window.start()
    loop = QEventLoop()
    window.jobs.changed.connect(lambda: window.running or loop.quit())
    loop.exec()
    app.processEvents()
    timer.stop()
    worker.WORKER_NICE, worker.GIL_YIELD_S, worker.SURFACE_S, worker.WAIT_FOR_GUI = nice, gil_yield, surface_s, True
    sys.setswitchinterval(switch_interval)
    record = window.record
    surface_shown = window.surface_dock.isVisible() and window.surface_view.surface is not None
    window.close()
    if record.status != "finished":
        raise SystemExit(f"{engine}: run {record.status}: {record.message}")
    step_ms = np.median([s.step_ms for s in record.history])
    (cpu_0, wall_0), (cpu_1, wall_1) = busy["first"], busy["last"]
    label = f"{engine} {record.engine_version}{VARIANTS[variant]}"
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

    plot = LossPlot()
    plot.timer.stop()
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
    from kgui.core import settings as experiment_settings

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
    from kgui.core import settings as experiment_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    experiment_settings.add_arguments(parser)
    parser.add_argument("--engines", nargs="*", help="engines to train on (default: --backend, else every installed one)")
    parser.add_argument("--variants", nargs="*", choices=list(VARIANTS), default=list(VARIANTS),
                        help="window variants of part 2 (default: all; 'live' is the window as it is)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per configuration; the table shows medians")
    parser.add_argument("--training-only", action="store_true", help="only part 2 (GUI gaps while training)")
    parser.add_argument("--first-minute-only", action="store_true", help="only part 4 (Start -> first point)")
    args = parser.parse_args()
    settings = experiment(args)
    from kgui import backend

    engines = args.engines or ([args.backend] if args.backend else
                               [info.name for info in backend.available() if info.installed])
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
    from kgui.core.dataset_registry import spec_for

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
          f"while the window prepares ahead (and from the window shown until prepared), and quitting while the "
          f"engine imports")
    print("| engine | Start right after opening | window open 5 s | ratio | prepared ahead | "
          "preparing: p99 gap | preparing: max gap | shown -> prepared: max gap | quit while importing |")
    print("|---|---|---|---|---|---|---|---|---|")
    for engine in engines:
        cold, warm = first_minute(engine, dataset, 0.0), first_minute(engine, dataset, 5.0)
        gaps, shown_gaps = warm["gaps"][1:], warm["shown_gaps"][1:]
        p99, worst = (float(np.percentile(gaps, 99)), max(gaps)) if gaps else (float("nan"), float("nan"))
        print(f"| {engine} | {cold['first_point_s']:.2f} s | {warm['first_point_s']:.2f} s | "
              f"{cold['first_point_s'] / warm['first_point_s']:.0f}x | {warm['prepared_ahead']} | {p99:.0f} ms | "
              f"{worst:.0f} ms | {max(shown_gaps, default=float('nan')):.0f} ms | {quit_seconds(engine):.2f} s |")


if __name__ == "__main__":
    sys.exit(main())
