"""The Fit dock: following the table selection, a saved run's accuracy, confusion matrix headings, predicted
against actual."""
import numpy as np
import pytest

from ui_support import messages, train, wait_for_job, window  # noqa: F401 - fixtures


# -- the Fit dock follows the table selection as the Decision boundary dock does -----------------------------------

def test_fit_dock_follows_the_table_selection_like_the_decision_boundary(qtbot, window):
    line = train(qtbot, window, steps=20, rate=0.3, n=100)
    window.form.dataset_picker.select("xor", {})
    window.form.steps_box.setValue(10)
    assert window.start()
    wait_for_job(qtbot, window)
    classes = window.session.last_ended
    fit, surface = window.fit_view, window.surface_view
    assert fit.currentWidget() is fit.classes_page and fit.run_id == surface.run_id == classes.id

    window.runs_table.select(line.id)
    assert fit.run_id == surface.run_id == line.id
    assert fit.currentWidget() is fit.line_page
    last = line.history[-1].params
    assert fit.line_page.caption.text().startswith(f"w = {last['w']:.4f}")
    assert list(fit.line_page.fit_curve.yData) == pytest.approx(
        [last["w"] * x + last["b"] for x in fit.line_page.fit_curve.xData])

    window.runs_table.select(classes.id)     # the live (last) run: shown live again, its matrix too
    assert fit.run_id == surface.run_id == classes.id
    assert fit.currentWidget() is fit.classes_page and fit.classes_page.matrix.rowCount() == 2

    window.commands.range_test.trigger()       # a range test trains no run: no old fit stays on show
    assert fit.currentWidget() is fit.hint and "range test" in fit.hint.text()
    window.stop()
    wait_for_job(qtbot, window)


def test_fit_dock_shows_a_saved_runs_accuracy_and_says_why_not_its_line(qtbot, tmp_path, messages):
    from kgui.core.runs import RunStore
    from kgui.ui.main_window import MainWindow
    first = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(first)
    first.show()
    line = train(qtbot, first, steps=10, rate=0.3, n=100)
    first.form.dataset_picker.select("xor", {})
    assert first.start()
    wait_for_job(qtbot, first)
    classes = first.session.last_ended
    first.close()
    again = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(again)
    again.show()
    fit = again.fit_view
    again.runs_table.select(classes.id)
    assert fit.currentWidget() is fit.classes_page and fit.run_id == classes.id
    assert len(fit.classes_page.curve.xData) == len(classes.history)
    again.runs_table.select(line.id)
    assert fit.currentWidget() is fit.hint and "trained in this session" in fit.hint.text()




def test_digits_confusion_matrix_is_headed_by_the_digits(qtbot, window):
    from kgui.ui.fit_view import class_headers
    assert class_headers([str(d) for d in range(10)]) == [str(d) for d in range(10)]
    assert class_headers(["Class_1", "Class_2"]) == ["1", "2"]       # long labels: numbered, named below
    window.form.dataset_picker.select("digits", {})
    window.form.steps_box.setValue(3)
    window.form.lr_control.set_rate(0.1)
    assert window.start()
    wait_for_job(qtbot, window)
    matrix = window.fit_view.classes_page.matrix
    assert [matrix.horizontalHeaderItem(i).text() for i in range(10)] == [str(d) for d in range(10)]
    assert [matrix.verticalHeaderItem(i).text() for i in range(10)] == [str(d) for d in range(10)]
    assert "1 = 0" not in window.fit_view.classes_page.classes.text()




# -- multi-feature regression's Fit: predicted against actual -----------------------------------------------------

def test_diabetes_fit_shows_predicted_against_actual_with_the_identity_line(qtbot, window):
    window.form.dataset_picker.select("diabetes", {})
    window.form.steps_box.setValue(30)
    window.form.lr_control.set_rate(0.1)
    assert window.start()
    wait_for_job(qtbot, window)
    assert window.session.last_ended.status == "finished", window.session.last_ended.message
    fit = window.fit_view
    page = fit.predictions_page
    assert fit.currentWidget() is page
    qtbot.waitUntil(lambda: page.scatter.data.size > 0, timeout=10_000)
    actual, predicted = page.scatter.getData()
    assert len(actual) == len(predicted) > 50
    (x0, x1), (y0, y1) = page.identity.getData()
    assert (x0, x1) == (y0, y1) and x0 < x1
    assert "after step 30" in page.caption.text() and "validation rows" in page.caption.text()
    assert np.corrcoef(actual, predicted)[0, 1] > 0.3          # it learned something: the cloud leans along y = x


def test_fit_captions_keep_the_docks_margin_where_no_dock_frames_them(qtbot, window):
    """A notebook cell paints the Fit view itself (kgui.notebook.qt.WidgetFrame: ``render``), with no dock around it:
    its caption's text starts as far from the edge as the Decision boundary dock's caption does in the window."""
    from PyQt6.QtCore import QPoint
    from PyQt6.QtGui import QColor, QImage, QPainter

    train(qtbot, window, steps=20, rate=0.3, n=100)
    fit, surface = window.fit_view, window.surface_view
    assert fit.currentWidget() is fit.line_page and fit.line_page.caption.text().startswith("w = ")
    window_margin = surface.caption.mapTo(surface, QPoint(0, 0)).x() + surface.caption.contentsRect().left()
    assert window_margin > 0
    image = QImage(fit.width(), fit.height(), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    fit.render(painter)
    painter.end()
    caption = fit.line_page.caption
    top = caption.mapTo(fit, QPoint(0, 0)).y()
    inked = [x for x in range(image.width()) for y in range(top, top + caption.height())
             if QColor(image.pixel(x, y)).lightness() < 128]
    assert min(inked) >= window_margin
    for label in (fit.predictions_page.caption, fit.classes_page.title, fit.classes_page.classes):
        assert label.contentsRect().left() == caption.contentsRect().left()


def test_the_accuracy_axis_title_is_read_whole_in_a_short_dock(qtbot):
    """At its least height (a short dock, a notebook cell's 360 × 420 frame) the accuracy plot's left axis still
    holds its title: it was "validation accuracy", cut to "validation accur" at 100 px."""
    from kgui.ui.fit_view import FitView

    view = FitView()
    qtbot.addWidget(view)
    view.resize(330, 330)
    view.setCurrentWidget(view.classes_page)
    view.show()
    qtbot.waitExposed(view)
    axis = view.classes_page.plot.getPlotItem().getAxis("left")
    assert view.classes_page.plot.height() == view.classes_page.plot.minimumHeight()
    assert axis.label.toPlainText().strip() == "accuracy"
    assert axis.label.boundingRect().width() <= axis.geometry().height()
