"""Issue 22 in the real window: Edit → Copy/Paste Experiment with ``kgui:`` strings, and classroom mode (hidden
controls are hidden, locked ones cannot be changed, not even by a pasted or opened experiment)."""
import numpy as np
import pytest
from PyQt6.QtGui import QGuiApplication

from kgui.core.experiment import experiment_strings
from kgui.core.experiment.classroom import Classroom
from kgui.core.experiment.settings import ExperimentSettings
from ui_support import messages, window  # noqa: F401 - fixtures

SHARED = ExperimentSettings(backend="tensorflow", dataset="spiral", dataset_options={"n": 120, "noise": 0.1},
                            model="mlp", hidden=(8, 8), activation="tanh", optimizer="adam", beta_2=0.99, l1=1e-4,
                            learning_rate=0.03, steps=6, seed=3, schedule="cosine", decay=0.01)


def test_copy_and_paste_an_experiment(window, messages):
    window.apply_settings(SHARED)
    text = window.commands.copy_experiment.trigger() or QGuiApplication.clipboard().text()
    assert experiment_strings.decode(text) == (SHARED, Classroom())
    window.apply_settings(ExperimentSettings())
    assert window.settings() != SHARED
    window.commands.paste_experiment.trigger()
    assert window.settings() == SHARED and not messages
    QGuiApplication.clipboard().setText(text[:-6])
    window.commands.paste_experiment.trigger()
    [(kind, title, message)] = messages
    assert title == "Cannot paste the experiment" and message.startswith("damaged kgui string: ")
    assert "\n" not in message and window.settings() == SHARED


def visible_rows(window):
    form = window.form
    rows = {field.control: form._layout.isRowVisible(field.widget) for field in form.fields if field.control}
    rows.update({name: form.model_form.form.isRowVisible(widget) for name, widget in form.model_form.rows.items()})
    rows["schedule"] = form.schedule_form.isVisibleTo(form)
    return rows


def test_hidden_controls_are_hidden_and_locked_ones_cannot_change(window):
    window.apply_settings(SHARED)
    window.set_classroom(Classroom(hide={"optimizer", "engine", "schedule", "compare"},
                                   lock={"dataset", "learning_rate", "start"}))
    rows = visible_rows(window)
    assert not rows["engine"] and not rows["optimizer"] and not rows["beta_1"] and not rows["schedule"]
    assert rows["dataset"] and rows["model"] and rows["hidden"] and rows["steps"]
    assert not window.commands.compare.isVisible() and window.commands.range_test.isVisible()
    assert not window.form.dataset_picker.isEnabled() and not window.form.lr_control.isEnabled()
    assert window.form.steps_box.isEnabled() and not window.commands.start.isEnabled()
    window.jobs.changed.emit()     # what a job's start and end do: the locks stay
    window.form.set_editable(True)
    assert not window.commands.start.isEnabled() and not window.form.dataset_picker.isEnabled()
    window.form.model_form.set_enabled_for_run(True)
    window.form.model_form.optimizer_box.setCurrentIndex(0)   # hidden rows keep showing nothing on an edit
    window.form.model_form.model_box.setCurrentIndex(window.form.model_form.model_box.findData("mlp"))
    assert not visible_rows(window)["optimizer"]
    # an experiment loaded into the window keeps the locked controls' values and takes the others
    window.experiment_files.paste_experiment(experiment_strings.encode(SHARED.replace(dataset="xor", dataset_options={},
                                                                             learning_rate=0.5, steps=9)))
    settings = window.settings()
    assert (settings.dataset, dict(settings.dataset_options), settings.learning_rate, settings.steps) == (
        "spiral", {"n": 120, "noise": 0.1}, 0.03, 9)
    window.set_classroom(Classroom())
    assert all(visible for name, visible in visible_rows(window).items()
               if name not in ("nesterov", "rho", "momentum", "epsilon", "beta_1", "beta_2")) \
        and window.commands.start.isEnabled() and window.commands.compare.isVisible()


def test_a_pasted_string_brings_its_classroom(window):
    window.experiment_files.paste_experiment(experiment_strings.encode(SHARED, Classroom(hide={"engine"}, lock={"steps"})))
    assert window.form.classroom == Classroom({"engine"}, {"steps"})
    assert "classroom" not in vars(window) and "classroom" not in vars(window.commands)   # one owner: the form
    assert not visible_rows(window)["engine"] and not window.form.steps_box.isEnabled()


def test_the_data_rows_are_hidden_and_locked_too(window):
    window.apply_settings(ExperimentSettings(dataset="spiral", features=("x1", "x1x2")))
    data = window.form.data_form
    window.set_classroom(Classroom(hide={"features", "val_fraction"}, lock={"data_seed"}))
    assert not data.form.isRowVisible(data.features) and not data.form.isRowVisible(data.rows["val_fraction"])
    assert data.form.isRowVisible(data.rows["data_seed"]) and not data.rows["data_seed"].isEnabled()
    window.form.dataset_picker.select("iris")    # another dataset's rows follow the classroom as well
    assert not data.polynomial_box.isVisibleTo(data)


def test_the_range_test_marks_each_suggestion_and_each_use_button_sets_the_slider(window):
    from kgui.core.training.lr_finder import RangeTestResult, Suggestion
    from kgui.ui.learning_rate import rounded

    view = window.lr_range_view
    rates = {Suggestion.VALLEY: 0.0063, Suggestion.STEEP: 0.01, Suggestion.MINIMUM: 0.02, Suggestion.SLIDE: None}
    view.show_result(RangeTestResult(ExperimentSettings(), "tensorflow", "2", 1e-6, 10.0, 100, status="finished",
                                     suggestions=rates))
    for rule, rate in rates.items():
        line = view.markers[rule]
        assert line.isVisible() == (rate is not None) and view.use_buttons[rule].isEnabled() == (rate is not None)
        if rate is not None:
            assert line.label.format == f"{rule} {rate:.3g}" and line.value() == pytest.approx(np.log10(rate))
    assert view.summary.text() == ("Suggested learning rate 0.02 (valley 0.0063, steep 0.01, minimum 0.02, "
                                   "slide -); swept 1e-06 to 10 in 0 steps")
    view.use_buttons[Suggestion.STEEP].click()
    assert window.form.lr_control.rate == rounded(0.01)
    view.use_button.click()    # the suggestion's: minimum
    assert window.form.lr_control.rate == rounded(0.02)
    window.set_classroom(Classroom(lock={"learning_rate"}))
    view.use_buttons[Suggestion.VALLEY].click()    # a locked rate stays
    assert window.form.lr_control.rate == rounded(0.02)


def test_the_controls_keep_their_width_when_a_2d_set_shows_its_feature_rows(window, qtbot):
    scroller = window.controls_dock.widget()
    window.form.dataset_picker.select("linear")
    window.form.dataset_picker.select("spiral")
    qtbot.wait(50)
    assert window.form.data_form.form.isRowVisible(window.form.data_form.features)
    assert scroller.widget().minimumSizeHint().width() <= scroller.viewport().width()


def test_locked_start_and_range_test_cannot_be_reached_another_way(window):
    """Step starts a paused run when none is going, and the range-test tab has a button of its own: with ``start``
    and ``range_test`` locked, neither starts a job (before, Step stayed on and the tab's button stayed clickable)."""
    window.set_classroom(Classroom(lock={"start", "range_test"}))
    assert not window.commands.step.isEnabled()
    window.commands.step.trigger()
    window.lr_range_view.start_button.click()
    assert not window.jobs.running and not window.lr_range_view.start_button.isEnabled()
    window.set_classroom(Classroom())
    assert window.commands.step.isEnabled() and window.lr_range_view.start_button.isEnabled()


def test_a_sweep_from_the_window_offers_no_axis_a_classroom_hides_or_locks(window, qtbot):
    """New sweep… offered every setting as an axis: a student could sweep the engine, the hidden optimizer or the
    locked dataset and its noise. With Start locked, the tab offers no New sweep… either."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    window.apply_settings(SHARED)
    window.set_classroom(Classroom(hide={"optimizer", "engine"}, lock={"dataset"}))
    offered = []

    def read_and_close() -> None:
        dialog = QApplication.activeModalWidget()
        box = dialog.axis_rows[0][0]
        offered.extend(box.itemData(index) for index in range(box.count()))
        dialog.reject()

    QTimer.singleShot(200, read_and_close)
    window.sweep_view.new_button.click()
    qtbot.waitUntil(lambda: bool(offered))
    assert "learning_rate" in offered and "hidden" in offered and "l2" in offered
    assert not {"backend", "optimizer", "momentum", "beta_2", "dataset", "noise", "n"} & set(offered), offered
    assert not window.sweep_view.new_button.isHidden()
    window.set_classroom(Classroom(lock={"start"}))
    assert window.sweep_view.new_button.isHidden()
