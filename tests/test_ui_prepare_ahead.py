"""Issue 14, the first minute: the shown window prepares the controls' experiment in the background (dataset,
engine import, compile), again when the controls change, and Start takes the prepared trainer instead of preparing
again. While a run prepares, its row is in the runs table with status loading…/compiling… and the status bar counts
the seconds. Real window, real engines; no timed assertion (the timing is bench/bench_gui.py's)."""
from kgui.core.session import Phase

from ui_support import configure, messages, wait_until_idle, window  # noqa: F401 - fixtures


def prepared(qtbot, win):
    qtbot.waitUntil(lambda: win.session.preparation is not None and win.session.preparation.ready, timeout=120_000)
    return win.session.preparation


def test_the_shown_window_prepares_the_experiment_and_start_does_not_prepare_again(qtbot, window):
    configure(window, "tensorflow", steps=5, rate=0.05)
    preparation = prepared(qtbot, window)
    assert preparation.settings.backend == "tensorflow" and preparation.settings.dataset_options == {"n": 200}
    assert window.store.list() == [] and not window.running      # nothing started, nothing written

    window.lr_control.set_rate(0.2)                               # the rate is a K variable: still the same
    qtbot.wait(700)
    assert window.session.preparation is preparation
    phases = []
    window.session.subscribe(lambda event: isinstance(event, Phase) and phases.append(event.text))
    assert window.start()
    assert window.jobs.job.prepared_ahead and window.jobs.job.preparation is preparation
    wait_until_idle(qtbot, window)
    assert window.record.status == "finished" and len(window.record.history) == 5 and phases == []
    assert window.record.history[0].learning_rate == 0.2 and preparation.taken

    window.backend_picker.select("theano")                        # another engine: prepared too, without Start
    other = prepared(qtbot, window)
    assert other is not preparation and other.settings.backend == "theano" and other.trainer.model is not None


def test_a_run_that_prepares_shows_its_row_and_the_elapsed_time_and_stop_ends_it(qtbot, window):
    window.hide()                                                 # no preparing ahead: Start prepares
    configure(window, "tensorflow", steps=5, n=321)
    statuses = []
    window.session.subscribe(lambda event: isinstance(event, Phase) and statuses.append(
        (window.runs_table.table.item(window.runs_table.row_of(event.run.id), 9).text(),
         window.engine_state.text())))
    assert window.start()
    qtbot.waitUntil(lambda: bool(statuses), timeout=60_000)
    window.stop()
    wait_until_idle(qtbot, window)
    assert statuses[0][0] == "loading…" and statuses[0][1].startswith("loading dataset… ")
    assert statuses[0][1].endswith(" s")
    assert window.record.status in ("stopped", "finished")
