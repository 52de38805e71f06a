"""Trainer and TrainingControl: live controls from another thread, divergence, failures, repeatability."""
import logging
import math
import threading
import time

import numpy as np
import pytest

from engine_support import INSTALLED
from kgui.core.data.datasets import load_dataset
from kgui.core.runs import RunStatus, RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Stage, Trainer, _BatchOrder
from kgui.core.training.training_control import TrainingControl

ENGINES = ["tensorflow", "theano"]
WAIT = 10  # seconds a test waits for the worker thread before failing


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


def linear(engine, **changes):
    base = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"n": 200}, learning_rate=0.5,
                              steps=20)
    return base.replace(**changes)


# -- TrainingControl without an engine ----------------------------------------------------------------------------

def start_waiting(control):
    """A thread blocked in wait_for_turn; the returned list gets its result."""
    result = []
    thread = threading.Thread(target=lambda: result.append(control.wait_for_turn()), daemon=True)
    thread.start()
    return thread, result


def test_paused_worker_waits_until_a_step_is_requested():
    control = TrainingControl(paused=True)
    thread, result = start_waiting(control)
    thread.join(0.2)
    assert thread.is_alive() and result == []
    control.request_step()
    thread.join(WAIT)
    assert result == [True]
    thread, result = start_waiting(control)  # one request lets exactly one step through
    thread.join(0.2)
    assert thread.is_alive()
    control.resume()
    thread.join(WAIT)
    assert result == [True] and not control.paused


def test_stop_releases_a_paused_worker():
    control = TrainingControl(paused=True)
    thread, result = start_waiting(control)
    control.stop()
    thread.join(WAIT)
    assert result == [False] and control.stopped


def test_step_requests_while_running_are_ignored():
    control = TrainingControl()
    control.request_step()
    control.pause()
    thread, result = start_waiting(control)
    thread.join(0.2)
    assert thread.is_alive()
    control.stop()
    thread.join(WAIT)


def test_learning_rate_requests():
    control = TrainingControl()
    assert control.take_learning_rate() is None
    control.set_learning_rate(0.1)
    control.set_learning_rate(0.2)
    assert control.take_learning_rate() == 0.2
    assert control.take_learning_rate() is None
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="learning rate must be a positive number"):
            control.set_learning_rate(bad)


def test_batches_are_seeded_reshuffles_of_whole_epochs():
    order = _BatchOrder(10, 4, seed=3)
    epoch = [order.next() for _ in range(2)]
    assert all(len(rows) == 4 for rows in epoch)
    assert len(set(np.concatenate(epoch).tolist())) == 8  # no row twice within an epoch
    again = _BatchOrder(10, 4, seed=3)
    assert [again.next().tolist() for _ in range(5)] == [rows.tolist() for rows in epoch] + \
        [order.next().tolist() for _ in range(3)]
    assert _BatchOrder(10, None, seed=3).next() is None


# -- Trainer on both engines -------------------------------------------------------------------------------------

def test_run_records_every_step(engine, tmp_path):
    statuses = []
    trainer = Trainer(linear(engine), store=RunStore(tmp_path), status=statuses.append)
    seen = []
    record = trainer.run(seen.append)
    assert record.status == "finished" and record.message == ""
    assert [s.step for s in record.history] == list(range(1, 21)) and seen == record.history
    assert statuses == [Stage.LOADING_DATASET, Stage.IMPORTING_ENGINE, Stage.COMPILING, Stage.TRAINING,
                        RunStatus.FINISHED]
    assert all(b.elapsed > a.elapsed for a, b in zip(record.history, record.history[1:]))
    assert all(s.learning_rate == 0.5 and s.accuracy is None and s.step_ms > 0 for s in record.history)
    assert record.history[-1].train_loss < record.history[0].train_loss / 10
    assert set(record.history[-1].params) == {"w", "b"} and record.final_params == record.history[-1].params
    assert (record.engine, record.engine_version) == (engine, trainer.model.K.version)
    assert {"load_dataset", "load_engine", "compile", "train"} <= set(record.timings)


def test_classification_records_validation_accuracy(engine):
    settings = ExperimentSettings(backend=engine, dataset="iris", learning_rate=0.5, steps=5, batch_size=32)
    record = Trainer(settings).run()
    assert record.status == "finished"
    assert all(0 <= s.accuracy <= 1 and s.val_loss > 0 and s.params == {} for s in record.history)
    assert record.final_params["W"]["shape"] == [4, 3]


@pytest.mark.parametrize("batch_size", [None, 16])
def test_training_and_validation_losses_of_a_step_are_of_the_same_weights(engine, batch_size):
    """Each step's losses are those of the weights it starts from: the batch's (as the notebook prints it) and the
    validation rows' alike, so their gap is the model's and not one update's."""
    trainer = Trainer(ExperimentSettings(backend=engine, dataset="iris", learning_rate=2.0, steps=3,
                                         batch_size=batch_size))
    trainer.prepare()
    model, dataset = trainer.model, trainer.dataset
    for _ in range(3):
        val_loss, accuracy = model.evaluate(dataset.x_val, dataset.y_val)
        train_loss, _ = model.evaluate(dataset.x_train, dataset.y_train)
        step = trainer.step()
        assert (step.val_loss, step.accuracy) == (val_loss, accuracy)
        if batch_size is None:
            assert step.train_loss == pytest.approx(train_loss, rel=1e-6)


def test_learning_rate_change_applies_from_the_next_step(engine):
    control = TrainingControl()
    trainer = Trainer(linear(engine, steps=6), control)

    def on_step(step):
        if step.step == 3:
            control.set_learning_rate(1e-30)  # effectively frozen parameters

    record = trainer.run(on_step)
    assert [s.learning_rate for s in record.history] == [0.5] * 3 + [1e-30] * 3
    assert record.lr_changes == [(4, 1e-30)]
    assert record.history[3].params == record.history[2].params  # step 4 used the new rate
    assert record.history[2].params != record.history[1].params


def test_pause_single_step_resume_and_stop_from_another_thread(engine):
    control = TrainingControl(paused=True)
    trainer = Trainer(linear(engine, steps=10**6), control)
    trainer.prepare()
    stepped = threading.Semaphore(0)
    worker = threading.Thread(target=trainer.run, args=(lambda step: stepped.release(),), daemon=True)
    worker.start()
    time.sleep(0.2)
    assert trainer.steps_done == 0
    for expected in (1, 2):
        control.request_step()
        assert stepped.acquire(timeout=WAIT)
        time.sleep(0.1)
        assert trainer.steps_done == expected
    control.resume()
    for _ in range(5):
        assert stepped.acquire(timeout=WAIT)
    control.pause()
    time.sleep(0.2)
    paused_at = trainer.steps_done
    time.sleep(0.2)
    assert trainer.steps_done == paused_at
    control.stop()
    worker.join(WAIT)
    assert not worker.is_alive()
    assert trainer.record.status == "stopped" and 7 <= trainer.steps_done == paused_at < 10**6


@pytest.mark.parametrize("dataset", ["linear", "iris"])
def test_huge_learning_rate_is_marked_diverged(engine, dataset, tmp_path):
    settings = ExperimentSettings(backend=engine, dataset=dataset, learning_rate=1e6, steps=200)
    store = RunStore(tmp_path)
    record = Trainer(settings, store=store).run()
    assert record.status == "diverged"
    assert record.message.startswith(f"diverged at step {len(record.history)} with learning rate 1e+06")
    assert len(record.history) < 200
    last = record.history[-1]
    assert not math.isfinite(last.train_loss) or last.train_loss > 1e4 * record.history[0].train_loss \
        or "parameters" in record.message
    assert store.load(record.id).status == "diverged"


def test_non_finite_loss_is_marked_diverged_at_that_step(engine, tmp_path):
    settings = linear(engine, dataset_options={"n": 50, "slope": 1e25})  # squared errors overflow float32
    store = RunStore(tmp_path)
    record = Trainer(settings, store=store).run()
    assert (record.status, len(record.history)) == ("diverged", 1)
    assert record.message == "diverged at step 1 with learning rate 0.5: training loss is inf, validation loss is inf"
    saved = store.load(record.id)
    assert saved.status == "diverged" and saved.history[0].train_loss == math.inf


def test_seeded_runs_repeat_bit_for_bit(engine):
    settings = ExperimentSettings(backend=engine, dataset="iris", learning_rate=0.3, steps=15, batch_size=16, seed=4)
    runs = [Trainer(settings).run().history for _ in range(2)]
    assert [(s.train_loss, s.val_loss, s.accuracy) for s in runs[0]] == \
        [(s.train_loss, s.val_loss, s.accuracy) for s in runs[1]]
    other = Trainer(settings.replace(seed=5)).run().history
    assert [s.train_loss for s in other] != [s.train_loss for s in runs[0]]


def test_same_seed_same_start_on_every_engine():
    settings = ExperimentSettings(dataset="iris", learning_rate=0.3, steps=3, seed=2)
    losses = {name: [s.train_loss for s in Trainer(settings.replace(backend=name)).run().history]
              for name in ENGINES}
    np.testing.assert_allclose(losses["tensorflow"], losses["theano"], rtol=1e-5)


def test_a_given_dataset_is_used_as_is(engine):
    dataset = load_dataset("linear", {"n": 30}, val_fraction=0.0)
    record = Trainer(linear(engine, steps=2), dataset=dataset).run()
    assert record.status == "finished"
    assert all(s.val_loss is None for s in record.history)


def test_bad_dataset_fails_and_writes_nothing(engine, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n1,2\n3\n")
    store = RunStore(tmp_path / "runs")
    trainer = Trainer(ExperimentSettings(backend=engine, dataset=str(bad)), store=store)
    record = trainer.run()
    assert record.status == "failed"
    assert record.message == f"{bad}: line 3 has 1 field(s), the header has 2"
    assert record.history == [] and store.list() == [] and not store.root.exists()


def test_batch_larger_than_the_data_fails_clearly(engine):
    record = Trainer(linear(engine, batch_size=500)).run()
    assert record.status == "failed"
    assert record.message == "batch_size 500 is larger than the 160 training rows of linear"


def test_model_that_does_not_fit_the_task_fails(engine):
    record = Trainer(linear(engine, model="softmax")).run()
    assert (record.status, record.message) == ("failed", "model softmax needs a classification dataset; "
                                                         "linear is regression")


def test_error_in_a_callback_fails_the_run_but_keeps_its_steps(engine, tmp_path):
    def on_step(step):
        if step.step == 3:
            raise RuntimeError("display went away")

    store = RunStore(tmp_path)
    trainer = Trainer(linear(engine), store=store)
    record = trainer.run(on_step)
    assert (record.status, record.message) == ("failed", "RuntimeError: display went away")
    assert isinstance(trainer.error, RuntimeError)
    saved = store.load(record.id)
    assert saved.status == "failed" and len(saved.history) == 3


def test_finished_run_cannot_step_again(engine):
    trainer = Trainer(linear(engine, steps=1))
    trainer.run()
    with pytest.raises(RuntimeError, match="already finished"):
        trainer.step()


def test_set_learning_rate_rejects_bad_values(engine):
    trainer = Trainer(linear(engine))
    with pytest.raises(ValueError, match="learning rate must be a positive number, .*got 0"):
        trainer.set_learning_rate(0)
    with pytest.raises(ValueError, match=r"at most 3\.403e\+38 \(the largest float32\), got 1e\+39"):
        trainer.set_learning_rate(1e39)
    trainer.set_learning_rate(0.1)
    trainer.set_learning_rate(0.2)  # two changes before one step: the last one counts
    assert trainer.record.lr_changes == [(1, 0.2)]
    assert trainer.step().learning_rate == 0.2


def test_epochs_set_the_number_of_steps_from_the_training_rows(tmp_path):
    settings = ExperimentSettings(dataset="iris", epochs=3, batch_size=20)  # 120 training rows: 6 batches an epoch
    trainer = Trainer(settings, store=RunStore(tmp_path))
    record = trainer.run()
    assert record.status == "finished" and len(record.history) == 18
    assert record.settings.steps == 18 and record.settings.epochs == 3
    assert RunStore(tmp_path).load(record.id).settings == record.settings


def test_mlp_with_adam_trains_and_records_its_layers(engine):
    settings = ExperimentSettings(backend=engine, dataset="iris", model="mlp", hidden=(8,), optimizer="adam",
                                  learning_rate=0.02, steps=40, l2=1e-4)
    record = Trainer(settings).run()
    assert record.status == "finished"
    assert record.history[-1].train_loss < record.history[0].train_loss / 2
    assert set(record.final_params) == {"W1", "b1", "W2", "b2"}
    assert record.final_params["W1"]["shape"] == [4, 8]


def break_hidden_biases(trainer) -> None:
    """A ReLU layer's biases to -inf: it outputs 0, the loss stays finite and no gradient reaches them."""
    model = trainer.model
    model.K.set_value(model.params[1], np.full(model.K.get_value(model.params[1]).shape, -np.inf, dtype=np.float32))


def relu_spiral(engine, steps: int) -> ExperimentSettings:
    return ExperimentSettings(backend=engine, dataset="spiral", dataset_options={"n": 100}, model="mlp",
                              hidden=(4,), activation="relu", steps=steps, learning_rate=0.01)


def test_parameters_that_stop_being_finite_under_a_finite_loss_end_the_run_within_a_few_steps(engine):
    """The parameters are read back every PARAMETERS_CHECKED_EVERY steps (at every step that cost TensorFlow as
    much as the step itself), on a step whose loss is not finite, and at the last step."""
    from kgui.core.training.trainer import PARAMETERS_CHECKED_EVERY

    trainer = Trainer(relu_spiral(engine, 40))
    trainer.prepare()
    for _ in range(3):
        trainer.step()
    break_hidden_biases(trainer)
    while trainer.record.status == "running":
        trainer.step()
    assert all(math.isfinite(step.train_loss) for step in trainer.record.history)
    assert trainer.record.status == "diverged" and len(trainer.record.history) == PARAMETERS_CHECKED_EVERY
    assert trainer.record.message.endswith("the parameters are no longer finite")

    short = Trainer(relu_spiral(engine, 5))    # ends before the first periodic check: its last step checks
    short.prepare()
    short.step()
    break_hidden_biases(short)
    while short.record.status == "running" and short.steps_done < 5:
        short.step()
    assert short.record.status == "diverged" and len(short.record.history) == 5


def test_a_run_stopped_between_two_checks_of_its_parameters_is_still_found_diverged(engine):
    control = TrainingControl()
    trainer = Trainer(relu_spiral(engine, 40), control)

    def on_step(step):
        if step.step == 2:
            break_hidden_biases(trainer)
        if step.step == 4:
            control.stop()

    record = trainer.run(on_step)
    assert (record.status, len(record.history)) == ("diverged", 4)
    assert record.message.startswith("diverged at step 4") and "parameters are no longer finite" in record.message


def test_a_prepared_trainer_compiles_nothing_at_its_first_steps(caplog):
    """The warm-up runs on the shapes training uses (one batch, the validation rows): JAX compiles once per input
    shape, so a warm-up on one row left the first step of a prepared run compiling again (3.7 s to the first point
    of the spiral MLP with batch 10)."""
    if "jax" not in INSTALLED:
        pytest.skip("jax is not installed")
    import jax

    trainer = Trainer(ExperimentSettings(backend="jax", dataset="spiral", model="mlp", hidden=(4,), batch_size=10,
                                         steps=3))
    trainer.prepare()
    with jax.log_compiles(), caplog.at_level(logging.WARNING, logger="jax"):
        trainer.step()
        trainer.step()
    assert [record.getMessage() for record in caplog.records if "Compiling" in record.getMessage()] == []
