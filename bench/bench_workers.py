"""Jobs in worker processes against the same jobs in this process (issue 20), measured in one run.

    python bench/bench_workers.py                       # every installed engine
    python bench/bench_workers.py --engines jax torch --repeats 3

- Training speed: steps per second from RunStarted to RunEnded as the driving thread receives them (the window's
  view), on the linear exercise (full batch) and the spiral MLP 8,8 (batch 10, Adam), in-process (a session Job
  on a thread of this process, steps batched every 15 ms as the window's) and through a worker (RemoteJob, same
  batching), after a first run of each (not counted). Best of ``--repeats``, the two paths alternating; ratio
  worker / in-process (goal ≥ 0.95).
  Also steps per CPU second (this process's, plus the worker's): on a loaded machine the steadier figure.
- Start → first point: from ``job.run()`` to the first StepsTaken, on the spiral MLP:
  * cold: a new pool (Python starts, imports kgui and the engine, loads the data, compiles);
  * prepared ahead: ``pool.prepare(settings)``, then Start once the cold time (plus 2 s) has passed;
  * warm: Start again on the same experiment with another learning rate (the worker restarts its last model);
  * in-process, prepared ahead (``session.prepare_ahead``, joined), for comparison.

``--wire``: the worker's CPU cost per step of sending its steps to the parent (pickled, on the job's thread), as
StepRecord dataclasses (before) and as the StepRows tuples it sends, in the same run.

Prints a markdown table (docs/bench_workers.md has one).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import bench_support  # noqa: F401  (first: this checkout's kgui on sys.path, the shared Otto data)

from kgui import backend  # noqa: E402
from kgui.core.runs import RunStore  # noqa: E402
from kgui.core.session import JobKind, RunEnded, RunStarted, Session, StepsTaken  # noqa: E402
from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.core.workers import WorkerPool  # noqa: E402

BATCH_S = 0.015


def exercises(engine: str, linear_steps: int, spiral_steps: int) -> dict[str, ExperimentSettings]:
    return {
        "linear, full batch": ExperimentSettings(backend=engine, dataset="linear", learning_rate=0.05,
                                                 steps=linear_steps),
        "spiral MLP 8,8, batch 10": ExperimentSettings(backend=engine, dataset="spiral", model="mlp", hidden=(8, 8),
                                                       batch_size=10, optimizer="adam", learning_rate=0.01,
                                                       steps=spiral_steps),
    }


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of this process, plus that of worker ``pid`` (Linux /proc)."""
    total = time.process_time()
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Clock:
    """When the driving thread received a job's events, and the CPU time both processes spent in between."""

    def __init__(self, session: Session):
        self.begun = time.perf_counter()
        self.started = self.first_point = self.ended = None
        self.cpu_started = self.cpu_ended = 0.0
        self.steps = 0
        self.job = None
        session.subscribe(self)

    def _cpu(self) -> float:
        process = getattr(self.job, "process", None)
        return cpu_seconds(process.pid if process is not None else None)

    def __call__(self, event) -> None:
        now = time.perf_counter()
        if isinstance(event, RunStarted):
            self.started, self.cpu_started = now, self._cpu()
        elif isinstance(event, StepsTaken):
            self.first_point = self.first_point or now
            self.steps += len(event.steps)
        elif isinstance(event, RunEnded):
            self.ended, self.cpu_ended = now, self._cpu()

    @property
    def steps_per_s(self) -> float:
        return self.steps / (self.ended - self.started)

    @property
    def steps_per_cpu_s(self) -> float:
        return self.steps / (self.cpu_ended - self.cpu_started)


def timed_run(session: Session, settings: ExperimentSettings) -> Clock:
    clock = Clock(session)
    clock.job = session.new_job(JobKind.TRAINING, settings, batch_s=BATCH_S)
    record = clock.job.run()
    session.unsubscribe(clock)
    if record.status != "finished":
        raise SystemExit(f"{settings.backend}: the run ended {record.status}: {record.message}")
    return clock


def speed(engine: str, settings: ExperimentSettings, store: RunStore, repeats: int) -> tuple[list, list]:
    """Best steps per wall second and per CPU second, in-process and through a worker (each path warmed up by a
    first run, not counted)."""
    local, remote = [], []
    with WorkerPool(max_workers=1) as pool:
        in_process, worker = Session(store), Session(store, pool=pool)
        timed_run(in_process, settings)   # engine imported, model compiled, first steps' one-off costs paid
        timed_run(worker, settings)
        for _ in range(repeats):
            local.append(timed_run(in_process, settings))
            remote.append(timed_run(worker, settings))
    return ([max(clock.steps_per_s for clock in clocks) for clocks in (local, remote)],
            [max(clock.steps_per_cpu_s for clock in clocks) for clocks in (local, remote)])


def first_points(settings: ExperimentSettings, store: RunStore) -> dict[str, float]:
    """Seconds from Start to the first point: cold, prepared ahead, warm (through workers), prepared in-process."""
    times = {}
    with WorkerPool(max_workers=1) as pool:
        session = Session(store, pool=pool)
        cold = timed_run(session, settings)
        times["cold worker"] = cold.first_point - cold.begun
        warm = timed_run(session, settings.replace(learning_rate=settings.learning_rate * 2))
        times["warm worker (same experiment again)"] = warm.first_point - warm.begun
    with WorkerPool(max_workers=1) as pool:
        session = Session(store, pool=pool)
        session.prepare_ahead(settings)
        time.sleep(times["cold worker"] + 2.0)
        prepared = timed_run(session, settings.replace(learning_rate=settings.learning_rate * 3))
        times["worker prepared ahead"] = prepared.first_point - prepared.begun
    session = Session(store)
    preparation = session.prepare_ahead(settings)
    preparation.join()
    local = timed_run(session, settings.replace(learning_rate=settings.learning_rate * 3))
    times["in-process, prepared ahead"] = local.first_point - local.begun
    return times


def wire_cost(batch: int, with_params: bool, rounds: int = 300) -> dict[str, float]:
    """CPU microseconds per step of one batch of ``batch`` steps crossing a worker's connection: on the sending
    thread (the worker's job thread, between two steps) and on the parent's reader thread (unpickled, back to a
    StepsTaken), for the StepsTaken event pickled as it is (one StepRecord dataclass a step) and as the StepRows the
    worker sends (a tuple a step)."""
    import socket
    import threading
    from multiprocessing.connection import Connection

    from kgui.core.runs import StepRecord
    from kgui.core.workers.protocol import StepRows

    params = {"w": 0.25, "b": -0.5} if with_params else {}
    event = StepsTaken("run-1", [StepRecord(i, 0.5 / i, 0.6 / i, None, 0.05, i * 4e-5, 0.036, dict(params))
                                 for i in range(1, batch + 1)])
    ours, theirs = socket.socketpair()
    sender, receiver = Connection(ours.detach()), Connection(theirs.detach())
    passes = (("dataclasses", lambda: event), ("rows", lambda: StepRows.of(event))) * 2   # the second of each counts
    received: list[float] = []

    def receive() -> None:
        for _ in passes:
            start = time.thread_time()
            for _ in range(rounds):
                message = receiver.recv()
                if isinstance(message, StepRows):
                    message.event()
            received.append(time.thread_time() - start)

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    sent = []
    for _, message in passes:
        start = time.thread_time()
        for _ in range(rounds):
            sender.send(message())
        sent.append(time.thread_time() - start)
    reader.join()
    sender.close()
    receiver.close()
    per_step = 1e6 / rounds / batch
    return {f"{where} {name}": seconds[i] * per_step for where, seconds in (("send", sent), ("receive", received))
            for i, (name, _) in enumerate(passes) if i >= 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    installed = [info.id for info in backend.available() if info.installed]
    parser.add_argument("--engines", nargs="+", default=installed)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--linear-steps", type=int, default=1500)
    parser.add_argument("--spiral-steps", type=int, default=1000)
    parser.add_argument("--wire", action="store_true", help="only the worker's CPU cost of sending a step")
    args = parser.parse_args()
    if args.wire:
        print("| batch (steps in 15 ms) | params | worker sends, dataclasses | worker sends, rows | rows / "
              "dataclasses | parent receives, dataclasses | parent receives, rows | rows / dataclasses |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for batch, with_params, label in ((412, True, "PyTensor linear (27,500 steps/s)"),
                                          (126, True, "JAX linear (8,400 steps/s)"),
                                          (272, False, "PyTensor spiral (18,100 steps/s)")):
            cost = wire_cost(batch, with_params)
            cells = []
            for where in ("send", "receive"):
                before, after = cost[f"{where} dataclasses"], cost[f"{where} rows"]
                cells.append(f"{before:.2f} µs | {after:.2f} µs | {after / before:.2f}×")
            print(f"| {batch}: {label} | {'w, b' if with_params else '-'} | {' | '.join(cells)} |", flush=True)
        return
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(Path(folder) / "runs")
        print("| engine | exercise | in-process steps/s | worker steps/s | worker / in-process | in-process steps "
              "per CPU s | worker steps per CPU s (both processes) | worker / in-process |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for engine in args.engines:
            for name, settings in exercises(engine, args.linear_steps, args.spiral_steps).items():
                (local, remote), (local_cpu, remote_cpu) = speed(engine, settings, store, args.repeats)
                print(f"| {engine} | {name} | {local:,.0f} | {remote:,.0f} | {remote / local:.2f}× | "
                      f"{local_cpu:,.0f} | {remote_cpu:,.0f} | {remote_cpu / local_cpu:.2f}× |", flush=True)
        print()
        print("| engine | cold worker | worker prepared ahead | warm worker (same experiment again) "
              "| in-process, prepared ahead |")
        print("|---|---:|---:|---:|---:|")
        for engine in args.engines:
            settings = exercises(engine, args.linear_steps, args.spiral_steps)["spiral MLP 8,8, batch 10"]
            times = first_points(settings.replace(steps=50), store)
            print(f"| {engine} | {times['cold worker']:.2f} s | {times['worker prepared ahead']:.3f} s | "
                  f"{times['warm worker (same experiment again)']:.3f} s | "
                  f"{times['in-process, prepared ahead']:.3f} s |", flush=True)


if __name__ == "__main__":
    main()
