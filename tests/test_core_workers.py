"""Jobs in worker processes (kgui.core.workers): the protocol, real workers running real engines, crashes (SIGKILL,
abort, a segfault and an exit while importing the engine), reuse, recycling, shutdown, and the parent never
importing an engine. No mocks: every worker is a real process."""
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time
from multiprocessing import Pipe
from pathlib import Path

import pytest

from kgui.core.runs import RunStatus, RunStore, StepRecord
from kgui.core.session import (ConfusionComputed, JobEnded, JobKind, LayerStatsComputed, Phase, RangePoints, RunEnded,
                               RunStarted, Session, StepsTaken, SurfaceComputed)
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.training_control import TrainingControl
from kgui.core.workers import Exited, RemoteJob, WorkerPool
from kgui.core.workers import protocol

from engine_support import INSTALLED

ROOT = Path(__file__).resolve().parents[1]
ENGINE = next((name for name in ("jax", "torch", "tensorflow", "theano") if name in INSTALLED), None)
pytestmark = pytest.mark.skipif(ENGINE is None, reason="no engine is installed")
LINEAR = ExperimentSettings(backend=ENGINE or "jax", dataset="linear", dataset_options={"n": 100}, learning_rate=0.05,
                            steps=6)
LONG = LINEAR.replace(steps=1_000_000)
SPIRAL = ExperimentSettings(backend=ENGINE or "jax", dataset="spiral", model="mlp", hidden=(8, 8), batch_size=10,
                            learning_rate=0.03, steps=12, optimizer="adam")


@pytest.fixture
def pool():
    """A fresh pool, for a test that counts on which worker does what."""
    pool = WorkerPool(max_workers=2)
    yield pool
    assert pool.shutdown(2.0)


@pytest.fixture(scope="module")
def warm_pool():
    """One pool for the tests that need no fresh one: its workers stay, with their engines imported, from test to
    test (each test's own pool imported its engine again)."""
    pool = WorkerPool(max_workers=2)
    yield pool
    assert pool.shutdown(2.0)


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "runs")


def children() -> list[int]:
    """This process's live child processes (zombies not counted)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.append(int(entry))
    return found


def run_remote(session, settings, kind=JobKind.TRAINING, **options):
    events = []
    session.subscribe(events.append)
    job = session.new_job(kind, settings, **options)
    result = job.run()
    session.unsubscribe(events.append)
    return job, result, events


# -- the protocol ---------------------------------------------------------------------------------------------------

COMMANDS = [protocol.RunJob(JobKind.TRAINING, SPIRAL, "a name", protocol.JobOptions("/tmp/runs", True, 0.015, 0.5)),
            protocol.Prepare(SPIRAL, "/tmp/runs"), protocol.Shutdown(), protocol.Pause(), protocol.Resume(),
            protocol.Step(), protocol.Stop(), protocol.SetLearningRate(0.25), protocol.Rename("run-1", "new name"),
            protocol.EditWeight("W1", (1, 0), 0.5)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: type(command).__name__)
def test_every_command_crosses_a_connection_unchanged(command):
    here, there = Pipe()
    here.send(command)
    assert there.recv() == command
    assert protocol.Hello.here() == pickle.loads(pickle.dumps(protocol.Hello.here()))


def test_each_job_command_applies_itself_to_a_training_control():
    control = TrainingControl()
    protocol.Pause().apply(control)
    assert control.paused
    protocol.Step().apply(control)
    assert control.wait_for_turn() and control.paused             # one step let through while paused
    protocol.SetLearningRate(0.5).apply(control)
    assert control.take_learning_rate() == 0.5
    protocol.Rename("run-1", "x").apply(control)
    assert control.take_rename("run-1") == "x"
    protocol.EditWeight("W1", (1, 0), 0.5).apply(control)
    assert control.take_weight_edits() == [("W1", (1, 0), 0.5)]
    protocol.Resume().apply(control)
    assert not control.paused
    protocol.Stop().apply(control)
    assert control.stopped


def test_waiting_for_an_exit_reaps_a_process_that_ended_and_gives_up_on_one_that_lives():
    from kgui.core.workers.process import wait_exit

    living = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not wait_exit(living, 0.2) and living.returncode is None
    finally:
        living.kill()
    assert wait_exit(living, 30) and living.returncode == -signal.SIGKILL
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    assert wait_exit(ended, 30) and ended.returncode == 0
    assert wait_exit(ended, 0)   # reaped already
    for _ in range(10):   # threads waiting at once (a pool's reaper, the worker's reader, a caller) all see it end
        ending = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
        seen = []
        waiters = [threading.Thread(target=lambda: seen.append(wait_exit(ending, 30))) for _ in range(8)]
        for waiter in waiters:
            waiter.start()
        for waiter in waiters:
            waiter.join()
        assert seen == [True] * 8


def test_a_hello_of_another_protocol_is_refused_in_one_line():
    hello = protocol.Hello(protocol.PROTOCOL_VERSION + 1, 1, "3.11", "0")
    assert hello.mismatch() == (f"the engine process speaks worker protocol {protocol.PROTOCOL_VERSION + 1}, "
                                f"this kgui speaks {protocol.PROTOCOL_VERSION}")
    assert protocol.Hello.here().mismatch() == ""


def test_steps_cross_as_plain_rows_and_come_back_whole():
    steps = [StepRecord(1, 0.5, None, None, 0.1, 0.01, 0.02, {"w": 0.3, "b": -0.1}),
             StepRecord(2, 0.4, 0.45, 0.9, 0.1, 0.02, 0.03)]
    event = StepsTaken("run-1", steps, ((2, 0.1),))
    wire = protocol.StepRows.of(event)
    assert all(type(row) is tuple for row in wire.rows)   # no dataclass to pickle per step
    assert pickle.loads(pickle.dumps(wire)).event() == event


def test_a_trainings_run_crosses_once_its_job_ending_with_the_record_its_run_ended_carried(warm_pool, store):
    events = []
    job = RemoteJob(JobKind.TRAINING, SPIRAL, store, warm_pool, sink=events.append)
    record = job.run()
    ended, = [event for event in events if isinstance(event, RunEnded)]
    assert record is ended.run   # one copy of the history came over the connection, not two
    assert record.status == RunStatus.FINISHED and len(record.history) == SPIRAL.steps
    assert [step.train_loss for step in record.history] == [step.train_loss for step in store.load(record.id).history]
    wire = protocol.JobEndedWithRun.of(JobEnded(JobKind.TRAINING, record), record.id)
    assert wire == protocol.JobEndedWithRun(JobKind.TRAINING, record.id)
    assert wire.event(ended.run) == JobEnded(JobKind.TRAINING, record) and wire.event(None).result is None
    assert protocol.JobEndedWithRun.of(JobEnded(JobKind.TRAINING, record), "another run") == JobEnded(
        JobKind.TRAINING, record)


def test_every_event_of_a_training_and_a_range_test_arrives_from_a_worker(warm_pool, store):
    """Phase, RunStarted, StepsTaken, ConfusionComputed, SurfaceComputed, LayerStatsComputed, RunEnded, JobEnded,
    RangePoints: the session's own dataclasses, forwarded unchanged; a weight edit reaches the trainer."""
    session = Session(store, pool=warm_pool)
    job = session.new_job(JobKind.TRAINING, SPIRAL, paused=True, confusion_s=0.0, surface_s=0.0, layer_stats_every=1)
    job.control.edit_weight("W1", (1, 0), 0.5)
    job.control.resume()
    events = []
    session.subscribe(events.append)
    record = job.run()
    assert isinstance(job, RemoteJob) and record.status == RunStatus.FINISHED and job.error == ""
    assert [(edit.parameter, edit.index, edit.value) for edit in record.weight_edits] == [("W1", (1, 0), 0.5)]
    kinds = {type(event) for event in events}
    assert {Phase, RunStarted, StepsTaken, ConfusionComputed, SurfaceComputed, LayerStatsComputed, RunEnded,
            JobEnded} <= kinds
    started, = [event for event in events if isinstance(event, RunStarted)]
    assert started.dataset.x_train.shape[1] == 2 and started.run.engine == ENGINE
    steps = [step.step for event in events if isinstance(event, StepsTaken) for step in event.steps]
    assert steps == list(range(1, 13))
    assert events[-1] == JobEnded(JobKind.TRAINING, record, "")
    assert session.runs[record.id].history == record.history and store.load(record.id).history == record.history

    _, result, events = run_remote(session, LINEAR.replace(steps=20), JobKind.RANGE_TEST)
    points = [point for event in events if isinstance(event, RangePoints) for point in event.points]
    assert points == result.points and len(points) > 10 and result.status in ("finished", "blown up")


def test_a_sweep_trials_run_starts_without_its_dataset_crossing_the_connection(warm_pool, store):
    """A sweep's trial is drawn by nobody on the parent's side: its dataset stays in the worker (Otto's is ~23 MB a
    trial); a plain run's crosses."""
    from kgui.core.runs import SweepTag
    for sweep, crossed in ((SweepTag("sweep-1", {"learning_rate": 0.03}), False), (None, True)):
        events = []
        record = RemoteJob(JobKind.TRAINING, SPIRAL, store, warm_pool, sink=events.append, sweep=sweep).run()
        started, = [event for event in events if isinstance(event, RunStarted)]
        assert (started.dataset is not None) == crossed and record.status == RunStatus.FINISHED
        assert store.load(record.id).sweep_id == (sweep.sweep_id if sweep else "")


# -- the same losses, in-process and through a worker ---------------------------------------------------------------

@pytest.mark.parametrize("engine", sorted(INSTALLED))
def test_the_same_seed_gives_identical_histories_in_process_and_through_a_worker(engine, warm_pool, store):
    for settings in (LINEAR.replace(backend=engine, steps=8), SPIRAL.replace(backend=engine, steps=8)):
        local = Session(store).new_job(JobKind.TRAINING, settings).run()
        _, remote, events = run_remote(Session(store, pool=warm_pool), settings)
        assert remote.status == local.status == RunStatus.FINISHED
        assert [step for event in events if isinstance(event, StepsTaken) for step in event.steps] == remote.history
        assert [(s.train_loss, s.val_loss) for s in remote.history] == [(s.train_loss, s.val_loss)
                                                                         for s in local.history]


def test_a_comparison_takes_one_worker_per_engine_and_gives_the_in_process_verdict_and_rows(warm_pool, store):
    engines = sorted(INSTALLED)
    settings = SPIRAL.replace(steps=6)
    local = Session(store).new_job(JobKind.PARITY, settings, engines=engines).run()
    job, remote, events = run_remote(Session(store, pool=warm_pool), settings, JobKind.PARITY, engines=engines)
    assert len({part.process.pid for part in job.parts}) == len(engines)   # one worker per engine
    assert [record.settings.backend for record in remote.records] == engines
    assert remote.initial_weights_match is local.initial_weights_match is (True if len(engines) > 1 else None)
    assert remote.verdict == local.verdict and list(remote.comparison_rows()) == list(local.comparison_rows())
    assert remote.comparison_columns() == local.comparison_columns()
    assert sum(isinstance(event, RunStarted) for event in events) == len(engines)


# -- controls -------------------------------------------------------------------------------------------------------

def test_pause_step_rate_rename_and_stop_reach_the_worker(warm_pool, store):
    session = Session(store, pool=warm_pool)
    job = session.new_job(JobKind.TRAINING, LONG, paused=True)
    seen = []

    def on_event(event):
        if isinstance(event, StepsTaken):
            seen.extend(step.step for step in event.steps)
            if seen[-1] == 2:
                job.control.set_learning_rate(0.01)
                session.rename(event.run_id, "renamed live")
                job.control.request_step()
            elif seen[-1] == 3:
                job.control.stop()
        elif isinstance(event, RunStarted):
            job.control.request_step()
            job.control.request_step()

    session.subscribe(on_event)
    record = job.run()
    assert seen == [1, 2, 3] and record.status == RunStatus.STOPPED
    assert record.lr_changes == [(3, 0.01)] and record.history[2].learning_rate == 0.01
    assert record.name == "renamed live" == store.load(record.id).name


def test_a_bad_learning_rate_is_refused_on_this_side():
    with pytest.raises(ValueError, match="positive"):
        RemoteJob(JobKind.TRAINING, LINEAR, None, WorkerPool.__new__(WorkerPool), sink=print).control \
            .set_learning_rate(-1)


# -- reuse and recycling --------------------------------------------------------------------------------------------

def test_a_worker_is_reused_for_the_same_engine_and_prepares_ahead(pool, store):
    session = Session(store, pool=pool)
    first, _, _ = run_remote(session, LINEAR)
    second, record, events = run_remote(session, LINEAR.replace(learning_rate=0.1))
    assert second.process is first.process and record.status == RunStatus.FINISHED
    phases = [event for event in events if isinstance(event, Phase)]
    assert "importing" not in " ".join(str(phase.text) for phase in phases)   # its trainer was reused
    prepared = pool.prepare(SPIRAL, str(store.root))
    third, record, _ = run_remote(session, SPIRAL.replace(learning_rate=0.1))
    assert third.process is prepared and record.status == RunStatus.FINISHED


def test_a_worker_whose_memory_grew_is_replaced(store):
    with WorkerPool(max_workers=1, rss_growth=-(1 << 40)) as pool:   # any size after the first job is too much
        session = Session(store, pool=pool)
        first, _, _ = run_remote(session, LINEAR)
        second, _, _ = run_remote(session, LINEAR)
        third, record, _ = run_remote(session, LINEAR)
        assert first.process is second.process        # measured after its first job
        assert third.process is not second.process and not second.process.alive
        assert record.status == RunStatus.FINISHED


def test_an_idle_worker_is_stopped(store):
    with WorkerPool(idle_s=0.4) as pool:
        job, _, _ = run_remote(Session(store, pool=pool), LINEAR)
        assert job.process.wait(5.0) and pool.processes == []


# -- crashes --------------------------------------------------------------------------------------------------------

def kill_after_steps(session, job, steps, signal_number):
    taken = []

    def on_event(event):
        if isinstance(event, StepsTaken):
            taken.extend(event.steps)
            if len(taken) >= steps and job.process.alive:
                os.kill(job.process.pid, signal_number)

    session.subscribe(on_event)
    return taken


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGSEGV])
def test_a_worker_killed_mid_run_fails_the_run_with_its_cause_and_keeps_its_steps(signal_number, warm_pool, store):
    session = Session(store, pool=warm_pool)
    job = session.new_job(JobKind.TRAINING, LONG)
    taken = kill_after_steps(session, job, 30, signal_number)
    started = time.monotonic()
    record = job.run()
    assert time.monotonic() - started < 60
    message = f"the engine process crashed: signal {int(signal_number)}"
    assert record.status == RunStatus.FAILED and record.message == message and job.error == ""
    stored = store.load(record.id)
    assert stored.status == RunStatus.FAILED and stored.message == message
    assert len(stored.history) >= len(taken) >= 30                     # every step written is kept
    assert [s.train_loss for s in stored.history[:len(taken)]] == [s.train_loss for s in taken]
    listed, = [r for r in store.list() if r.id == record.id]
    assert listed.status == RunStatus.FAILED and listed.message == message
    assert session.runs[record.id].status == RunStatus.FAILED and not session.running

    next_job, record, _ = run_remote(session, LINEAR)               # the next job gets a fresh worker
    assert record.status == RunStatus.FINISHED and next_job.process is not job.process


def engine_module_folder(tmp_path, body: str) -> Path:
    """A folder on PYTHONPATH whose ``<ENGINE>`` module runs ``body`` when the worker imports the engine."""
    folder = tmp_path / "shadow"
    (folder / ENGINE).mkdir(parents=True)
    (folder / ENGINE / "__init__.py").write_text(textwrap.dedent(body))
    return folder


@pytest.mark.parametrize("body, cause", [
    ("import os\nos._exit(3)\n", "exit status 3"),
    ("import os\nos.abort()\n", "signal 6"),
    ("import ctypes\nctypes.string_at(0)\n", "signal 11"),
], ids=["exit", "abort", "segfault"])
def test_a_worker_that_dies_while_importing_the_engine_fails_the_run(body, cause, tmp_path, store, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(engine_module_folder(tmp_path, body)))
    with WorkerPool() as pool:
        session = Session(store, pool=pool)
        job, record, events = run_remote(session, LINEAR)
        assert record.status == RunStatus.FAILED and record.message == f"the engine process crashed: {cause}"
        assert [type(event) for event in events][-2:] == [RunEnded, JobEnded]
        assert not store.exists(record.id)                            # no step, no folder (as in-process)
        monkeypatch.delenv("PYTHONPATH")
        _, record, _ = run_remote(session, LINEAR)
        assert record.status == RunStatus.FINISHED


def test_a_parity_whose_worker_dies_ends_with_a_failed_run(pool, store, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(engine_module_folder(tmp_path, "import os\nos._exit(4)\n")))
    _, result, _ = run_remote(Session(store, pool=pool), LINEAR, JobKind.PARITY)
    crashed, = [record for record in result.records if record.settings.backend == ENGINE]
    assert crashed.status == RunStatus.FAILED and crashed.message == "the engine process crashed: exit status 4"
    assert "the engine process crashed: exit status 4" in result.verdict
    assert all(record.status == RunStatus.FINISHED for record in result.records if record is not crashed)


def test_a_worker_of_another_protocol_fails_the_run_in_one_line(store, monkeypatch):
    monkeypatch.setattr(protocol, "PROTOCOL_VERSION", protocol.PROTOCOL_VERSION + 1)   # this side is newer
    with WorkerPool() as pool:
        job, record, _ = run_remote(Session(store, pool=pool), LINEAR)
    assert record is None and job.error == (f"the engine process speaks worker protocol {protocol.PROTOCOL_VERSION - 1}"
                                            f", this kgui speaks {protocol.PROTOCOL_VERSION}")
    assert not job.process.alive


def test_a_worker_that_hangs_while_starting_is_killed(tmp_path, store, monkeypatch):
    from kgui.core.workers import process

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import time\ntime.sleep(600)\n")   # Python itself hangs at start
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setattr(process, "HELLO_WAIT_S", 1.0)
    with WorkerPool() as pool:
        job, record, _ = run_remote(Session(store, pool=pool), LINEAR)
        assert record is None and job.error == "the engine process did not start within 1 s"
        assert not job.process.alive


# -- shutting down --------------------------------------------------------------------------------------------------

def test_shutting_down_with_busy_workers_leaves_no_process(store):
    others = children()   # the warm pool's workers
    pool = WorkerPool(max_workers=2)
    jobs, threads, started = [], [], threading.Semaphore(0)
    for _ in range(2):
        job = RemoteJob(JobKind.TRAINING, LONG, store, pool,
                        sink=lambda event: started.release() if isinstance(event, RunStarted) else None)
        jobs.append(job)
        threads.append(threading.Thread(target=job.run))
        threads[-1].start()
    assert started.acquire(timeout=60) and started.acquire(timeout=60)
    time.sleep(0.3)
    begun = time.monotonic()
    assert pool.shutdown(2.0)
    assert time.monotonic() - begun < 2.5
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()
    assert children() == others
    for job in jobs:
        assert job.result.status in (RunStatus.STOPPED, RunStatus.FAILED) and job.result.history
        assert store.load(job.result.id).status == job.result.status   # ended on disk, not "interrupted"
    with pytest.raises(RuntimeError):
        pool.acquire(LINEAR)


def test_a_worker_exits_when_its_parent_dies(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from kgui.core.workers import WorkerProcess
        worker = WorkerProcess()
        print(worker.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists() and "Z" not in \
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:1]:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]


# -- the parent never imports an engine -----------------------------------------------------------------------------

def test_the_parent_of_a_remote_job_never_imports_an_engine(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from kgui.core.runs import RunStore
        from kgui.core.session import JobKind, Session
        from kgui.core.experiment.settings import ExperimentSettings
        from kgui.core.workers import WorkerPool
        with WorkerPool() as pool:
            session = Session(RunStore({str(tmp_path / "runs")!r}), pool=pool)
            settings = ExperimentSettings(backend={ENGINE!r}, dataset="spiral", model="mlp", hidden=(4,), steps=5)
            session.prepare_ahead(settings)
            record = session.new_job(JobKind.TRAINING, settings, confusion_s=0.0, surface_s=0.0).run()
            assert record.status == "finished", record.message
            session.new_job(JobKind.PARITY, settings.replace(steps=3)).run()
        engines = {{"tensorflow", "pytensor", "theano", "jax", "jaxlib", "torch"}}
        print(sorted(name for name in sys.modules if name.split(".")[0] in engines))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"


NATIVE_LIBRARY = {"jax": "/jaxlib/", "torch": "libtorch_cpu", "tensorflow": "libtensorflow_framework"}


def maps_library(pid: int, library: str, wait_s: float = 60.0) -> bool:
    """Whether process ``pid`` maps a file whose path holds ``library`` within ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if library in Path(f"/proc/{pid}/maps").read_text():
            return True
        time.sleep(0.05)
    return False


def test_a_pool_takes_processes_started_earlier_as_its_first_workers_and_ends_those_it_does_not_need(store):
    """Started with an engine's name, a worker imports it before any job asks (a sweep's early workers)."""
    from kgui.core.workers.launch import Launched

    others = children()   # the warm pool's workers
    launched = [Launched(ENGINE), Launched()]
    pool = WorkerPool(max_workers=1, launched=launched)
    try:
        assert launched[1].popen.poll() is not None   # beyond max_workers: ended at once
        if ENGINE in NATIVE_LIBRARY:   # PyTensor's are Python modules
            assert maps_library(launched[0].pid, NATIVE_LIBRARY[ENGINE])   # no job sent yet
        job, result, _ = run_remote(Session(store, pool=pool), LINEAR)
        assert result.status == RunStatus.FINISHED and job.process.pid == launched[0].pid
    finally:
        assert pool.shutdown(2.0)
    unused = Launched()
    WorkerPool(max_workers=1, launched=[unused]).shutdown(2.0)   # never needed: ended by the shutdown
    assert unused.popen.poll() is not None
    misnamed = Launched("nosuch")   # its import ahead fails quietly: the job imports its own engine
    pool = WorkerPool(max_workers=1, launched=[misnamed])
    try:
        job, result, _ = run_remote(Session(store, pool=pool), LINEAR)
        assert result.status == RunStatus.FINISHED and job.process.pid == misnamed.pid
    finally:
        assert pool.shutdown(2.0)
    assert children() == others


def test_a_worker_that_cannot_stop_is_killed_its_grace_after_stop_not_a_check_later(pool, store, monkeypatch):
    """The grace counted from when the job's driver next woke after Stop (a check every RECEIVE_S), and the kill came
    at a check after it: up to two checks late, so Ctrl-C of a sweep took 2.4 s, or a worker that answered just past
    the grace was killed with its answer in hand. Checks 4 s apart here make the old lateness plain (8 s)."""
    from kgui.core.workers import remote_job

    monkeypatch.setattr(remote_job, "RECEIVE_S", 4.0)
    training = threading.Event()
    job = RemoteJob(JobKind.TRAINING, LONG, store, pool,
                    sink=lambda event: training.set() if isinstance(event, StepsTaken) else None)
    thread = threading.Thread(target=job.run)
    thread.start()
    try:
        assert training.wait(120)
        os.kill(job.process.pid, signal.SIGSTOP)      # it can neither answer Stop nor end by itself
        stopped = time.monotonic()
        job.control.stop()
        thread.join(30)
        took = time.monotonic() - stopped
    finally:
        if job.process.alive:
            job.process.kill()
        thread.join(30)
    assert remote_job.STOP_GRACE_S <= took < remote_job.STOP_GRACE_S + 1.0, took
    assert job.result.status == RunStatus.STOPPED and job.result.message == "the engine process was stopped"
    assert store.load(job.result.id).status == RunStatus.STOPPED and job.result.history
