"""Export what is on screen (issue 11: 2, 3, 12): every format from Export (Ctrl+E); the PNG is the widget's own
rendering at twice its size; the SVG is drawn from the plot's state; the range-test tab and the parity panel
export themselves when shown; the parity panel fills row by row and shows |Δloss| per step."""
import csv

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QImage
from PyQt6.QtWidgets import QFileDialog

from kgui.core.training.parity import LOSS_TOLERANCE
from kgui.core.session import RunEnded
from kgui.ui.exporting import PNG_SCALE, panel_state
from ui_support import ENGINES, configure, messages, wait_for_job, train, wait_until_idle, window  # noqa: F401 - fixtures


@pytest.fixture
def save_as(monkeypatch):
    """Answer the save dialog with a path; records (caption, filters) of each dialog shown."""
    asked = []

    def answer(path):
        def dialog(parent, caption, suggested, filters):
            asked.append((caption, filters))
            return str(path), filters.split(";;")[0]
        monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    answer.asked = asked
    return answer


def colour_pixels(image: QImage, colour: str, tolerance: int = 40) -> int:
    """Pixels of ``image`` within ``tolerance`` (per channel) of ``colour``."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    pixels = pixels.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, :image.width(), 2::-1].astype(int)
    target = QColor(colour)
    distance = np.abs(pixels - [target.red(), target.green(), target.blue()]).max(axis=2)
    return int((distance <= tolerance).sum())


def test_export_offers_every_format_in_one_place(qtbot, window, save_as, tmp_path):
    train(qtbot, window, steps=5, n=100)
    save_as(tmp_path / "out.png")
    assert window.commands.export.shortcut().toString() == "Ctrl+E"
    window.commands.export.trigger()
    caption, filters = save_as.asked[-1]
    assert filters.split(";;") == ["PNG image (*.png)", "SVG image (*.svg)", "CSV table (*.csv)",
                                   "JSON file (*.json)"]
    assert caption == "Export the loss plot"
    assert (tmp_path / "out.png").stat().st_size > 1000


def test_exported_png_is_what_the_plot_shows_at_twice_its_size(qtbot, window, save_as, tmp_path):
    hidden = train(qtbot, window, steps=30, rate=0.05)
    shown = [train(qtbot, window, steps=30, rate=rate) for rate in (0.2, 0.5)]
    window.runs_table.set_checked(hidden.id, False)
    window.commands.log_y.setChecked(True)
    window.plot.smoothing_slider.setValue(30)
    window.plot.redraw()
    qtbot.wait(50)
    target = tmp_path / "plot.png"
    save_as(target)
    window.commands.save_plot.trigger()
    image = QImage(str(target))
    layout = window.plot.widget.ci.sceneBoundingRect()
    assert (image.width(), image.height()) == pytest.approx((PNG_SCALE * layout.width(), PNG_SCALE * layout.height()),
                                                           abs=2)
    screen = window.plot.widget.grab()
    assert image.width() / image.height() == pytest.approx(screen.width() / screen.height(), rel=0.02)
    for record in shown:
        assert colour_pixels(image, window.plot.runs[record.id].color) > 100, record.id
    assert colour_pixels(image, window.plot.runs[hidden.id].color, tolerance=10) == 0


def test_svg_is_drawn_from_the_plot_state(qtbot, window, save_as, tmp_path):
    first = train(qtbot, window, steps=30, rate=0.05)
    second = train(qtbot, window, steps=30, rate=0.5)
    window.runs_table.set_checked(first.id, False)
    window.commands.log_y.setChecked(True)
    window.plot.x_axis_box.setCurrentIndex(window.plot.x_axis_box.findData("time"))
    window.plot.redraw()
    window.plot.item.vb.setRange(xRange=(0.0, second.history[10].elapsed), padding=0)   # the user zooms
    state = panel_state(window.plot.item)
    assert state.log_y and state.x_label == "wall time (s)"
    assert state.x_range == pytest.approx((0.0, second.history[10].elapsed))
    labels = [curve.label for curve in state.curves if curve.label]
    assert labels == window.plot.labels() == ["#2 TensorFlow · Linear · n 200 · 30 steps · lr 0.5"]
    train_curve = next(curve for curve in state.curves if curve.label)
    assert np.allclose(train_curve.x, [s.elapsed for s in second.history])
    target = tmp_path / "plot.svg"
    save_as(target)
    window.commands.export_formats["svg"].trigger()
    svg = target.read_text()
    assert window.plot.runs[second.id].color in svg and window.plot.runs[first.id].color not in svg
    assert "#2 TensorFlow · Linear · n 200 · 30 steps · lr 0.5" in svg


def test_export_while_the_range_test_tab_is_shown_writes_the_range_test(qtbot, window, save_as, tmp_path):
    configure(window, n=300)
    window.range_test()
    wait_for_job(qtbot, window)
    assert window.tabs.currentWidget() is window.lr_range_view
    target = tmp_path / "sweep.csv"
    save_as(target)
    window.commands.export.trigger()
    assert save_as.asked[-1][0] == "Export the learning-rate range test"
    with open(target, newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == len(window.lr_range_view.result.points) and "learning_rate" in rows[0]
    png = tmp_path / "sweep.png"
    save_as(png)
    window.commands.save_plot.trigger()
    rect = window.lr_range_view.item.sceneBoundingRect()
    assert QImage(str(png)).width() == pytest.approx(PNG_SCALE * rect.width(), abs=2)


@pytest.mark.skipif(len(ENGINES) < 2, reason="needs two installed engines")
def test_parity_panel_fills_row_by_row_and_plots_the_difference(qtbot, window, save_as, tmp_path):
    configure(window, steps=20, rate=0.3)
    window.compare_backends()
    view = window.parity_view
    assert [view.table.item(row, 3).text() for row in range(view.table.rowCount())] == ["waiting"] * len(ENGINES)
    seen = []
    window.session.subscribe(lambda event: isinstance(event, RunEnded) and seen.append(
        [view.table.item(row, 3).text() for row in range(view.table.rowCount())]))
    wait_for_job(qtbot, window)
    assert seen[0][0] == "finished" and seen[0][1] != "finished"     # the first row filled before the second ran
    assert view.table.item(0, 0).text().startswith("TensorFlow 2.")
    verdict = view.verdict.text()
    assert verdict.startswith("Same within float32 tolerance") and "\n" not in verdict
    assert verdict.count("|Δloss|") == 1
    steps, differences = view.difference_curve.xData, view.difference_curve.yData
    assert list(steps) == list(range(1, 21))
    assert np.nanmax(differences) == pytest.approx(window.parity_view.result.largest.value)
    assert np.allclose(view.tolerance_curve.yData, LOSS_TOLERANCE * np.maximum(
        1, [s.train_loss for s in window.parity_view.result.records[0].history]))
    assert view.item.ctrl.logYCheck.isChecked()
    assert view.isVisible()
    target = tmp_path / "parity.csv"
    save_as(target)
    view.plot.setFocus()
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton)
    window.commands.export.trigger()      # the parity panel is the one looked at: Export writes the comparison
    assert save_as.asked[-1][0] == "Export the backend parity comparison"
    assert target.read_text().startswith("step,train_loss_")


def test_file_menu_exports_the_shown_runs_to_tensorboard(qtbot, window, monkeypatch, tmp_path):
    hidden = train(qtbot, window, steps=4, n=100)
    shown = train(qtbot, window, steps=6, n=100, rate=0.2)
    window.runs_table.set_checked(hidden.id, False)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(tmp_path / "tb"))
    (tmp_path / "tb").mkdir()
    assert window.commands.tensorboard in window.menuBar().actions()[0].menu().actions()
    window.commands.tensorboard.trigger()
    folder, = (tmp_path / "tb").iterdir()
    assert folder.name.startswith(shown.id) and len(list(folder.glob("events.out.tfevents.*"))) == 1
    assert f"tensorboard --logdir {tmp_path / 'tb'}" in window.statusBar().currentMessage()


def test_tensorboard_export_writes_the_runs_it_can_and_names_the_others(qtbot, window, monkeypatch, messages,
                                                                        tmp_path):
    damaged = train(qtbot, window, steps=4, n=100)
    good = train(qtbot, window, steps=4, n=100, rate=0.2)
    window.session.runs[damaged.id].created = ""       # as a run.json whose "created" was damaged reads
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(tmp_path / "tb"))
    window.commands.tensorboard.trigger()
    folder, = (tmp_path / "tb").iterdir()
    assert folder.name.startswith(good.id)
    assert messages == [("warning", "Some runs not exported",
                         f"run {damaged.id} cannot be exported: its creation time '' is not a date")]
