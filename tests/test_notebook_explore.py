"""kgui.notebook: explore() in a real kernel, its controls, the experiment keywords, and LivePlot."""
import asyncio
import threading
import time

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import kgui
from kgui.core.training import metrics
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer
from kgui.notebook import LivePlot, explore
from kgui.core.workers.remote_job import RemoteJob
from kgui.notebook.explorer import shutdown_workers
from kgui.notebook.experiment_keywords import settings_from_keywords
from kgui.notebook.live_plot import DRAW_INTERVAL_S, LIVE_RUN
from notebook_support import execute, text_of
from PyQt6.QtCore import QEvent, QObject
from PyQt6.QtWidgets import QApplication, QWidget

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module", autouse=True)
def no_worker_left():
    yield
    shutdown_workers()


def test_a_notebook_explores_finds_the_run_in_its_runs_and_shows_its_fit(tmp_path):
    notebook = new_notebook(cells=[
        new_code_cell("import kgui\nfrom kgui.notebook import explore\n"
                      "explorer = explore(dataset='linear', steps=50)"),
        new_code_cell("record = explorer.wait(300)\nruns = kgui.runs()\n"
                      "print(record.status, len(runs), runs.loc[record.id, 'steps_taken'])\n"
                      "import sys\nprint([name for name in sys.modules if name.endswith('_backend')])"),
        new_code_cell("from kgui.notebook import LivePlot\nplot = LivePlot('my loop', steps=2000)\n"
                      "for step in range(1, 2001):\n    plot.update(step, 1 / step)"),
        new_code_cell("print(plot.loss_plot.runs['live'].buffer.size, plot.frame._rfb_last_frame.shape)"),
        new_code_cell("import numpy as np\nclassifier = explore(dataset='iris', steps=30)\nfinal = classifier.wait(300)\n"
                      "page = classifier.fit_view.classes_page\nframe = classifier.fit_frame.get_frame()\n"
                      "print(final.status, final.history[-1].accuracy, classifier.fit_view.currentWidget() is page)\n"
                      "print(' '.join(page.matrix.texts()))\n"
                      "print(frame.shape, len(np.unique(frame.reshape(-1, 4), axis=0)) > 20)")])
    execute(notebook, tmp_path, {"KGUI_RUNS_DIR": str(tmp_path / "runs")}, cwd=tmp_path)
    explore_cell, runs_cell, loop_cell, plotted_cell, fit_cell = notebook.cells
    assert any(WIDGET_VIEW in output.get("data", {}) for output in explore_cell.outputs)   # the explorer's widgets
    assert "Traceback" not in text_of(explore_cell) and not any(o.output_type == "stream" and o.name == "stderr"
                                                                for o in explore_cell.outputs)
    assert text_of(runs_cell).strip() == "finished 1 50\n[]"    # no engine in the kernel: it trained in a worker
    assert any(WIDGET_VIEW in output.get("data", {}) for output in loop_cell.outputs)
    assert text_of(plotted_cell).strip() == "2000 (320, 640, 4)"   # the steps after the last frame: at the cell's end

    printed = "".join(output.text for output in fit_cell.outputs if output.output_type == "stream")
    ended, shown, frame = printed.strip().splitlines()
    status, accuracy, classes_page = ended.split()
    trainer = Trainer(ExperimentSettings(dataset="iris", steps=30))   # the same seed: the same final weights
    trainer.run()
    final = metrics.validation_confusion(trainer)
    assert (status, classes_page) == ("finished", "True")
    assert [int(count) for count in shown.split()] == final.counts.ravel().tolist()   # the final step's matrix
    assert float(accuracy) == pytest.approx(final.accuracy)
    assert frame == "(420, 360, 4) True"                                  # drawn in the cell, not blank


def test_the_rate_slid_mid_run_trains_the_next_steps_and_stop_ends_it(tmp_path):
    explorer = explore(dataset="linear", lr=0.01, steps=100_000, store=tmp_path)

    def history():
        explorer.refresh()
        return explorer.session.runs[explorer.run_id].history if explorer.run_id else []

    deadline = time.monotonic() + 120
    while len(history()) < 5:
        assert time.monotonic() < deadline, "no steps"
        time.sleep(0.05)
    explorer.rate_slider.value = 0.3           # as the user slides it
    assert explorer.learning_rate == 0.3
    while history()[-1].learning_rate != 0.3:
        assert time.monotonic() < deadline, "the new rate never reached the run"
        time.sleep(0.05)
    explorer.stop()
    record = explorer.wait(60)
    assert record.status == "stopped" and record.lr_changes and record.lr_changes[-1][1] == 0.3
    assert {step.learning_rate for step in record.history} == {0.01, 0.3}
    assert kgui.runs(tmp_path).loc[record.id, "final_learning_rate"] == 0.3
    plotted = explorer.loss_plot.runs[record.id]
    assert plotted.buffer.size == len(record.history) and plotted.rates() == [0.01, 0.3]
    assert "stopped" in explorer.status.value and not explorer.start_button.disabled
    assert isinstance(explorer.job, RemoteJob)           # trained in a worker process


def test_the_decision_boundary_shows_for_2d_data_only(tmp_path):
    explorer = explore(dataset="circle", steps=30, store=tmp_path)
    assert explorer.wait(120).status == "finished"
    assert explorer.surface_box.layout.display == "flex" and explorer.surface_view.surface is not None
    frame = explorer.surface_frame.get_frame()
    assert frame.shape == (360, 360, 4) and len(np.unique(frame.reshape(-1, 4), axis=0)) > 20   # drawn, not blank
    explorer = explore(dataset="iris", steps=5, store=tmp_path)
    explorer.wait(120)
    assert explorer.surface_box.layout.display == "none"


def test_explore_takes_the_command_lines_keywords():
    assert settings_from_keywords({"dataset": "spiral", "hidden": (8, 8), "model": "mlp", "lr": 0.03,
                                   "option": {"n": 300}, "noise": 0.1, "batch_size": 16}) == ExperimentSettings(
        dataset="spiral", hidden=(8, 8), model="mlp", learning_rate=0.03, dataset_options={"n": 300, "noise": 0.1},
        batch_size=16)
    with pytest.raises(ValueError, match="^unknown keyword 'learning_rat'; the keywords are activation, "):
        explore(learning_rat=0.1)
    with pytest.raises(ValueError, match="^batch_size: invalid int value: 'a'$"):
        explore(batch_size="a")
    with pytest.raises(ValueError, match="^nesterov applies to the sgd optimizer only"):
        explore(optimizer="adam", nesterov=True)
    with pytest.raises(ValueError, match="explore one engine at a time"):
        explore(backend="all")
    with pytest.raises(ValueError, match="not both"):
        explore(ExperimentSettings(), lr=0.1)


def test_live_plot_draws_at_most_ten_frames_a_second_and_every_step_at_the_end():
    plot = LivePlot("my loop", steps=3000, show=False)
    start = time.perf_counter()
    for step in range(1, 3001):
        plot.update(step, 1 / step)
        if step % 10 == 0:
            time.sleep(0.002)
    took = time.perf_counter() - start
    assert 1 <= plot.frames <= took / DRAW_INTERVAL_S + 1
    plot.close()
    buffer = plot.loss_plot.runs[LIVE_RUN].buffer
    assert buffer.size == 3000 and buffer.train[-1] == 1 / 3000
    assert plot.loss_plot.labels() == ["#1 my loop"]          # no rate given: none in the legend, no markers
    frame = plot.frame.get_frame()
    assert frame.shape == (320, 640, 4) and len(np.unique(frame.reshape(-1, 4), axis=0)) > 10


def test_live_plot_marks_a_rate_its_loop_changed_once_where_it_changed():
    """A loop's own rates: LivePlot decides the changes (no trainer runs there) and the plot draws what it is given."""
    plot = LivePlot("my loop", steps=40, learning_rate=0.1, show=False)
    for step in range(1, 41):
        plot.update(step, 1 / step, learning_rate=0.1 if step < 12 or step >= 30 else 0.02)
    plot.close()
    assert plot.loss_plot.marker_labels(LIVE_RUN) == [(12, "lr 0.02"), (30, "lr 0.1")]
    assert plot.loss_plot.labels() == ["#1 my loop · lr 0.1 → 0.02 → 0.1"]


def test_the_fit_view_is_laid_out_for_what_it_shows_when_drawn_and_zooms_and_pans(tmp_path):
    """The kernel runs no Qt event loop: a caption that grew to two lines still gets its height in the frame; the
    browser's wheel and drag reach the plot under the pointer."""
    explorer = explore(dataset="diabetes", steps=5, store=tmp_path)
    assert explorer.wait(120).status == "finished"
    caption = explorer.fit_view.predictions_page.caption
    assert explorer.fit_view.currentWidget() is explorer.fit_view.predictions_page and "after step 5" in caption.text()
    frame = explorer.fit_frame.get_frame()
    assert frame.shape == (420, 360, 4)
    assert caption.height() >= caption.heightForWidth(caption.width()) > caption.fontMetrics().height()   # 2 lines
    assert caption.geometry().bottom() < explorer.fit_view.height()
    plot = explorer.fit_view.predictions_page.plot.getPlotItem()
    centre = explorer.fit_view.predictions_page.plot.mapTo(explorer.fit_view,
                                                            explorer.fit_view.predictions_page.plot.rect().center())
    (x_low, x_high), _ = plot.viewRange()
    explorer.fit_frame.handle_event({"event_type": "wheel", "x": centre.x(), "y": centre.y(), "dx": 0, "dy": -240,
                                     "modifiers": []})
    (zoomed_low, zoomed_high), _ = plot.viewRange()
    assert zoomed_high - zoomed_low < 0.9 * (x_high - x_low)                          # zoomed in
    press = {"event_type": "pointer_down", "x": centre.x(), "y": centre.y(), "button": 1, "buttons": [1],
             "modifiers": []}
    explorer.fit_frame.handle_event(press)
    explorer.fit_frame.handle_event({**press, "event_type": "pointer_move", "x": centre.x() + 40})
    explorer.fit_frame.handle_event({**press, "event_type": "pointer_up", "x": centre.x() + 40, "buttons": []})
    (panned_low, panned_high), _ = plot.viewRange()
    assert panned_low < zoomed_low and panned_high - panned_low == pytest.approx(zoomed_high - zoomed_low)  # dragged


class WidgetEvents(QObject):
    """Every event Qt delivers to a widget, as (thread, event type): an application-wide event filter."""

    def __init__(self):
        super().__init__()
        self.seen: set[tuple[int, QEvent.Type]] = set()

    def eventFilter(self, watched, event) -> bool:
        if isinstance(watched, QWidget):
            self.seen.add((threading.get_ident(), event.type()))
        return False


def test_frames_are_rendered_and_the_browsers_input_applied_on_the_main_thread_only(tmp_path):
    """In JupyterLab, jupyter_rfb takes the browser's messages (frame confirmations, resizes, the wheel) on an
    ipykernel subshell thread running its own event loop, and draws from there: while the run trains (the main
    thread's loop applying its events), no widget may be touched on that thread (a render there drew torn curves and
    once crashed the kernel), and the frames it sends are the main thread's, which it cannot change."""
    main_thread = threading.get_ident()
    watcher = WidgetEvents()
    received: list = []

    def browser(frames, training: threading.Event) -> None:      # the subshell's thread
        async def talk() -> None:
            for frame in frames:
                frame._has_visible_views = True
                frame._rfb_handle_msg(frame, {"type": "resize", "width": 300, "height": 280, "ratio": 1.0}, [])
            while training.is_set():
                for frame in frames:
                    frame._rfb_handle_msg(frame, {"type": "wheel", "x": 150, "y": 140, "dx": 0, "dy": -30,
                                                  "modifiers": [], "buttons": []}, [])
                    frame._frame_feedback = {"index": frame._rfb_frame_index, "timestamp": time.time(),
                                             "localtime": time.time()}
                    received.append(frame.get_frame())
                await asyncio.sleep(0.01)
        asyncio.run(talk())

    async def notebook() -> None:                                 # the kernel's main thread
        explorer = explore(dataset="diabetes", steps=300, store=tmp_path)
        frames = [explorer.loss_frame, explorer.fit_frame]
        training = threading.Event()
        training.set()
        thread = threading.Thread(target=browser, args=(frames, training))
        QApplication.instance().installEventFilter(watcher)
        try:
            thread.start()
            deadline = time.monotonic() + 120
            while explorer.running or not explorer.run_id:
                assert time.monotonic() < deadline, "the run never ended"
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.3)
        finally:
            training.clear()
            thread.join(30)
            QApplication.instance().removeEventFilter(watcher)
        assert explorer.job.result.status == "finished"
        shown = explorer.fit_frame.get_frame()
        for _ in range(3):                               # the classic Notebook: the browser's input on the main thread
            explorer.fit_frame.handle_event({"event_type": "wheel", "x": 150, "y": 140, "dx": 0, "dy": -30,
                                             "modifiers": []})
        assert explorer.fit_frame.get_frame() is shown   # queued: not one render per event
        await asyncio.sleep(0.1)
        assert explorer.fit_frame.get_frame() is not shown
        assert all(frame.get_stats()["sent_frames"] > 1 and frame._rfb_last_frame.shape == (280, 300, 4)
                   for frame in frames)                  # jupyter_rfb sent frames from the browser's thread

    asyncio.run(notebook())
    threads = {thread for thread, _ in watcher.seen}
    assert threads == {main_thread}                       # painted, resized and zoomed on the main thread only
    assert {QEvent.Type.Paint, QEvent.Type.Wheel, QEvent.Type.Resize} <= {kind for _, kind in watcher.seen}
    assert received and not any(frame.flags.writeable for frame in received)
