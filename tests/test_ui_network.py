"""The Network and Layers docks: nodes and links match the model's shapes, links as wide as |w|, a layer above 16
neurons drawn as its 16 strongest plus "+N more", hovering a neuron shows it in the Decision boundary dock, a
weight set while paused reaches the next step, and a saved run shows its statistics again after a restart."""
import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest

from kgui.core.training import layer_stats
from kgui.core.data.datasets import load_dataset
from kgui.core.runs import RunStore, WeightEdit
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer
from kgui.ui.main_window import MainWindow
from kgui.ui.layers_view import LayersView
from kgui.ui.network_view import MAX_SHOWN, MIN_PICTURE_HEIGHT, NetworkView, Pick, link_width

from ui_support import RUN_TIMEOUT_MS, messages, wait_until_idle, window  # noqa: F401 - fixtures

OTTO = Path(os.environ.get("KGUI_OTTO_DIR", Path(__file__).resolve().parents[2] / "shared/data/kaggle_ottogroup"))
SPIRAL = ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), activation="tanh", optimizer="adam",
                            learning_rate=0.03, steps=60)


def spiral_window(win, steps=60, paused=False):
    win.apply_settings(SPIRAL.replace(steps=steps))
    assert win.start(paused=paused)


def test_nodes_links_and_biases_match_the_models_shapes_and_widths_follow_w(qtbot, window):
    spiral_window(window)
    wait_until_idle(qtbot, window)
    view = window.network_docks.network
    window.network_dock.raise_()
    qtbot.waitUntil(lambda: view.nodes and view.stats is not None and view.stats.step == 60, timeout=RUN_TIMEOUT_MS)
    assert [len(column) for column in view.nodes] == [2, 8, 8, 2]
    assert len(view.links) == 2 * 8 + 8 * 8 + 8 * 2 and len(view.biases) == 8 + 8 + 2
    assert {(m, r, c) for m, r, c in view.links} == {(m, r, c) for m, (rows, cols) in enumerate([(2, 8), (8, 8), (8, 2)])
                                                     for r in range(rows) for c in range(cols)}
    weights = view.stats.weights
    magnitudes = np.array([abs(float(weights[2 * m][r, c])) for m, r, c in view.links])
    widths = np.array([link.pen().widthF() for link in view.links.values()])
    assert view.link_scale == pytest.approx(magnitudes.max())
    np.testing.assert_allclose(widths, [link_width(w, view.link_scale) for w in magnitudes], rtol=1e-6)
    order = np.argsort(magnitudes)
    assert (np.diff(widths[order]) >= -1e-9).all() and widths[order[-1]] > widths[order[0]]
    colours = {(float(weights[2 * m][r, c]) > 0): link.pen().color().name() for (m, r, c), link in view.links.items()}
    assert colours[True] != colours[False]                     # coloured by sign
    # every neuron is a heatmap over the plane; hovering one shows it large in the Decision boundary dock
    node = view.nodes[1][3]
    assert not node.thumbnail.pixmap().isNull()
    view.hover_node(1, 3)
    surface_view = window.surface_view
    assert "layer 1 neuron 4" in surface_view.caption.text()
    np.testing.assert_array_equal(surface_view._drawn.values, view.stats.neuron_grids[0][..., 3])
    view.hover_node(None, None)
    assert "decision boundary" in surface_view.caption.text()
    layers = window.network_docks.layers
    window.layers_dock.raise_()
    qtbot.waitUntil(lambda: layers.isVisible())
    assert len(layers.gradients.listDataItems()) == 3 and len(layers.dead.listDataItems()) == 2
    assert layers.image.image.shape[0] == layer_stats.HISTOGRAM_BINS


def test_a_layer_above_16_neurons_shows_its_16_strongest_and_the_rest_counted(qtbot):
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    full = load_dataset("otto", {"path": str(OTTO / "train.csv.gz")})
    dataset = dataclasses.replace(full, x_train=full.x_train[:2000], y_train=full.y_train[:2000],
                                  x_val=full.x_val[:500], y_val=full.y_val[:500])
    trainer = Trainer(ExperimentSettings(dataset="otto", model="mlp", hidden=(64, 32), steps=5), dataset=dataset)
    trainer.prepare()
    stats = layer_stats.compute(trainer.model, dataset, 0)
    view = NetworkView()
    qtbot.addWidget(view)
    view.show()
    view.show_stats(stats, None, dataset.feature_names, dataset.class_names)
    assert [len(column) for column in view.nodes] == [MAX_SHOWN, MAX_SHOWN, MAX_SHOWN, 9]
    assert view.more == [93 - 16, 64 - 16, 32 - 16, 0]
    strength = np.abs(stats.weights[2]).sum(axis=1)          # layer 1's outgoing weights
    assert set(view.nodes[1]) == set(np.argsort(-strength)[:MAX_SHOWN].tolist())
    assert len(view.links) == 16 * 16 + 16 * 16 + 16 * 9
    labels = [child.text() for node in view.nodes[0].values() for child in node.childItems() if hasattr(child, "text")]
    assert all(label in dataset.feature_names for label in labels) and len(labels) == 16
    view.hover_node(2, next(iter(view.nodes[2])))             # no plane: the neuron's histogram
    assert "mean activation" in view.detail.text() and view.detail_plot.isVisibleTo(view)


def test_a_weight_set_while_paused_is_used_by_the_next_step_and_recorded(qtbot, window):
    spiral_window(window, steps=50, paused=True)
    window.jobs.step_once()
    view = window.network_docks.network
    window.network_dock.raise_()
    qtbot.waitUntil(lambda: view.stats is not None and view.stats.step == 1, timeout=RUN_TIMEOUT_MS)
    link = view.links[(1, 3, 2)]
    link.mousePressEvent(None)      # a click on it (where links cross, the one on top gets the click)
    assert view.picked == Pick(2, (3, 2)) and "W2[3,2]" in view.detail.text()
    assert view.set_button.isEnabled()
    view.value_box.setText("0.5")
    view.set_button.click()
    window.jobs.step_once()
    qtbot.waitUntil(lambda: view.stats.step == 2, timeout=RUN_TIMEOUT_MS)
    assert abs(float(view.stats.weights[2][3, 2]) - 0.5) < 0.05    # Adam moved it at most ~lr from 0.5
    window.stop()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.weight_edits == [WeightEdit(2, "W2", (3, 2), 0.5)]
    assert not view.set_button.isEnabled()


def test_a_saved_run_shows_its_layer_stats_after_a_restart(qtbot, tmp_path, messages):  # noqa: F811
    first = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(first)
    first.show()
    spiral_window(first, steps=30)
    wait_until_idle(qtbot, first)
    run_id = first.session.last_ended.id
    first.close()

    again = MainWindow(store=RunStore(tmp_path / "runs"))
    qtbot.addWidget(again)
    again.show()
    again.runs_table.select(run_id)
    docks = again.network_docks
    assert docks.shown_run_id == run_id
    again.network_dock.raise_()
    qtbot.waitUntil(lambda: bool(docks.network.nodes))
    assert [len(column) for column in docks.network.nodes] == [2, 8, 8, 2]
    assert "saved with the run" in docks.network.caption.text() and docks.network.stats.step == 30
    assert docks.layers.history.steps[-1] == 30 and docks.layers.history.steps[0] == 1


def test_computed_input_features_are_input_nodes_with_heatmaps_of_themselves(qtbot, window):
    window.apply_settings(SPIRAL.replace(steps=5, features=("x1", "x2", "x1_squared", "x2_squared", "sin_x1")))
    assert window.start()
    wait_until_idle(qtbot, window)
    view = window.network_docks.network
    window.network_dock.raise_()
    qtbot.waitUntil(lambda: bool(view.nodes) and view.stats.step == 5, timeout=RUN_TIMEOUT_MS)
    assert [len(column) for column in view.nodes] == [5, 8, 8, 2]
    assert view.stats.input_grid.shape == (64, 64, 5)
    assert all(not node.thumbnail.pixmap().isNull() for node in view.nodes[0].values())
    labels = [child.text() for node in view.nodes[0].values() for child in node.childItems() if hasattr(child, "text")]
    assert labels == list(window.network_docks._names[window.session.live_run_id][0])


def test_layer_stats_export_from_the_layers_dock_in_four_formats(qtbot, window, tmp_path):
    spiral_window(window, steps=20)
    wait_until_idle(qtbot, window)
    layers = window.network_docks.layers
    window.layers_dock.raise_()
    qtbot.waitUntil(lambda: layers.history is not None and layers.history.steps[-1] == 20, timeout=RUN_TIMEOUT_MS)
    target = layers.export_target()
    assert target.empty_message == ""
    for suffix in ("csv", "json", "png", "svg"):
        path = target.export(tmp_path / f"layers.{suffix}")
        assert path.stat().st_size > 200, suffix
    assert (tmp_path / "layers.csv").read_text().startswith("step,gradient_norm/W1")
    assert (tmp_path / "layers.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "layers.svg").read_text()[:2000]


@pytest.mark.parametrize("settings", [ExperimentSettings(dataset="linear", steps=12),
                                      ExperimentSettings(dataset="iris", model="softmax", steps=12)],
                         ids=["linear regression", "softmax"])
def test_a_model_without_hidden_layers_draws_inputs_and_outputs_only(qtbot, tmp_path, settings):
    from kgui.core.session import JobKind, Session

    session = Session(RunStore(tmp_path / "runs"))
    record = session.new_job(JobKind.TRAINING, settings, layer_stats_every=5).run()
    assert record.status == "finished", record.message
    saved = layer_stats.load_saved(session.store.folder(record.id))
    assert saved.steps == [1, 5, 10, 12] and saved.series("dead_fraction").shape == (4, 0)
    network, layers = NetworkView(), LayersView()
    for view in (network, layers):
        qtbot.addWidget(view)
        view.show()
    network.show_stats(saved.latest, saved)
    layers.show_history(saved)
    widths = saved.latest.layer_widths
    assert [len(column) for column in network.nodes] == list(widths) and len(network.links) == widths[0] * widths[1]
    assert len(layers.gradients.listDataItems()) == 1 and layers.layer_picker.count() == 0


def test_on_one_feature_every_neuron_is_a_curve_along_it(qtbot, window):
    window.apply_settings(ExperimentSettings(dataset="linear", model="mlp", hidden=(4,), activation="tanh", steps=6))
    assert window.start()
    wait_until_idle(qtbot, window)
    view = window.network_docks.network
    window.network_dock.raise_()
    qtbot.waitUntil(lambda: bool(view.nodes) and view.stats.step == 6, timeout=RUN_TIMEOUT_MS)
    stats = view.stats
    assert stats.grid_ys is None and stats.neuron_grids[0].shape == (64, 4) and stats.input_grid.shape == (64, 1)
    assert all(not node.thumbnail.pixmap().isNull() for column in view.nodes for node in column.values())
    view.hover_node(1, 2)
    x, y = view.detail_curve.getData()
    np.testing.assert_array_equal(y, stats.neuron_grids[0][:, 2]) and "layer 1 neuron 3" in view.detail.text()


def _sample(step: int, norm: float) -> layer_stats.LayerStats:
    """A sample of a 2-4-1 network whose gradient norms are ``norm`` (update ratios half of it)."""
    shapes = [(2, 4), (4,), (4, 1), (1,)]
    weights = tuple(np.full(shape, 0.1, np.float32) for shape in shapes)
    bins = layer_stats.HISTOGRAM_BINS
    return layer_stats.LayerStats(
        step, ("W1", "b1", "W2", "b2"), weights, weights, np.array([norm, norm, 1.3 * norm, norm]),
        np.full(4, norm / 2), np.tile(np.linspace(-1, 1, len(layer_stats.PERCENTILES)), (4, 1)), np.array([0.1]),
        np.array([0.5]), np.array([0.0]), np.ones((1, bins), np.int64), (-1.0, 1.0), (np.zeros(4),),
        (np.ones((4, bins), np.int64),))


@pytest.mark.parametrize("low, high", [(2.2e-3, 8.5e-3), (1.5e-2, 9e-2), (3e-6, 0.5)],
                         ids=["less than a decade", "most of a decade", "five decades"])
@pytest.mark.parametrize("height", [360, 420, 700])
def test_log_axis_tick_labels_never_overlap(qtbot, low, high, height):
    from PyQt6.QtGui import QImage, QPainter

    history = layer_stats.LayerStatsHistory()
    for step, norm in enumerate(np.geomspace(low, high, 20), 1):
        history.add(_sample(step, norm))
    view = LayersView()
    qtbot.addWidget(view)
    view.resize(330, height)
    view.show()
    view.show_history(history)
    qtbot.waitUntil(lambda: view.gradients.listDataItems() and view.gradients.getAxis("left").height() > 20)
    for plot in (view.gradients, view.ratios):
        image = QImage(8, 8, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        _, _, texts = plot.getAxis("left").generateDrawSpecs(painter)
        painter.end()
        rects = [rect for rect, _, _ in texts]
        assert rects                                                # still labelled
        assert not [(a, b) for i, (a, _, _) in enumerate(texts) for b, _, _ in texts[i + 1:] if
                    rects[i].intersects(b)], [text for _, _, text in texts]


@pytest.mark.parametrize("dataset, hidden", [("linear", ()), ("spiral", (4,))])
def test_a_diverged_runs_non_finite_weights_are_drawn_palest_and_thinnest(qtbot, tmp_path, dataset, hidden):
    from kgui.core.session import JobKind, Session

    session = Session(RunStore(tmp_path / "runs"))
    settings = ExperimentSettings(dataset=dataset, learning_rate=1e30, steps=5,
                                  **({"model": "mlp", "hidden": hidden} if hidden else {}))
    record = session.new_job(JobKind.TRAINING, settings, layer_stats_every=1).run()
    assert record.status == "diverged", record.message
    saved = layer_stats.load_saved(session.store.folder(record.id))
    assert not all(np.isfinite(weights).all() for weights in saved.latest.weights)
    network, layers = NetworkView(), LayersView()
    for view in (network, layers):
        qtbot.addWidget(view)
        view.show()
    network.show_stats(saved.latest, saved)       # raised "cannot convert float NaN to integer"
    layers.show_history(saved)
    widths = [link.pen().widthF() for link in network.links.values()]
    assert widths and all(np.isfinite(widths))
    for column, units in enumerate(network.nodes):
        network.hover_node(column, next(iter(units)))


def test_reset_clears_the_network_docks_and_says_how_to_see_the_next_network(qtbot, window):
    spiral_window(window, steps=10)
    wait_until_idle(qtbot, window)
    docks = window.network_docks
    window.network_dock.raise_()
    qtbot.waitUntil(lambda: bool(docks.network.nodes) and docks.network.stats.step == 10, timeout=RUN_TIMEOUT_MS)
    run_id = window.session.last_ended.id
    window.commands.reset.trigger()
    assert not docks.network.nodes and docks.network.stats is None and docks.layers.history is None
    assert docks.network.caption.text().startswith("Start (F5)") and "Runs table" in docks.network.caption.text()
    surface = window.surface_view                    # nor the last run's decision boundary
    assert surface.run_id is None and surface.image.image is None and surface.caption.text().startswith("Train a")
    docks.select(run_id)                             # the run picked again in the table: its network again
    qtbot.waitUntil(lambda: bool(docks.network.nodes))
    assert "saved with the run" in docks.network.caption.text()
    window.commands.reset.trigger()
    spiral_window(window, steps=5)                   # the next run is followed from its first sample
    wait_until_idle(qtbot, window)
    qtbot.waitUntil(lambda: docks.network.stats is not None and docks.network.stats.step == 5, timeout=RUN_TIMEOUT_MS)


def test_the_layers_plots_keep_a_readable_size_and_scroll_in_a_small_dock(qtbot):
    """In a 1,400 x 900 window the Layers dock is 322 x 211 px: its six plots were squeezed to ~20 px tall and
    the right-hand column cut at the edge ("updat", "dead u"). They keep their least size and scroll instead."""
    from PyQt6.QtCore import Qt

    view = LayersView()
    qtbot.addWidget(view)
    view.resize(322, 211)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)
    least = view.graphics.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize)
    assert view.graphics.width() >= least.width() and view.graphics.height() >= least.height()   # nothing cut
    assert min(plot.height() for plot in (view.gradients, view.ratios, view.dead, view.colorful)) >= 100
    assert view.scroll.verticalScrollBar().maximum() > 0          # the rest is a scroll away


def _spiral_sample(widths=(2, 8, 8, 2), resolution=64) -> layer_stats.LayerStats:
    """A 2-feature sample of an MLP of ``widths`` (random weights and grids), as a spiral run's would be."""
    random = np.random.default_rng(0)
    weights = []
    for rows, columns in zip(widths, widths[1:]):
        weights += [random.normal(size=(rows, columns)).astype(np.float32),
                    random.normal(size=columns).astype(np.float32)]
    names = tuple(f"{kind}{layer}" for layer in range(1, len(widths)) for kind in "Wb")
    hidden = widths[1:-1]
    bins = layer_stats.HISTOGRAM_BINS
    grid = np.linspace(-6, 6, resolution)
    return layer_stats.LayerStats(
        1, names, tuple(weights), tuple(weights), np.ones(len(names)), np.ones(len(names)),
        np.zeros((len(names), len(layer_stats.PERCENTILES))), np.zeros(len(hidden)), np.ones(len(hidden)),
        np.zeros(len(hidden)), np.ones((len(hidden), bins), np.int64), (-1.0, 1.0),
        tuple(np.zeros(width) for width in hidden), tuple(np.ones((width, bins), np.int64) for width in hidden),
        tuple(random.uniform(-1, 1, (resolution, resolution, width)) for width in hidden), grid, grid,
        random.uniform(-6, 6, (resolution, resolution, widths[0])))


def test_the_network_dock_is_readable_at_its_default_size(qtbot, window):
    """In the window's first size (1,400 x 880) the Network dock was 330 x 211 px and the picture was scaled down to
    fit it: the names were 8 px tall, for a 14 px font, and a node 11 px. The names now keep the window's font size,
    the nodes are at least 13 px, and all of an MLP 8,8 is in view without scrolling."""
    from PyQt6.QtGui import QFontMetricsF
    from PyQt6.QtWidgets import QGraphicsSimpleTextItem

    window.resize(1400, 880)
    window.network_dock.raise_()
    view = window.network_docks.network
    view.show_stats(_spiral_sample(), None, ("x1", "x2"), ("-1", "+1"), "Spiral · MLP 8,8: step 1")
    qtbot.waitUntil(lambda: bool(view.nodes) and view.graphics.viewport().height() > 100)
    qtbot.wait(50)
    graphics = view.graphics
    in_view = graphics.viewport().rect()

    def on_screen(item):
        return graphics.mapFromScene(item.sceneBoundingRect()).boundingRect()

    line = QFontMetricsF(view.font()).height()
    names = [item for item in view.scene.items() if isinstance(item, QGraphicsSimpleTextItem)]
    assert sorted(item.text() for item in names) == ["+1", "-1", "inputs", "layer 1", "layer 2", "outputs", "x1", "x2"]
    for item in names:
        assert on_screen(item).height() >= line - 1, item.text()      # the font's size, not scaled down
        assert in_view.contains(on_screen(item)), item.text()         # nor cut at an edge
    nodes = [node for column in view.nodes for node in column.values()]
    assert min(on_screen(node).height() for node in nodes) >= 13
    assert all(in_view.contains(on_screen(node)) for node in nodes)
    rows = [on_screen(node) for node in view.nodes[1].values()]
    assert all(not a.intersects(b) for a, b in zip(rows, rows[1:]))


def test_a_picked_weight_leaves_the_picture_of_the_network_usable(qtbot, window):
    """At 1920 x 1080 a picked weight's value, history plot and Set-weight row took the Network dock over and the
    picture was crushed to ~50 px; it keeps a usable height."""
    window.resize(1920, 1040)
    window.network_dock.raise_()
    view = window.network_docks.network
    sample = _spiral_sample()
    history = layer_stats.LayerStatsHistory()
    history.add(sample)
    view.show_stats(sample, history, ("x1", "x2"), ("-1", "+1"), "Spiral · MLP 8,8: step 1")
    qtbot.waitUntil(lambda: bool(view.nodes))
    view.pick(Pick(0, (1, 2)))
    qtbot.waitUntil(lambda: view.detail_plot.isVisible() and view.editing.isVisible())
    qtbot.wait(50)
    assert view.graphics.viewport().height() >= MIN_PICTURE_HEIGHT - 4, view.graphics.viewport().height()
