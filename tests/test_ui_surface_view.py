"""The decision-boundary heatmap: colours by class probability or value, points per split, stale runs ignored."""
import numpy as np
import pytest

from kgui.core.training.surface import Surface
from kgui.ui.code_view import CodeView
from kgui.ui.surface_view import NEGATIVE, POSITIVE, SurfaceView, surface_colours


def grid_surface(values, task="classification", n_classes=2):
    xs = ys = np.linspace(-1, 1, values.shape[0])
    classes = (values > 0.5).astype(np.int64) if task == "classification" else None
    confidence = np.maximum(values, 1 - values) if task == "classification" else None
    return Surface(xs, ys, values.astype(np.float32), task, classes, confidence, n_classes)


def test_two_class_colours_go_from_blue_through_white_to_orange():
    colours = surface_colours(grid_surface(np.array([[0.0, 0.5], [1.0, 0.75]])))
    assert colours.shape == (2, 2, 4) and colours.dtype == np.uint8
    assert tuple(colours[0, 1, :3]) == (255, 255, 255)
    assert np.argmax(colours[0, 0, :3]) == np.argmax(NEGATIVE) and np.argmax(colours[1, 0, :3]) == 0
    assert (np.abs(colours[1, 1, :3].astype(int) - 255) < np.abs(colours[1, 0, :3].astype(int) - 255) + 1).all()


def test_regression_colours_follow_the_sign_of_the_value():
    colours = surface_colours(grid_surface(np.array([[-2.0, 0.0], [2.0, 1.0]]), task="regression"))
    assert tuple(colours[0, 1, :3]) == (255, 255, 255)
    assert np.argmax(colours[1, 0, :3]) == np.argmax(POSITIVE) and np.argmax(colours[0, 0, :3]) == np.argmax(NEGATIVE)


class Data:
    name, task = "toy", "classification"
    x_train = np.array([[0, 0], [1, 1]], np.float32)
    y_train = np.array([[1, 0], [0, 1]], np.float32)
    x_val = np.array([[0.5, 0.5]], np.float32)
    y_val = np.array([[0, 1]], np.float32)
    n_features = 2


def test_view_draws_points_and_only_the_live_runs_surface(qtbot):
    view = SurfaceView()
    qtbot.addWidget(view)
    view.show()
    view.show_dataset("run-1", Data())
    assert len(view.train_points.data) == 2 and len(view.val_points.data) == 1
    view.show_surface("run-0", grid_surface(np.zeros((4, 4))))
    assert view.surface is None
    surface = grid_surface(np.full((4, 4), 0.9))
    view.show_surface("run-1", surface)
    assert view.surface is surface and view.image.image.shape == (4, 4, 4)


def test_hidden_view_colours_only_the_latest_surface_once_shown(qtbot):
    view = SurfaceView()
    qtbot.addWidget(view)
    view.show_dataset("run-1", Data())
    view.show_surface("run-1", grid_surface(np.full((4, 4), 0.1)))
    latest = grid_surface(np.full((5, 5), 0.9))
    view.show_surface("run-1", latest)
    assert view.surface is latest and view.image.image is None      # hidden (another dock in front): not coloured
    view.show()
    qtbot.waitExposed(view)
    assert view.image.image.shape == (5, 5, 4)
    assert view.train_points.cacheMode() != view.train_points.CacheMode.NoCache   # the points are not redrawn


def test_code_view_copies_the_script(qtbot):
    view = CodeView()
    qtbot.addWidget(view)
    assert not view.copy_button.isEnabled()
    view.show_script("import kgui.backend as K\n", "linear · sgd")
    view.copy()
    from PyQt6.QtGui import QGuiApplication
    assert QGuiApplication.clipboard().text() == "import kgui.backend as K\n"
    assert view.save_button.isEnabled()


def test_discretized_colours_show_only_the_class_or_the_sign():
    values = np.array([[0.6, 0.99], [0.1, 0.45]])
    discrete = surface_colours(grid_surface(values), discretize=True)
    assert (discrete[0, 0] == discrete[0, 1]).all() and (discrete[1, 0] == discrete[1, 1]).all()
    assert (discrete[0, 0] == surface_colours(grid_surface(np.array([[1.0]])))[0, 0]).all()   # full orange
    assert not (surface_colours(grid_surface(values))[0, 0] == discrete[0, 0]).all()
    regression = surface_colours(grid_surface(np.array([[0.2, 3.0], [-0.1, -4.0]]), task="regression"),
                                 discretize=True)
    assert (regression[0, 0] == regression[0, 1]).all() and (regression[1, 0] == regression[1, 1]).all()
    three = grid_surface(np.array([[0.0, 1.0]]), n_classes=3)
    three = Surface(three.xs, three.ys, three.values, "classification", np.array([[2, 2]]), np.array([[0.4, 0.9]]), 3)
    shaded, flat = surface_colours(three), surface_colours(three, discretize=True)
    assert not (shaded[0, 0] == shaded[0, 1]).all() and (flat[0, 0] == flat[0, 1]).all()


def test_show_test_data_and_discretize_toggles(qtbot):
    view = SurfaceView()
    qtbot.addWidget(view)
    view.show()
    view.show_dataset("run-1", Data())
    surface = grid_surface(np.full((4, 4), 0.6))
    view.show_surface("run-1", surface)
    shaded = view.image.image.copy()
    assert view.val_points.isVisible()
    view.show_test_box.setChecked(False)
    assert not view.val_points.isVisible() and view.train_points.isVisible()
    view.discretize_box.setChecked(True)
    assert not (view.image.image == shaded).all()
    assert (view.image.image == surface_colours(surface, discretize=True)).all()
    view.set_classroom({"discretize"}, {"show_test_data"})
    assert not view.discretize_box.isVisibleTo(view) and not view.show_test_box.isEnabled()
