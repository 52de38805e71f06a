"""Export: CSV/JSON re-read to the same numbers; PNG and SVG files that really are PNG and SVG."""
import csv
import json
import math
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest

from kgui.core.exports import export
from kgui.core.runs import RunRecord, StepRecord
from kgui.core.experiment.settings import ExperimentSettings

ROOT = Path(__file__).resolve().parents[1]


def record(name, losses, lr_changes=(), accuracy=True):
    run = RunRecord.new(ExperimentSettings(dataset="iris"), name)
    run.lr_changes = list(lr_changes)
    run.history = [StepRecord(i, loss, loss * 1.1, 0.5 + i / 100 if accuracy else None, 0.1, i * 0.01, 1.0)
                   for i, loss in enumerate(losses, start=1)]
    return run


@pytest.fixture
def runs():
    return [record("first", [2.0, 1.0 / 3, 0.1234567891234], [(2, 0.05)]),
            record("second", [3.0, 1e-9, math.nan], accuracy=False)]


def test_csv_is_long_format_with_exact_numbers(runs, tmp_path):
    path = export.export(runs, tmp_path / "history.csv")
    with open(path, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert tuple(rows[0]) == export.CSV_COLUMNS
    assert [row["run"] for row in rows] == [runs[0].id] * 3 + [runs[1].id] * 3
    for row, step in zip(rows, runs[0].history + runs[1].history):
        assert int(row["step"]) == step.step
        for key in ("train_loss", "val_loss", "learning_rate", "elapsed"):
            value = float(row[key])
            assert value == getattr(step, key) or (math.isnan(value) and math.isnan(getattr(step, key)))
        assert row["accuracy"] == ("" if step.accuracy is None else repr(step.accuracy))


def test_json_holds_runs_with_history_and_null_for_nan(runs, tmp_path):
    path = export.export(runs, tmp_path / "history.json")
    data = json.loads(path.read_text())
    first, second = data["runs"]
    assert first["name"] == "first" and first["lr_changes"] == [[2, 0.05]]
    assert [s["train_loss"] for s in first["history"]] == [2.0, 1.0 / 3, 0.1234567891234]
    assert second["history"][2]["train_loss"] is None and second["history"][1]["train_loss"] == 1e-9
    assert first["settings"]["dataset"] == "iris"


def test_png_is_a_png_of_the_figure_size(runs, tmp_path):
    data = export.export(runs, tmp_path / "loss.PNG").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (800, 500) and len(data) > 10_000


def test_svg_parses_and_draws_paths(runs, tmp_path):
    root = ET.parse(export.export(runs, tmp_path / "loss.svg")).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}path")) > 10
    assert "lr 0.05" in (tmp_path / "loss.svg").read_text()


def test_log_scale_when_losses_span_orders_of_magnitude(runs):
    assert export.loss_figure(runs).axes[0].get_yscale() == "log"
    assert export.loss_figure([record("flat", [2.0, 1.5, 1.0])]).axes[0].get_yscale() == "linear"


def test_log_axis_labels_are_plain_text_and_run_names_are_not_math(runs):
    runs[1].name = "$x$ \\alpha"
    with matplotlib.rc_context({"svg.fonttype": "none"}):      # text as <text>, to read it back
        svg = export.plot_bytes(runs, "svg").decode()
    assert "mathdefault" not in svg and "10⁻⁸" in svg, "log ticks shown as raw math"
    assert "$x$ \\alpha (train)" in svg


def test_unknown_extension_and_unwritable_path(runs, tmp_path):
    with pytest.raises(ValueError, match=r"cannot export to .*loss\.gif: unknown extension '\.gif'; use \.csv"):
        export.export(runs, tmp_path / "loss.gif")
    with pytest.raises(ValueError, match=r"unknown extension '\(none\)'"):
        export.export(runs, tmp_path / "loss")
    with pytest.raises(OSError, match=r"cannot write .*no-such-folder/loss\.png: No such file or directory"):
        export.export(runs, tmp_path / "no-such-folder" / "loss.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_plots_never_touch_pyplot_or_qt():
    code = ("import sys; from kgui.core.exports import export; from kgui.core.runs import RunRecord, StepRecord\n"
            "from kgui.core.experiment.settings import ExperimentSettings\n"
            "r = RunRecord.new(ExperimentSettings()); r.history = [StepRecord(1, 1.0, None, None, 0.1, 0.1, 1.0)]\n"
            "export.plot_bytes([r], 'png'); export.plot_bytes([r], 'svg')\n"
            "print(sorted(m for m in sys.modules if m == 'matplotlib.pyplot' or m.startswith('PyQt')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr
