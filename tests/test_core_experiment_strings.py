"""``kgui:`` experiment strings: every field of the experiment and the classroom round-trip, a damaged string is one
line, nothing but JSON is ever read; the CLI runs and opens them; classroom files and flags."""
import base64
import dataclasses
import json
import pickle
import zlib

import pytest

from kgui import cli
from kgui.core.experiment import experiment_strings
from kgui.core.experiment.classroom import CONTROLS, Classroom
from kgui.core.runs import RunStore
from kgui.core.experiment.settings import ExperimentSettings

# Between them, every field differs from its default (the optimizers' and schedules' own fields exclude each other).
EXAMPLES = [
    ExperimentSettings(backend="theano", dataset="spiral", dataset_options={"noise": 0.25, "n": 300}, model="mlp",
                       learning_rate=0.0301, steps=77, batch_size=16, val_fraction=0.35, seed=12345,
                       hidden=(8, 4), activation="tanh", optimizer="sgd", momentum=0.9, nesterov=True, l2=1e-4,
                       l1=2.5e-5, epochs=3, schedule="step", decay=0.001, drop=0.25, every=30,
                       features=("x1", "x2", "sin_x1"), data_seed=99),
    ExperimentSettings(dataset="iris", optimizer="adam", beta_1=0.8, beta_2=0.99, epsilon=1e-6,
                       schedule="onecycle", learning_rate=0.001, max_lr=0.05),
    ExperimentSettings(dataset="wine", optimizer="rmsprop", rho=0.8, schedule="cosine", polynomial_degree=2),
]


def payload(text):
    body = text[len("kgui:1."):]
    return json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


def test_the_examples_change_every_field():
    defaults = ExperimentSettings()
    changed = {f.name for settings in EXAMPLES for f in dataclasses.fields(settings)
               if getattr(settings, f.name) != getattr(defaults, f.name)}
    assert changed == {f.name for f in dataclasses.fields(ExperimentSettings)}


@pytest.mark.parametrize("settings", EXAMPLES)
def test_every_field_round_trips_and_matches_the_json(settings):
    settings.validate()
    text = experiment_strings.encode(settings)
    assert text.startswith("kgui:1.") and "\n" not in text and "=" not in text
    decoded, classroom = experiment_strings.decode(text)
    assert decoded == settings and not classroom
    assert decoded.to_dict() == settings.to_dict() == ExperimentSettings.from_json(settings.to_json()).to_dict()
    assert experiment_strings.decode("  " + text[:20] + "\n" + text[20:] + " ")[0] == settings   # mail line breaks


def test_only_non_default_fields_are_stored_so_strings_are_short():
    text = experiment_strings.encode(ExperimentSettings(learning_rate=0.5))
    assert payload(text) == {"experiment": {"learning_rate": 0.5}}
    assert len(text) < 80
    assert experiment_strings.decode(experiment_strings.encode(ExperimentSettings()))[0] == ExperimentSettings()


def test_the_classroom_round_trips():
    classroom = Classroom(hide={"optimizer", "engine"}, lock={"dataset"})
    text = experiment_strings.encode(EXAMPLES[1], classroom)
    assert payload(text)["classroom"] == {"hide": ["engine", "optimizer"], "lock": ["dataset"]}
    assert experiment_strings.decode(text) == (EXAMPLES[1], classroom)


def pack(data: bytes) -> str:
    return "kgui:1." + base64.urlsafe_b64encode(zlib.compress(data)).decode().rstrip("=")


GOOD = experiment_strings.encode(EXAMPLES[0])


@pytest.mark.parametrize("text, message", [
    ("kgiu:1.abc", "not a kgui experiment string: it must start with 'kgui:'"),
    ("kgui:7.abcd", r"damaged kgui string: unknown version '7' \(this kgui reads kgui:1.…\)"),
    ("kgui:abcd", r"damaged kgui string: unknown version 'abcd' \(this kgui reads kgui:1.…\)"),
    (GOOD[:-9], r"damaged kgui string: .*"),
    (GOOD[:12] + "A" + GOOD[13:], r"damaged kgui string: .*"),
    ("kgui:1.abc", r"damaged kgui string: .*"),
    (pack(b"\xff\xfe"), r"damaged kgui string: not JSON inside"),
    (pack(pickle.dumps({"experiment": {}})), r"damaged kgui string: not JSON inside"),
    (pack(b"[1, 2]"), "damaged kgui string: it holds no experiment"),
    (pack(b'{"experiment": {"learning_rate": -1}}'), "kgui string: learning_rate must be a positive number, got -1.0"),
    (pack(b'{"experiment": {"speed": 1}}'), "kgui string: unknown setting.*"),
    (pack(b'{"experiment": {}, "classroom": {"hide": ["everything"]}}'), "kgui string: cannot hide 'everything'.*"),
    (pack(b" " * 2_000_000), "damaged kgui string: it inflates to more than 1,000,000 bytes"),
    ("kgui:1." + "A" * 100_001, "damaged kgui string: longer than 100,000 characters"),
])
def test_a_damaged_string_is_one_line(text, message):
    with pytest.raises(ValueError, match=f"^{message}$") as error:
        experiment_strings.decode(text)
    assert "\n" not in str(error.value)


def test_run_takes_a_string_as_its_config(capsys, tmp_path):
    text = experiment_strings.encode(ExperimentSettings(dataset="linear", dataset_options={"n": 50},
                                                        learning_rate=0.4, steps=3))
    code = cli.main(["run", "--config", text, "--steps", "4", "--runs-dir", str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    [saved] = RunStore(tmp_path).list(with_history=True)
    assert (saved.settings.learning_rate, len(saved.history), saved.settings.dataset_options) == (0.4, 4, {"n": 50})


@pytest.mark.parametrize("args, message", [
    (["open", "kgui:1.broken"], "kgui: error: damaged kgui string: "),
    (["run", "--config", "kgui:2.x"], "kgui: error: damaged kgui string: unknown version '2'"),
    (["open", "--hide", "optimizer,teacher"], "kgui: error: argument --hide: cannot hide 'teacher': the controls"),
])
def test_bad_strings_and_controls_are_one_line_on_the_command_line(capsys, args, message):
    try:
        code = cli.main(args)
    except SystemExit as exit:   # a bad command line: argparse's exit 2
        code = exit.code
    err = capsys.readouterr().err
    assert code in (1, 2) and err.startswith(message) and err.count("\n") == 1


def test_classroom_files_and_flags(tmp_path):
    path = tmp_path / "class.json"
    path.write_text('{"hide": ["optimizer", "engine"], "lock": ["dataset"]}')
    classroom = Classroom.load(path)
    assert classroom == Classroom({"optimizer", "engine"}, {"dataset"})
    assert classroom.locked_fields() == ("dataset", "dataset_options")
    path.write_text('{"hide": "optimizer"}')
    with pytest.raises(ValueError, match="the classroom's hide must be a list of control names$"):
        Classroom.load(path)
    assert set(CONTROLS) >= {"optimizer", "engine", "dataset", "learning_rate", "start", "show_test_data"}
