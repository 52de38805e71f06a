"""A sweep on a real Dask cluster: a ``dask scheduler`` and ``dask worker`` processes started on localhost by the
test (readied by kgui's worker preload), giving the same losses per trial as the same sweep trained locally, its runs
written into the caller's store; Stop ends the cluster's trials; an unreachable scheduler is one line."""
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kgui import cli
from kgui.core.runs import RunStatus, RunStore
from kgui.core.sweeps import Axis, SweepRunner, SweepSpec, ThreadExecutor, TrialEvent
from kgui.core.sweeps.table import sweep_records
from kgui.exit_codes import sweep_exit_code
from test_core_sweeps import SPIRAL

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")


SCHEDULER_LOGS: dict[str, Path] = {}   # each cluster's scheduler log, by its address


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two one-thread workers importing this kgui tree, readied by its preload for SPIRAL's engine;
    every process ended afterwards."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED="False",
               DASK_TEMPORARY_DIRECTORY=str(folder))   # its workers' scratch space, not /tmp's
    with open(folder / "scheduler.log", "wb") as log:
        processes = [subprocess.Popen([str(DASK), "scheduler", "--scheduler-file", str(scheduler_file), "--port",
                                       "0", "--dashboard-address", ":0"], cwd=folder, env=env,
                                      start_new_session=True, stdout=log, stderr=log)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        SCHEDULER_LOGS[address] = folder / "scheduler.log"
        processes.append(subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "2",
                                           "--no-dashboard", "--preload", "kgui.dask_worker", "--kgui-engines",
                                           SPIRAL.backend], cwd=folder, env=env, start_new_session=True,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def kept_on_scheduler(address: str) -> dict[str, list[str]]:
    """kgui's queues and events the scheduler at ``address`` still keeps (its extensions' own tables)."""
    from distributed import Client

    def kept(dask_scheduler):
        return {"queues": [name for name in dask_scheduler.extensions["queues"].queues if name.startswith("kgui")],
                "events": [name for name in dask_scheduler.extensions["events"]._events if name.startswith("kgui")]}

    with Client(address, timeout=30) as client:
        deadline = time.monotonic() + 10   # a release is a message the scheduler may not have read yet
        while (left := client.run_on_scheduler(kept)) != {"queues": [], "events": []} \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        return left


def test_the_preload_readied_each_worker_with_the_engine_it_was_given(cluster):
    from distributed import Client

    def readied():
        return sys.modules["kgui.dask_worker"].readied if "kgui.dask_worker" in sys.modules else None

    with Client(cluster, timeout=30) as client:
        assert list(client.run(readied).values()) == [(SPIRAL.backend,)] * 2


def test_the_preload_refuses_a_name_that_is_no_engine_before_the_worker_starts(tmp_path):
    worker = subprocess.run([str(DASK), "worker", "tcp://127.0.0.1:9", "--preload", "kgui.dask_worker",
                             "--kgui-engines", "tf,,nosuch"], cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            capture_output=True, text=True, timeout=60)   # an alias and an empty name pass
    assert worker.returncode == 2
    assert "Error: Invalid value for '--kgui-engines': unknown backend 'nosuch'" in worker.stderr.splitlines()[-1]


def test_a_sweep_on_dask_gives_the_local_losses_and_writes_runs_here(cluster, tmp_path):
    from kgui.core.sweeps.dask_executor import DaskExecutor

    spec = SweepSpec(SPIRAL, (Axis("learning_rate", (0.01, 0.1)), Axis("optimizer", ("sgd", "adam"))))
    local_store, remote_store = RunStore(tmp_path / "local"), RunStore(tmp_path / "remote")
    local = SweepRunner(spec, local_store, ThreadExecutor(1)).run()
    executor = DaskExecutor(cluster)
    assert executor.slots == 2
    try:
        remote = SweepRunner(spec, remote_store, executor).run()
    finally:
        executor.shutdown()
    assert sweep_exit_code(remote) == 0
    by_values = {}
    for result, store in ((local, local_store), (remote, remote_store)):
        for record in sweep_records(store, result.sweep_id):
            by_values.setdefault(json.dumps(record.sweep_values, sort_keys=True), []).append(store.load(record.id))
    assert len(by_values) == 4
    for here, there in by_values.values():
        assert there.status == RunStatus.FINISHED and there.summary.steps == SPIRAL.steps
        assert [s.train_loss for s in there.history] == [s.train_loss for s in here.history]
        assert [s.val_loss for s in there.history] == [s.val_loss for s in here.history]
        assert there.sweep_id == remote.sweep_id and there.engine == here.engine
    assert kept_on_scheduler(cluster) == {"queues": [], "events": []}   # the sweep's queues went with it
    # trials this short come back whole at their end; the next test's come back step by step while they train


def test_steps_come_back_while_training_and_stop_ends_the_clusters_trials_keeping_them_as_stopped(cluster,
                                                                                                   tmp_path):
    from kgui.core.sweeps.dask_executor import DaskExecutor

    spec = SweepSpec(SPIRAL.replace(steps=1_000_000), (Axis("learning_rate", (0.01, 0.1)),))
    executor = DaskExecutor(cluster)
    store = RunStore(tmp_path)
    runner, stopped_at = None, []

    def on_event(event):
        if isinstance(event, TrialEvent) and type(event.event).__name__ == "StepsTaken" and not stopped_at:
            stopped_at.append(time.monotonic())
            runner.stop()

    runner = SweepRunner(spec, store, executor, on_event=on_event)
    deadline = threading.Timer(120, runner.stop)   # no steps ever came back: the test fails, it does not hang
    deadline.start()
    try:
        result = runner.run()
    finally:
        deadline.cancel()
        executor.shutdown()
    assert stopped_at, "no steps came back while the trials trained"
    took = time.monotonic() - stopped_at[0]
    assert result.stopped
    records = sweep_records(store, result.sweep_id)
    assert records and all(record.status == RunStatus.STOPPED for record in records)
    assert all(record.summary.steps for record in records)
    assert all(record.summary.steps < 1_000_000 for record in records)
    for record in records:   # the steps sent while it trained, then those its result carried: each once, in order
        history = store.load(record.id).history
        assert [step.step for step in history] == list(range(1, record.summary.steps + 1))
    assert took < 10   # nothing hangs (the CLI's Ctrl-C test measures the 2 s)
    # the workers put steps on the sweep's queues and the trials' stop events were set: the scheduler keeps none
    assert kept_on_scheduler(cluster) == {"queues": [], "events": []}


def test_checking_a_scheduler_that_answers_leaves_no_line_in_its_log(cluster, monkeypatch):
    from kgui.core.sweeps import dask_executor
    from kgui.core.sweeps.dask_executor import _check_scheduler

    # a loaded machine may take longer than REFUSED_AFTER_S to shake hands (then the port is probed, as it should be)
    monkeypatch.setattr(dask_executor, "REFUSED_AFTER_S", 10.0)
    log = SCHEDULER_LOGS[cluster]
    before = log.read_text()
    _check_scheduler(cluster)   # a probe of the port alone would be "closed before handshake completed"
    time.sleep(0.5)   # the scheduler's log line would be written by its event loop
    assert log.read_text() == before


def test_an_unreachable_scheduler_is_one_line(capsys, tmp_path):
    code = cli.main(["sweep", "--dataset", "spiral", "--grid", "lr=0.1,0.2", "--cluster", "tcp://127.0.0.1:9",
                     "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "nothing listens there (connection refused)" in err   # at once, not after Dask's 10 s of retries
    assert len(err.strip().splitlines()) == 1


def test_a_host_name_of_two_addresses_where_nothing_listens_is_one_line_at_once(monkeypatch):
    """``localhost`` is ::1 and 127.0.0.1 on most machines: asyncio's connect then raises one OSError of both
    refusals, not ConnectionRefusedError, and the check waited Dask's 10 s of retries."""
    import socket

    from kgui.core.sweeps.dask_executor import _check_scheduler

    resolve = socket.getaddrinfo

    def two_addresses(host, *args, **kwargs):   # as a dual-stack machine's resolver answers (real connections)
        if host == "two-addresses.test":
            return resolve("127.0.0.1", *args, **kwargs) + resolve("127.0.0.2", *args, **kwargs)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    started = time.monotonic()
    with pytest.raises(OSError, match=r"^cannot reach the Dask scheduler at tcp://two-addresses\.test:9: nothing "
                                      r"listens there \(connection refused\)$"):
        _check_scheduler("tcp://two-addresses.test:9")
    assert time.monotonic() - started < 5


def test_steps_cross_as_json_rows_keeping_nan_and_infinities_and_bad_rows_are_refused():
    from kgui.core.runs import StepRecord
    from kgui.core.sweeps.dask_executor import _step_from_row, _step_row

    steps = [StepRecord(1, 0.5, None, None, 0.01, 0.1, 1.5), StepRecord(2, float("nan"), float("inf"), 0.25, 0.01,
                                                                        0.2, 1.25, {"w": 0.5, "b": -float("inf")})]
    back = [_step_from_row(row) for row in json.loads(json.dumps(list(map(_step_row, steps))))]
    assert [repr(step) for step in back] == [repr(step) for step in steps]
    for row in ([1, 0.5], {"step": 1}, [1.5, 0.5, None, None, 0.01, 0.1, 1.5, {}], [1, "x", None, None, 0.01, 0.1, 1.5, {}],
                [1, 0.5, None, None, 0.01, 0.1, 1.5, []]):
        with pytest.raises(ValueError):
            _step_from_row(row)
