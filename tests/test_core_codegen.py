"""The code behind a run: the exported K-API script prints the run's losses (within 1e-6) and needs nothing of kgui
but kgui.backend."""
import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from kgui.cli.console import notebook_line
from kgui.core.experiment.codegen import experiment_script, write_script
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
OTTO = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup"))
ENGINES = ["tensorflow", "theano"]
PRINTED = {"rel": 1e-5, "abs": 1e-6}   # losses are printed with 6 significant digits

EXPERIMENTS = {
    "linear-sgd": ExperimentSettings(dataset="linear", dataset_options={"n": 200, "noise": 0.05}, learning_rate=0.5,
                                     steps=45),
    "iris-mlp-adam-l2-batches": ExperimentSettings(dataset="iris", model="mlp", hidden=(8, 4), activation="tanh",
                                                   optimizer="adam", learning_rate=0.01, l2=1e-3, batch_size=16,
                                                   epochs=4),
    "diabetes-mlp-rmsprop": ExperimentSettings(dataset="diabetes", model="mlp", hidden=(6,), activation="sigmoid",
                                               optimizer="rmsprop", learning_rate=0.05, steps=25),
    "wine-nesterov": ExperimentSettings(dataset="wine", optimizer="sgd", momentum=0.9, nesterov=True,
                                        learning_rate=0.05, steps=21, val_fraction=0.3, seed=4, l1=1e-3),
    "spiral-mlp-adam": ExperimentSettings(dataset="spiral", dataset_options={"noise": 0.2, "n": 200}, model="mlp",
                                          hidden=(8, 8), activation="relu", optimizer="adam", learning_rate=0.03,
                                          steps=41, batch_size=32),
    "multi-gaussian-mlp-sgd": ExperimentSettings(dataset="multi-gaussian", dataset_options={"n": 300}, model="mlp",
                                                 hidden=(6,), activation="tanh", learning_rate=0.1, steps=21),
    "linear-onecycle-decay": ExperimentSettings(dataset="linear", dataset_options={"n": 200, "noise": 0.05},
                                                learning_rate=0.1, steps=45, schedule="onecycle", max_lr=0.9,
                                                decay=0.01),
    "iris-mlp-adam-cosine": ExperimentSettings(dataset="iris", model="mlp", hidden=(8,), optimizer="adam",
                                               learning_rate=0.02, steps=41, schedule="cosine"),
    "spiral-mlp-momentum-step": ExperimentSettings(dataset="spiral", dataset_options={"n": 200}, model="mlp",
                                                   hidden=(8,), activation="tanh", optimizer="sgd", momentum=0.9,
                                                   learning_rate=0.1, steps=41, schedule="step", drop=0.5, every=10,
                                                   batch_size=32),
    "spiral-features-data-seed": ExperimentSettings(dataset="spiral", dataset_options={"n": 200, "noise": 0.1},
                                                    model="mlp", hidden=(6,), activation="tanh", optimizer="adam",
                                                    learning_rate=0.03, steps=41, data_seed=11,
                                                    features=("x1", "x2", "x1_squared", "x2_squared", "x1x2",
                                                              "sin_x1", "sin_x2")),
    "wine-polynomial": ExperimentSettings(dataset="wine", polynomial_degree=2, learning_rate=0.05, steps=21),
    "breast-cancer-adagrad": ExperimentSettings(dataset="breast_cancer", optimizer="adagrad", learning_rate=0.1,
                                                steps=21, batch_size=64),
}


def printed_losses(text):
    return [float(match) for match in re.findall(r"^Loss: ([-0-9.e+naif]+)", text, re.MULTILINE)]


def expected_losses(record):
    total = len(record.history)
    return [s.train_loss for s in record.history if (s.step - 1) % 20 == 0 or s.step == total]


def trained(settings):
    trainer = Trainer(settings)
    record = trainer.run()
    assert record.status == "finished", record.message
    return trainer


def test_script_imports_nothing_of_kgui_but_the_backend():
    trainer = trained(EXPERIMENTS["iris-mlp-adam-l2-batches"].replace(epochs=None, steps=2))
    script = experiment_script(trainer.settings, trainer.dataset)
    imported = [node for node in ast.walk(ast.parse(script)) if isinstance(node, (ast.Import, ast.ImportFrom))]
    modules = {alias.name for node in imported if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in imported if isinstance(node, ast.ImportFrom)}
    assert {m for m in modules if m.startswith("kgui")} == {"kgui.backend"}
    assert "K.function(inputs=[X, Y], outputs=[loss], updates=updates" in script


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_exported_script_prints_the_runs_losses(name, monkeypatch, capsys, tmp_path):
    trainer = trained(EXPERIMENTS[name])
    path = write_script(tmp_path / "experiment.py", experiment_script(trainer.settings, trainer.dataset))
    monkeypatch.setenv("KGUI_BACKEND", trainer.settings.backend)
    runpy.run_path(str(path), run_name="__main__")
    got = printed_losses(capsys.readouterr().out)
    assert got == pytest.approx(expected_losses(trainer.record), **PRINTED)
    assert len(got) == len(expected_losses(trainer.record)) >= 2


def test_exported_script_runs_standalone_on_theano_with_the_runs_rate_changes(tmp_path):
    settings = ExperimentSettings(backend="theano", dataset="linear", dataset_options={"n": 100}, learning_rate=0.5,
                                  steps=41)
    trainer = Trainer(settings)
    trainer.prepare()
    for step in range(41):
        if step == 10:
            trainer.set_learning_rate(0.05)
        trainer.step()
    script = experiment_script(settings, trainer.dataset, lr_changes=trainer.record.lr_changes)
    path = write_script(tmp_path / "exercise.py", script)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KGUI_BACKEND", None)
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert printed_losses(result.stdout) == pytest.approx(expected_losses(trainer.record), **PRINTED)
    assert re.search(r"^Loss: \S+, w, b: \[0\.\d\d, 0\.\d\d\]$", result.stdout, re.MULTILINE)
    total = len(trainer.record.history)   # the very lines kgui run prints for the run, in one format
    assert [line for line in result.stdout.splitlines() if line.startswith("Loss: ")] == [
        notebook_line(s) for s in trainer.record.history if (s.step - 1) % 20 == 0 or s.step == total]


def test_exported_script_replays_a_scheduled_runs_base_rate_changes(monkeypatch, capsys, tmp_path):
    settings = ExperimentSettings(dataset="linear", dataset_options={"n": 100}, learning_rate=0.3, steps=41,
                                  schedule="cosine", decay=0.02)
    trainer = Trainer(settings)
    trainer.prepare()
    for step in range(41):
        if step == 10:
            trainer.set_learning_rate(0.1)
        trainer.step()
    path = write_script(tmp_path / "scheduled.py", experiment_script(settings, trainer.dataset,
                                                                     lr_changes=trainer.record.lr_changes))
    monkeypatch.setenv("KGUI_BACKEND", settings.backend)
    runpy.run_path(str(path), run_name="__main__")
    assert printed_losses(capsys.readouterr().out) == pytest.approx(expected_losses(trainer.record), **PRINTED)


@pytest.mark.skipif(not OTTO.is_dir(), reason="Otto data not available")
def test_otto_script_reads_the_file_and_matches(monkeypatch, capsys, tmp_path):
    settings = ExperimentSettings(dataset="otto", dataset_options={"path": str(OTTO)}, optimizer="sgd",
                                  momentum=0.5, learning_rate=0.05, steps=3, batch_size=512)
    trainer = trained(settings)
    path = write_script(tmp_path / "otto.py", experiment_script(settings, trainer.dataset))
    monkeypatch.setenv("KGUI_BACKEND", "tensorflow")
    runpy.run_path(str(path), run_name="__main__")
    assert printed_losses(capsys.readouterr().out) == pytest.approx(expected_losses(trainer.record), **PRINTED)


def test_csv_script_matches(monkeypatch, capsys, tmp_path):
    csv = tmp_path / "houses.csv"
    rows = [f"{i % 7},{(i * 13) % 11},{'big' if i % 3 else 'small'}" for i in range(60)]
    csv.write_text("rooms, floor ,size\n" + "\n".join(rows) + "\n")
    settings = ExperimentSettings(dataset=str(csv), optimizer="adam", learning_rate=0.1, steps=21)
    trainer = trained(settings)
    path = write_script(tmp_path / "houses.py", experiment_script(settings, trainer.dataset))
    monkeypatch.setenv("KGUI_BACKEND", "tensorflow")
    runpy.run_path(str(path), run_name="__main__")
    assert printed_losses(capsys.readouterr().out) == pytest.approx(expected_losses(trainer.record), **PRINTED)


def test_csv_script_reads_the_data_exactly_as_kgui_did(monkeypatch, capsys, tmp_path):
    """A header after blank lines, and labels that differ only by surrounding spaces (one class to kgui)."""
    csv = tmp_path / "pets.csv"
    labels = ["cat", "cat  ", " dog", "dog "]
    rows = [f"{i % 7},{(i * 13) % 11} ,{labels[i % 4]}" for i in range(60)]
    csv.write_text("\n\r\n\nweight,age ,kind\n" + "\n".join(rows) + "\n")
    settings = ExperimentSettings(dataset=str(csv), learning_rate=0.1, steps=21)
    trainer = trained(settings)
    assert trainer.dataset.class_names == ("cat", "dog")
    path = write_script(tmp_path / "pets.py", experiment_script(settings, trainer.dataset))
    monkeypatch.setenv("KGUI_BACKEND", "tensorflow")
    runpy.run_path(str(path), run_name="__main__")
    assert printed_losses(capsys.readouterr().out) == pytest.approx(expected_losses(trainer.record), **PRINTED)


def test_csv_script_with_polynomial_features_matches(monkeypatch, capsys, tmp_path):
    csv = tmp_path / "houses.csv"
    rows = [f"{i % 7},{(i * 13) % 11},{(i * 5) % 3},{(i % 7) * 0.5 + (i * 13) % 11}" for i in range(60)]
    csv.write_text("rooms,floor,age,price\n" + "\n".join(rows) + "\n")
    settings = ExperimentSettings(dataset=str(csv), polynomial_degree=2, learning_rate=0.05, steps=21)
    trainer = trained(settings)
    assert trainer.dataset.n_features == 9
    path = write_script(tmp_path / "houses.py", experiment_script(settings, trainer.dataset))
    monkeypatch.setenv("KGUI_BACKEND", "tensorflow")
    runpy.run_path(str(path), run_name="__main__")
    assert printed_losses(capsys.readouterr().out) == pytest.approx(expected_losses(trainer.record), abs=1e-6,
                                                                     rel=1e-6)


def test_script_must_be_a_py_file(tmp_path):
    with pytest.raises(ValueError, match="a script must be written to a .py file"):
        write_script(tmp_path / "x.txt", "")
