"""Shared by the UI tests: intercepted message boxes, a window on a private run store, run helpers."""
from pathlib import Path

import pytest
from PyQt6.QtWidgets import QMessageBox

from kgui import backend
from kgui.core.runs import RunStore
from kgui.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
ENGINES = [info.id for info in backend.available() if info.installed]
RUN_TIMEOUT_MS = 120_000  # the first Theano compile of a session can take ~15 s


@pytest.fixture
def messages(monkeypatch):
    """Message boxes shown, as (kind, title, text); the modal is intercepted and answered with Cancel/Ok."""
    shown = []

    def recorder(kind, answer):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return answer
        return show

    monkeypatch.setattr(QMessageBox, "warning", recorder("warning", QMessageBox.StandardButton.Cancel))
    monkeypatch.setattr(QMessageBox, "critical", recorder("critical", QMessageBox.StandardButton.Ok))
    monkeypatch.setattr(QMessageBox, "information", recorder("information", QMessageBox.StandardButton.Ok))
    return shown


@pytest.fixture
def window(qtbot, tmp_path, messages, worker_pool):
    win = MainWindow(store=RunStore(tmp_path / "runs"), pool=worker_pool)
    qtbot.addWidget(win)
    win.show()
    return win


def configure(win, engine="tensorflow", steps=60, rate=0.05, n=200):
    win.form.backend_picker.select(engine)
    win.form.dataset_picker.select("linear", {"n": n})
    win.form.steps_box.setValue(steps)
    win.form.lr_control.set_rate(rate)


def train(qtbot, win, **settings):
    configure(win, **settings)
    assert win.start()
    wait_until_idle(qtbot, win)
    assert win.session.last_ended.status == "finished", win.session.last_ended.message
    return win.session.last_ended


def live_history(win) -> list:
    """The steps the window's session has received of the run being trained (or the last one)."""
    record = win.session.runs.get(win.session.live_run_id)
    return record.history if record is not None else []


def wait_for_steps(qtbot, win, count):
    def failed() -> bool:
        record = win.session.last_ended
        return record is not None and record.status == "failed"

    qtbot.waitUntil(lambda: len(live_history(win)) >= count or failed(), timeout=RUN_TIMEOUT_MS)
    assert len(live_history(win)) >= count, win.session.last_ended.message


def wait_until_idle(qtbot, win):
    """The training run has ended and the window is ready for the next one."""
    qtbot.waitUntil(lambda: not win.jobs.running and win.session.last_ended is not None
                    and win.commands.start.isEnabled(), timeout=RUN_TIMEOUT_MS)


def wait_for_job(qtbot, win):
    """Any job (run, comparison, range test) has ended."""
    qtbot.waitUntil(lambda: not win.jobs.running and win.commands.start.isEnabled(), timeout=RUN_TIMEOUT_MS)


def wait_until_paused(qtbot, win):
    """Paused and every step the worker took has reached the window: none came in the last 300 ms (a step under
    way when the pause came ends after it, and the worker sends its steps before it sleeps)."""
    def settled() -> bool:
        before = len(live_history(win))
        qtbot.wait(300)
        return win.jobs.paused and len(live_history(win)) == before

    qtbot.waitUntil(settled, timeout=RUN_TIMEOUT_MS)
