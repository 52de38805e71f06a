"""The dataset picker: the registry's entries, and Open CSV… reading headers off the GUI thread (issue 10)."""
import os
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QDialog, QFileDialog

from kgui.core.data import datasets
from kgui.ui import datasets as ui_datasets
from kgui.ui.datasets import DatasetPicker, short_title
from ui_support import messages, window  # noqa: F401 - fixtures


@pytest.fixture
def picker(qtbot):
    widget = DatasetPicker()
    qtbot.addWidget(widget)
    return widget


def choose(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), "CSV files (*.csv *.csv.gz)"))


def test_the_menu_lists_the_registry(picker):
    names = [picker.itemData(i)[0] for i in range(picker.count()) if picker.itemData(i) is not None]
    assert names == [spec.name for spec in datasets.named_specs()]
    assert picker.itemText(0) == datasets.spec_for("linear").title
    assert short_title("iris") == "Iris" and short_title("/data/my.csv") == "my.csv"


def test_a_fifo_is_refused_without_blocking_the_gui_thread(qtbot, picker, monkeypatch, tmp_path, messages):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    choose(monkeypatch, fifo)
    picker.open_csv()
    assert picker.previewing and not picker.isEnabled()   # the header is being read on another thread
    qtbot.waitUntil(lambda: not picker.previewing)
    assert messages == [("critical", "Cannot use this CSV file", f"{fifo}: is a named pipe (FIFO), not a file")]
    assert picker.choice == ("linear", {}) and picker.isEnabled()


def test_a_wide_header_is_read_whole(qtbot, picker, monkeypatch, tmp_path, messages):
    columns = [f"measurement_{j:05d}" for j in range(8000)] + ["label"]  # a 150 KB header
    path = tmp_path / "wide.csv"
    path.write_text(",".join(columns) + "\n" + ",".join("1" for _ in columns[:-1]) + ",yes\n")
    choose(monkeypatch, path)
    seen = {}

    def accept(dialog):
        seen["columns"] = dialog.column.count()
        seen["sized"] = dialog.column.sizeAdjustPolicy()   # not by measuring 8,000 names on the GUI thread
        seen["current"] = dialog.column.currentText()
        dialog.column.setEditText("measurement_00042")   # many columns: the picker is a search box
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ui_datasets.TargetColumnDialog, "exec", accept)
    picker.open_csv()
    qtbot.waitUntil(lambda: not picker.previewing)
    assert messages == [] and seen == {"columns": 8001, "current": "label",
                                       "sized": QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon}
    assert picker.choice == (str(path), {"target": "measurement_00042", "task": "auto"})


def test_the_target_dialog_refuses_a_column_that_does_not_exist(qtbot):
    dialog = ui_datasets.TargetColumnDialog(Path("x.csv"), [f"c{j}" for j in range(100)])
    qtbot.addWidget(dialog)
    dialog.column.setEditText("nope")
    dialog._accept_known_column()
    assert dialog.result() != QDialog.DialogCode.Accepted and "nope" in dialog.problem.text()


def test_missing_otto_says_where_kgui_looked(picker, monkeypatch, tmp_path):
    monkeypatch.setattr(datasets, "PROJECT_DATA_DIR", tmp_path / "empty")
    monkeypatch.delenv("KGUI_DATA_DIR", raising=False)
    picker.refresh_otto()
    otto = picker.findText("Otto", Qt.MatchFlag.MatchStartsWith)
    tip = picker.itemData(otto, Qt.ItemDataRole.ToolTipRole)
    assert str(tmp_path / "empty" / "kaggle_ottogroup") in tip
    assert "Otto Group Product Classification Challenge" in tip and "train.csv.gz" in tip


def test_stop_ends_a_load_in_the_window(qtbot, tmp_path, messages):
    from kgui.core.runs import RunStore
    from kgui.ui.main_window import MainWindow
    from ui_support import wait_until_idle

    path = tmp_path / "big.csv"   # read by the worker in pieces of csv_files.pandas_threads.SEGMENT_BYTES: progress from the start
    with open(path, "w") as stream:
        stream.write("a,b,c,label\n")
        stream.writelines("1.25,2.5,3.75,c1\n4.5,5.25,6.125,c2\n" * 10_000 for _ in range(30))  # ~11 MB
    window = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(window)
    window.show()
    window.form.dataset_picker.select(str(path), {"target": "label"})
    window.start()
    # the phase text first, then the reader's progress, each followed by the elapsed-time counter
    state = window.job_status.engine_state
    qtbot.waitUntil(lambda: state.text().startswith("loading dataset… ") and "rows" in state.text(), timeout=60_000)
    assert "%" in state.text() and state.text().endswith(" s")
    bar = window.job_status.load_bar   # a real progress bar follows the reader too
    assert bar.isVisible() and not bar.busy and 0 <= bar.value() <= bar.maximum()
    assert bar.text() in state.text()   # the same percent as the phase text
    window.stop()
    wait_until_idle(qtbot, window)
    assert not bar.isVisible()
    record = window.session.last_ended
    assert (record.status, record.message) == ("stopped", "stopped while loading the dataset")
    assert RunStore(tmp_path / "runs").list() == [] and messages == []


def test_the_progress_bar_shows_the_load_then_is_busy_then_hides_when_training_starts(qtbot, tmp_path, messages):
    from kgui.core.data import csv_files
    from kgui.core.runs import RunStore
    from kgui.core.session import Phase, RunStarted
    from kgui.ui import load_progress
    from kgui.ui.main_window import MainWindow
    from ui_support import wait_until_idle

    path = tmp_path / "data.csv"   # ~11 MB: several pieces of csv_files.pandas_threads.SEGMENT_BYTES, each reported as read
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},c{i % 3}\n" for i in range(1_200_000)))
    assert path.stat().st_size > 4 * csv_files.pandas_threads.SEGMENT_BYTES
    window = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(window)
    window.show()
    window.form.dataset_picker.select(str(path), {"target": "label"})
    window.form.steps_box.setValue(3)
    seen = []   # after the window handled each event: (event, bar shown, bar busy, bar value)
    bar = window.job_status.load_bar
    window.session.subscribe(lambda event: isinstance(event, (Phase, RunStarted)) and seen.append(
        (event, bar.isVisible(), bar.busy, bar.value())))
    assert window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished" and messages == []
    reading = [(shown, busy, value) for event, shown, busy, value in seen
               if isinstance(event, Phase) and event.progress is not None]
    assert len(reading) >= 3 and all(shown and not busy for shown, busy, _ in reading)
    assert [value for *_, value in reading] == sorted(value for *_, value in reading)
    assert reading[-1][2] == load_progress.STEPS   # the whole file read
    compiling = [(shown, busy) for event, shown, busy, _ in seen if isinstance(event, Phase)
                 and event.text.startswith("compiling")]
    assert compiling == [(True, True)]
    assert [shown for event, shown, *_ in seen if isinstance(event, RunStarted)] == [False]
    assert not bar.isVisible()


def test_the_code_dock_loads_its_dataset_off_the_gui_thread(qtbot, window, tmp_path):
    """A big CSV took minutes to load on the GUI thread when the Code dock was shown: the window froze."""
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},c{i % 3}\n" for i in range(3000)))
    window.form.dataset_picker.select(str(path), {"target": "label"})
    window.code_dock.raise_()
    window.code_view.refresh()
    assert window.code_view.script == "" and window.code_view.caption.text() == "Loading data.csv for the script…"
    qtbot.waitUntil(lambda: "data.csv" in window.code_view.script, timeout=60_000)
    assert window.code_view.save_button.isEnabled()


def test_export_script_waits_for_its_dataset_off_the_gui_thread(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + "".join(f"{i % 7},{i % 5},c{i % 3}\n" for i in range(3000)))
    window.form.dataset_picker.select(str(path), {"target": "label"})
    target = tmp_path / "train.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), args[-1]))
    window.commands.export_script.trigger()
    assert not target.exists()      # its dataset loads on another thread; the export follows
    qtbot.waitUntil(target.exists, timeout=60_000)
    assert "data.csv" in target.read_text()
