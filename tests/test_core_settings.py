"""ExperimentSettings: JSON round trip, validation messages, CLI flags."""
import argparse
import dataclasses
import json
import re

import pytest

from kgui.core.experiment import settings as experiment
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer


def parse(*flags):
    parser = argparse.ArgumentParser()
    experiment.add_arguments(parser)
    return parser.parse_args(list(flags))


def test_defaults_are_valid_and_match_the_design():
    settings = ExperimentSettings()
    settings.validate()
    assert (settings.backend, settings.dataset, settings.model) == ("tensorflow", "linear", "auto")
    assert (settings.learning_rate, settings.steps, settings.batch_size) == (0.01, 200, None)
    assert (settings.val_fraction, settings.seed, settings.dataset_options) == (0.2, 0, {})


def test_json_round_trip_keeps_every_field():
    settings = ExperimentSettings(backend="theano", dataset="data/x.csv", dataset_options={"target": "y"},
                                  model="softmax", learning_rate=0.25, steps=7, batch_size=32,
                                  val_fraction=0.0, seed=5)
    text = settings.to_json()
    assert json.loads(text)["batch_size"] == 32
    assert ExperimentSettings.from_json(text) == settings
    assert ExperimentSettings.from_dict(settings.to_dict()) == settings


def test_settings_are_immutable_and_replace_makes_a_copy():
    settings = ExperimentSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.steps = 3
    with pytest.raises(TypeError):
        ExperimentSettings(dataset_options={"n": 10}).dataset_options["n"] = 5
    changed = settings.replace(steps=3)
    assert (settings.steps, changed.steps) == (200, 3)


@pytest.mark.parametrize("data, message", [
    ({"learning_rat": 0.1}, r"unknown setting\(s\) 'learning_rat'"),
    ({"steps": "ten"}, r"steps must be an integer, got 'ten'"),
    ({"steps": True}, r"steps must be an integer, got True"),
    ({"learning_rate": "fast"}, r"learning_rate must be a number, got 'fast'"),
    ({"dataset_options": [1]}, r"dataset_options must be an object"),
    ([1, 2], r"must be a JSON object, got list"),
])
def test_from_dict_rejects_bad_values(data, message):
    with pytest.raises(ValueError, match=message):
        ExperimentSettings.from_dict(data)


def test_from_json_rejects_invalid_json():
    with pytest.raises(ValueError, match="not valid JSON"):
        ExperimentSettings.from_json("{steps: 3")


@pytest.mark.parametrize("changes, message", [
    ({"learning_rate": 0.0}, r"learning_rate must be a positive number, got 0\.0"),
    ({"learning_rate": -0.1}, r"learning_rate must be a positive number, got -0\.1"),
    ({"learning_rate": float("nan")}, r"learning_rate must be a positive number, got nan"),
    ({"steps": 0}, r"steps must be at least 1, got 0"),
    ({"batch_size": 0}, r"batch_size must be at least 1"),
    ({"val_fraction": 0.95}, r"val_fraction must be between 0 and 0\.9, got 0\.95"),
    ({"val_fraction": -0.1}, r"val_fraction must be between 0 and 0\.9, got -0\.1"),
    ({"seed": -1}, r"seed must be a non-negative integer, got -1"),
    ({"model": "cnn"}, r"model must be one of auto, softmax, linear, mlp, got 'cnn'"),
    ({"backend": "cntk"}, r"unknown backend 'cntk'"),
    ({"dataset": "mnist"}, r"unknown dataset 'mnist'; choose linear, .*iris, .*otto or a path to a \.csv file"),
    ({"dataset_options": {"slope": 2, "target": "y"}}, r"dataset option 'target' does not apply to 'linear'"),
    ({"dataset_options": {"n": 1}}, r"dataset option n must be at least 2, got 1"),
    ({"dataset_options": {"noise": -1.0}}, r"noise must be a non-negative number, got -1\.0"),
    ({"dataset_options": {"n": "many"}}, r"dataset option n must be int, got 'many'"),
    ({"dataset": "my.csv", "dataset_options": {"task": "clustering"}}, r"task must be one of auto, classif"),
])
def test_validate_names_the_field_and_value(changes, message):
    with pytest.raises(ValueError, match=message):
        ExperimentSettings(**changes).validate()


def test_csv_paths_and_aliases_are_valid():
    ExperimentSettings(dataset="some/where/data.csv.gz", dataset_options={"target": "y", "task": "regression"}
                       ).validate()
    ExperimentSettings(backend="pytensor", dataset="iris").validate()


def test_load_names_the_file_on_error(tmp_path):
    path = tmp_path / "exp.json"
    path.write_text('{"steps": 0}')
    assert ExperimentSettings.load(path).steps == 0  # loading does not validate; the caller does
    path.write_text("not json")
    with pytest.raises(ValueError, match=f"{path}: experiment settings: not valid JSON"):
        ExperimentSettings.load(path)
    with pytest.raises(OSError, match="cannot read .*missing.json"):
        ExperimentSettings.load(tmp_path / "missing.json")


def test_flags_override_the_config_file(tmp_path):
    config = tmp_path / "exp.json"
    config.write_text(ExperimentSettings(dataset="linear", dataset_options={"n": 50}, steps=9, seed=4).to_json())
    settings = experiment.from_arguments(parse("--config", str(config), "--lr", "0.5", "--option", "noise=0.1"))
    assert settings == ExperimentSettings(dataset="linear", dataset_options={"n": 50, "noise": 0.1}, steps=9,
                                          seed=4, learning_rate=0.5)


def test_flags_for_a_csv_dataset():
    settings = experiment.from_arguments(parse("--dataset", "x.csv", "--target", "label", "--task", "regression",
                                               "--batch-size", "8", "--val-fraction", "0", "--backend", "theano"))
    assert settings.dataset_options == {"target": "label", "task": "regression"}
    assert (settings.batch_size, settings.val_fraction, settings.backend) == (8, 0.0, "theano")


def test_changing_the_dataset_drops_the_config_files_dataset_options(tmp_path):
    config = tmp_path / "exp.json"
    config.write_text(ExperimentSettings(dataset="linear", dataset_options={"n": 50}).to_json())
    settings = experiment.from_arguments(parse("--config", str(config), "--dataset", "iris"))
    assert (settings.dataset, settings.dataset_options) == ("iris", {})


def test_flags_are_validated():
    with pytest.raises(ValueError, match="learning_rate must be a positive number"):
        experiment.from_arguments(parse("--lr", "0"))
    with pytest.raises(ValueError, match="--option must look like KEY=VALUE, got 'noise'"):
        experiment.from_arguments(parse("--option", "noise"))


@pytest.mark.parametrize("field, value, becomes", [
    ("learning_rate", 1e-50, "0"), ("l2", 1e-50, "0"), ("momentum", 0.99999999999, "1"),
    ("beta_2", 0.99999999999, "1"), ("beta_1", 1e-50, "0"), ("epsilon", 1e-50, "0"), ("epsilon", 1e39, "inf"),
    ("drop", 1e-50, "0")])
def test_a_value_float32_turns_into_0_1_or_inf_is_one_line(field, value, becomes):
    """The engines compute in float32: --lr 1e-50 trained at rate 0, --beta-2 0.99999999999 (1.0) made Adam's
    steps 0, both silently."""
    optimizer = {"momentum": "sgd", "drop": "sgd"}.get(field, "adam")
    settings = ExperimentSettings(optimizer=optimizer, schedule="step" if field == "drop" else "constant")
    with pytest.raises(ValueError, match=re.escape(f"{field} {value!r} is {becomes} in float32, the engines' type")):
        settings.replace(**{field: value}).validate()


@pytest.mark.parametrize("flags, given", [
    (("--option", "n=50", "--option", "n=60"), "n is given twice (--option n=50 and --option n=60)"),
    (("--noise", "0.1", "--option", "noise=0.2"), "noise is given twice (--noise 0.1 and --option noise=0.2)")])
def test_a_dataset_option_given_twice_is_one_line_not_the_last_one_silently(flags, given):
    with pytest.raises(ValueError, match=re.escape(f"dataset option {given}: give it once")):
        experiment.from_arguments(parse("--dataset", "linear", *flags))
    settings = experiment.from_arguments(parse("--dataset", "linear", "--noise", "0.1", "--option", "n=50"))
    assert settings.dataset_options == {"noise": 0.1, "n": 50}


def test_resolved_model_follows_the_task():
    assert ExperimentSettings().resolved_model("classification") == "softmax"
    assert ExperimentSettings().resolved_model("regression") == "linear"
    assert ExperimentSettings(model="linear").resolved_model("classification") == "linear"


@pytest.mark.parametrize("changes, message", [
    ({"steps": 3_000_000_000}, r"steps must be at most 10,000,000, got 3,000,000,000"),
    ({"steps": experiment.MAX_STEPS + 1}, r"steps must be at most 10,000,000, got 10,000,001"),
    ({"seed": 2**32}, r"seed must be at most 4,294,967,295, got 4,294,967,296"),
    ({"seed": 2**63}, r"seed must be at most 4,294,967,295"),
    ({"batch_size": 2**31}, r"batch_size must be at most 2,147,483,647, got 2,147,483,648"),
    ({"steps": 2.5}, r"steps must be an integer, got 2\.5"),
])
def test_every_field_is_bounded(changes, message):
    with pytest.raises(ValueError, match=message):
        ExperimentSettings(**changes).validate()


def test_the_bounds_themselves_are_accepted():
    ExperimentSettings(steps=experiment.MAX_STEPS, seed=experiment.MAX_SEED, batch_size=experiment.MAX_BATCH_SIZE,
                       learning_rate=1e30).validate()
    ExperimentSettings(steps=1_000_001).validate()  # the window once clamped this to 1,000,000


@pytest.mark.parametrize("engine", ["tensorflow", "theano"])
def test_the_largest_seed_trains(engine):
    settings = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"n": 50}, steps=2,
                                  batch_size=8, seed=experiment.MAX_SEED)
    assert Trainer(settings).run().status == "finished"


@pytest.mark.parametrize("flags", [["--steps", "3000000000"], ["--seed", "4294967296"],
                                   ["--batch-size", "99999999999"]])
def test_large_values_from_flags_and_config_files_are_one_line(tmp_path, flags):
    with pytest.raises(ValueError, match="must be at most"):
        experiment.from_arguments(parse(*flags))
    config = tmp_path / "exp.json"
    config.write_text(json.dumps({flags[0][2:].replace("-", "_"): int(flags[1])}))
    with pytest.raises(ValueError, match="must be at most"):
        experiment.from_arguments(parse("--config", str(config)))


@pytest.mark.parametrize("changes, message", [
    ({"hidden": (8,)}, "hidden layers need model mlp, not auto"),
    ({"model": "softmax", "activation": "tanh"}, "activation applies to model mlp only, not softmax"),
    ({"model": "mlp", "activation": "gelu"}, "activation must be one of relu, tanh, sigmoid, linear, got 'gelu'"),
    ({"model": "mlp", "hidden": (8, 8, 8, 8, 8)}, "hidden takes at most 4 layers, got 5: 8,8,8,8,8"),
    ({"model": "mlp", "hidden": (8, 0)}, "each hidden layer needs 1 to 4096 neurons, got 0"),
    ({"optimizer": "nadam"}, "optimizer must be one of sgd, rmsprop, adagrad, adam, got 'nadam'"),
    ({"optimizer": "adam", "momentum": 0.9}, "momentum applies to the sgd optimizer only, not adam"),
    ({"nesterov": True}, "nesterov needs a momentum above 0"),
    ({"momentum": 1.5}, r"momentum must be in \[0, 1\), got 1.5"),
    ({"optimizer": "rmsprop", "rho": 1.0}, r"rho must be between 0 and 1 \(exclusive\), got 1.0"),
    ({"optimizer": "adagrad", "beta_2": 0.5}, "beta_2 applies to the adam optimizer only, not adagrad"),
    ({"optimizer": "adam", "epsilon": -1.0}, "epsilon must be a positive number, got -1.0"),
    ({"l2": -0.1}, "l2 must be a non-negative number, got -0.1"),
    ({"l1": float("nan")}, "l1 must be a non-negative number, got nan"),
    ({"epochs": 0}, r"epochs must be at least 1 \(or null to count steps\), got 0"),
    ({"epochs": 10_000_001}, "epochs must be at most 10,000,000, got 10,000,001"),
])
def test_each_bad_combination_of_the_new_fields_is_one_line(changes, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        ExperimentSettings(**changes).validate()


def test_new_fields_round_trip_through_json():
    settings = ExperimentSettings(model="mlp", hidden=[16, 8], activation="tanh", optimizer="sgd", momentum=0.9,
                                  nesterov=True, l2=1e-4, epochs=3, batch_size=16)
    settings.validate()
    assert json.loads(settings.to_json())["hidden"] == [16, 8]
    assert ExperimentSettings.from_json(settings.to_json()) == settings
    assert ExperimentSettings.from_dict({"hidden": "64, 32", "model": "mlp"}).hidden == (64, 32)


@pytest.mark.parametrize("data, message", [
    ({"hidden": [64, "x"]}, r"hidden must be a list of layer widths like \[64, 32\], got \[64, 'x'\]"),
    ({"hidden": "64;32"}, "hidden must be layer widths like 64,32, got '64;32'"),
    ({"nesterov": 1}, "nesterov must be true or false, got 1"),
    ({"momentum": "high"}, "momentum must be a number, got 'high'"),
    ({"epochs": 2.5}, "epochs must be an integer, got 2.5"),
])
def test_from_dict_rejects_badly_typed_new_fields(data, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        ExperimentSettings.from_dict(data)


def test_experiment_files_from_before_the_new_fields_load_as_sgd_on_their_model():
    old = {"backend": "theano", "dataset": "iris", "dataset_options": {}, "model": "softmax", "learning_rate": 0.1,
           "steps": 50, "batch_size": None, "val_fraction": 0.2, "seed": 3}
    settings = ExperimentSettings.from_dict(old)
    settings.validate()
    assert settings.optimizer_config().describe() == "sgd"
    assert (settings.model, settings.hidden, settings.l2, settings.l1, settings.epochs) == ("softmax", (), 0.0, 0.0,
                                                                                          None)


def test_flags_for_an_mlp_with_adam():
    settings = experiment.from_arguments(parse("--dataset", "iris", "--model", "mlp", "--hidden", "64,32",
                                               "--activation", "tanh", "--optimizer", "adam", "--beta-2", "0.99",
                                               "--l2", "1e-4", "--epochs", "3", "--batch-size", "16",
                                               "--l1", "2e-5"))
    assert (settings.model, settings.hidden, settings.activation) == ("mlp", (64, 32), "tanh")
    assert (settings.optimizer, settings.beta_2, settings.l2, settings.epochs) == ("adam", 0.99, 1e-4, 3)
    assert settings.l1 == 2e-5 and "l1 2e-05 · l2 0.0001" in settings.describe_model("classification")
    assert experiment.from_arguments(parse("--momentum", "0.9", "--nesterov")).optimizer_config().describe() == \
        "sgd (momentum 0.9, nesterov)"
    assert experiment.from_arguments(parse("--dataset", "linear", "--noise", "0.1")).dataset_options == \
        {"noise": 0.1}


def test_switching_model_or_optimizer_drops_what_only_the_old_one_used(tmp_path):
    config = tmp_path / "exp.json"
    config.write_text(ExperimentSettings(dataset="iris", model="mlp", hidden=(8,), activation="tanh",
                                         momentum=0.9, nesterov=True, epochs=4).to_json())
    settings = experiment.from_arguments(parse("--config", str(config), "--model", "softmax", "--optimizer", "adam",
                                               "--steps", "7"))
    assert (settings.hidden, settings.activation, settings.momentum, settings.nesterov) == ((), "relu", 0.0, False)
    assert (settings.steps, settings.epochs) == (7, None)


def test_bad_hidden_flag_and_steps_with_epochs_are_usage_errors(capsys):
    for flags in (["--hidden", "a,b"], ["--steps", "5", "--epochs", "2"]):
        with pytest.raises(SystemExit):
            parse(*flags)
    assert "hidden must be layer widths like 64,32, got 'a,b'" in capsys.readouterr().err


def test_planned_steps_count_full_batches_per_epoch():
    assert ExperimentSettings(steps=9).planned_steps(100) == 9
    assert ExperimentSettings(epochs=3).planned_steps(100) == 3
    assert ExperimentSettings(epochs=3, batch_size=32).planned_steps(100) == 9


def test_describe_model():
    assert ExperimentSettings().describe_model("classification") == "softmax · sgd"
    assert ExperimentSettings(model="mlp", hidden=(64, 32), l2=1e-4, optimizer="adam").describe_model(
        "regression") == "mlp 64,32 relu · l2 0.0001 · adam (beta_1 0.9, beta_2 0.999, epsilon 1e-07)"


@pytest.mark.parametrize("model", ["softmax", "auto"])
def test_a_config_files_hidden_layers_on_another_model_are_refused_as_the_window_does(tmp_path, model):
    config = tmp_path / "exp.json"
    config.write_text(json.dumps({"dataset": "iris", "model": model, "hidden": [8]}))
    with pytest.raises(ValueError, match=f"hidden layers need model mlp, not {model}"):
        experiment.from_arguments(parse("--config", str(config)))
    with pytest.raises(ValueError, match=f"hidden layers need model mlp, not {model}"):
        ExperimentSettings.load(config).validate()   # what the window's Open Experiment does
    assert experiment.from_arguments(parse("--config", str(config), "--model", "mlp")).hidden == (8,)


@pytest.mark.parametrize("depth", [40, 900, 5000])
def test_experiment_json_nested_deeply_is_one_line(tmp_path, depth):
    path = tmp_path / "deep.json"
    path.write_text('{"dataset_options": {"x": ' + "[" * depth + "]" * depth + "}}")
    with pytest.raises(ValueError, match=rf"^{path}: experiment settings: nested too deeply \(more than 32 levels"):
        ExperimentSettings.load(path)
    with pytest.raises(ValueError, match="nested too deeply"):
        ExperimentSettings.from_json(path.read_text())


@pytest.mark.parametrize("flags", [["--lr", "1e39"], ["--lr", "3.5e38"], ["--l2", "1e39"]])
def test_values_beyond_float32_are_refused_before_any_engine_sees_them(flags, recwarn):
    with pytest.raises(ValueError, match=r"must be at most 3\.403e\+38 \(the largest float32\)"):
        experiment.from_arguments(parse(*flags))
    assert not recwarn.list   # NumPy's "overflow encountered in cast" never comes first
    assert experiment.from_arguments(parse("--lr", "3e38")).learning_rate == 3e38


def test_usable_settings_keep_what_this_version_can_use_and_name_the_rest():
    saved = ExperimentSettings.from_dict({"backend": "cntk", "dataset": "iris", "model": "mlp", "hidden": [8],
                                          "activation": "swish", "optimizer": "lion", "steps": 2**31,
                                          "learning_rate": 0.3, "seed": 7})
    settings, problems = experiment.usable_settings(saved)
    assert [problem.field for problem in problems] == ["backend", "activation", "optimizer", "steps"]
    assert "unknown backend 'cntk'" in str(problems[0])
    assert "'swish'" in str(problems[1]) and "'lion'" in str(problems[2])
    assert "steps must be at most 10,000,000, got 2,147,483,648" == str(problems[3])
    assert settings == ExperimentSettings(dataset="iris", model="mlp", hidden=(8,), learning_rate=0.3, seed=7)
    assert experiment.usable_settings(settings) == (settings, [])


def test_an_unknown_dataset_drops_its_options_too():
    settings, problems = experiment.usable_settings(ExperimentSettings(dataset="mnist", dataset_options={"k": 1}))
    assert settings == ExperimentSettings() and [p.field for p in problems] == ["dataset"]


@pytest.mark.parametrize("text", ['{"optimizer": "lion"}', '{"activation": "swish", "model": "mlp"}',
                                  '{"backend": "cntk"}'])
def test_a_config_with_an_unknown_engine_optimizer_or_activation_is_one_line(tmp_path, capsys, text):
    from kgui import cli

    config = tmp_path / "exp.json"
    config.write_text(text)
    code = cli.main(["run", "--config", str(config), "--runs-dir", str(tmp_path / "runs")])
    out, err = capsys.readouterr()
    assert code == 1 and err.count("\n") == 1 and err.startswith("kgui: error: ")
    assert next(iter(json.loads(text).values())) in err and not (tmp_path / "runs").exists()


def test_config_takes_a_saved_runs_run_json_and_names_a_sweep_file(tmp_path):
    """A run.json was "unknown setting(s) 'created', 'dataset_info', …", a sweep file "unknown setting(s) 'axes', …"."""
    from kgui.core.runs import RunRecord

    settings = ExperimentSettings(dataset="linear", learning_rate=0.3, steps=7)
    run_file = tmp_path / "run.json"
    run_file.write_text(json.dumps(RunRecord.new(settings, "a run").to_dict()))
    assert experiment.from_arguments(parse("--config", str(run_file))) == settings
    sweep_file = tmp_path / "sweep.json"
    sweep_file.write_text(json.dumps({"experiment": settings.to_dict(), "axes": []}))
    with pytest.raises(ValueError, match=re.escape(f"{sweep_file}: this is a sweep (kgui sweep --config takes it)")):
        experiment.from_arguments(parse("--config", str(sweep_file)))
    exported = tmp_path / "history.json"     # kgui run --export history.json: "unknown setting(s) 'runs'"
    exported.write_text(json.dumps({"runs": [RunRecord.new(settings, "a run").to_dict(with_history=True)]}))
    assert experiment.from_arguments(parse("--config", str(exported))) == settings
    exported.write_text(json.dumps({"runs": [RunRecord.new(settings, "a run").to_dict(with_history=True)] * 2}))
    with pytest.raises(ValueError, match=re.escape(f"{exported}: this is an export of 2 runs, not one experiment's")):
        experiment.from_arguments(parse("--config", str(exported)))
