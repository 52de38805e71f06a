"""Run store at scale: listing 10,000 runs / 10 M stored steps from their summaries, against reading every
history (what listing did before summaries), in the same process.

    python bench/bench_runs.py                      # 10,000 runs x 1,000 steps in a temporary folder
    python bench/bench_runs.py --runs 1000 --steps 1000 --dir /tmp/store --keep
    QT_QPA_PLATFORM=offscreen python bench/bench_runs.py --window   # also time the window's start

Prints a table (docs/bench_runs.md has one). The baseline reads the full history of a sample of runs
and is scaled to the whole store (reading 10 M steps takes minutes).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kgui.core.runs import HISTORY_COLUMNS, RunRecord, RunStatus, RunStore, RunSummary, StepRecord  # noqa: E402
from kgui.core.settings import ExperimentSettings  # noqa: E402

SAMPLE_RUNS = 50  # runs whose full history the baseline reads


def build_store(root: Path, runs: int, steps: int) -> None:
    """``runs`` finished runs of ``steps`` steps each, written as the trainer writes them (without training)."""
    settings = ExperimentSettings(dataset="iris", learning_rate=0.1, steps=steps)
    header = ",".join(HISTORY_COLUMNS) + "\n"
    for index in range(runs):
        record = RunRecord.new(settings, name=f"run {index}")
        record.id = f"{record.id}-{index:05d}"
        folder = root / record.id
        folder.mkdir(parents=True)
        summary = RunSummary()
        lines = [header]
        for n in range(1, steps + 1):
            step = StepRecord(n, 1.0 / n, 1.5 / n, min(1.0, 0.001 * n), 0.1, 0.002 * n, 0.75 + (n % 7) * 0.01, {})
            lines.append(",".join(step.to_row()) + "\n")
            summary.add(step)
        data = "".join(lines).encode("utf-8")
        summary.history_bytes = len(data)
        (folder / "history.csv").write_bytes(data)
        record.status, record.summary, record.engine = RunStatus.FINISHED, summary, "tensorflow"
        (folder / "run.json").write_text(json.dumps(record.to_dict(), indent=2), encoding="utf-8")
        (folder / "writer.lock").write_text("0\n")


def timed(action, repeat: int = 3) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls (CPU time is what a busy machine does not inflate much),
    and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def subprocess_seconds(*args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def window_start_seconds(root: Path) -> float:
    """Seconds from creating the window on ``root`` to its first shown frame."""
    from PyQt6.QtWidgets import QApplication

    from kgui.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    start = time.perf_counter()
    window = MainWindow(store=RunStore(root))
    window.show()
    app.processEvents()
    seconds = time.perf_counter() - start
    window.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000, help="steps per run")
    parser.add_argument("--dir", type=Path, help="store folder (built when empty; default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the store folder")
    parser.add_argument("--window", action="store_true", help="also time the window's start on the store")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="kgui-bench-runs-"))
    try:
        if not (root.is_dir() and any(root.iterdir())):
            start = time.perf_counter()
            build_store(root, args.runs, args.steps)
            print(f"built {args.runs:,} runs x {args.steps:,} steps in {time.perf_counter() - start:.1f} s at {root}")
        store = RunStore(root)
        listed_s, listed_cpu, records = timed(store.list)
        stored_steps = sum(record.summary.steps for record in records)
        sample = [record.id for record in records[:SAMPLE_RUNS]]
        sample_s, sample_cpu, loaded = timed(lambda: [store.load(run_id) for run_id in sample], repeat=1)
        scale = stored_steps / max(sum(len(record.history) for record in loaded), 1)
        baseline_s, baseline_cpu = sample_s * scale, sample_cpu * scale
        one_s, one_cpu, _ = timed(lambda: store.load(sample[0]))
        import_s = min(subprocess_seconds("-c", "import kgui.cli") for _ in range(3))
        cli_s = min(subprocess_seconds("-m", "kgui", "runs", "list", "--runs-dir", str(root)) for _ in range(3))
        megabytes = sum(f.stat().st_size for f in root.glob("*/history.csv")) / 1e6
        rows = [
            ("store", f"{len(records):,} runs, {stored_steps:,} steps, {megabytes:,.0f} MB of history"),
            ("RunStore.list() (summaries)", f"{listed_s:.2f} s wall, {listed_cpu:.2f} s CPU"),
            ("baseline: every history read", f"{baseline_s:.0f} s wall, {baseline_cpu:.0f} s CPU "
                                             f"(scaled from {len(sample)} runs)"),
            ("ratio list / baseline", f"{listed_s / baseline_s:.4f} wall, {listed_cpu / baseline_cpu:.4f} CPU"),
            ("one run with its history (shown)", f"{one_s * 1000:.0f} ms wall, {one_cpu * 1000:.0f} ms CPU "
                                                 f"({args.steps:,} steps)"),
            ("`kgui runs list` process", f"{cli_s:.2f} s wall (`import kgui.cli` alone: {import_s:.2f} s)"),
        ]
        if args.window:
            rows.append(("window start to first frame", f"{window_start_seconds(root):.2f} s"))
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        print(f"cpus {os.cpu_count()}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
