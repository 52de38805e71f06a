"""The shipped notebook, resources/notebooks/keras_backend.ipynb, run top to bottom by a real kernel."""
import re

import nbformat
import pytest

import kgui
import kgui.backend
from notebook_support import NOTEBOOKS, OTTO_DATA_DIR, ROOT, execute, text_of

NOTEBOOK = NOTEBOOKS / "keras_backend.ipynb"


def run_notebook(tmp_path, engine: str, data_dir) -> str:
    """The text every cell output, on ``engine`` as the default backend."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    env = {"KGUI_BACKEND": engine, "KGUI_RUNS_DIR": str(tmp_path / "runs"), "KGUI_DATA_DIR": str(data_dir)}
    execute(notebook, tmp_path, env)
    return "\n".join(text_of(cell) for cell in notebook.cells if cell.cell_type == "code")


def largest_differences(text: str) -> tuple[float, float]:
    found = re.search(r"no difference: largest \|loss difference\| over all steps: linear (\S+), Otto (\S+) ", text)
    assert found, text
    return float(found[1]), float(found[2])


def test_the_notebook_runs_on_otto(tmp_path):
    """TensorFlow the default engine (the notebook loads every engine itself; Theano as the default: below)."""
    if not (OTTO_DATA_DIR / "kaggle_ottogroup").is_dir():
        pytest.skip(f"no Otto data in {OTTO_DATA_DIR}")
    engine = "tensorflow"
    text = run_notebook(tmp_path, engine, OTTO_DATA_DIR)
    assert f"engine: {engine}" in text
    assert "Loss: 0.000000, w, b: [0.96, 0.24]" in text
    assert "train.csv.gz: 49503 training and 12375 validation rows, 93 features, 9 classes" in text
    assert "synthetic" not in text
    linear, otto = largest_differences(text)
    assert linear <= 1e-6 and otto <= 1e-5
    for info in kgui.backend.available():             # the table of every installed engine
        assert (info.title in text) == info.installed
    explored(tmp_path, engine, text)


def explored(tmp_path, engine: str, text: str) -> None:
    """The learning-rate cell's run is in the store the notebook's kgui.runs() showed."""
    runs = kgui.runs(tmp_path / "runs")
    assert len(runs) == 1 and runs.index[0] in text
    run = runs.iloc[0]
    assert (run["engine"], run["status"], run["learning_rate"], run["steps_taken"]) == (engine, "finished", 0.05, 400)


def test_without_otto_it_says_so_and_uses_the_sample(tmp_path):
    """Theano the default engine (above: TensorFlow, on Otto)."""
    if (ROOT / "data" / "kaggle_ottogroup").is_dir():
        pytest.skip("Otto is in the project's data folder")
    text = run_notebook(tmp_path, "theano", tmp_path / "no data here")
    assert "engine: theano" in text
    assert text.count("Otto's train.csv is not in the data folders: using the synthetic sample otto_sample.csv") == 1
    assert "otto_sample.csv: 360 training and 90 validation rows, 93 features, 9 classes" in text
    assert "Loss: 0.000000, w, b: [0.96, 0.24]" in text
    linear, otto = largest_differences(text)
    assert linear <= 1e-6 and otto <= 1e-5
    explored(tmp_path, "theano", text)
