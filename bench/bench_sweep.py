"""Sweep throughput: 24 trials of spiral, MLP 8,8, Adam, 500 steps, batch 10 (6 learning rates × 4 seeds), per engine:

    (a) ``kgui run`` once per trial, one process each (the way before sweeps);
    (b) ``kgui sweep --workers 1``;
    (c) ``kgui sweep --workers 2``;
    (d) ``kgui sweep --cluster`` on a local Dask cluster of 2 one-thread workers started by the bench as the README
        starts them (before the clock, each in a session of its own as a pool's worker is, readied by kgui's preload
        ``--preload kgui.dask_worker --kgui-engines ENGINE``: a long-lived cluster's workers have the engine imported);
    (e) the same without the preload: each Dask worker imports the engine at its first trial, as a pool's worker does
        (``--modes abcde`` measures both).

    python bench/bench_sweep.py                        # TensorFlow and PyTensor
    python bench/bench_sweep.py --engines tensorflow theano torch jax --trials 24
    python bench/bench_sweep.py --engines theano --modes bcd --repeat 3   # no (a); three interleaved rounds
    python bench/bench_sweep.py --engines tensorflow theano jax --modes cde --repeat 2   # Dask readied and cold
    python bench/bench_sweep.py --view                 # the Sweep tab's update per finished trial at 1,000 trials
    python bench/bench_sweep.py --window --engines tensorflow   # GUI-thread gaps while the window sweeps (2 workers)
    python bench/bench_sweep.py --window --engines theano --trials 48 --baseline COMMIT --repeat 3   # alternating
    python bench/bench_sweep.py --window --replay --trials 48 --baseline COMMIT --repeat 3   # trials ending every
                                                   # 56 ms (an idle machine's pace) without workers, whatever the load
    python bench/bench_sweep.py --engines tensorflow theano jax --baseline COMMIT --repeat 3   # (b), (c): two trees
    python bench/bench_sweep.py --engines jax --modes bc --steps 5000   # longer trials: (b)/(c) without the fixed part

Every figure is a whole command's wall time, as a user would wait for it; the ratios are against (a) and (b) of the
same engine in the same run. The per-trial split (mean seconds of engine import, compile, restart of a compiled
model, training) comes from the runs' own timings. (d)'s and (e)'s losses are compared with (c)'s trial by trial.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kgui.core.runs import RunStore  # noqa: E402

RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
LONG_GAP_MS = 30     # --window counts the GUI thread's gaps longer than this
EXPERIMENT = ["--dataset", "spiral", "--model", "mlp", "--hidden", "8,8", "--optimizer", "adam", "--steps", "500",
              "--batch-size", "10"]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), KGUI_ENGINE_LOGS="")


def kgui(*args, runs_dir: Path, tree: Path = ROOT) -> float:
    """Wall seconds of ``python main.py ARGS`` (which must succeed), with the kgui of ``tree``."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(tree / "main.py"), *args, "--runs-dir", str(runs_dir)], check=True,
                   cwd=tree, env=dict(ENV, PYTHONPATH=str(tree)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def experiment(steps: int) -> list[str]:
    """EXPERIMENT with ``steps`` steps."""
    at = EXPERIMENT.index("--steps") + 1
    return [*EXPERIMENT[:at], str(steps), *EXPERIMENT[at + 1:]]


def grid(count: int) -> list[str]:
    """The sweep's flags for ``count`` trials: rates × seeds."""
    return ["--grid", "lr=" + ",".join(map(str, RATES[:max(1, min(len(RATES), count))])),
            "--seeds", str(max(1, count // len(RATES)))]


def trials(count: int) -> list[tuple[float, int]]:
    seeds = max(1, count // len(RATES))
    return [(rate, seed) for rate in RATES for seed in range(seeds)][:count]


def split(store: RunStore) -> dict[str, float]:
    """Mean seconds per trial of each part of a run's timings (0 for a part a run did not have)."""
    records = store.list()
    parts = ("load_engine", "compile", "restart", "train")
    return {part: statistics.fmean(record.timings.get(part, 0.0) for record in records) for part in parts}


def losses(store: RunStore) -> dict[str, list[float]]:
    """Each run's training losses by its (learning rate, seed)."""
    result = {}
    for record in store.list():
        if not record.readable:
            print(f"unreadable run {record.id} in {store.root}: {record.message}", file=sys.stderr)
            continue
        key = json.dumps([record.settings.learning_rate, record.settings.seed])
        result[key] = [step.train_loss for step in store.load(record.id).history]
    return result


# The Dask worker settings the README advises: no statistical profiler (it samples every thread's stack every 10 ms),
# and no malloc trimming at 64 KiB (the nanny's default for its workers: engine imports took half as long again)
DASK_CONFIG = """distributed:
  worker:
    profile:
      enabled: false
  nanny:
    pre-spawn-environ:
      MALLOC_TRIM_THRESHOLD_: 67108864
"""


class LocalCluster:
    """``dask scheduler`` and ``dask worker --nworkers 2 --nthreads 1`` processes on localhost (the workers without
    Dask's statistical profiler, which samples every thread's stack every 10 ms)."""

    def __init__(self, folder: Path, workers: int = 2, separate_sessions: bool = True, engines: tuple[str, ...] = ()):
        self.processes: list[subprocess.Popen] = []
        started = time.perf_counter()
        try:
            self._start(folder, workers, separate_sessions, engines)
        except BaseException:
            self.close()
            raise
        self.ready_s = time.perf_counter() - started   # until every worker has joined (readied, with engines)

    def _start(self, folder: Path, workers: int, separate_sessions: bool, engines: tuple[str, ...]) -> None:
        dask = Path(sys.executable).with_name("dask")
        folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = folder / "scheduler.json"
        self.processes.append(subprocess.Popen([str(dask), "scheduler", "--scheduler-file", str(scheduler_file),
                                                "--port", "0", "--dashboard-address", ":0"],
                                               env=dict(ENV, DASK_TEMPORARY_DIRECTORY=str(folder)), cwd=folder,
                                               start_new_session=True, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while True:   # the file appears before the scheduler has written it
            try:
                self.address = json.loads(scheduler_file.read_text())["address"]
                break
            except (OSError, ValueError, KeyError):
                if time.monotonic() > deadline:
                    raise RuntimeError("the Dask scheduler did not start within 60 s") from None
                time.sleep(0.1)
        # one `dask worker` per worker, each in a session of its own as kgui's pool workers are: the kernel's
        # autogroup scheduling shares the CPU between sessions, so two workers of one session would get half the
        # CPU of two kgui workers on a loaded machine
        sessions = workers if separate_sessions else 1
        # kgui's preload: each worker imports these engines before it joins the scheduler (none: at its first trial)
        preload = ["--preload", "kgui.dask_worker", "--kgui-engines", ",".join(engines)] if engines else []
        for _ in range(sessions):
            self.processes.append(subprocess.Popen([str(dask), "worker", self.address, "--nworkers",
                                                    str(workers // sessions), "--nthreads", "1", "--no-dashboard",
                                                    *preload],
                                                   env=dict(ENV, DASK_CONFIG=str(self._config(folder)),
                                                            DASK_TEMPORARY_DIRECTORY=str(folder)),   # not /tmp's
                                                   cwd=folder,
                                                   start_new_session=True, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    @staticmethod
    def _config(folder: Path) -> Path:
        config = folder / "dask-config"
        config.mkdir(exist_ok=True)
        (config / "kgui.yaml").write_text(DASK_CONFIG)
        return config

    def close(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def bench_engine(engine: str, count: int, folder: Path, modes: str, repeat: int, steps: int = 500) -> dict:
    """Wall seconds of each of ``modes`` (letters a-e) on ``engine``: (a) once, (b) to (e) ``repeat`` times each,
    interleaved (b c d e, b c d e, ...) so that each round's ratios share the machine's load of that moment."""
    flags = experiment(steps)
    row: dict = {"engine": engine, "steps": steps, "load": [round(os.getloadavg()[0], 1)]}
    stores: dict[str, RunStore] = {}
    if "a" in modes:
        store = folder / f"{engine}-a"
        start = time.perf_counter()
        for rate, seed in trials(count):
            kgui("run", "--backend", engine, *flags, "--lr", str(rate), "--seed", str(seed), runs_dir=store)
        row["a"] = [time.perf_counter() - start]
        stores["a"] = RunStore(store)
    for round_ in range(repeat):
        for key in "bcde":
            if key not in modes:
                continue
            store = folder / f"{engine}-{key}{round_}"
            # a fresh cluster each round, started before the clock: (d)'s readied by kgui's preload, (e)'s not
            cluster = LocalCluster(folder / f"{engine}-{key}-dask{round_}", engines=(engine,) if key == "d" else ()) \
                if key in "de" else None
            try:
                where = ["--cluster", cluster.address] if cluster else ["--workers", "1" if key == "b" else "2"]
                row.setdefault(key, []).append(kgui("sweep", "--backend", engine, *flags, *grid(count), *where,
                                                    runs_dir=store))
                if cluster is not None:
                    row.setdefault(f"{key}_cluster_ready", []).append(cluster.ready_s)
            finally:
                if cluster is not None:
                    cluster.close()
            stores[key] = RunStore(store)
        row["load"].append(round(os.getloadavg()[0], 1))
    row["split"] = {key: split(store) for key, store in stores.items()}
    if "c" in stores:
        for key in "abde":
            if key in stores:
                row[f"{key}_same_losses_as_c"] = losses(stores[key]) == losses(stores["c"])
    return row


def _ratios(row: dict, top: str, bottom: str, unit: str = "") -> str:
    """Each round's ``top`` / ``bottom`` time (their median first when there are several rounds)."""
    if top not in row or bottom not in row:
        return "-"
    pairs = list(zip(row[top], row[bottom])) if len(row[top]) == len(row[bottom]) else [
        (statistics.median(row[top]), statistics.median(row[bottom]))]
    ratios = [t / b for t, b in pairs]
    text = f"{statistics.median(ratios):.2f}{unit}"
    return text + (f" ({', '.join(f'{r:.2f}' for r in ratios)})" if len(ratios) > 1 else "")


def table(rows: list[dict], count: int) -> str:
    def seconds(row, key):
        return f"{statistics.median(row[key]):.1f}" if key in row else "-"

    def same(row, key):
        flag = row.get(f"{key}_same_losses_as_c")
        return "-" if flag is None else ("yes" if flag else "NO")

    steps = rows[0].get("steps", 500) if rows else 500
    lines = [f"{count} trials each (spiral, MLP 8,8, Adam, {steps} steps, batch 10; 6 rates × seeds), wall seconds of "
             "the whole command (the median of the rounds); the ratios are per round (their median, then each), "
             "(a)/(b) against the one (a); the load average (1 min) before and after each round.", "",
             "| engine | load | (a) run × N | (b) sweep, 1 worker | (c) sweep, 2 workers | (d) Dask, readied | "
             "(e) Dask, cold | (a)/(b) speed-up | (b)/(c) speed-up | (d)/(c) time | (e)/(c) time | "
             "losses (a) (b) (d) (e) = (c) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        load = "–".join(f"{value:g}" for value in (min(row["load"]), max(row["load"])))
        lines.append(f"| {row['engine']} | {load} | {seconds(row, 'a')} | {seconds(row, 'b')} | {seconds(row, 'c')} | "
                     f"{seconds(row, 'd')} | {seconds(row, 'e')} | {_ratios(row, 'a', 'b', '×')} | "
                     f"{_ratios(row, 'b', 'c', '×')} | {_ratios(row, 'd', 'c')} | {_ratios(row, 'e', 'c')} | "
                     f"{' '.join(same(row, key) for key in 'abde')} |")
    for row in rows:
        ready = {key: statistics.median(row[f"{key}_cluster_ready"]) for key in "de" if f"{key}_cluster_ready" in row}
        if ready:
            lines.append("")
            lines.append(f"{row['engine']}: the Dask cluster's start until its workers joined, before the clock "
                         "(median): " + ", ".join(f"({key}) {seconds:.1f} s" for key, seconds in ready.items()))
    lines += ["", "Per trial, mean seconds from the runs' timings (import the engine, compile, restart a compiled "
              "model, train; the last round):", "", "| engine | mode | import | compile | restart | train |",
              "|---|---|---|---|---|---|"]
    for row in rows:
        for key, parts in row["split"].items():
            lines.append(f"| {row['engine']} | ({key}) | {parts['load_engine']:.3f} | {parts['compile']:.3f} | "
                         f"{parts['restart']:.4f} | {parts['train']:.3f} |")
    return "\n".join(lines)


def tree_of(baseline: str, folder: Path) -> Path:
    """The kgui (and main.py) of commit ``baseline``, extracted into ``folder``."""
    archive = subprocess.run(["git", "archive", baseline, "kgui", "main.py"], cwd=ROOT, check=True, capture_output=True)
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def bench_throughput_against(baseline: str, engines: list[str], count: int, steps: int, rounds: int) -> str:
    """(b) and (c) with ``baseline``'s kgui (a git commit) and with this tree's, alternating (baseline b c, this b c,
    ``rounds`` times per engine): the medians, (b)/(c) per round, this tree's time against the baseline's, and
    whether every tree and mode gave the same losses per trial."""
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-trees-"))
    lines = [f"{count} trials of spiral, MLP 8,8, Adam, {steps} steps, batch 10; wall seconds of the whole command "
             f"(medians of {rounds} rounds, each: the baseline's (b) and (c), then this tree's); the load average "
             "(1 min) over the rounds", "",
             "| engine | load | tree | (b) 1 worker | (c) 2 workers | (b)/(c) per round (median; each) | "
             "losses the same |", "|---|---|---|---|---|---|---|"]
    try:
        trees = {f"baseline {baseline}": tree_of(baseline, folder / "baseline"), "this tree": ROOT}
        for engine in engines:
            times: dict = {(name, key): [] for name in trees for key in "bc"}
            found, load = {}, [os.getloadavg()[0]]
            for round_ in range(rounds):
                for name, tree in trees.items():
                    for key in "bc":
                        store = folder / f"{engine}-{len(found)}"
                        times[name, key].append(kgui(
                            "sweep", "--backend", engine, *experiment(steps), *grid(count), "--workers",
                            "1" if key == "b" else "2", runs_dir=store, tree=tree))
                        found[name, key, round_] = losses(RunStore(store))
                        print(json.dumps({"engine": engine, "tree": name, "mode": key,
                                          "seconds": round(times[name, key][-1], 2)}), file=sys.stderr, flush=True)
                load.append(os.getloadavg()[0])
            same = all(value == next(iter(found.values())) for value in found.values())
            for name in trees:
                lines.append(f"| {engine} | {min(load):.1f}–{max(load):.1f} | {name} | "
                             f"{statistics.median(times[name, 'b']):.2f} | {statistics.median(times[name, 'c']):.2f} "
                             f"| {_ratios({'b': times[name, 'b'], 'c': times[name, 'c']}, 'b', 'c', '×')} | "
                             f"{'yes' if same else 'NO'} |")
            (old_name, new_name) = trees
            lines.append(f"| {engine} | | baseline / this tree | "
                         + " | ".join(f"{statistics.median(times[old_name, k]) / statistics.median(times[new_name, k]):.2f}×"
                                      for k in "bc") + " | | |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return "\n".join(lines)


def bench_view(trials: int = 1000, added: int = 40, burst: int = 10) -> dict:
    """The Sweep tab (offscreen, drawn as in the window) holding ``trials`` trials of 500 steps, then ``added`` more
    ending one by one, then bursts of ``burst`` ending within one frame. Milliseconds per finished trial of the
    view's update alone, and of the update with the layout and paint that follow in the event loop (the window's
    cost); per burst, the same for all its trials. Run in the kgui tree already imported (see :func:`view_in_tree`)."""
    import random

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from kgui.core.runs import RunRecord, RunStatus, StepRecord, SweepTag
    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.ui import create_app
    try:
        from kgui.ui.sweep import SweepView
    except ImportError:    # a tree before the Sweep tab was split by concern (4eb6b94)
        from kgui.ui.sweep_view import SweepView

    app = create_app([])
    rng = random.Random(0)

    def trial(index: int) -> RunRecord:
        rate, optimizer = 10 ** rng.uniform(-4, 0), rng.choice(["sgd", "adam"])
        record = RunRecord.new(ExperimentSettings(dataset="spiral", learning_rate=rate, optimizer=optimizer), "t")
        record.id += f"-{index}"
        SweepTag("sweep-bench", {"learning_rate": rate, "optimizer": optimizer, "seed": index % 3}).apply(record)
        record.history = [StepRecord(step, 1 / step + rate, 1 / step + rate, 0.5, rate, 0.01 * step, 1.0)
                          for step in range(1, 501)]
        record.status = RunStatus.FINISHED
        return record

    view = SweepView()
    view.resize(1400, 800)
    view.show()
    view.set_runs([trial(i) for i in range(trials)])
    flush = getattr(view, "flush", lambda: None)   # a tree that coalesces trials applies them on its next frame
    for _ in range(3):
        app.processEvents()

    def end(records: list) -> tuple[float, float, float]:
        """Milliseconds of the update, of the update, layout and paint, and of the GUI thread's CPU in them, for
        ``records`` ending together."""
        start, cpu = time.perf_counter(), time.thread_time()
        for record in records:
            view.add_run(record)
        flush()
        updated = time.perf_counter()
        for _ in range(3):    # posted layouts, then the paint of what changed
            app.processEvents()
        return (updated - start) * 1000, (time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000

    index = trials
    single = []
    for _ in range(added):
        single.append(end([trial(index)]))
        index += 1
    bursts = []
    for _ in range(added // burst):
        bursts.append(end([trial(index + i) for i in range(burst)]))
        index += burst
    view.close()
    return {"trials": trials, "update_ms": statistics.median(u for u, _, _ in single),
            "frame_ms": statistics.median(f for _, f, _ in single), "frame_max_ms": max(f for _, f, _ in single),
            "frame_cpu_ms": statistics.median(c for _, _, c in single), "burst": burst,
            "burst_frame_ms": statistics.median(f for _, f, _ in bursts),
            "burst_cpu_ms": statistics.median(c for _, _, c in bursts)}


def view_in_tree(tree: Path) -> dict:
    """:func:`bench_view` in a child process whose kgui is the one in ``tree``."""
    code = (f"import sys, json; sys.path.insert(0, {str(tree)!r}); import kgui; sys.path.insert(0, "
            f"{str(Path(__file__).parent)!r}); import bench_sweep; print(json.dumps(bench_sweep.bench_view()))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), cwd=tree).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_view_against(baseline: str | None, rounds: int = 2) -> str:
    """:func:`bench_view` in this tree and, with ``baseline`` (a git commit), in that commit's tree, alternating
    ``rounds`` times; a table of medians over the rounds, with the ratios baseline / this tree."""
    trees = {"this tree": ROOT}
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-view-"))
    try:
        if baseline:
            archive = subprocess.run(["git", "archive", baseline, "kgui"], cwd=ROOT, check=True, capture_output=True)
            subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
            trees = {f"baseline {baseline}": folder, **trees}
        results: dict[str, list[dict]] = {name: [] for name in trees}
        for _ in range(rounds):
            for name, tree in trees.items():
                results[name].append(view_in_tree(tree))
                print(json.dumps({"tree": name, **results[name][-1]}), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    keys = ("update_ms", "frame_ms", "frame_cpu_ms", "frame_max_ms", "burst_frame_ms", "burst_cpu_ms")
    medians = {name: {key: statistics.median(run[key] for run in runs) for key in keys}
               for name, runs in results.items()}
    burst = results["this tree"][0]["burst"]
    lines = [f"load average {os.getloadavg()[0]:.1f}; medians over {rounds} rounds (CPU: the GUI thread's)", "",
             f"| tree | update, one trial | update + layout + paint, one trial | its CPU | largest | {burst} trials "
             "in one frame | their CPU |", "|---|---|---|---|---|---|---|"]
    for name, row in medians.items():
        lines.append(f"| {name} | {row['update_ms']:.1f} ms | {row['frame_ms']:.1f} ms | {row['frame_cpu_ms']:.1f} ms"
                     f" | {row['frame_max_ms']:.0f} ms | {row['burst_frame_ms']:.1f} ms | {row['burst_cpu_ms']:.1f} ms |")
    if baseline:
        old, new = medians[f"baseline {baseline}"], medians["this tree"]
        lines.append("| baseline / this tree | " + " | ".join(f"{old[key] / new[key]:.1f}×" for key in keys) + " |")
    return "\n".join(lines)


def bench_window_gaps(engine: str, count: int, idle_s: float = 10.0) -> dict:
    """The real window (offscreen) running the sweep in 2 worker processes from its Sweep tab: gaps between the ticks
    of a 10 ms timer on the GUI thread from Start to the sweep's end (ms: p99 and largest), and the same for the
    window idle during ``idle_s`` just before (the baseline: what the machine's load alone costs), with the load."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PyQt6.QtCore import QEventLoop, QTimer

    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.core.sweeps.spec import Axis, SweepSpec
    from kgui.ui import create_app
    from kgui.ui.main_window import MainWindow
    from kgui.ui.sweep.dialog import SweepRun

    app = create_app([])    # held: the window needs it alive
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-window-"))
    window = MainWindow(store=RunStore(folder))
    window.show()
    window.tabs.setCurrentWidget(window.sweep_view)
    app.processEvents()
    experiment = ExperimentSettings(backend=engine, dataset="spiral", model="mlp", hidden=(8, 8), optimizer="adam",
                                    steps=500, batch_size=10)
    spec = SweepSpec(experiment, (Axis("learning_rate", RATES),), seeds=max(1, count // len(RATES)))
    gaps, last = [], [time.perf_counter()]
    timer = QTimer()
    timer.setInterval(10)

    def tick():
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now
    timer.timeout.connect(tick)

    def measure(start, finished) -> tuple[list[float], float, float]:
        """Gaps from ``start()`` until ``finished`` fires (the window's event loop, as app.exec() runs it), the load,
        and the GUI thread's CPU seconds meanwhile."""
        gaps.clear()
        loop = QEventLoop()
        finished.connect(lambda *_: loop.quit())
        load = os.getloadavg()[0]
        last[0], cpu = time.perf_counter(), time.thread_time()
        timer.start()
        start()
        loop.exec()
        timer.stop()
        return gaps[1:], load, time.thread_time() - cpu

    idle = QTimer()
    idle.setSingleShot(True)
    idle.setInterval(round(idle_s * 1000))
    idle_gaps, idle_load, idle_cpu = measure(idle.start, idle.timeout)
    run = SweepRun(spec, window.session.store, 2)
    sweep_gaps, load, sweep_cpu = measure(lambda: window.sweep_view.start(run), run.finished)
    app.processEvents()
    window.close()
    shutil.rmtree(folder, ignore_errors=True)
    # the GUI thread's CPU per trial: what the sweep added to what the idle window spends (its timer's ticks)
    idle_cpu_per_s, sweep_s = idle_cpu / (sum(idle_gaps) / 1000), sum(sweep_gaps) / 1000
    def per_minute(gaps: list[float]) -> float:
        """Gaps over LONG_GAP_MS per minute of ticking."""
        return round(sum(gap > LONG_GAP_MS for gap in gaps) / (sum(gaps) / 60_000), 1)

    return {"engine": engine, "trials": count, "p99_gap_ms": round(float(np.percentile(sweep_gaps, 99)), 1),
            "max_gap_ms": round(max(sweep_gaps), 1), "long_per_min": per_minute(sweep_gaps),
            "sweep_s": round(sweep_s, 1), "load": round(load, 1),
            "gui_cpu_ms_per_trial": round((sweep_cpu - idle_cpu_per_s * sweep_s) * 1000 / count, 2),
            "idle_gui_cpu_ms_per_s": round(idle_cpu_per_s * 1000, 2),
            "ticks": len(sweep_gaps), "idle_p99_gap_ms": round(float(np.percentile(idle_gaps, 99)), 1),
            "idle_max_gap_ms": round(max(idle_gaps), 1), "idle_long_per_min": per_minute(idle_gaps),
            "idle_load": round(idle_load, 1)}


REPLAY_EVERY_MS = 56    # a replayed sweep's trials end this often: PyTensor's 48 trials in 2.7 s on an idle machine


def bench_window_replay(count: int, every_ms: float = REPLAY_EVERY_MS) -> dict:
    """The window's GUI thread while a sweep's trials end every ``every_ms``, replayed: their runs are written to the
    store first (500 steps each, as a worker writes them), then their TrialStarted and TrialEnded events reach the
    Sweep tab through its SweepRun at that pace, from the GUI thread, with no worker taking a core. What the window
    does with them is what it does in a real sweep (read the runs, list them, draw them), at the pace an idle
    machine's sweep has, whatever the load: gaps between 10 ms ticks (p99, largest), the GUI thread's CPU per trial,
    and the longest single event it handled (the most one step of a frame costs)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import random

    import numpy as np
    from PyQt6.QtCore import QEventLoop, QTimer
    from PyQt6.QtWidgets import QApplication

    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.core.runs import RunRecord, RunStatus, StepRecord, SweepTag
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.core.sweeps.runner import SweepResult, TrialEnded, TrialOutcome, TrialStarted, TrialState
    from kgui.core.sweeps.spec import Axis, SweepSpec
    from kgui.ui import create_app
    from kgui.ui.main_window import MainWindow
    from kgui.ui.sweep.dialog import SweepRun

    events: list[tuple[float, str]] = []   # the GUI thread's CPU ms of each event it handled (outermost only), what

    class TimedApplication(QApplication):
        nested = False

        def notify(self, receiver, event):   # noqa: N802 - Qt's
            if self.nested:
                return super().notify(receiver, event)
            self.nested, start, kind = True, time.thread_time(), event.type().name
            try:
                return super().notify(receiver, event)
            finally:
                self.nested = False
                events.append(((time.thread_time() - start) * 1000, f"{kind} to {type(receiver).__name__}"))

    app = TimedApplication([sys.argv[0]])    # in a process of its own (held: the window needs it alive)
    create_app([])     # kgui's style and options on it
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-replay-"))
    try:
        store = RunStore(folder)
        window = MainWindow(store=store)
        window.show()
        window.tabs.setCurrentWidget(window.sweep_view)
        settle = QEventLoop()
        QTimer.singleShot(1000, settle.quit)
        settle.exec()
        experiment = ExperimentSettings(backend="theano", dataset="spiral", model="mlp", hidden=(8, 8),
                                        optimizer="adam", steps=500, batch_size=10)
        spec = SweepSpec(experiment, (Axis("learning_rate", RATES),), seeds=max(1, count // len(RATES)))
        rng = random.Random(0)

        class ReplayedSweep(SweepRun):
            """The sweep's trials, written already, reported at the replay's pace instead of run."""

            def write_trials(self) -> None:
                self.outcomes = [TrialOutcome(trial) for trial in spec.expand()[:count]]
                for outcome in self.outcomes:
                    outcome.record = self._write(outcome.trial)

            def start(self) -> None:
                self.next = 0
                self.pace = QTimer(self)
                self.pace.setInterval(round(every_ms))
                self.pace.timeout.connect(self._end_one)
                for outcome in self.outcomes[:2]:
                    self.event.emit(TrialStarted(self.runner.sweep_id, outcome))
                self.pace.start()

            def _write(self, trial):
                record = RunRecord.new(trial.settings, f"trial {trial.index}")
                SweepTag(self.runner.sweep_id, trial.values).apply(record)
                writer = store.begin(record)
                final = 0.9 / (1 + 30 * trial.settings.learning_rate) + rng.uniform(0, 0.05)
                for step in range(1, 501):
                    loss = final + 1 / step
                    writer.append(StepRecord(step, loss, loss * 1.01, 0.5, trial.settings.learning_rate,
                                             0.0001 * step, 1.0))
                record.status = RunStatus.FINISHED
                writer.save()
                writer.close()
                return record

            def _end_one(self) -> None:
                outcome = self.outcomes[self.next]
                outcome.state = TrialState.ENDED
                self.event.emit(TrialEnded(self.runner.sweep_id, outcome))
                self.next += 1
                if self.next + 1 < len(self.outcomes):
                    self.event.emit(TrialStarted(self.runner.sweep_id, self.outcomes[self.next + 1]))
                if self.next == len(self.outcomes):
                    self.pace.stop()
                    self.finished.emit(SweepResult(self.runner.sweep_id, spec, self.outcomes))

        run = ReplayedSweep(spec, store, 1, executor=ThreadExecutor(1))
        gaps, last = [], [time.perf_counter()]

        def tick():
            now = time.perf_counter()
            gaps.append((now - last[0]) * 1000)
            last[0] = now
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        loop = QEventLoop()
        run.finished.connect(lambda *_: QTimer.singleShot(300, loop.quit))    # the end's frames too
        run.write_trials()
        load = os.getloadavg()[0]
        events.clear()
        cpu, last[0] = time.thread_time(), time.perf_counter()
        timer.start()
        window.sweep_view.start(run)
        loop.exec()
        timer.stop()
        cpu = time.thread_time() - cpu
        window.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"replay_every_ms": every_ms, "trials": count, "p99_gap_ms": round(float(np.percentile(gaps, 99)), 1),
            "max_gap_ms": round(max(gaps), 1), "gaps_over_16_ms": sum(gap > 16 for gap in gaps), "ticks": len(gaps),
            "gui_cpu_ms_per_trial": round(cpu * 1000 / count, 2), "longest_event_ms": round(max(events)[0], 1),
            "longest_events": [f"{ms:.1f} ms {what}" for ms, what in sorted(events, reverse=True)[:3]],
            "events_over_8_ms": sum(ms > 8 for ms, _ in events), "load": round(load, 1)}


def window_in_tree(tree: Path, engine: str, count: int, replay: bool = False) -> dict:
    """:func:`bench_window_gaps` (or with ``replay``, :func:`bench_window_replay`) in a child process whose kgui (and
    so its workers') is the one in ``tree``."""
    call = f"bench_window_replay({count})" if replay else f"bench_window_gaps({engine!r}, {count})"
    code = (f"import sys, json; sys.path.insert(0, {str(tree)!r}); import kgui; sys.path.insert(0, "
            f"{str(Path(__file__).parent)!r}); import bench_sweep; print(json.dumps(bench_sweep.{call}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"), cwd=tree).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_window_against(baseline: str, engines: list[str], count: int, rounds: int) -> str:
    """:func:`bench_window_gaps` in ``baseline``'s tree (a git commit) and in this one, alternating (baseline, this
    tree) per engine, ``rounds`` times: each pair shares the machine's load of its moment. A table of every run,
    then per engine the medians and the ratios baseline / this tree of the pairs."""
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-window-"))
    try:
        archive = subprocess.run(["git", "archive", baseline, "kgui"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
        trees = {f"baseline {baseline}": folder, "this tree": ROOT}
        runs: list[dict] = []
        for _ in range(rounds):
            for engine in engines:
                for name, tree in trees.items():
                    runs.append({"tree": name, **window_in_tree(tree, engine, count)})
                    print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [f"{count} trials, 2 workers; p99: the GUI thread's gaps between 10 ms ticks; GUI CPU: the GUI thread's "
             "per trial, beyond the idle window's", "",
             "| engine | tree | load | p99 gap, idle | p99 gap, sweep | largest | long gaps/min | sweep's time | "
             "GUI CPU per trial |", "|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        lines.append(f"| {run['engine']} | {run['tree']} | {run['load']:g} | {run['idle_p99_gap_ms']:g} ms | "
                     f"{run['p99_gap_ms']:g} ms | {run['max_gap_ms']:g} ms | {run['long_per_min']:g} | "
                     f"{run['sweep_s']:g} s | {run['gui_cpu_ms_per_trial']:.2f} ms |")
    lines += ["", "| engine | p99 sweep, baseline → this tree (median) | ratio per pair | GUI CPU per trial, baseline → "
              "this tree (median) | ratio per pair |", "|---|---|---|---|---|"]
    for engine in engines:
        old = [run for run in runs if run["engine"] == engine and run["tree"] != "this tree"]
        new = [run for run in runs if run["engine"] == engine and run["tree"] == "this tree"]
        cells = []
        for key in ("p99_gap_ms", "gui_cpu_ms_per_trial"):
            ratios = [a[key] / b[key] for a, b in zip(old, new) if b[key] > 0]
            cells += [f"{statistics.median(a[key] for a in old):.1f} → {statistics.median(b[key] for b in new):.1f} ms",
                      ", ".join(f"{ratio:.2f}×" for ratio in ratios)]
        lines.append(f"| {engine} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bench_replay_against(baseline: str | None, count: int, rounds: int) -> str:
    """:func:`bench_window_replay` in this tree and, with ``baseline`` (a git commit), in that commit's tree,
    alternating, ``rounds`` times: a table of every run, and the ratios baseline / this tree of each pair."""
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-replay-trees-"))
    trees = {"this tree": ROOT}
    try:
        if baseline:
            trees = {f"baseline {baseline}": tree_of(baseline, folder), **trees}
        runs: list[dict] = []
        for _ in range(rounds):
            for name, tree in trees.items():
                runs.append({"tree": name, **window_in_tree(tree, "theano", count, replay=True)})
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lines = [f"{count} trials replayed, one ending every {REPLAY_EVERY_MS} ms; gaps between the GUI thread's 10 ms "
             "ticks; its CPU per trial; its longest single event", "",
             "| tree | load | p99 gap | largest | gaps over 16 ms | longest event | events over 8 ms | GUI CPU per trial |",
             "|---|---|---|---|---|---|---|---|"]
    for run in runs:
        lines.append(f"| {run['tree']} | {run['load']:g} | {run['p99_gap_ms']:g} ms | {run['max_gap_ms']:g} ms | "
                     f"{run['gaps_over_16_ms']} of {run['ticks']} | {run['longest_event_ms']:g} ms | "
                     f"{run['events_over_8_ms']} | {run['gui_cpu_ms_per_trial']:.2f} ms |")
    if baseline:
        old = [run for run in runs if run["tree"] != "this tree"]
        new = [run for run in runs if run["tree"] == "this tree"]
        for key, title in (("p99_gap_ms", "p99 gap"), ("longest_event_ms", "longest event"),
                           ("gui_cpu_ms_per_trial", "GUI CPU per trial")):
            lines.append(f"\n{title}, baseline / this tree per pair: " + ", ".join(
                f"{a[key] / b[key]:.2f}×" for a, b in zip(old, new) if b[key] > 0))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["tensorflow", "theano"])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--no-dask", action="store_true", help="leave out (d) and (e)")
    parser.add_argument("--modes", default="abcd", help="which of (a) (b) (c) (d) (e) to measure, e.g. cde")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of (b) (c) (d), interleaved")
    parser.add_argument("--view", action="store_true", help="only the Sweep tab's update at 1,000 trials")
    parser.add_argument("--baseline", metavar="COMMIT",
                        help="the same in this commit's tree, alternating, for ratios (throughput: (b) and (c))")
    parser.add_argument("--steps", type=int, default=500, help="steps of each trial (throughput)")
    parser.add_argument("--window", action="store_true", help="only the GUI thread's gaps while the window sweeps")
    parser.add_argument("--replay", action="store_true",
                        help=f"with --window: the sweep's trials written first, then ending every {REPLAY_EVERY_MS} ms "
                             "(an idle machine's pace, whatever the load), no workers")
    args = parser.parse_args()
    if args.view:
        print(bench_view_against(args.baseline))
        return
    if args.window and args.replay:
        print(bench_replay_against(args.baseline, args.trials, max(1, args.repeat)))
        return
    if args.window and args.baseline:
        print(bench_window_against(args.baseline, args.engines, args.trials, max(1, args.repeat)))
        return
    if args.window:
        for engine in args.engines:
            print(json.dumps(bench_window_gaps(engine, args.trials)), flush=True)
        return
    if args.baseline:
        print(bench_throughput_against(args.baseline, args.engines, args.trials, args.steps, max(1, args.repeat)))
        return
    folder = Path(tempfile.mkdtemp(prefix="kgui-bench-sweep-"))
    rows = []
    try:
        for engine in args.engines:
            modes = args.modes.replace("d", "").replace("e", "") if args.no_dask else args.modes
            row = bench_engine(engine, args.trials, folder, modes, max(1, args.repeat), args.steps)
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(table(rows, args.trials))


if __name__ == "__main__":
    main()
