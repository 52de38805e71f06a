"""The Sweep dialog at its limits: a 10,000-trial sweep is counted as it is typed without building every trial (that
took ~0.7 s a keystroke), and Start checks every trial, keeping the dialog open with the first invalid one named;
a pasted list of 100,000 values is refused in one line (Qt cut it silently at 32,767 characters)."""
from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui.sweep.dialog import CHECKED_AS_TYPED, SweepDialog


def dialog_of(qtbot) -> SweepDialog:
    dialog = SweepDialog(ExperimentSettings(dataset="spiral", model="mlp", hidden=(8,), steps=5))
    qtbot.addWidget(dialog)
    return dialog


def test_a_largest_sweep_is_counted_as_typed_and_its_invalid_trial_named_at_start(qtbot):
    dialog = dialog_of(qtbot)
    (_, rates), (_, values2) = dialog.axis_rows[:2]
    rates.setText(",".join(f"{0.001 * (i + 1):g}" for i in range(100)))
    dialog.set_axis(1, "nesterov")
    values2.setText("false,true")     # Nesterov without momentum: only a whole trial shows it
    dialog.seeds.setValue(50)
    assert dialog.spec.count() == 10_000 > CHECKED_AS_TYPED
    assert dialog.verdict.text().startswith("10,000 trials")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.spec is None
    assert "nesterov needs a momentum above 0" in dialog.verdict.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    values2.setText("false")
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.spec.count() == 5_000


def test_a_pasted_list_of_100000_values_is_one_line(qtbot):
    dialog = dialog_of(qtbot)
    dialog.axis_rows[0][1].setText(",".join(str(i + 1) for i in range(100_000)))
    assert dialog.spec is None
    assert dialog.verdict.text() == ("a sweep of 100,000 trials is more than the 10,000 allowed: use fewer values, "
                                     "seeds or trials")
