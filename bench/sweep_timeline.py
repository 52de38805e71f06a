"""Where the time of one ``kgui sweep`` goes: a timeline of the command and its workers, from exec to exit.

    python bench/sweep_timeline.py --engine tensorflow --workers 1
    python bench/sweep_timeline.py --engine theano --workers 2 --tree /tmp/old-kgui   # another kgui tree

The sweep is bench_sweep.py's (24 trials of spiral, MLP 8,8, Adam, 500 steps, batch 10), run as a user runs it, with
a ``sitecustomize`` on PYTHONPATH that every Python process of the command loads (the command and its workers). It
notes, with the wall clock and the process's own CPU time (user + system): the process's exec and Python's start;
the imports of kgui, the engine and numpy (begin, end); each worker's spawn; in each worker, each job's events
(Phase stages, RunStarted, RunEnded, JobEnded) and its exit; in the command, each trial's start and end as the
runner sees them, the pool's shutdown, the table. The bench prints the events in time order, relative to the
command's exec, and a summary: the parent's CPU per trial, the first trial's start per worker, the tail.
Nothing here changes what kgui does; the hooks only note (the run's numbers stay the same).
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
RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
EXPERIMENT = ["--dataset", "spiral", "--model", "mlp", "--hidden", "8,8", "--optimizer", "adam", "--steps", "500",
              "--batch-size", "10"]

SITECUSTOMIZE = r'''
import json, os, sys, threading, time
_LOG = os.environ.get("KGUI_TIMELINE")
if _LOG:
    _lock = threading.Lock()
    _file = open(os.path.join(_LOG, f"{os.getpid()}.jsonl"), "a", buffering=1)

    def note(what, **extra):
        times = os.times()
        with _lock:
            _file.write(json.dumps({"t": time.time(), "pid": os.getpid(), "what": what,
                                    "cpu": times.user + times.system, **extra}) + "\n")

    def _exec_time():
        """The wall clock time of this process's exec (to the kernel's clock tick, 10 ms)."""
        with open("/proc/self/stat") as stat:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as uptime:
            up = float(uptime.read().split()[0])
        return time.time() - (up - start_ticks / os.sysconf("SC_CLK_TCK"))

    note("exec", at=_exec_time())
    note("python up", argv=" ".join(sys.argv[:2])[:60])

    WATCH = {"numpy", "tensorflow", "jax", "pytensor", "torch", "distributed", "kgui.cli", "kgui.sweep_command",
             "kgui.core.sweeps.runner", "kgui.core.workers.main", "kgui.core.workers.process",
             "kgui.core.workers.pool", "kgui.core.training.trainer", "kgui.backend", "kgui.backend.tensorflow_backend",
             "kgui.backend.theano_backend", "kgui.backend.jax_backend", "kgui.core.data.datasets", "kgui.core.training.models"}

    def _patch(name, module):
        if name == "kgui.core.workers.main":
            worker = module.Worker
            sink, handle = worker._sink, worker.handle

            def _sink(self, event, sink=sink):
                kind = type(event).__name__
                if kind == "Phase":
                    note(f"job phase {event.stage}")
                elif kind != "StepsTaken":
                    note(f"job {kind}")
                return sink(self, event)

            def _handle(self, message, handle=handle):
                if type(message).__name__ == "RunJob":
                    note("RunJob received", lr=message.settings.learning_rate, seed=message.settings.seed)
                return handle(self, message)
            worker._sink, worker.handle = _sink, _handle
            quit_ = worker.quit

            def _quit(self, quit_=quit_):
                note("worker quits")
                return quit_(self)
            worker.quit = _quit
        elif name == "kgui.core.sweeps.runner":
            runner = module.SweepRunner
            run, run_trial = runner.run, runner._run_trial

            def _run(self, run=run):
                note("runner starts")
                try:
                    return run(self)
                finally:
                    note("runner ends")

            def _run_trial(self, outcome, slot, run_trial=run_trial):
                note("trial starts", slot=slot, index=outcome.trial.index)
                try:
                    return run_trial(self, outcome, slot)
                finally:
                    note("trial ends", slot=slot, index=outcome.trial.index)
            runner.run, runner._run_trial = _run, _run_trial
        elif name == "kgui.core.workers.process":
            process = module.WorkerProcess
            init = process.__init__

            def _init(self, *args, init=init, **kwargs):
                note("worker spawn begins")
                init(self, *args, **kwargs)
                note("worker spawned", child=self.pid)
            process.__init__ = _init
        elif name == "kgui.core.workers.pool":
            pool = module.WorkerPool
            shutdown = pool.shutdown

            def _shutdown(self, *args, shutdown=shutdown, **kwargs):
                note("pool shutdown begins")
                try:
                    return shutdown(self, *args, **kwargs)
                finally:
                    note("pool shutdown ends")
            pool.shutdown = _shutdown
        elif name == "kgui.sweep_command":
            table = module.result_table

            def _table(*args, table=table, **kwargs):
                note("table begins")
                return table(*args, **kwargs)
            module.result_table = _table

    class _Finder:
        def find_spec(self, name, path, target=None):
            if name not in WATCH:
                return None
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            exec_module = loader.exec_module

            def _exec(module, exec_module=exec_module):
                note(f"import {name} begins")
                exec_module(module)
                note(f"import {name} ends")
                _patch(name, module)
            loader.exec_module = _exec
            return spec

    sys.meta_path.insert(0, _Finder())
    _exit = os._exit

    def _os_exit(code, _exit=_exit):
        note("os._exit")
        _exit(code)
    os._exit = _os_exit
    import atexit
    atexit.register(lambda: note("atexit"))
'''


def timeline(engine: str, workers: int, tree: Path, trials: int = 24, steps: int = 500) -> dict:
    """Run the sweep once with the hooks; its events (sorted, times relative to the command's exec) and a summary."""
    folder = Path(tempfile.mkdtemp(prefix="kgui-sweep-timeline-"))
    try:
        hooks, log = folder / "hooks", folder / "log"
        hooks.mkdir()
        log.mkdir()
        (hooks / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = dict(os.environ, PYTHONPATH=f"{hooks}{os.pathsep}{tree}", KGUI_TIMELINE=str(log), KGUI_ENGINE_LOGS="")
        experiment = [*EXPERIMENT[:EXPERIMENT.index("--steps") + 1], str(steps), *EXPERIMENT[EXPERIMENT.index(
            "--steps") + 2:]]
        command = [sys.executable, str(tree / "main.py"), "sweep", "--backend", engine, *experiment,
                   "--grid", "lr=" + ",".join(map(str, RATES)), "--seeds", str(max(1, trials // len(RATES))),
                   "--workers", str(workers), "--runs-dir", str(folder / "runs")]
        began = time.time()
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = process.communicate()
        returned = time.time()
        if process.returncode:
            raise RuntimeError(f"the sweep failed ({process.returncode}): {err.decode()[-2000:]}")
        time.sleep(0.5)   # workers left to die on their own note their exit
        events = [json.loads(line) for path in log.glob("*.jsonl") for line in path.read_text().splitlines()]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    parent = min(events, key=lambda e: e["t"])["pid"]
    exec_at = next(e["at"] for e in events if e["pid"] == parent and e["what"] == "exec")
    for event in events:
        event["t"] -= exec_at
    events.sort(key=lambda e: e["t"])
    names = {parent: "command"}
    for event in events:
        if event["what"] == "worker spawned":
            names[event["child"]] = f"worker {len(names)}"
    mine = [e for e in events if e["pid"] == parent]

    def at(what, pid=parent, last=False):
        found = [e for e in events if e["pid"] == pid and e["what"] == what]
        return (found[-1] if last else found[0]) if found else None
    runner_start, runner_end = at("runner starts"), at("runner ends")
    summary = {"engine": engine, "workers": workers, "load": round(os.getloadavg()[0], 1),
               "popen_to_exec_s": round(exec_at - began, 3), "wall_s": round(returned - began, 3),
               "returned_after_exec_s": round(returned - exec_at, 3),
               "parent_cpu_s": round(mine[-1]["cpu"], 3),
               "parent_cpu_in_sweep_s": round(runner_end["cpu"] - runner_start["cpu"], 3),
               "parent_cpu_per_trial_ms": round((runner_end["cpu"] - runner_start["cpu"]) / trials * 1000, 2)}
    for pid, name in names.items():
        if pid == parent:
            continue
        first = at("job RunStarted", pid)
        ended = [e for e in events if e["pid"] == pid and e["what"] == "job RunEnded"]
        summary[name] = {"exec": round(at("exec", pid)["t"], 3),
                         "first RunStarted": round(first["t"], 3) if first else None,
                         "last RunEnded": round(ended[-1]["t"], 3) if ended else None, "trials": len(ended),
                         "cpu_s": round(max(e["cpu"] for e in events if e["pid"] == pid), 3),
                         # its CPU seconds to its first trial's start (start, imports, first compile), and per trial
                         "cpu_to_first_trial_s": round(first["cpu"], 3) if first else None,
                         "cpu_per_trial_s": round((ended[-1]["cpu"] - first["cpu"]) / max(1, len(ended) - 1), 4)
                         if first and len(ended) > 1 else None}
    workers = [summary[name] for name in names.values() if name != "command"]
    if workers and all(worker["cpu_per_trial_s"] for worker in workers):
        # the idle machine's (b)/(c) from CPU seconds, which the load changes less than wall time: the fixed part F
        # (the command's CPU before its first worker's exec, a worker's to its first trial, the end after the last
        # trial) is paid once whatever the workers; T = trials × a trial's CPU is shared by the workers
        first_exec = min(worker["exec"] for worker in workers)
        before = max((e["cpu"] for e in mine if e["t"] <= first_exec), default=0.0)
        end = summary["returned_after_exec_s"] - max(w["last RunEnded"] for w in workers)
        fixed = before + statistics.fmean(worker["cpu_to_first_trial_s"] for worker in workers) + end
        work = trials * statistics.fmean(worker["cpu_per_trial_s"] for worker in workers)
        summary["fixed_cpu_s"], summary["trials_cpu_s"] = round(fixed, 3), round(work, 3)
        summary["bound_b_over_c"] = round((fixed + work) / (fixed + work / 2), 3)
    return {"summary": summary, "events": [dict(e, who=names.get(e["pid"], str(e["pid"]))) for e in events]}


def show(result: dict, every_trial: bool) -> str:
    lines = []
    for event in result["events"]:
        what = event["what"]
        if not every_trial and what in ("trial starts", "trial ends", "job RunStarted", "job RunEnded",
                                        "job JobEnded", "RunJob received", "job phase restarting the model"):
            continue
        extra = {k: v for k, v in event.items() if k not in ("t", "pid", "what", "cpu", "who", "at")}
        lines.append(f"{event['t']:8.3f}  {event['who']:<9} cpu {event['cpu']:6.2f}  {what}"
                     + (f"  {extra}" if extra else ""))
    lines.append(json.dumps(result["summary"], indent=1))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="tensorflow")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the folder holding the kgui to run (and main.py)")
    parser.add_argument("--every-trial", action="store_true", help="show each trial's events too")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = timeline(args.engine, args.workers, args.tree.resolve(), args.trials, args.steps)
    print(json.dumps(result) if args.json else show(result, args.every_trial))


if __name__ == "__main__":
    main()
