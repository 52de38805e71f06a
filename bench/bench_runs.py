"""Run store at scale: listing 10,000 runs / 10 M stored steps, and the window's start on that store, each against
the path it replaced, measured in the same process.

    python bench/bench_runs.py --window             # the whole thing, a few minutes (builds the store first)
    python bench/bench_runs.py --runs 1000 --steps 1000 --dir /tmp/store --keep

- listing: ``RunStore.list()`` from the listing index (``<store>/.index.json``), against the same listing without
  the index (every run.json opened and parsed: what listing did before), and the first listing (no index yet:
  builds it). For scale, reading every history (what listing did before summaries) on a sample of runs.
- ``kgui runs list`` as a process (with the index), ``import kgui.cli`` alone and Python alone.
- ``--window``: the window's start to its first frame, against the same start without the index and with the
  runs table a ``QTableWidget`` filled row by row as before (each item's flags set as enums, one row inserted at
  a time). The runs shown when the window last closed are none, so no history is read (the bench checks it).
  Also the whole ``python main.py open --screenshot`` process on the store and on no runs (best of 3).

Prints a table (docs/bench_runs.md has one). Wall and CPU seconds; on a busy machine CPU time is the steadier
figure and the ratios (after / before) are what to compare.
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

from bench_support import ROOT  # first: this checkout's kgui, the shared Otto data

from kgui.core.runs import (HISTORY_COLUMNS, INDEX_FILE, RunRecord, RunStatus, RunStore, RunSummary,  # noqa: E402
                            StepRecord)
from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402

SAMPLE_RUNS = 50  # runs whose full history the "every history read" figure reads


def build_store(root: Path, runs: int, steps: int) -> None:
    """``runs`` finished runs of ``steps`` steps each, in the files the trainer writes (without training), their
    run.json written a minute ago (as a store's runs are: settled)."""
    settings = ExperimentSettings(dataset="iris", learning_rate=0.1, steps=steps)
    lines, summary = [",".join(HISTORY_COLUMNS) + "\n"], RunSummary()
    for n in range(1, steps + 1):
        step = StepRecord(n, 1.0 / n, 1.5 / n, min(1.0, 0.001 * n), 0.1, 0.002 * n, 0.75 + (n % 7) * 0.01, {})
        lines.append(",".join(step.to_row()) + "\n")
        summary.add(step)
    history = "".join(lines).encode("utf-8")
    summary.history_bytes = len(history)
    then = time.time() - 60
    for index in range(runs):
        record = RunRecord.new(settings, name=f"run {index}")
        record.id = f"{record.id}-{index:05d}"
        record.status, record.summary, record.engine = RunStatus.FINISHED, summary, "tensorflow"
        folder = root / record.id
        folder.mkdir(parents=True)
        (folder / "history.csv").write_bytes(history)
        (folder / "run.json").write_text(json.dumps(record.to_dict(), indent=2), encoding="utf-8")
        (folder / "writer.lock").write_text("0\n")
        os.utime(folder / "run.json", (then, then))


def list_without_index(store: RunStore) -> list[RunRecord]:
    """``RunStore.list()`` as it was before the listing index: every run folder's run.json read and checked."""
    with os.scandir(store.root) as entries:
        folders = [(entry.path, entry.name) for entry in entries if not entry.name.startswith(".") and entry.is_dir()]
    records = [store._load_folder(path, name, False) for path, name in folders]
    return sorted(records, key=lambda record: (record.created, record.id))


def timed(action, repeat: int = 3) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def subprocess_seconds(*args: str, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL if env else None, env=env)
    return time.perf_counter() - start


def window_process_seconds(root: Path, scratch: Path) -> float:
    """``python main.py open --screenshot`` on the store ``root``: the whole process, from its start through the
    window's first frame and the picture to its exit (offscreen without a display; fresh preferences)."""
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "KGUI_RUNS_DIR": str(root), "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess_seconds("main.py", "open", "--screenshot", str(scratch / "window.png"), env=env)


def fill_row_by_row(table, records, shown) -> None:
    """The runs table filled as before ``RunsTable.add_runs`` and its model: a ``QTableWidget`` (in place of the
    view, sized to its contents as the view is), a row inserted and its items made one by one."""
    from PyQt6.QtCore import Qt
    from PyQt6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem

    from kgui.ui.runs_table import COLUMNS, run_cells, run_tooltip

    widget = QTableWidget(0, len(COLUMNS))
    widget.setHorizontalHeaderLabels(COLUMNS)
    widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    widget.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    widget.verticalHeader().setVisible(False)
    widget.verticalHeader().setDefaultSectionSize(22)
    table.layout().replaceWidget(table.view, widget)
    table.view.hide()
    widget.blockSignals(True)
    for record in records:
        row = widget.rowCount()
        widget.insertRow(row)
        for column in range(len(COLUMNS)):
            item = QTableWidgetItem()
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            widget.setItem(row, column, item)
        name = widget.item(row, 0)
        name.setFlags(name.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
        name.setData(Qt.ItemDataRole.UserRole, record.id)
        name.setCheckState(Qt.CheckState.Checked if record.id in shown else Qt.CheckState.Unchecked)
        for column, text in enumerate(run_cells(record)):
            widget.item(row, column).setText(text)
        name.setToolTip(run_tooltip(record))
    widget.blockSignals(False)


def window_start(root: Path, scratch: Path, before: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds from creating the window on ``root`` to its first shown frame, and how many
    histories it read; ``before``: without the listing index, the table filled row by row."""
    from PyQt6.QtCore import QSettings
    from PyQt6.QtWidgets import QApplication, QTableWidget

    from kgui.ui.main_window import MainWindow
    from kgui.ui.runs_table import RunsTable

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display: time the window offscreen
    app = QApplication.instance() or QApplication([])
    preferences = QSettings(str(scratch / "window.ini"), QSettings.Format.IniFormat)  # no runs shown
    store = RunStore(root)
    loads = []
    original_load, original_add = RunStore.load, RunsTable.add_runs
    RunStore.load = lambda self, run_id, with_history=True: (loads.append(run_id),
                                                             original_load(self, run_id, with_history))[1]
    if before:
        store.list = lambda with_history=False: list_without_index(store)
        RunsTable.add_runs = fill_row_by_row
    try:
        start, cpu = time.perf_counter(), time.process_time()
        window = MainWindow(store=store, preferences=preferences)
        window.show()
        app.processEvents()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        RunStore.load, RunsTable.add_runs = original_load, original_add
    rows = window.runs_table.findChild(QTableWidget).rowCount() if before else window.runs_table.row_count()
    window.close()
    window.deleteLater()
    app.processEvents()
    assert rows == len(store.list()), f"the window shows {rows} runs"
    return wall, cpu, len(loads)


def ratio(after: float, before: float) -> str:
    return f"{after / before:.3f}" if before else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1_000, help="steps per run")
    parser.add_argument("--dir", type=Path, help="store folder (built when empty; default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the store folder")
    parser.add_argument("--window", action="store_true", help="also time the window's start on the store")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="kgui-bench-runs-"))
    root = args.dir or scratch / "runs"
    try:
        if not (root.is_dir() and any(root.iterdir())):
            start = time.perf_counter()
            build_store(root, args.runs, args.steps)
            print(f"built {args.runs:,} runs x {args.steps:,} steps in {time.perf_counter() - start:.0f} s at {root}",
                  flush=True)
        store = RunStore(root)
        (root / INDEX_FILE).unlink(missing_ok=True)
        first_s, first_cpu, records = timed(store.list, repeat=1)  # no index yet: reads every run, writes it
        before_s, before_cpu, old_records = timed(lambda: list_without_index(store))
        after_s, after_cpu, records = timed(store.list)
        assert [r.to_dict() for r in records] == [r.to_dict() for r in old_records], "the index lists otherwise"
        stored_steps = sum(record.summary.steps for record in records)
        sample = [record.id for record in records[:SAMPLE_RUNS]]
        sample_s, sample_cpu, loaded = timed(lambda: [store.load(run_id) for run_id in sample], repeat=1)
        scale = stored_steps / max(sum(len(record.history) for record in loaded), 1)
        one_s, one_cpu, _ = timed(lambda: store.load(sample[0]))
        python_s = min(subprocess_seconds("-c", "pass") for _ in range(3))
        import_s = min(subprocess_seconds("-c", "import kgui.cli") for _ in range(3))
        cli_s = min(subprocess_seconds("-m", "kgui", "runs", "list", "--runs-dir", str(root)) for _ in range(3))
        megabytes = sum(f.stat().st_size for f in root.glob("*/history.csv")) / 1e6
        rows = [
            ("store", f"{len(records):,} runs, {stored_steps:,} steps, {megabytes:,.0f} MB of history, "
                      f"index {(root / INDEX_FILE).stat().st_size / 1e6:.1f} MB"),
            ("before: list() without the index", f"{before_s:.3f} s wall, {before_cpu:.3f} s CPU"),
            ("after: list() from the index", f"{after_s:.3f} s wall, {after_cpu:.3f} s CPU"),
            ("ratio after / before", f"{ratio(after_s, before_s)} wall, {ratio(after_cpu, before_cpu)} CPU"),
            ("first list() (builds the index)", f"{first_s:.3f} s wall, {first_cpu:.3f} s CPU"),
            ("every history read (scaled)", f"{sample_s * scale:.0f} s wall, {sample_cpu * scale:.0f} s CPU "
                                            f"(from {len(sample)} runs)"),
            ("one run with its history (shown)", f"{one_s * 1000:.0f} ms wall, {one_cpu * 1000:.0f} ms CPU "
                                                 f"({args.steps:,} steps)"),
            ("`kgui runs list` process", f"{cli_s:.2f} s wall (`import kgui.cli` alone {import_s:.2f} s, "
                                         f"python alone {python_s:.2f} s)"),
        ]
        if args.window:
            window_start(scratch / "no-runs", scratch, before=False)  # Qt's and the plots' one-time costs
            before_wall, before_window_cpu, _ = window_start(root, scratch, before=True)
            after_wall, after_window_cpu, histories = window_start(root, scratch, before=False)
            rows += [
                ("before: window start (no index, row by row)",
                 f"{before_wall:.2f} s wall, {before_window_cpu:.2f} s CPU"),
                ("after: window start to first frame", f"{after_wall:.2f} s wall, {after_window_cpu:.2f} s CPU "
                                                       f"({histories} histories read)"),
                ("ratio after / before", f"{ratio(after_wall, before_wall)} wall, "
                                         f"{ratio(after_window_cpu, before_window_cpu)} CPU"),
                ("`main.py open --screenshot` process",
                 f"{min(window_process_seconds(root, scratch) for _ in range(3)):.2f} s wall (no runs: "
                 f"{min(window_process_seconds(scratch / 'no-runs', scratch) for _ in range(3)):.2f} s)"),
            ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        print(f"cpus {os.cpu_count()}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        if args.keep and args.dir is None:
            root.rename(Path(tempfile.gettempdir()) / f"{scratch.name}-runs")
            print(f"kept the store at {Path(tempfile.gettempdir()) / f'{scratch.name}-runs'}")
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
