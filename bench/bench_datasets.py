"""Dataset loading before and after issue 10: load time and peak memory for Otto, a generated ~1.1 GB CSV and
a 100,000-column CSV, a second Start (the memory cache), and a later session's first load (the disk cache).

"Before" is kgui/core/datasets.py as it was at commit 97a5648 (read whole, parsed by csv + pandas in float64,
sklearn's StandardScaler), run in the same way on the same files. Every measurement runs in a fresh
subprocess so that its peak RSS (VmHWM) is its own; it is reported whole, as growth over the RSS after the
imports, and that growth as a multiple of the final float32 arrays; the parsing processes a large plain file
gets (kgui.core.data.csv_worker) have their own, reported as the largest one's peak. The generated big file is also
loaded with the parse it replaced (pandas on threads only), in the same run, for the ratio. The generated files
(~1.1 GB) are deleted at the end unless ``--keep-data``.

    python bench/bench_datasets.py                    # everything (the "before" of the big file needs ~14 GB)
    python bench/bench_datasets.py --skip-before-big  # no 13 GB "before" run on the big file
    python bench/bench_datasets.py --cases otto second-start --keep-data
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BEFORE_COMMIT = "97a5648"
OTTO_DIR = Path(os.environ.get("KGUI_OTTO_DIR", "/work/shared/data/kaggle_ottogroup"))
WORK = Path(tempfile.gettempdir()) / "kgui-bench-datasets"
CASES = ("otto", "big", "wide", "second-start", "disk-cache", "cancel")


# -- data ---------------------------------------------------------------------------------------------------------

def big_csv(rows: int) -> Path:
    """``rows`` × 95 columns (id, 93 two-decimal features, a 9-class target) like Otto scaled up (made once)."""
    path = WORK / f"big-{rows}.csv"
    if path.is_file():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    block_rows = 20_000
    features = rng.integers(0, 10_000, size=(block_rows, 93)) / 100
    classes = rng.integers(1, 10, size=block_rows)
    body = "".join(",".join(f"{v:.2f}" for v in row) + f",Class_{c}\n" for row, c in zip(features, classes))
    lines = body.splitlines(keepends=True)
    partial = path.with_suffix(".partial")
    with open(partial, "w") as stream:
        stream.write("id," + ",".join(f"feat_{j}" for j in range(1, 94)) + ",target\n")
        for start in range(0, rows, block_rows):
            stream.write("".join(f"{start + i + 1},{line}" for i, line in enumerate(lines[:rows - start])))
    partial.rename(path)
    return path


def wide_csv(columns: int = 100_000, rows: int = 55) -> Path:
    """A ~12 MB file: ``columns - 1`` one-digit features and a 3-class target (made once)."""
    path = WORK / f"wide-{columns}.csv"
    if path.is_file():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    with open(path, "w") as stream:
        stream.write(",".join(f"feature_{j:06d}" for j in range(columns - 1)) + ",target\n")
        for i in range(rows):
            stream.write(",".join(map(str, rng.integers(0, 10, columns - 1))) + f",{i % 3}\n")
    return path


# -- one measurement, in a subprocess -----------------------------------------------------------------------------

def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _before_module():
    """kgui/core/datasets.py at BEFORE_COMMIT, importable (its data folder logic needs a path 2 levels deep)."""
    import importlib.util

    folder = WORK / "before" / "kgui" / "core"
    folder.mkdir(parents=True, exist_ok=True)
    source = subprocess.run(["git", "show", f"{BEFORE_COMMIT}:kgui/core/datasets.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    (folder / "datasets_before.py").write_text(source)
    spec = importlib.util.spec_from_file_location("datasets_before", folder / "datasets_before.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def measure(impl: str, name: str, options: dict, repeat: int, disk_cache: str | None) -> dict:
    """Load ``name`` ``repeat`` times in this process; seconds of each load and the peak RSS growth."""
    import io

    import pandas
    import sklearn.preprocessing  # noqa: F401 - the old loader's scaler

    pandas.read_csv(io.StringIO("a,b\n1,x\n"))  # pandas' parser code is loaded before the baseline, for both

    if impl == "before":
        module = _before_module()
    else:
        sys.path.insert(0, str(ROOT))
        from kgui.core.data import csv_files, dataset_cache, datasets as module

        if impl == "threads":   # the parse before worker processes: pandas on threads only
            csv_files.pandas_processes.PROCESS_MIN_BYTES = float("inf")

        if disk_cache:
            dataset_cache.DISK = dataset_cache.DiskCache(Path(disk_cache))
            os.environ[dataset_cache.DISK_CACHE_VARIABLE] = "1"
    baseline = _rss_kib("VmRSS")
    seconds, dataset = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        dataset = module.load_dataset(name, options)
        seconds.append(time.perf_counter() - start)
    final = sum(a.nbytes for a in (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val))
    peak = _rss_kib("VmHWM")
    import resource

    return {"seconds": seconds, "peak_rss": peak * 1024, "peak_growth": (peak - baseline) * 1024, "final_bytes": final,
            "shape": [len(dataset.x_train) + len(dataset.x_val), dataset.n_features],
            "worker_peak_rss": 0 if impl == "before" else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}


def run_case(impl: str, name: str, options: dict, repeat: int = 1, timeout: float = 1800,
             disk_cache: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--measure", json.dumps([impl, name, options, repeat,
                                                                  str(disk_cache) if disk_cache else None])]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- report ---------------------------------------------------------------------------------------------------------

def _time(result: dict, index: int = 0) -> str:
    if "timeout" in result:
        return f"> {result['timeout']:.0f} s (stopped)"
    if "error" in result:
        return f"error: {result['error']}"
    seconds = result["seconds"][index]
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _memory(result: dict) -> str:
    if "peak_growth" not in result:
        return "-"
    workers = result.get("worker_peak_rss", 0)
    return (f"{result['peak_rss'] / 2**20:,.0f} MiB, +{result['peak_growth'] / 2**20:,.0f} MiB "
            f"({result['peak_growth'] / result['final_bytes']:.1f}×)"
            + (f"; each parsing process ≤ {workers / 2**20:,.0f} MiB" if workers else ""))


def _ratio(before: dict, after: dict, index_before: int = 0, index_after: int = 0) -> str:
    if "seconds" not in after:
        return "-"
    if "seconds" not in before:
        return f"> {before.get('timeout', 0) / after['seconds'][index_after]:.0f}× faster" if "timeout" in before \
            else "-"
    return f"{before['seconds'][index_before] / after['seconds'][index_after]:.1f}× faster"


def cancel_latency(path: Path, after_s: float = 3.0) -> tuple[float, int, str]:
    """Seconds from SIGINT/SIGTERM to the exit of ``kgui run`` loading ``path``, its exit code and last line."""
    import signal

    results = []
    for which in (signal.SIGINT, signal.SIGTERM):
        with tempfile.TemporaryDirectory() as runs:
            process = subprocess.Popen([sys.executable, "main.py", "run", "--dataset", str(path), "--steps", "5",
                                        "--runs-dir", runs], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True)
            time.sleep(after_s)
            sent = time.perf_counter()
            process.send_signal(which)
            out, _ = process.communicate()
            results.append((which.name, time.perf_counter() - sent, process.returncode,
                            (out.strip().splitlines() or ["-"])[-1]))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--big-rows", type=int, default=2_000_000, help="rows of the generated CSV (default 2 M)")
    parser.add_argument("--skip-before-big", action="store_true", help="do not run the old loader on the big file")
    parser.add_argument("--before-timeout", type=float, default=900, help="seconds before an old load is stopped")
    parser.add_argument("--keep-data", action="store_true", help=f"keep the generated files in {WORK}")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*json.loads(args.measure))))
        return
    try:
        report(args)
    finally:
        if not args.keep_data:
            shutil.rmtree(WORK, ignore_errors=True)


def report(args) -> None:
    otto = {"path": str(OTTO_DIR / "train.csv.gz")}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; 'before' = commit {BEFORE_COMMIT}\n")
    print("| case | before: time | before: peak RSS, growth (× final arrays) | after: time | after: peak RSS, "
          "growth (× final arrays) | after vs before |")
    print("|---|---|---|---|---|---|")

    def row(label, before, after, index_before=0, index_after=0):
        print(f"| {label} | {_time(before, index_before) if before else '-'} | {_memory(before) if before else '-'} "
              f"| {_time(after, index_after)} | {_memory(after)} | "
              f"{_ratio(before, after, index_before, index_after) if before else '-'} |", flush=True)

    if "otto" in args.cases:
        row("Otto train.csv.gz (61,878 × 93)", run_case("before", "otto", otto), run_case("after", "otto", otto))
    if "big" in args.cases:
        path = big_csv(args.big_rows)
        label = f"generated CSV, {path.stat().st_size / 1e9:.2f} GB ({args.big_rows:,} × 95)"
        before = None if args.skip_before_big else run_case("before", str(path), {}, timeout=args.before_timeout)
        threads = run_case("threads", str(path), {})
        row(label + ", parsed by threads (the previous parse)", before, threads)
        row(label, threads, run_case("after", str(path), {}))
    if "wide" in args.cases:
        path = wide_csv()
        label = f"100,000-column CSV, {path.stat().st_size / 1e6:.0f} MB"
        row(label, run_case("before", str(path), {}, timeout=args.before_timeout), run_case("after", str(path), {}))
    if "second-start" in args.cases:
        before, after = run_case("before", "otto", otto, repeat=2), run_case("after", "otto", otto, repeat=2)
        row("Otto, second Start (load again in the same process)", before, after, 1, 1)
    if "cancel" in args.cases:
        for name, seconds, code, last in cancel_latency(big_csv(args.big_rows)):
            print(f"| {name} 3 s into loading the generated CSV | - | - | exit {code} after {seconds:.2f} s "
                  f"('{last}') | - | - |", flush=True)
    if "disk-cache" in args.cases:
        with tempfile.TemporaryDirectory() as folder:
            for label, name, options in (("Otto", "otto", otto),
                                         ("generated CSV", str(big_csv(args.big_rows)), {})):
                cold = run_case("after", name, options, disk_cache=Path(folder))   # parses, fills the cache
                warm = run_case("after", name, options, disk_cache=Path(folder))   # a later session
                print(f"| {label}, a later session's first load with --data-cache | parse + store: {_time(cold)} | "
                      f"{_memory(cold)} | from the disk cache: {_time(warm)} | {_memory(warm)} | "
                      f"{_ratio(cold, warm)} |", flush=True)


if __name__ == "__main__":
    main()
