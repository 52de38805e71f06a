"""The Qt-free Session: typed events in order, run state on the thread that handles them, rename through the
trainer while a run trains (one writer per run file), delete, re-run and export. Real engine (TensorFlow)."""
import json
import threading
import time

import pytest

from kgui.core.runs import RunStore
from kgui.exit_codes import exit_code
from kgui.core.session import (EventKind, JobEnded, JobKind, Phase, RunChanged, RunEnded, RunRemoved, RunsLoaded,
                               RunStarted, Session, StepsTaken)
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Stage
from kgui.core.training.trainer import Trainer

LINEAR = ExperimentSettings(dataset="linear", dataset_options={"n": 100}, learning_rate=0.05, steps=6)


@pytest.fixture
def session(tmp_path):
    return Session(RunStore(tmp_path / "runs"))


def stored_name(session, run_id) -> str:
    return json.loads((session.store.root / run_id / "run.json").read_text())["name"]


def test_a_run_reports_typed_events_in_order_and_the_session_keeps_it(session):
    events = []
    session.subscribe(events.append)
    job = session.new_job(JobKind.TRAINING, LINEAR)
    record = job.run()

    kinds = [event.kind for event in events]
    assert all(isinstance(kind, EventKind) for kind in kinds)
    assert kinds[:3] == [EventKind.PHASE] * 3 and kinds[3] == EventKind.STARTED == "started"
    assert set(kinds[4:-2]) == {EventKind.STEPS} and kinds[-2:] == [EventKind.ENDED, EventKind.JOB_ENDED]
    assert [event.text for event in events if isinstance(event, Phase)][0] == "loading dataset…"
    started, = [event for event in events if isinstance(event, RunStarted)]
    assert started.run.id == record.id and started.run.engine == "tensorflow" and started.dataset.task == "regression"
    steps = [step.step for event in events if isinstance(event, StepsTaken) for step in event.steps]
    assert steps == [1, 2, 3, 4, 5, 6]                               # one event per step when batch_s is 0
    assert events[-1] == JobEnded(JobKind.TRAINING, record, "") and exit_code(record) == 0
    assert session.runs == {record.id: record} and session.last_ended is session.runs[record.id] is not record
    assert session.shown_run_ids() == [record.id] and session.live_run_id == record.id and not session.running


def test_a_view_subscribed_to_an_event_type_gets_those_events_alone_in_order_with_the_others(session):
    seen = []
    session.subscribe(lambda event: seen.append(("all", event.kind)))
    session.on(RunStarted, lambda event: seen.append(("started", event.run.id)))
    session.on(StepsTaken, lambda event: seen.append(("steps", event.steps[-1].step)))
    record = session.new_job(JobKind.TRAINING, LINEAR).run()
    typed = [entry for entry in seen if entry[0] != "all"]
    assert typed == [("started", record.id)] + [("steps", step) for step in range(1, 7)]
    # each typed handler runs right after the catch-all listener subscribed before it, for the same event
    started_at = seen.index(("started", record.id))
    assert seen[started_at - 1] == ("all", EventKind.STARTED)
    assert [seen[seen.index(entry) - 1] for entry in typed[1:]] == [("all", EventKind.STEPS)] * 6


def test_live_learning_rate_changes_reach_the_session_record_during_the_run(session):
    """The runs table's learning-rate column reads the session's record: it must not wait for the run's end."""
    seen, changed = [], []

    def on_event(event):
        if isinstance(event, RunChanged):
            changed.append(list(event.run.lr_changes))
        if isinstance(event, StepsTaken):
            record = session.runs[event.run_id]
            seen.append((event.steps[-1].step, list(record.lr_changes)))
            if event.steps[-1].step == 2:
                session.job.control.set_learning_rate(0.5)

    session.subscribe(on_event)
    record = session.new_job(JobKind.TRAINING, LINEAR).run()
    assert seen[2] == (3, [(3, 0.5)]) and seen[-1] == (6, [(3, 0.5)])
    assert changed == [[(3, 0.5)]]                                  # views refresh the run's row once
    assert record.lr_changes == [(3, 0.5)]                          # the trainer's own account agrees


def test_the_sessions_record_is_never_the_trainers_object(session):
    """One record per run in a process: the trainer's is the writer's, the session's a mirror fed by events."""
    checked = []

    def on_event(event):
        if isinstance(event, (RunStarted, StepsTaken, RunEnded)) and session.job.trainer is not None:
            run_id = event.run_id if isinstance(event, StepsTaken) else event.run.id
            writer = session.job.trainer.record
            mirror = session.runs[run_id]
            checked.append(event.kind)
            assert mirror is not writer and mirror.history is not writer.history
            assert mirror.lr_changes is not writer.lr_changes and mirror.timings is not writer.timings
            if isinstance(event, StepsTaken) and event.steps[-1].step == 2:
                session.job.control.set_learning_rate(0.5)

    session.subscribe(on_event)
    record = session.new_job(JobKind.TRAINING, LINEAR).run()
    assert checked[0] == EventKind.STARTED and checked[-1] == EventKind.ENDED and EventKind.STEPS in checked
    mirror = session.runs[record.id]
    assert mirror is not record and mirror.history == record.history and mirror.lr_changes == record.lr_changes
    session.rename(record.id, "renamed after the end")
    assert record.name != "renamed after the end"             # the ended trainer's record is not the session's


def test_a_rate_change_travels_once_with_the_steps_that_use_it(session):
    """The trainer decides a change; it reaches the session as data (StepsTaken.rate_changes), never read back from
    step rates: two moves before one step are one change, a move back to the rate in force is none."""
    sent = []

    def on_event(event):
        if isinstance(event, StepsTaken):
            sent.extend(event.rate_changes)
            if event.steps[-1].step == 2:
                session.job.control.set_learning_rate(0.3)
                session.job.control.set_learning_rate(0.5)      # replaces 0.3 before step 3 takes it
            elif event.steps[-1].step == 4:
                session.job.control.set_learning_rate(0.5)      # the rate in force: no change

    session.subscribe(on_event)
    record = session.new_job(JobKind.TRAINING, LINEAR).run()
    assert sent == [(3, 0.5)] == record.lr_changes == session.runs[record.id].lr_changes
    assert [step.learning_rate for step in record.history] == [0.05, 0.05] + [0.5] * 4


def test_renaming_a_live_run_goes_through_its_trainer(session):
    """While a run trains only its trainer writes run.json; the session asks it to rename."""
    names_on_disk = []

    def on_event(event):
        if isinstance(event, StepsTaken) and event.steps[-1].step == 2:
            session.rename(event.run_id, "  renamed live ")
            names_on_disk.append(stored_name(session, event.run_id))   # not written by the session
        elif isinstance(event, StepsTaken) and event.steps[-1].step == 3:
            names_on_disk.append(stored_name(session, event.run_id))   # written by the trainer between steps

    session.subscribe(on_event)
    record = session.new_job(JobKind.TRAINING, LINEAR).run()
    assert names_on_disk == ["TensorFlow · Linear · n 100 · 6 steps · lr 0.05", "renamed live"]
    assert record.name == session.runs[record.id].name == stored_name(session, record.id) == "renamed live"


def test_a_rename_that_reaches_the_trainer_too_late_is_written_once_it_has_ended(session):
    """Events queued to another thread (the window's case): the trainer has ended when the rename comes."""
    queued = []
    job = session.new_job(JobKind.TRAINING, LINEAR, sink=queued.append)
    worker = threading.Thread(target=job.run)
    worker.start()
    worker.join(60)
    started = next(i for i, event in enumerate(queued) if isinstance(event, RunStarted))
    for event in queued[:started + 2]:
        session.handle(event)
    run_id = queued[started].run.id
    assert session.live_run_training(run_id)
    session.rename(run_id, "late name")
    for event in queued[started + 2:]:
        session.handle(event)
    assert stored_name(session, run_id) == "late name" == session.runs[run_id].name
    assert session.store.load(run_id).status == "finished"


def test_delete_rerun_show_and_export(session, tmp_path):
    events = []
    first = session.new_job(JobKind.TRAINING, LINEAR).run()
    session.subscribe(events.append)
    rerun = session.rerun(first.id).run()
    assert rerun.id != first.id and rerun.settings == first.settings
    assert [s.train_loss for s in rerun.history] == [s.train_loss for s in first.history]

    session.set_shown(first.id, False)
    assert session.shown_run_ids() == [rerun.id] and events[-1] == RunChanged(first, False)
    path = session.export(tmp_path / "shown.csv")
    assert path.read_text().count("\n") == 1 + len(rerun.history)
    session.delete(rerun.id)
    assert events[-1] == RunRemoved(rerun.id) and not (session.store.root / rerun.id).exists()
    assert list(session.runs) == [first.id] and session.shown_run_ids() == []
    with pytest.raises(ValueError, match="no loss history"):
        session.export(tmp_path / "none.csv")


def test_deleting_the_run_being_trained_is_refused(session):
    refused = []

    def on_event(event):
        if isinstance(event, StepsTaken) and event.steps[-1].step == 2:
            with pytest.raises(ValueError, match="is being trained"):
                session.delete(event.run_id)
            refused.append(event.run_id)

    session.subscribe(on_event)
    record = session.new_job(JobKind.TRAINING, LINEAR).run()
    assert refused == [record.id] and session.store.load(record.id).status == "finished"


def test_bad_settings_and_a_second_job_are_refused(session):
    with pytest.raises(ValueError, match="steps"):
        session.new_job(JobKind.TRAINING, LINEAR.replace(steps=0))
    assert not session.running
    session.new_job(JobKind.TRAINING, LINEAR)
    with pytest.raises(RuntimeError):
        session.new_job(JobKind.TRAINING, LINEAR)


def test_a_failed_run_ends_with_its_message(session, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n5\n")
    events = []
    session.subscribe(events.append)
    record = session.new_job(JobKind.TRAINING, LINEAR.replace(dataset=str(bad), dataset_options={})).run()
    assert record.status == "failed" and exit_code(record) == 1
    assert isinstance(events[-2], RunEnded) and events[-2].run.message == record.message


def test_saved_runs_load_from_summaries_and_read_a_history_when_first_shown(session):
    first = session.new_job(JobKind.TRAINING, LINEAR).run()
    second = session.new_job(JobKind.TRAINING, LINEAR.replace(learning_rate=0.2)).run()
    later = Session(session.store)
    loaded = later.load_saved(shown={first.id})
    assert {record.id for record in loaded} == {first.id, second.id} == set(later.runs)   # same second: any order
    assert later.shown_run_ids() == [first.id]
    assert [s.train_loss for s in later.runs[first.id].history] == [s.train_loss for s in first.history]
    unread = later.runs[second.id]
    assert unread.history == [] and unread.summary.steps == 6
    assert unread.summary.last.train_loss == second.history[-1].train_loss
    later.set_shown(second.id, True)
    assert [s.train_loss for s in unread.history] == [s.train_loss for s in second.history]


def test_runs_another_process_wrote_are_read_together_from_their_summaries_and_their_steps_when_shown(session):
    """A sweep's trials ending together: one read per run, of its summary only (the steps of a run shown), and one
    RunsLoaded for them all."""
    first = session.new_job(JobKind.TRAINING, LINEAR).run()
    second = session.new_job(JobKind.TRAINING, LINEAR.replace(learning_rate=0.2)).run()
    window = Session(session.store)          # another session: these runs were written by someone else
    window._shown.add(second.id)             # shown already (its curve is on the plot): its steps are read too
    loaded, reads = [], []
    window.on(RunsLoaded, loaded.append)
    store_load = window.store.load
    window.store.load = lambda run_id, with_history=True: reads.append((run_id, with_history)) or store_load(
        run_id, with_history)
    records = window.reload_saved([first.id, second.id, "20260101-000000-gone00", first.id])
    assert [record.id for record in records] == [first.id, second.id]          # one each; the deleted one left out
    assert len(loaded) == 1 and loaded[0].runs == tuple(records) and loaded[0].shown == {second.id}
    assert reads[:2] == [(first.id, False), (second.id, True)]
    unread = window.runs[first.id]
    assert unread.history == [] and unread.summary.steps == 6 and unread.summary.best_train_loss == min(
        step.train_loss for step in first.history)
    assert [s.train_loss for s in window.runs[second.id].history] == [s.train_loss for s in second.history]
    window.set_shown(first.id, True)                                            # shown: its steps are read now
    assert [s.train_loss for s in unread.history] == [s.train_loss for s in first.history]


def test_the_experiment_is_prepared_ahead_and_start_takes_it_without_preparing_again(session):
    """Issue 14: prepared on a background thread before any Start (nothing written to the store); a Start on the
    same settings but another learning rate and step count takes that trainer: no phase, no new compile."""
    preparation = session.prepare_ahead(LINEAR)
    assert preparation.join(120) and preparation.ready
    assert preparation.phases == [Stage.LOADING_DATASET, Stage.IMPORTING_ENGINE, Stage.COMPILING]
    assert preparation.trainer.model is not None and session.store.list() == []
    assert session.prepare_ahead(LINEAR.replace(learning_rate=0.5)) is preparation   # same preparation

    events = []
    session.subscribe(events.append)
    job = session.new_job(JobKind.TRAINING, LINEAR.replace(learning_rate=0.2, steps=3))
    assert job.prepared_ahead and job.preparation is preparation
    record = job.run()
    assert not [event for event in events if isinstance(event, Phase)]
    assert record.status == "finished" and len(record.history) == 3 and preparation.taken
    assert [step.learning_rate for step in record.history] == [0.2] * 3 and record.lr_changes == []
    assert record.timings["compile"] > 0 and session.store.load(record.id).settings.learning_rate == 0.2

    other = session.new_job(JobKind.TRAINING, LINEAR.replace(seed=1))   # another seed: the data is loaded anew,
    assert not other.prepared_ahead and other.preparation is not preparation   # the compiled model restarted
    restarted = other.run()   # (its phases are not told when it was prepared before the job waited: a race)
    assert "restart" in restarted.timings and "compile" not in restarted.timings
    fresh = Trainer(LINEAR.replace(seed=1)).run()
    assert [s.train_loss for s in restarted.history] == [s.train_loss for s in fresh.history]

    third = session.new_job(JobKind.TRAINING, LINEAR.replace(seed=1, l2=0.1))   # another model: compiled anew
    assert "compile" in third.run().timings


def test_stop_ends_a_run_waiting_for_its_preparation_at_once(session):
    job = session.new_job(JobKind.TRAINING, LINEAR.replace(dataset_options={"n": 101}))
    job.control.stop()
    record = job.run()
    assert record.status == "stopped" and record.history == [] and session.store.list() == []
    assert session.preparation is job.preparation   # the next Start takes it


SPIRAL_MLP = ExperimentSettings(dataset="spiral", dataset_options={"n": 120}, model="mlp", hidden=(8,),
                                activation="tanh", optimizer="adam", batch_size=16, learning_rate=0.01, steps=8)


def test_the_next_run_of_the_same_experiment_restarts_the_compiled_model_and_gives_the_same_numbers(session, tmp_path):
    """Issue 9 (memory): every Start compiled a new model, and each compile left memory behind in the engine. A run
    after one that ended, on the same experiment but another rate and step count, now restarts that run's model
    (initial weights, fresh optimizer state, its own rate): nothing compiled, the numbers of a new model."""
    first_job = session.new_job(JobKind.TRAINING, SPIRAL_MLP)
    first_job.control.set_learning_rate(0.05)   # a live change: the next run still starts at its own rate
    first = first_job.run()
    model = first_job.trainer.model
    events = []
    session.subscribe(events.append)
    job = session.new_job(JobKind.TRAINING, SPIRAL_MLP.replace(learning_rate=0.02, steps=6))
    second = job.run()
    assert job.trainer.model is model and "compile" not in second.timings and "restart" in second.timings
    assert not [event for event in events if isinstance(event, Phase) and event.text.startswith("compiling")]
    assert second.status == "finished" and second.engine == first.engine and second.dataset_info == first.dataset_info

    fresh = Session(RunStore(tmp_path / "fresh")).new_job(JobKind.TRAINING, SPIRAL_MLP.replace(learning_rate=0.02,
                                                                                               steps=6))
    expected = fresh.run()
    assert fresh.trainer.model is not model and "compile" in expected.timings
    assert [(s.train_loss, s.val_loss, s.accuracy, s.learning_rate) for s in second.history] == \
        [(s.train_loss, s.val_loss, s.accuracy, s.learning_rate) for s in expected.history]

    seeded = session.new_job(JobKind.TRAINING, SPIRAL_MLP.replace(seed=1))   # another seed: the same model restarted
    seeded.run()
    assert seeded.trainer.model is model
    other = session.new_job(JobKind.TRAINING, SPIRAL_MLP.replace(activation="relu"))   # another model: compiled anew
    other.run()
    assert other.trainer.model is not model


def test_a_pause_between_two_batches_still_shows_every_step_taken(session):
    """Steps go out in batches; a pause that lands after one step's batch check and before the next step must not
    keep the steps since the last batch from the window while it sleeps (they used to arrive only on resume)."""
    delivered = []
    session.subscribe(lambda event: delivered.extend(event.steps) if isinstance(event, StepsTaken) else None)
    job = session.new_job(JobKind.TRAINING, LINEAR.replace(steps=50), batch_s=3600.0)
    control, turns = job.control, []
    wait_for_turn = control.wait_for_turn

    def pause_before_the_sixth_step() -> bool:
        turns.append(len(turns) + 1)
        if len(turns) == 6:          # the worker is between step 5's batch check and step 6
            control.pause()
        return wait_for_turn()

    control.wait_for_turn = pause_before_the_sixth_step
    thread = threading.Thread(target=job.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(delivered) < 5 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [step.step for step in delivered] == [1, 2, 3, 4, 5] and control.paused
    finally:
        control.stop()
        thread.join(60)


def test_phases_are_typed_stages_with_a_text_for_people():
    from kgui.core.data.datasets import LoadProgress
    from kgui.core.session.preparation import stopped_while

    assert Phase(Stage.IMPORTING_ENGINE, "theano").text == "importing Theano (PyTensor)…"
    assert Phase(Stage.COMPILING, "jax").text == "compiling…"
    progress = LoadProgress(1234, 0.45)
    assert Phase(Stage.LOADING_DATASET, "jax", progress=progress).text == f"loading dataset… {progress.describe()}"
    assert stopped_while([Stage.LOADING_DATASET, Stage.IMPORTING_ENGINE], "tensorflow") == \
        "stopped while importing TensorFlow"
    assert stopped_while([Stage.COMPILING], "tensorflow") == "stopped while compiling"
    assert stopped_while([Stage.LOADING_DATASET], "tensorflow") == "stopped while loading the dataset"
    assert stopped_while([], "tensorflow") == "stopped while preparing"
