"""%load_ext kgui and %kgui open: the window opened from a real kernel, on its Qt event loop, sharing the store."""
from nbformat.v4 import new_code_cell, new_notebook

from notebook_support import execute, text_of

WAIT_FOR_THE_RUN = """
import time
from PyQt6.QtWidgets import QApplication
from kgui.notebook.magics import windows
window = windows[-1]
deadline = time.monotonic() + 180
while window.jobs.running and time.monotonic() < deadline:   # a cell that waits runs Qt's events itself
    QApplication.processEvents()
    time.sleep(0.02)
import kgui
runs = kgui.runs()
record = window.session.last_ended
print(window.isVisible(), record.status, len(runs),
      runs.loc[record.id, "steps_taken"], runs.loc[record.id, "learning_rate"])
closed = window.close()
"""


def test_kgui_open_trains_in_the_window_and_the_run_is_in_runs(tmp_path):
    notebook = new_notebook(cells=[
        new_code_cell("%load_ext kgui"),
        new_code_cell("%kgui open --dataset linear --steps 30 --lr 0.3 --start"),
        new_code_cell(WAIT_FOR_THE_RUN),
        new_code_cell("%kgui"),
        new_code_cell("%kgui open --backend all"),
        new_code_cell("%kgui open --lr fast"),
        new_code_cell("print(len(windows))"),
        new_code_cell("%kgui open --dataset linear --lr 0.1"),   # flags: its plot starts empty, as kgui open's
        new_code_cell("print(windows[-1].session.shown_run_ids()); closed = windows[-1].close()")])
    execute(notebook, tmp_path, {"KGUI_RUNS_DIR": str(tmp_path / "runs"), "XDG_CONFIG_HOME": str(tmp_path / "config")},
            cwd=tmp_path)
    texts = [text_of(cell) for cell in notebook.cells]
    assert texts[0] == texts[1] == ""
    assert texts[2].strip() == "True finished 1 30 0.3"
    assert texts[3].startswith("usage: %kgui open")
    assert texts[4].strip() == ("kgui: error: the window trains one engine at a time: pick one with --backend, or use "
                                "Compare Backends (Ctrl+B) in the window")
    assert texts[5].strip() == "kgui: error: argument --lr: invalid float value: 'fast'"
    assert texts[6].strip() == "1"            # the refused ones opened nothing
    assert texts[8].strip() == "[]", "the runs shown when the last window closed are shown again"


def test_without_a_display_it_says_so_even_after_a_live_view_made_qt_off_screen(tmp_path):
    notebook = new_notebook(cells=[
        new_code_cell("from kgui.notebook import LivePlot\nplot = LivePlot(show=False)"),
        new_code_cell("%load_ext kgui\n%kgui open --dataset linear"),
        new_code_cell("from kgui.notebook.magics import windows\nprint(len(windows))")])
    execute(notebook, tmp_path, {"KGUI_RUNS_DIR": str(tmp_path / "runs"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                                 "QT_QPA_PLATFORM": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}, cwd=tmp_path)
    texts = [text_of(cell) for cell in notebook.cells]
    assert texts[1].strip() == ("kgui: error: cannot open the window: there is no display (DISPLAY is not set); run it "
                                "on a desktop, under xvfb-run (xvfb-run -a python main.py ...), or with "
                                "QT_QPA_PLATFORM=offscreen (no window to see)")
    assert texts[2].strip() == "0"


def test_a_line_with_an_unclosed_quote_is_one_line_and_opens_nothing(capsys):
    """shlex's ValueError ("No closing quotation") reached the cell as a traceback."""
    from kgui.notebook.magics import kgui_magic, windows

    before = len(windows)
    kgui_magic('open --dataset "my data.csv')
    assert capsys.readouterr().err == 'kgui: error: %kgui open --dataset "my data.csv: No closing quotation\n'
    assert len(windows) == before
