"""A sweep started in the window, on the Loss tab: once it shows the sweep's trials (Show on Loss plot), a trial still
training is drawn there live, in the colour key's colour (it came only once saved, when it ended), and is shown as
its saved run when it ends. A real engine (on the test's threads: a worker process to start took 30 s at load 9),
offscreen Qt."""
from kgui.core.runs import RunStore
from kgui.core.sweeps import Axis, SweepSpec
from kgui.core.sweeps.executors import ThreadExecutor
from kgui.ui.main_window import MainWindow
from kgui.ui.sweep.dialog import SweepRun
from test_core_sweeps import SPIRAL
from ui_support import messages  # noqa: F401 - fixture


def test_a_window_sweeps_training_trial_is_drawn_live_in_the_colour_keys_colour(qtbot, tmp_path, messages):
    window = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(window)
    window.show()
    # one slot: two 5-step trials end, then a third trains until stopped (the fourth never starts)
    spec = SweepSpec(SPIRAL, (Axis("steps", (5, 1_000_000)), Axis("learning_rate", (0.01, 0.1))))
    run = SweepRun(spec, window.session.store, 1, executor=ThreadExecutor(1))
    view, plot = window.sweep_view, window.plot
    view.start(run)
    try:
        qtbot.waitUntil(lambda: view.proxy.rowCount() == 2, timeout=240_000)
        ended = {window.session.runs[run_id].settings.learning_rate: run_id for run_id in view.visible_run_ids()}
        view.show_button.click()                            # Show on Loss plot: the ended trials
        plot.look.controls.set_colour_by("learning_rate")

        def drawn_live() -> bool:     # the third trial, training (its run started), on the plot with steps
            record = next((outcome.record for outcome in run.runner.outcomes if outcome.trial.index == 2), None)
            return record is not None and record.id in plot.runs and plot.runs[record.id].buffer.size > 0

        qtbot.waitUntil(drawn_live, timeout=30_000)
        training = next(outcome.record for outcome in run.runner.outcomes if outcome.trial.index == 2)
        plot.redraw()
        curves, key = plot.runs[training.id], plot.look.key
        assert key is not None and key.name == "learning_rate" and curves.visible
        assert curves.buffer.steps[0] == 1        # from its first step, though it took some before the sweep was shown
        assert curves.sweep.values["learning_rate"] == training.settings.learning_rate == 0.01
        assert curves.color == key.colour(0.01).name() == plot.runs[ended[0.01]].color != key.colour(0.1).name()
    finally:
        with qtbot.waitSignal(run.finished, timeout=30_000):
            view.stop_button.click()
    # the stopped trial is shown as its saved run, in its place and colour
    qtbot.waitUntil(lambda: window.session.is_shown(training.id) and training.id in plot.runs, timeout=10_000)
    plot.redraw()
    assert plot.runs[training.id].color == plot.look.key.colour(0.01).name()
    assert not window.live_trials.running
