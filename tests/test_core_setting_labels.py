"""Settings as people read them: default run names that tell runs apart, any setting as a column of runs list."""
import dataclasses

import pytest

from kgui import cli
from kgui.core.experiment import setting_labels
from kgui.core.runs import RunRecord, RunStatus, RunStore
from kgui.core.runs.names import default_name
from kgui.core.experiment.settings import ExperimentSettings


@pytest.mark.parametrize("settings, name", [
    (ExperimentSettings(dataset="otto", steps=25), "TensorFlow · Otto Group · 25 steps · lr 0.01"),
    (ExperimentSettings(dataset="otto", momentum=0.9, nesterov=True, l2=1e-4, steps=100),
     "TensorFlow · Otto Group · SGD momentum 0.9 nesterov · L2 0.0001 · 100 steps · lr 0.01"),
    (ExperimentSettings(dataset="otto", l2=0.01), "TensorFlow · Otto Group · L2 0.01 · lr 0.01"),
    (ExperimentSettings(backend="jax", dataset="spiral", dataset_options={"noise": 0.1}, model="mlp", hidden=(8, 8),
                        activation="tanh", optimizer="adam", learning_rate=0.03),
     "JAX · Spiral · noise 0.1 · MLP 8,8 tanh · Adam · lr 0.03"),
    (ExperimentSettings(dataset="iris", batch_size=16, epochs=20, seed=3, val_fraction=0.3),
     "TensorFlow · Iris · batch 16 · val 0.3 · seed 3 · 20 epochs · lr 0.01"),
    (ExperimentSettings(), "TensorFlow · Linear · lr 0.01"),
])
def test_default_names_show_every_setting_that_differs_from_its_default(settings, name):
    assert default_name(settings) == name
    assert default_name(settings, with_rate=False) == name.rpartition(" · ")[0]


def test_two_different_otto_runs_get_different_names():
    plain = ExperimentSettings(dataset="otto", steps=25)
    tuned = ExperimentSettings(dataset="otto", momentum=0.9, nesterov=True, l2=1e-4, steps=100)
    assert default_name(plain) != default_name(tuned)


def test_every_field_differing_alone_changes_the_name():
    """A field added to ExperimentSettings later is named too (by its name and value) until it gets a label."""
    defaults = ExperimentSettings()
    changed = {"backend": "theano", "dataset": "iris", "dataset_options": {"n": 50}, "model": "softmax",
               "learning_rate": 0.5, "steps": 7, "batch_size": 8, "val_fraction": 0.1, "seed": 1, "hidden": (4,),
               "activation": "tanh", "optimizer": "adam", "momentum": 0.5, "nesterov": True, "rho": 0.8,
               "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6, "l2": 0.1, "l1": 0.1, "schedule": "step",
               "decay": 0.1, "drop": 0.2, "every": 10, "max_lr": 1.0, "epochs": 2}
    for f in dataclasses.fields(ExperimentSettings):
        value = changed.get(f.name)
        if value is None:   # a field this test does not know yet: any other value of its type
            value = not getattr(defaults, f.name) if isinstance(getattr(defaults, f.name), bool) else "x"
        assert default_name(defaults.replace(**{f.name: value})) != default_name(defaults), \
            f.name


def test_every_setting_has_a_label_and_a_cell():
    settings = ExperimentSettings(dataset="iris", model="mlp", hidden=(64, 32), optimizer="sgd", momentum=0.9)
    labels = setting_labels.setting_labels()
    assert [label.name for label in labels] == [f.name for f in dataclasses.fields(ExperimentSettings)]
    cells = {label.name: label.text(settings) for label in labels}
    assert (cells["backend"], cells["dataset"], cells["hidden"], cells["momentum"], cells["nesterov"],
            cells["batch_size"], cells["optimizer"]) == ("TensorFlow", "Iris", "64,32", "0.9", "no", "full", "SGD")
    assert setting_labels.label_for("l2").title == "L2"
    with pytest.raises(ValueError, match="unknown setting 'speed'; settings: backend, dataset"):
        setting_labels.label_for("speed")


def saved(store, settings):
    record = RunRecord.new(settings)
    record.status = RunStatus.FINISHED
    store.begin(record).close()
    return record


def test_runs_list_shows_any_setting_as_a_column(tmp_path, capsys):
    store = RunStore(tmp_path)
    plain = saved(store, ExperimentSettings(dataset="otto", steps=25))
    tuned = saved(store, ExperimentSettings(dataset="otto", momentum=0.9, nesterov=True, l2=1e-4, steps=100))
    assert cli.main(["runs", "list", "--runs-dir", str(tmp_path), "--columns", "optimizer,momentum,l2"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split() == ["id", "status", "steps", "loss", "engine", "Optimizer", "Momentum", "L2", "name"]
    by_id = {line.split()[0]: line for line in lines}
    assert by_id[plain.id].split()[7:10] == ["SGD", "0", "0"]
    assert by_id[tuned.id].split()[7:10] == ["SGD", "0.9", "0.0001"] and by_id[tuned.id].endswith(tuned.name)
    with pytest.raises(SystemExit):
        cli.main(["runs", "list", "--runs-dir", str(tmp_path), "--columns", "optimizer,speed"])
    assert "unknown setting 'speed'" in capsys.readouterr().err
