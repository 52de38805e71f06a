"""Learning-rate schedules: each step's rate is its formula on every engine (the rate recorded and the rate the engine
trained with), the slider scales a schedule, settings and flags round-trip and bad ones are one line."""
import math

import numpy as np
import pytest

from kgui.core.experiment import settings as experiment
from kgui.cli import build_parser
from kgui.core.training.models import Architecture
from kgui.core.runs import RunRecord
from kgui.core.training.schedules import RateSchedule, ScheduleConfig
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer
from engine_support import ENGINES, INSTALLED, load_or_skip

STEPS = 40
SCHEDULES = {
    "decay": dict(decay=0.05),
    "step": dict(schedule="step", drop=0.5, every=7),
    "cosine": dict(schedule="cosine"),
    "onecycle": dict(schedule="onecycle", max_lr=0.8, decay=0.01),
}


def formula(name, step, lr=0.2, steps=STEPS):
    """The rate of 1-based ``step``, written out from each schedule's definition."""
    i = step - 1
    if name == "decay":
        return lr / (1 + 0.05 * i)
    if name == "step":
        return lr * 0.5 ** (i // 7)
    if name == "cosine":
        return lr * 0.5 * (1 + np.cos(np.pi * i / steps))
    position = i / steps   # one-cycle: cosine lr -> 0.8 over the first quarter, then 0.8 -> 0.8e-5
    if position < 0.25:
        a, b, t = lr, 0.8, position / 0.25
    else:
        a, b, t = 0.8, 0.8e-5, (position - 0.25) / 0.75
    return (a + (b - a) * (1 - np.cos(np.pi * t)) / 2) / (1 + 0.01 * i)


@pytest.mark.parametrize("name", SCHEDULES)
def test_rates_are_the_formulas(name):
    schedule = ExperimentSettings(learning_rate=0.2, steps=STEPS, **SCHEDULES[name]).rate_schedule()
    for step in range(1, STEPS + 1):
        assert schedule.rate(step) == pytest.approx(formula(name, step), rel=1e-12)
        assert schedule.base_rate(step, schedule.rate(step, base=0.05)) == pytest.approx(0.05, rel=1e-12)
        assert schedule.rate(step, base=0.4) == pytest.approx(2 * formula(name, step), rel=1e-12)


def numpy_sgd_losses(x, y, weights, rates):
    """Full-batch SGD of X·W + b under mean squared error, in float64: the loss before each update."""
    w, b = (value.astype(np.float64) for value in weights)
    losses = []
    for rate in rates:
        error = x @ w + b - y
        losses.append(float((error ** 2).mean()))
        w, b = w - rate * 2 * x.T @ error / error.size, b - rate * 2 * error.mean(axis=0)
    return losses


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", SCHEDULES)
def test_each_step_trains_with_its_scheduled_rate_on_every_engine(engine, name):
    load_or_skip(engine)
    settings = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"n": 64, "noise": 0.1},
                                  learning_rate=0.2, steps=STEPS, val_fraction=0.0, seed=3, **SCHEDULES[name])
    trainer = Trainer(settings)
    record = trainer.run()
    assert record.status == "finished", record.message
    rates = [step.learning_rate for step in record.history]
    np.testing.assert_allclose(rates, [formula(name, step) for step in range(1, STEPS + 1)], rtol=1e-12)
    assert len(set(rates)) > 3 and not record.lr_changes
    data = trainer.dataset
    expected = numpy_sgd_losses(data.x_train.astype(np.float64), data.y_train.astype(np.float64),
                                Architecture((1, 1), "regression").initial_weights(3), np.float32(rates))
    np.testing.assert_allclose([step.train_loss for step in record.history], expected, rtol=2e-4)
    constant = Trainer(settings.unscheduled()).run()
    assert abs(constant.history[-1].train_loss - record.history[-1].train_loss) > 1e-6   # the rates mattered


def test_the_slider_sets_the_base_rate_of_a_schedule():
    settings = ExperimentSettings(dataset="linear", dataset_options={"n": 50}, learning_rate=0.2, steps=30,
                                  schedule="cosine", backend=sorted(INSTALLED)[0])
    trainer = Trainer(settings)
    trainer.prepare()
    for step in range(1, 31):
        if step == 11:
            trainer.set_learning_rate(0.05)
        trainer.step()
    rates = [step.learning_rate for step in trainer.record.history]
    schedule = settings.rate_schedule()
    assert rates[:10] == [schedule.rate(step) for step in range(1, 11)]
    assert rates[10:] == [schedule.rate(step, base=0.05) for step in range(11, 31)]
    assert trainer.record.lr_changes == [(11, 0.05)]     # the base rate the slider set, as the trainer decided it


def test_a_rate_change_back_to_the_rate_in_force_before_its_step_is_no_change():
    """Two slider moves before one step: the second replaces the first, and one back to where it was leaves none."""
    record = RunRecord.new(ExperimentSettings(learning_rate=0.1))
    record.note_rate_change(5, 0.2)
    record.note_rate_change(5, 0.3)
    assert record.lr_changes == [(5, 0.3)]
    record.note_rate_change(5, 0.1)
    assert record.lr_changes == []
    record.note_rate_change(5, 0.2)
    record.note_rate_change(9, 0.4)
    record.note_rate_change(9, 0.2)
    assert record.lr_changes == [(5, 0.2)]


def test_range_test_settings_drop_the_schedule():
    settings = ExperimentSettings(schedule="onecycle", max_lr=1.0, decay=0.1).unscheduled()
    assert not settings.schedule_config().scheduled and settings.max_lr is None


@pytest.mark.parametrize("changes, message", [
    ({"schedule": "exponential"}, "schedule must be one of constant, step, cosine, onecycle, got 'exponential'"),
    ({"schedule": "onecycle"}, r"the onecycle schedule needs max_lr \(--max-lr\), its peak rate"),
    ({"schedule": "onecycle", "max_lr": 0.001}, "max_lr must be a number at least the learning rate 0.01, got 0.001"),
    ({"max_lr": 1.0}, "max_lr applies to the onecycle schedule only, not constant"),
    ({"schedule": "cosine", "drop": 0.1}, "drop applies to the step schedule only, not cosine"),
    ({"schedule": "step", "drop": 0.0}, r"drop must be in \(0, 1\], got 0.0"),
    ({"schedule": "step", "every": 0}, "every must be a whole number of steps, at least 1, got 0"),
    ({"decay": -1.0}, "decay must be a non-negative number, got -1.0"),
])
def test_bad_schedules_are_one_line(changes, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        ExperimentSettings(**changes).validate()


def test_schedule_fields_round_trip_and_old_files_are_constant():
    settings = ExperimentSettings(schedule="step", drop=0.25, every=30, decay=1e-3)
    assert ExperimentSettings.from_json(settings.to_json()) == settings
    assert ExperimentSettings.from_dict({"learning_rate": 0.1}).schedule_config() == ScheduleConfig()
    with pytest.raises(ValueError, match="^max_lr must be a number, got 'fast'$"):
        ExperimentSettings.from_dict({"max_lr": "fast"})


def test_schedule_flags():
    parse = build_parser().parse_args
    settings = experiment.from_arguments(parse(["run", "--schedule", "onecycle", "--max-lr", "0.5", "--decay",
                                                "0.01"]))
    assert (settings.schedule, settings.max_lr, settings.decay) == ("onecycle", 0.5, 0.01)
    settings = experiment.from_arguments(parse(["run", "--schedule", "step", "--drop", "0.5", "--every", "100"]))
    assert settings.schedule_config() == ScheduleConfig("step", 0.0, 0.5, 100)
    assert "step (drop 0.5, every 100)" in settings.describe_model("regression")


def test_a_constant_rate_records_no_schedule():
    schedule = RateSchedule(ScheduleConfig(), 0.1, 10)
    assert schedule.rate(5) == 0.1 and schedule.base_rate(5, 0.3) == 0.3
    assert math.isclose(RateSchedule(ScheduleConfig(decay=1.0), 0.1, 10).base_rate(2, 0.05), 0.1)
