"""The Sweep dialog at its limits: a 10,000-trial sweep is counted as it is typed without building every trial (that
took ~0.7 s a keystroke), and Start checks every trial off the GUI thread (it froze the window ~0.65 s), keeping the
dialog open with the first invalid one named; a pasted list of 100,000 values is refused in one line (Qt cut it
silently at 32,767 characters)."""
import threading

from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.sweeps.spec import SweepSpec
from kgui.ui.sweep.dialog import CHECKED_AS_TYPED, SweepDialog


def dialog_of(qtbot) -> SweepDialog:
    dialog = SweepDialog(ExperimentSettings(dataset="spiral", model="mlp", hidden=(8,), steps=5))
    qtbot.addWidget(dialog)
    return dialog


def test_a_largest_sweep_is_counted_as_typed_and_its_trials_checked_off_the_gui_thread_at_start(qtbot, monkeypatch):
    expanded_on = []                  # the threads SweepSpec.expand ran on (it still runs, unchanged)
    expand = SweepSpec.expand
    monkeypatch.setattr(SweepSpec, "expand",
                        lambda spec: expanded_on.append(threading.current_thread()) or expand(spec))
    dialog = dialog_of(qtbot)
    start = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    (_, rates), (_, values2) = dialog.axis_rows[:2]
    rates.setText(",".join(f"{0.001 * (i + 1):g}" for i in range(100)))
    dialog.set_axis(1, "nesterov")
    values2.setText("false,true")     # Nesterov without momentum: only a whole trial shows it
    dialog.seeds.setValue(50)
    assert dialog.spec.count() == 10_000 > CHECKED_AS_TYPED
    assert dialog.verdict.text().startswith("10,000 trials")
    expanded_on.clear()
    dialog.accept()
    assert dialog.verdict.text() == "Checking 10,000 trials…" and not start.isEnabled()
    qtbot.waitUntil(lambda: "nesterov needs a momentum above 0" in dialog.verdict.text(), timeout=10_000)
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.spec is None and not start.isEnabled()
    values2.setText("false")
    assert start.isEnabled()
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=10_000)
    assert dialog.spec.count() == 5_000
    assert len(expanded_on) == 2 and threading.main_thread() not in expanded_on


def test_an_answer_for_a_sweep_edited_since_start_is_not_taken(qtbot):
    dialog = dialog_of(qtbot)
    (_, rates), (_, values2) = dialog.axis_rows[:2]
    rates.setText(",".join(f"{0.001 * (i + 1):g}" for i in range(100)))
    dialog.set_axis(1, "nesterov")
    values2.setText("false")
    dialog.seeds.setValue(50)
    dialog.accept()
    dialog.seeds.setValue(40)         # edited while its 5,000 trials were checked
    for thread in threading.enumerate():
        if thread.name == "kgui-sweep-check":
            thread.join(10)
    qtbot.wait(50)                    # its answer delivered
    assert dialog.result() != dialog.DialogCode.Accepted and dialog.verdict.text().startswith("4,000 trials")


def test_a_pasted_list_of_100000_values_is_one_line(qtbot):
    dialog = dialog_of(qtbot)
    dialog.axis_rows[0][1].setText(",".join(str(i + 1) for i in range(100_000)))
    assert dialog.spec is None
    assert dialog.verdict.text() == ("a sweep of 100,000 trials is more than the 10,000 allowed: use fewer values, "
                                     "seeds or trials")
