"""``python main.py`` as a user starts it: a real X window under Xvfb trains a short run and saves a screenshot."""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PyQt6.QtGui import QImage

from kgui.core.runs import RunStore
from ui_support import ROOT

XVFB = ["xvfb-run", "-a", "-s", "-screen 0 1400x900x24"]


def window_env(tmp_path):
    """The real X platform (not the tests' offscreen one); runs and remembered state kept in ``tmp_path``."""
    env = {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"}
    env.update(KGUI_RUNS_DIR=str(tmp_path / "runs"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return env


def pixels(path) -> np.ndarray:
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    assert not image.isNull(), path
    data = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), dtype=np.uint8)
    rows = data.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 4]
    return rows.reshape(image.height(), image.width(), 4)[..., 2::-1]   # BGRA in memory -> RGB


def blue_pixels(rgb: np.ndarray) -> int:
    """Pixels of the first run's blue (loss_plot.PALETTE[0], #1f77b4), antialiased against white included."""
    rgb = rgb.astype(int)
    return int(((rgb[..., 2] - rgb[..., 0] >= 40) & (rgb[..., 2] >= rgb[..., 1])).sum())


def open_window(tmp_path, shot, *flags):
    result = subprocess.run([*XVFB, sys.executable, "main.py", "open", "--dataset", "linear", "--lr", "0.3",
                             "--steps", "80", *flags, "--screenshot", str(shot)],
                            cwd=ROOT, env=window_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (Debian package xvfb)")
def test_main_py_trains_in_a_real_window_and_saves_a_screenshot(tmp_path):
    shot, before = tmp_path / "window.png", tmp_path / "before.png"
    open_window(tmp_path, shot, "--start")
    open_window(tmp_path / "untrained", before)

    runs = RunStore(tmp_path / "runs").list(with_history=True)
    assert [(run.status, len(run.history), run.settings.learning_rate) for run in runs] == [("finished", 80, 0.3)]

    rgb = pixels(shot)
    height, width, _ = rgb.shape
    assert width >= 1000 and height >= 600                      # the whole window, not a widget
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50      # text, plots and controls, not a blank frame
    assert blue_pixels(rgb) > blue_pixels(pixels(before)) + 1500   # the loss curves (and run's row) were drawn


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (Debian package xvfb)")
def test_open_with_a_bad_experiment_is_one_line_and_no_window(tmp_path):
    bad = tmp_path / "experiment.json"
    bad.write_text('{"learning_rate": "fast"}', encoding="utf-8")
    result = subprocess.run([*XVFB, sys.executable, "main.py", "open", "--config", str(bad), "--start",
                             "--screenshot", str(tmp_path / "never.png")],
                            cwd=ROOT, env=window_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("kgui: error: ") and "learning_rate" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "never.png").exists()
