"""The window process's memory after many runs on every engine (issue 20: the window holds no engine).

    QT_QPA_PLATFORM=offscreen python bench/bench_window_rss.py [--runs 20] [--engines tensorflow theano jax torch]

Opens the real window (offscreen) on a fresh run store and trains, one after another, the linear exercise (full
batch, 100 steps) and the spiral MLP (8,8 tanh, Adam, batch 10, 100 steps) alternately on each engine in turn, the
same number of runs on each, until ``--runs`` runs have finished. Prints the window process's RSS when shown and after every round, the engines
imported into the window's process, and the RSS of its child processes (workers) at the end, if any.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from time import perf_counter

from bench_support import fresh_window, wait_until  # first: this checkout's kgui, the shared Otto data

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ENGINE_MODULES = ("tensorflow", "pytensor", "jax", "torch")
TIMEOUT_S = 600


def rss_mb(pid: int | str = "self") -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def children(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = Path(f"/proc/{parent}/task").iterdir()
            kids = [int(kid) for task in tasks for kid in (task / "children").read_text().split()]
        except OSError:
            continue
        found += kids
        queue += kids
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--engines", nargs="*", default=["tensorflow", "theano", "jax", "torch"])
    args = parser.parse_args()

    from kgui.core.experiment.settings import ExperimentSettings
    from kgui.ui import create_app

    experiments = [ExperimentSettings(dataset="linear", steps=100, learning_rate=0.1),
                   ExperimentSettings(dataset="spiral", dataset_options={"noise": 0.1}, model="mlp", hidden=(8, 8),
                                      activation="tanh", optimizer="adam", learning_rate=0.03, batch_size=10,
                                      steps=100)]
    app = create_app([])
    folder = Path(tempfile.mkdtemp(prefix="kgui-rss-"))
    window = fresh_window(folder)
    window.resize(1200, 760)
    window.show()
    app.processEvents()
    shown = rss_mb()

    def wait(condition) -> None:
        wait_until(app, condition, "bench_window_rss: a run's start or end", TIMEOUT_S, poll_s=0.005)

    per_engine = -(-args.runs // len(args.engines))   # the runs of one engine follow each other: its worker is reused
    plan = [(engine, experiments[run % 2]) for engine in args.engines for run in range(per_engine)]
    print(f"window RSS, {args.runs} runs, {per_engine} per engine in turn ({', '.join(args.engines)}), linear and "
          f"spiral MLP alternating:")
    print("| runs done | window RSS (MB) | engines in the window's process | children RSS (MB) |")
    print("|---|---|---|---|")
    print(f"| 0 (shown) | {shown:.0f} | - | - |")
    started = perf_counter()
    for done in range(1, args.runs + 1):
        engine, experiment = plan[(done - 1) % len(plan)]
        window.apply_settings(experiment.replace(backend=engine))
        if not window.start():
            raise SystemExit(f"bench_window_rss: run {done} did not start")
        wait(lambda: window.jobs.running)
        wait(lambda: not window.jobs.running)
        if window.session.last_ended is None or window.session.last_ended.status != "finished":
            status = window.session.last_ended.status if window.session.last_ended is not None else "none"
            raise SystemExit(f"bench_window_rss: run {done} on {engine} {status}")
        if done % per_engine == 0 or done == args.runs:
            app.processEvents()
            kids = children(os.getpid())
            imported = ",".join(m for m in ENGINE_MODULES if m in sys.modules) or "-"
            print(f"| {done} | {rss_mb():.0f} | {imported} | {sum(rss_mb(k) for k in kids if Path(f'/proc/{k}').exists()):.0f} "
                  f"({len(kids)} processes) |", flush=True)
    final = rss_mb()
    window.close()
    app.processEvents()
    print(f"result: runs={args.runs} shown_mb={shown:.0f} final_mb={final:.0f} "
          f"engines_in_window={','.join(m for m in ENGINE_MODULES if m in sys.modules) or '-'} "
          f"wall_s={perf_counter() - started:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
