"""Training seconds with the engines' matrix products on one thread (kgui's ``config.ENGINE_THREADS``) vs the
engine's default (one per core), per engine, on a small and a large experiment.

    python bench/bench_threads.py [--rounds 2] [--runs 3] [--busy 0] [--engines torch theano tensorflow jax] [--otto PATH]

Each measurement is a fresh process (a thread pool is chosen when an engine starts) that compiles the model, then
trains it ``--runs`` times (restarted from its seed, nothing compiled again) and reports the median training seconds
(``record.timings["train"]``). The two settings alternate in each round; the table gives the median over rounds and
the ratio default / one thread. PyTorch and PyTensor are kgui's pinned engines: "default" undoes kgui's pin in the
child (``torch.set_num_threads``, threadpoolctl on OpenBLAS). TensorFlow and JAX are controls: kgui does not pin
their threads; "one thread" is TF_NUM_INTRAOP_THREADS=1 / XLA's ``intra_op_parallelism_threads=1``.
``--busy N`` keeps N processes spinning on the CPU while it measures, as a sweep's other workers (or another user)
would; the load average is printed at the start and the end.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)

ROOT = Path(__file__).resolve().parents[1]
OTTO = ROOT.parent / "shared/data/kaggle_ottogroup/train.csv.gz"
SPIRAL = "spiral MLP 8,8 Adam, 500 steps of 10"
OTTO_CASE = "Otto softmax SGD, 30 full-batch steps"
DEFAULT_THREADS = os.cpu_count() or 1


def experiment(case: str, engine: str, otto: Path):
    from kgui.core.experiment.settings import ExperimentSettings
    if case == SPIRAL:
        return ExperimentSettings(backend=engine, dataset="spiral", dataset_options={"noise": 0.1}, model="mlp",
                                  hidden=(8, 8), optimizer="adam", learning_rate=0.03, steps=500, batch_size=10)
    return ExperimentSettings(backend=engine, dataset="otto", dataset_options={"path": str(otto)}, steps=30)


def child(case: str, engine: str, threads: int, runs: int, otto: Path) -> None:
    """In the measuring process: compile, set ``threads`` on a pinned engine, train ``runs`` times; print the median."""
    from kgui.core.training.trainer import Trainer
    settings = experiment(case, engine, otto)
    first = Trainer(settings)
    first.prepare()
    if engine == "torch":
        import torch
        torch.set_num_threads(threads)
    if engine == "theano":   # OpenBLAS is loaded by now (the compiled model links it)
        import threadpoolctl
        threadpoolctl.threadpool_limits(threads, user_api="blas")
    seconds, trainer = [], first
    for _ in range(runs):
        record = trainer.run()
        assert record.status == "finished", record.status
        seconds.append(record.timings["train"])
        trainer = Trainer(settings, reuse=trainer)
    print(json.dumps(statistics.median(seconds)))


def measure(case: str, engine: str, threads: int, runs: int, otto: Path) -> float:
    env = dict(os.environ)
    if threads == 1 and engine == "tensorflow":
        env["TF_NUM_INTRAOP_THREADS"] = "1"
    if threads == 1 and engine == "jax":
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                            "intra_op_parallelism_threads=1").strip()
    done = subprocess.run([sys.executable, __file__, "--child", case, engine, str(threads), str(runs), str(otto)],
                          capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{engine} {case} with {threads} thread(s) failed: {done.stderr.strip().splitlines()[-1]}")
    return float(done.stdout.split()[-1])


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        case, engine, threads, runs, otto = sys.argv[2:]
        child(case, engine, int(threads), int(runs), Path(otto))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3, help="trainings per process (median)")
    parser.add_argument("--engines", nargs="+", default=["torch", "theano", "tensorflow", "jax"])
    parser.add_argument("--otto", type=Path, default=OTTO)
    parser.add_argument("--busy", type=int, default=0, help="processes spinning on the CPU while measuring")
    args = parser.parse_args()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        return table(args)
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def table(args) -> int:
    cases = [SPIRAL] + ([OTTO_CASE] if args.otto.exists() else [])
    load = os.getloadavg()[0]
    print(f"{DEFAULT_THREADS} cores, {args.busy} busy processes, load average {load:.1f} at the start")
    print(f"| experiment | engine | 1 thread (s) | default, {DEFAULT_THREADS} threads (s) | default / 1 thread |")
    print("|---|---|---|---|---|")
    for case in cases:
        for engine in args.engines:
            times: dict[int, list[float]] = {1: [], DEFAULT_THREADS: []}
            for round_ in range(args.rounds):
                order = (1, DEFAULT_THREADS) if round_ % 2 == 0 else (DEFAULT_THREADS, 1)
                for threads in order:
                    times[threads].append(measure(case, engine, threads, args.runs, args.otto))
            one, default = (statistics.median(times[t]) for t in (1, DEFAULT_THREADS))
            print(f"| {case} | {engine} | {one:.3f} | {default:.3f} | {default / one:.2f} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
