"""The main window, on the real window and real engines: run keys in the learning-rate box, paused shown, reset,
a small screen, the title, the export folder, "What is learned" in front, the right docks' tabs in full, the whole
side panel in view, a range test that reads as done, the Code dock's caption."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6.QtCore import QStandardPaths, Qt
from PyQt6.QtWidgets import QFileDialog, QStyle, QTabBar

from kgui.ui.main_window import MainWindow
from ui_support import (ROOT, RUN_TIMEOUT_MS, configure, live_history, messages,  # noqa: F401 - fixtures
                        wait_for_steps, wait_until_idle, wait_until_paused, window)


def status_cell(win) -> str:
    return win.runs_table.cell_text(win.session.live_run_id, "Status")


@pytest.fixture
def finished_linear_run(qtbot, window):
    configure(window, steps=30, rate=0.1)
    window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished"
    return window


def test_run_keys_work_while_the_learning_rate_box_has_focus(qtbot, window):
    configure(window, steps=1_000_000, n=100)
    box = window.form.lr_control.box
    window.activateWindow()
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_F5)
    wait_for_steps(qtbot, window, 3)
    text = box.text()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert window.jobs.paused and box.text() == text   # paused, no space typed
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert not window.jobs.paused
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "stopped"
    box.setText("")
    qtbot.keyClick(box, Qt.Key.Key_Space)           # idle: Pause is off, the box is an ordinary text box
    assert box.text() == " " and not window.jobs.running


def test_paused_is_shown_in_the_status_the_runs_table_and_the_pause_button(qtbot, window):
    style = window.style()
    play, pause = (style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay),
                   style.standardIcon(QStyle.StandardPixmap.SP_MediaPause))
    assert play.pixmap(16).toImage() != pause.pixmap(16).toImage()
    configure(window, steps=1_000_000, n=100)
    window.start()
    wait_for_steps(qtbot, window, 3)
    window.commands.pause.trigger()
    wait_until_paused(qtbot, window)
    qtbot.wait(1100)     # past the runs table's refresh interval: a refresh keeps "paused"
    window.plot.redraw()
    assert window.job_status.engine_state.text() == "paused" and window.live_panel.values["state"].text() == "paused"
    assert status_cell(window) == "paused"
    assert window.commands.pause.text() == "Resume"
    assert window.commands.pause.icon().pixmap(16).toImage() == play.pixmap(16).toImage()
    window.commands.pause.trigger()
    wait_for_steps(qtbot, window, len(live_history(window)) + 3)
    assert window.job_status.engine_state.text() == "training" and status_cell(window) == "running"
    assert window.commands.pause.text() == "Pause"
    assert window.commands.pause.icon().pixmap(16).toImage() == pause.pixmap(16).toImage()
    window.stop()
    wait_until_idle(qtbot, window)
    assert status_cell(window) == "stopped"


def test_step_from_idle_shows_paused(qtbot, window):
    configure(window, steps=50)
    window.commands.step.trigger()
    wait_for_steps(qtbot, window, 1)
    qtbot.waitUntil(lambda: window.job_status.engine_state.text() == "paused")
    assert window.commands.pause.text() == "Resume"
    window.stop()
    wait_until_idle(qtbot, window)


def test_reset_leaves_nothing_stale(qtbot, finished_linear_run):
    window = finished_linear_run
    assert window.live_panel.values["step"].text() == "30 / 30"
    assert window.fit_view.currentWidget() is window.fit_view.line_page
    window.commands.reset.trigger()
    qtbot.wait(300)              # several redraw periods
    window.plot.redraw()
    panel = window.live_panel.values
    assert panel["state"].text() == "idle"
    assert all(panel[key].text() == "—" for key in ("step", "train_loss", "val_loss", "learning_rate", "step_ms"))
    assert window.fit_view.currentWidget() is window.fit_view.hint
    assert [panel.item.vb.viewRange() for panel in window.plot.shown_panels] == [[[0, 1], [0, 1]]]
    assert "cleared" in window.statusBar().currentMessage()
    assert window.job_status.engine_state.text() == "idle"


def test_title_drops_the_status_once_the_settings_change(finished_linear_run):
    window = finished_linear_run
    assert window.windowTitle().endswith("[finished]")
    window.form.steps_box.setValue(31)
    assert "[" not in window.windowTitle()
    window.form.steps_box.setValue(30)
    assert window.windowTitle().endswith("[finished]")   # the controls describe that run again


def test_save_dialogs_open_in_documents_then_in_the_last_folder(window, monkeypatch, tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    asked = []
    target = tmp_path / "exports" / "experiment.json"
    target.parent.mkdir()

    def save_file_name(parent, caption, suggested, filters):
        asked.append(Path(suggested).parent)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_file_name)
    assert window.experiment_files.save_experiment() == target
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert asked[0] == (Path(documents) if Path(documents).is_dir() else Path.home())
    assert asked[0] != checkout
    window.experiment_files.save_experiment()
    assert asked[1] == target.parent
    again = MainWindow(store=window.session.store, preferences=window.preferences)   # remembered across launches
    again.experiment_files.save_experiment()
    again.deleteLater()
    assert asked[2] == target.parent


def test_what_is_learned_comes_forward_when_a_linear_run_starts(qtbot, window):
    def in_front(view) -> bool:    # the docks are tabbed: the one behind is moved out of sight
        return not view.visibleRegion().isEmpty()

    window.parity_dock.raise_()
    qtbot.waitUntil(lambda: in_front(window.parity_view) and not in_front(window.fit_view))
    configure(window, steps=20)
    window.start()
    qtbot.waitUntil(lambda: in_front(window.fit_view) and not in_front(window.parity_view))
    wait_until_idle(qtbot, window)


SMALL_SCREEN_WINDOW = """
import json, sys
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication
app = QApplication([])
from kgui.ui.main_window import MainWindow

def geometry(window):
    frame, available = window.frameGeometry(), window.screen().availableGeometry()
    return [frame.left(), frame.top(), frame.width(), frame.height(),
            available.left(), available.top(), available.width(), available.height()]

preferences = QSettings(sys.argv[1], QSettings.Format.IniFormat)
first = MainWindow(preferences=preferences); first.show(); app.processEvents()
shown = geometry(first)
first.resize(2400, 1500); first.move(900, 500); app.processEvents()   # as saved on a larger screen
first.close()
restored = MainWindow(preferences=preferences); restored.show(); app.processEvents()
print(json.dumps({"first": shown, "restored": geometry(restored)}))
"""


def test_window_fits_a_1366x768_screen_first_and_restored(tmp_path):
    screen = {"synchronousWindowSystemEvents": False, "windowFrameMargins": False,
              "screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768, "logicalDpi": 96,
                           "dpr": 1}]}
    config = tmp_path / "screen.json"
    config.write_text(json.dumps(screen))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", KGUI_RUNS_DIR=str(tmp_path / "runs"))
    result = subprocess.run([sys.executable, "-c", SMALL_SCREEN_WINDOW, str(tmp_path / "kgui.ini")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    geometries = json.loads(result.stdout.strip().splitlines()[-1])
    for name, (left, top, width, height, a_left, a_top, a_width, a_height) in geometries.items():
        assert a_width == 1366 and a_height == 768
        assert a_left <= left and left + width <= a_left + a_width, (name, geometries[name])
        assert a_top <= top and top + height <= a_top + a_height, (name, geometries[name])


def test_the_right_docks_tabs_show_their_titles_in_full(window):
    bars = [bar for bar in window.findChildren(QTabBar)
            if bar.isVisible() and "Code" in [bar.tabText(i) for i in range(bar.count())]]
    assert len(bars) == 1
    bar = bars[0]
    assert [bar.tabText(i) for i in range(bar.count())] == ["Fit", "Parity", "Code", "Decision boundary"]
    assert bar.width() >= bar.sizeHint().width()    # narrower than its tabs ask for, it elides them ("Backen…")


def test_the_side_panel_shows_the_whole_current_run_without_scrolling(window):
    scroller = window.controls_dock.widget()
    assert window.live_panel.isVisible() and scroller.verticalScrollBar().maximum() == 0


@pytest.mark.parametrize("height", [880, 900])
def test_an_mlp_with_adam_on_a_2d_set_fits_the_side_panel_at_1400_wide(qtbot, window, height):
    from kgui.core.experiment.settings import ExperimentSettings

    window.resize(1400, height)
    window.apply_settings(ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), optimizer="adam",
                                             learning_rate=0.001))
    qtbot.waitUntil(lambda: window.height() == height)
    scroller = window.controls_dock.widget()
    qtbot.waitUntil(lambda: scroller.viewport().height() > 0)
    qtbot.wait(50)
    assert window.form.model_form.hidden_field.isVisible() and window.form.model_form.optimizer_box.isVisible()
    assert window.live_panel.values["step_ms"].isVisible() and scroller.verticalScrollBar().maximum() == 0


def test_a_range_test_that_ends_as_the_loss_blows_up_reads_as_done(qtbot, window):
    window.form.dataset_picker.select("linear", {"n": 100})
    window.range_test()
    qtbot.waitUntil(lambda: not window.jobs.running and window.commands.start.isEnabled(), timeout=RUN_TIMEOUT_MS)
    assert window.job_status.engine_state.text() == window.live_panel.values["state"].text() == "range test done"


def test_the_code_docks_caption_has_a_row_of_its_own_and_reads_as_the_run_would_be_named(qtbot, window):
    """The caption read "TensorFlow · Linear · linear · sgd" and "… · Spiral · mlp 8,8 tanh · l2 0.0001 · adam":
    the settings' own words, where the run Start makes of it is named in the window's words."""
    from kgui.core.experiment.settings import ExperimentSettings

    window.code_dock.raise_()
    view = window.code_view
    qtbot.waitUntil(lambda: view.caption.text() == "TensorFlow · Linear · lr 0.01: python FILE.py prints the run's "
                    "losses", timeout=10_000)
    assert view.caption.geometry().bottom() < view.copy_button.geometry().top()
    window.apply_settings(ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), activation="tanh",
                                             optimizer="adam", l2=1e-4, learning_rate=0.03))
    qtbot.waitUntil(lambda: view.caption.text().startswith("TensorFlow · Spiral · MLP 8,8 tanh · Adam · L2 0.0001 · "
                                                           "lr 0.03: python FILE.py"), timeout=10_000)
