"""``--workers N``: a range test and a sweep through worker processes print what they print in-process; bad worker
counts; workers started first. Real processes. (A run and a comparison through workers, printed and saved as
in-process on every engine: tests/test_reproducible_paths.py.)"""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine_support import INSTALLED
from kgui import backend, cli

ALL_INSTALLED = [name for name in backend.engine_ids() if name in INSTALLED]
ROOT = Path(__file__).resolve().parents[1]
SPIRAL = ["--dataset", "spiral", "--model", "mlp", "--hidden", "8,8", "--batch-size", "10", "--optimizer", "adam",
          "--lr", "0.03", "--steps", "30"]


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def comparable(out: str) -> list[str]:
    """What a run prints, without what differs between two runs of the same job (timings, ids)."""
    lines = [line for line in out.splitlines() if not line.startswith(("saved run", "wrote"))]
    return [re.sub(r"in \d+\.\d+ s", "in … s", line) for line in lines]


@pytest.mark.parametrize("command", ["run", "lr-find", "sweep"])
@pytest.mark.parametrize("value", ["x", "-1", "1.5"])
def test_a_bad_worker_count_is_one_line(capsys, command, value):
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--workers", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"kgui: error: argument --workers: expected a whole number of worker processes (0 or more), " \
                      f"got '{value}'"


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_more_workers_than_a_machine_holds_is_one_line(capsys, command):
    """--workers 10000 with 10,000 trials started 10,000 processes, each importing an engine."""
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--workers", "10000"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        "kgui: error: argument --workers: at most 64 worker processes (each imports an engine), got 10000"


def test_a_range_test_through_a_worker_gives_the_in_process_curve(capsys, tmp_path):
    """``lr-find --workers 1``: the range test (its own range: it travels with the job) runs in a worker process and
    prints, exports and exits exactly as in this process. One engine, the quickest to import: what a worker gives on
    every engine (the same numbers as in-process) is tests/test_core_workers.py's and test_reproducible_paths.py's."""
    engine = "torch" if "torch" in ALL_INSTALLED else ALL_INSTALLED[0]
    curves, printed, codes = {}, {}, {}
    for workers in ("0", "1"):
        path = tmp_path / f"range-{workers}.csv"
        codes[workers], out, err = run(capsys, "lr-find", "--backend", engine, *SPIRAL[:-2], "--start", "1e-4",
                                       "--end", "3", "--steps", "40", "--export", str(path), "--workers", workers)
        printed[workers] = comparable(out)
        curves[workers] = path.read_text().splitlines()
    assert codes["1"] == codes["0"] == 0
    assert printed["1"] == printed["0"] and printed["0"][0].endswith("lr 0.0001 to 3 over 40 steps")
    assert curves["1"] == curves["0"] and curves["0"][1].startswith("1,0.0001,") and len(curves["0"]) > 10


@pytest.mark.parametrize("workers", ["0", "1"])
def test_ctrl_c_stops_a_range_test_the_same_in_a_worker_as_in_process(tmp_path, workers):
    """SIGINT while the range test sweeps: it is cancelled between two steps, its summary printed, exit code 130."""
    engine = "jax" if "jax" in ALL_INSTALLED else ALL_INSTALLED[0]
    process = subprocess.Popen([sys.executable, "-m", "kgui", "lr-find", "--backend", engine, "--dataset", "linear",
                                "--start", "1e-7", "--end", "1e-6", "--steps", "100000", "--workers", workers],
                               cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True)
    reader.start()
    try:
        points = 0
        while points < 2:   # two printed points: the sweep is under way
            points += lines.get(timeout=120).startswith("lr ")
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    finally:
        process.kill()
    reader.join(timeout=30)
    out = []
    while not lines.empty():
        out.append(lines.get())
    assert process.returncode == 130, process.stderr.read()
    assert re.search(r"^no suggestion: too few points to judge \(cancelled after \d+ steps\)$|"
                     r"^suggested learning rate .*; cancelled after \d+ steps$", "".join(out), re.MULTILINE), out


def test_sweep_workers_0_trains_the_trials_one_at_a_time_in_this_process_as_run_and_lr_find_do(capsys, tmp_path):
    from kgui.core.sweeps.executors import ThreadExecutor
    from kgui.cli.arguments import build_parser
    from kgui.sweep_command import make_executor

    args = build_parser().parse_args(["sweep", "--grid", "lr=0.01,0.1", "--workers", "0"])
    assert isinstance(make_executor(args, 1), ThreadExecutor)
    code, out, err = run(capsys, "sweep", "--backend", ALL_INSTALLED[0], *SPIRAL[:-1], "5", "--grid", "lr=0.01,0.1",
                         "--runs-dir", str(tmp_path), "--workers", "0")
    assert code == 0, err
    assert "2 trials of spiral" in err + out and "1 trial at a time" in err + out
    assert len(list(tmp_path.iterdir())) >= 2


def test_a_command_line_sweeps_workers_send_steps_seldom_as_it_shows_trials_not_steps():
    from kgui.cli.arguments import build_parser
    from kgui.sweep_command import STEPS_BATCH_S, make_executor

    executor = make_executor(build_parser().parse_args(["sweep", "--grid", "lr=0.01,0.1", "--workers", "2"]), 2)
    try:
        assert executor.batch_s == STEPS_BATCH_S >= 0.5   # a worker's steps: one message a second, not 60
    finally:
        executor.shutdown()


def live_children() -> list[int]:
    """This process's child processes, zombies left out."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.mark.parametrize("argv, count", [
    (["sweep", "--grid", "lr=0.1"], os.cpu_count()), (["sweep", "--workers", "1"], 1),
    (["sweep", "--workers=2"], min(2, os.cpu_count())), (["sweep", "--work", "1"], 1), (["sweep", "--workers", "0"], 0),
    (["sweep", "--workers", "500"], os.cpu_count()), (["sweep", "--workers", "two"], 0), (["sweep", "--in-process"], 0),
    (["sweep", "--in-p"], 0), (["sweep", "--cluster", "tcp://h:8786"], 0), (["sweep", "--help"], 0),
    (["run", "--workers", "2"], 0), ([], 0)])
def test_a_sweep_starts_its_workers_before_parsing_only_for_a_local_sweep(argv, count, monkeypatch):
    from kgui.cli.sweep_start import CLUSTER_VARIABLE, early_worker_count

    monkeypatch.delenv(CLUSTER_VARIABLE, raising=False)
    assert early_worker_count(argv) == count
    monkeypatch.setenv(CLUSTER_VARIABLE, "tcp://h:8786")
    assert early_worker_count(argv) == 0


def test_a_sweep_on_a_machine_of_many_cores_starts_at_most_max_workers(monkeypatch):
    """One worker a core by default, but no more than --workers may ask (each imports an engine): a 128-core machine
    started 128 processes before the command line was parsed."""
    from kgui.cli.sweep_start import CLUSTER_VARIABLE, early_worker_count
    from kgui.core.workers.launch import MAX_WORKERS

    monkeypatch.delenv(CLUSTER_VARIABLE, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2 * MAX_WORKERS)
    assert early_worker_count(["sweep", "--grid", "lr=0.1"]) == early_worker_count(["sweep", "--workers", "500"]) \
        == MAX_WORKERS


@pytest.mark.parametrize("argv, engine", [
    (["sweep", "--backend", "theano"], "theano"), (["sweep", "--back=jax"], "jax"), (["sweep"], "tensorflow"),
    (["sweep", "--config", "sweep.json"], None), (["sweep", "--backend", "all"], None),
    (["sweep", "--backend", "jax", "--grid", "backend=jax,theano"], None), (["sweep", "--gri=backend=jax"], None),
    (["sweep", "--grid", "lr=0.1", "--range", "l2=0:1", "--backend", "torch", "--dataset", "spiral"], "torch"),
    (["sweep", "--config", "sweep.json", "--backend", "jax", "--dataset", "xor"], None),   # its axes may vary them
    (["sweep", "--backend", "theano", "--dataset", "iris"], None), (["sweep", "--dataset=otto"], None),
    (["sweep", "--backend", "jax", "--grid", "dataset=spiral,iris"], None)])
def test_a_sweeps_early_workers_import_the_engine_its_command_line_names(argv, engine):
    """Only where the dataset loads with NumPy alone: the engine's import runs on a thread beside the job's."""
    from kgui.cli.sweep_start import engine_ahead

    assert engine_ahead(argv) == engine


def test_the_datasets_an_early_worker_imports_its_engine_beside_import_no_other_package():
    from kgui.cli.sweep_start import DEFAULT_DATASET, DEFAULT_ENGINE, NUMPY_DATASETS
    from kgui.core.data.toy_datasets import PROBLEMS
    from kgui.core.experiment.settings import ExperimentSettings

    assert (DEFAULT_ENGINE, DEFAULT_DATASET) == (ExperimentSettings().backend, ExperimentSettings().dataset)
    assert set(NUMPY_DATASETS) == {"linear", *PROBLEMS}
    code = ("import sys, numpy.random; from kgui.core.workers import main; from kgui.core.experiment.settings "
            "import ExperimentSettings\nbefore = {name.split('.')[0] for name in sys.modules}\n"   # numpy's own
            f"for name in {NUMPY_DATASETS!r}: ExperimentSettings(dataset=name).load_dataset()\n"
            "print(sorted({name.split('.')[0] for name in sys.modules} - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


def test_a_sweeps_early_workers_give_the_in_process_losses_and_none_is_left_behind(capsys, tmp_path):
    """The trials' losses are the same with 0, 1 and 2 workers (those started before the command line was parsed);
    after each command, and after one whose input was bad, no process is left."""
    engine = ALL_INSTALLED[0]
    losses = {}
    for workers in ("0", "1", "2"):
        runs = tmp_path / workers
        code, out, err = run(capsys, "sweep", "--backend", engine, *SPIRAL[:-1], "20", "--grid", "lr=0.01,0.1",
                             "--seeds", "2", "--workers", workers, "--runs-dir", str(runs))
        assert code == 0, err
        assert live_children() == []
        from kgui.core.runs import RunStore

        store = RunStore(runs)
        losses[workers] = {(record.settings.learning_rate, record.settings.seed):
                           [step.train_loss for step in store.load(record.id).history] for record in store.list()}
        assert len(losses[workers]) == 4
    assert losses["0"] == losses["1"] == losses["2"]
    code, out, err = run(capsys, "sweep", "--grid", "lr=fast", "--workers", "2", "--runs-dir", str(tmp_path / "bad"))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert live_children() == []
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--no-such-flag", "--workers", "2"])
    assert live_children() == []
    code, out, err = run(capsys, "sweep", "--backend", engine, *SPIRAL[:-1], "5", "--grid", "lr=0.1", "--workers",
                         "2", "--runs-dir", str(tmp_path / "one"))   # one trial: one worker used, one ended unused
    assert code == 0, err
    assert live_children() == []
