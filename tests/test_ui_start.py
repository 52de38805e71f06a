"""Start (F5, the toolbar, the Run panel, Compare Backends, the range test) trains what the form shows: typed values
without Enter, and one line instead of a run when a shown value is invalid."""
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QToolButton

from ui_support import configure, messages, wait_for_job, window  # noqa: F401 - fixtures



def type_into(qtbot, line_edit, text: str) -> None:
    """Replace what ``line_edit`` shows by typing ``text``, without Enter; the focus stays in it."""
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClick(line_edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(line_edit, text)


def run_button(win, action) -> QToolButton:
    """The Run panel's button of ``action``."""
    return next(button for button in win.run_buttons.findChildren(QToolButton) if button.defaultAction() is action)


START_PATHS = {
    "F5": lambda qtbot, win: qtbot.keyClick(win.form.lr_control.box, Qt.Key.Key_F5),
    "toolbar or menu": lambda qtbot, win: win.commands.start.trigger(),
    "Run panel button": lambda qtbot, win: run_button(win, win.commands.start).click(),
    "Compare Backends": lambda qtbot, win: win.commands.compare.trigger(),
    "range test": lambda qtbot, win: win.commands.range_test.trigger(),
    "range test tab's Start": lambda qtbot, win: win.lr_range_view.start_button.click(),
}


@pytest.mark.parametrize("path", START_PATHS)
def test_every_start_uses_the_typed_learning_rate_without_enter(qtbot, window, path):
    configure(window, steps=100_000, rate=10.0, n=100)
    window.activateWindow()
    type_into(qtbot, window.form.lr_control.box, "0.3")
    START_PATHS[path](qtbot, window)
    assert window.jobs.running
    assert window.jobs.job.settings.learning_rate == 0.3
    assert window.form.lr_control.rate == 0.3
    window.stop()
    wait_for_job(qtbot, window)


TYPED_FIELDS = {   # field: (the line edit to type in, text, the settings' value)
    "steps": (lambda win: win.form.steps_box.lineEdit(), "1234", 1234),
    "batch_size": (lambda win: win.form.batch_box.lineEdit(), "16", 16),
    "seed": (lambda win: win.form.seed_box.lineEdit(), "77", 77),
    "l2": (lambda win: win.form.model_form.l2_field, "0.01", 0.01),
    "momentum": (lambda win: win.form.model_form.momentum_box.lineEdit(), "0.5", 0.5),
    "epochs": (lambda win: win.form.model_form.epochs_box.lineEdit(), "3", 3),
}


@pytest.mark.parametrize("field", TYPED_FIELDS)
def test_every_typed_field_is_used_by_f5(qtbot, window, field):
    configure(window, steps=100_000, n=100)
    widget, text, value = TYPED_FIELDS[field]
    window.activateWindow()
    type_into(qtbot, widget(window), text)
    qtbot.keyClick(widget(window), Qt.Key.Key_F5)
    assert window.jobs.running
    assert getattr(window.jobs.job.settings, field) == value
    window.stop()
    wait_for_job(qtbot, window)


INVALID_SHOWN = {   # the line edit, text that is no valid value, a word the message names
    "learning rate": (lambda win: win.form.lr_control.box, "abc", "learning rate"),
    "rate out of range": (lambda win: win.form.lr_control.box, "50", "learning rate"),
    "steps": (lambda win: win.form.steps_box.lineEdit(), "", "Steps"),
    "seed": (lambda win: win.form.seed_box.lineEdit(), "", "Seed"),
    "momentum": (lambda win: win.form.model_form.momentum_box.lineEdit(), "", "Momentum"),
    "epochs": (lambda win: win.form.model_form.epochs_box.lineEdit(), "", "Epochs"),
    "l2": (lambda win: win.form.model_form.l2_field, "1e", "L2"),
}


@pytest.mark.parametrize("shown", INVALID_SHOWN)
@pytest.mark.parametrize("path", ["F5", "toolbar or menu", "Compare Backends"])
def test_start_says_so_and_does_not_start_when_a_shown_value_is_invalid(qtbot, window, messages, shown, path):
    configure(window, steps=100_000, n=100)
    widget, text, word = INVALID_SHOWN[shown]
    window.activateWindow()
    type_into(qtbot, widget(window), text)
    START_PATHS[path](qtbot, window)
    assert not window.jobs.running
    assert len(messages) == 1 and messages[0][1] == "Cannot start" and word.lower() in messages[0][2].lower(), messages




def test_steps_is_disabled_and_says_so_while_epochs_is_set(qtbot, window):
    configure(window, steps=3000, n=100)
    epochs = window.form.model_form.epochs_box
    epochs.setValue(5)
    assert not window.form.steps_box.isEnabled()
    assert window.form.steps_box.lineEdit().text() == "5 epochs × rows/batch"
    assert "Set by Epochs" in window.form.steps_box.toolTip()
    assert window.settings().epochs == 5
    assert window.start()
    assert not window.form.steps_box.isEnabled()
    wait_for_job(qtbot, window)
    assert not window.form.steps_box.isEnabled()        # still, once the form is editable again
    record = window.session.last_ended
    assert len(record.history) == record.settings.steps != 3000     # the epochs' steps
    epochs.setValue(0)
    assert window.form.steps_box.isEnabled() and window.form.steps_box.lineEdit().text() == "3000"
    window.apply_settings(window.settings().replace(epochs=2))
    assert not window.form.steps_box.isEnabled()
