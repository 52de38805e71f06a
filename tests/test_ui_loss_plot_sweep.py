"""The loss plot showing a sweep's trials (a real sweep, trained in a temporary store): colour by a hyper-parameter
(a colormap and colour bar for numbers, one colour a category with a legend), seeds grouped into mean ± std bands,
and the sweep controls only where the runs shown are one sweep's trials."""
import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6.QtCore import Qt

from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs import RunRecord, RunStore, StepRecord
from kgui.core.sweeps import Axis, SweepRunner, SweepSpec, ThreadExecutor
from kgui.ui.colour_key import COLOR_LEVELS, COLORMAP, category_colour
from kgui.ui.loss_plot import LossPlot, line_key
from kgui.ui.names import plot_placement, run_title
from test_core_sweeps import ENGINE
from test_ui_loss_plot import plot  # noqa: F401 - fixture: a LossPlot drawn by the test
from ui_support import messages  # noqa: F401 - fixture

RATES = (0.003, 0.03, 0.3)
OPTIMIZERS = ("sgd", "adam")
EXPERIMENT = ExperimentSettings(backend=ENGINE, dataset="spiral", model="mlp", hidden=(8, 8), steps=20, batch_size=10,
                                dataset_options={"n": 200})


@pytest.fixture(scope="module")
def sweep_store(tmp_path_factory) -> RunStore:
    """A store holding a real sweep: learning rate × optimizer × 2 seeds (12 trials of 20 steps)."""
    store = RunStore(tmp_path_factory.mktemp("runs"))
    spec = SweepSpec(EXPERIMENT, (Axis("learning_rate", RATES), Axis("optimizer", OPTIMIZERS)), seeds=2)
    SweepRunner(spec, store, ThreadExecutor(1)).run()
    return store


@pytest.fixture
def sweep(sweep_store) -> list[RunRecord]:
    """The sweep's runs, read with their steps."""
    records = [sweep_store.load(record.id) for record in sweep_store.list()]
    assert len(records) == 12 and all(len(record.history) == 20 for record in records)
    return records


def show(plot: LossPlot, records: list[RunRecord]) -> None:
    """The runs on the plot as the window puts them there (runs_controller.plot_saved_run)."""
    for record in records:
        plot.add_run(record.id, run_title(record), **plot_placement(record))
        plot.add_steps(record.id, record.history, record.lr_changes)
    plot.redraw()


def optimizers_in_order(records: list[RunRecord]) -> list[str]:
    """The categories as the runs shown bring them (trials of one second are listed in any order)."""
    return list(dict.fromkeys(record.sweep_values["optimizer"] for record in records))


def pen_colour(curve) -> str:
    return pg.mkPen(curve.opts["pen"]).color().name()


def test_colour_by_a_rate_follows_the_colormap_along_a_log_axis_with_a_colour_bar(plot, sweep):
    show(plot, sweep)
    controls = plot.look.controls
    assert controls.isVisible() and controls.colour_box.isEnabled()
    assert [controls.colour_box.itemData(i) for i in range(controls.colour_box.count())] == [
        None, "learning_rate", "optimizer"]                            # the seed is not a colour
    controls.set_colour_by("learning_rate")
    colormap = pg.colormap.get(COLORMAP)
    span = np.log10(RATES[-1]) - np.log10(RATES[0])
    expected = {rate: colormap.map(round((np.log10(rate) - np.log10(RATES[0])) / span * (COLOR_LEVELS - 1))
                                   / (COLOR_LEVELS - 1), mode="qcolor").name() for rate in RATES}
    for record in sweep:
        run = plot.runs[record.id]
        assert pen_colour(run.train) == expected[record.sweep_values["learning_rate"]]
        assert pen_colour(run.val) == expected[record.sweep_values["learning_rate"]]
    table = [colormap.map(level / (COLOR_LEVELS - 1), mode="qcolor").name() for level in range(COLOR_LEVELS)]
    levels = [table.index(expected[rate]) for rate in RATES]
    assert levels[0] == 0 and abs(levels[1] - (COLOR_LEVELS - 1) / 2) <= 0.5 and levels[2] == COLOR_LEVELS - 1
    bar = plot.look.bar
    assert bar.isVisible() and bar in plot.widget.ci.items
    assert bar.levels() == pytest.approx((np.log10(0.003), np.log10(0.3)))
    assert bar.axis.labelText == "Learning rate"
    assert [label for _, label in bar.axis._tickLevels[0]] == ["0.003", "0.01", "0.1", "0.3"]   # a log axis: the rates
    assert plot.labels() == []                                         # the colour bar says which is which
    controls.set_colour_by(None)                                       # none: the runs' own colours and legend
    assert bar not in plot.widget.ci.items
    assert len(plot.labels()) == 12
    assert [pen_colour(plot.runs[record.id].train) for record in sweep] == [
        plot.runs[record.id].style.color for record in sweep]


def test_colour_by_a_category_gives_each_category_one_colour_and_a_legend(plot, sweep):
    show(plot, sweep)
    plot.look.controls.set_colour_by("optimizer")
    colours = {}
    for record in sweep:
        colours.setdefault(record.sweep_values["optimizer"], set()).add(pen_colour(plot.runs[record.id].train))
    order = optimizers_in_order(sweep)
    assert colours == {optimizer: {category_colour(index).name()} for index, optimizer in enumerate(order)}
    assert plot.labels() == [f"Optimizer {optimizer}" for optimizer in order]
    assert not plot.look.bar.isVisible() and plot.look.bar not in plot.widget.ci.items


def test_seeds_grouped_give_one_band_per_configuration_with_numpys_mean_and_std(plot, sweep):
    show(plot, sweep)
    controls = plot.look.controls
    assert controls.seeds_box.isEnabled()
    controls.seeds_box.setChecked(True)
    bands = plot.look.bands
    assert len(bands) == len(RATES) * len(OPTIMIZERS)
    by_id = {record.id: record for record in sweep}
    for band in bands:
        members = [by_id[run_id] for run_id in band.run_ids]
        assert len(members) == 2 and len({member.sweep_values["seed"] for member in members}) == 2
        assert len({(m.sweep_values["learning_rate"], m.sweep_values["optimizer"]) for m in members}) == 1
        losses = np.array([[step.train_loss for step in member.history] for member in members])
        x, mean = band.mean.getData()
        assert x.tolist() == [step.step for step in members[0].history]
        assert mean == pytest.approx(np.mean(losses, axis=0))
        assert band.std == pytest.approx(np.std(losses, axis=0))
        assert band.band.high == pytest.approx(np.mean(losses, axis=0) + np.std(losses, axis=0))
        assert not band.band.path.isEmpty()
        assert all(not curve.isVisible() for run_id in band.run_ids for curve in plot.runs[run_id].curves)
    assert sorted(plot.labels()) == sorted(f"learning_rate {rate:g} · optimizer {optimizer} (2 seeds)"
                                           for rate in RATES for optimizer in OPTIMIZERS)
    controls.set_colour_by("optimizer")                                # bands coloured by their category
    assert {band.values["optimizer"]: pen_colour(band.mean) for band in plot.look.bands} == {
        optimizer: category_colour(index).name() for index, optimizer in enumerate(optimizers_in_order(sweep))}
    assert plot.labels() == [f"Optimizer {optimizer}" for optimizer in optimizers_in_order(sweep)]
    controls.seeds_box.setChecked(False)                               # the runs come back
    plot.redraw()
    assert not plot.look.bands and all(plot.runs[record.id].train.isVisible() for record in sweep)


def test_the_controls_hide_without_trials_and_say_why_when_the_runs_are_not_one_sweep(plot, sweep):
    from kgui.ui.loss_plot.sweep_controls import ONE_SEED_TIP

    alone = RunRecord.new(EXPERIMENT, "a run of no sweep")
    alone.history = [StepRecord(step, 1.0 / step, None, None, 0.1, 0.01 * step, 1.0) for step in range(1, 5)]
    show(plot, [alone])
    controls = plot.look.controls
    assert not controls.isVisible()                                    # nothing to colour by: not in the way
    show(plot, sweep)
    assert controls.isVisible() and not controls.colour_box.isEnabled() and not controls.seeds_box.isEnabled()
    assert "not trials of a sweep" in controls.colour_box.toolTip()
    controls.set_colour_by("learning_rate")
    plot.redraw()
    assert not plot.look.bar.isVisible() and len(plot.labels()) == 13  # a colour nobody can read: none
    plot.set_run_visible(alone.id, False)
    plot.redraw()
    assert controls.colour_box.isEnabled() and plot.look.bar.isVisible()   # the choice kept, now usable
    assert plot.runs[sweep[-1].id].style.train_dash is not None      # the 13th run's own style: dash-dotted ...
    assert all(pg.mkPen(plot.runs[record.id].train.opts["pen"]).style() == Qt.PenStyle.SolidLine
               for record in sweep)                                  # ... but colours tell them apart now
    assert plot.line_key.text() == line_key({})
    for record in sweep:
        plot.set_run_visible(record.id, record.sweep_values["seed"] == sweep[0].sweep_values["seed"])
    plot.redraw()
    assert controls.colour_box.isEnabled() and not controls.seeds_box.isEnabled()
    assert controls.seeds_box.toolTip() == ONE_SEED_TIP


def test_exports_keep_the_colour_bar_and_the_bands(plot, sweep, tmp_path):
    from PyQt6.QtGui import QImage

    from kgui.ui.exporting import PNG_SCALE, panel_state

    show(plot, sweep)
    plot.look.controls.set_colour_by("learning_rate")
    plot.look.controls.seeds_box.setChecked(True)
    state = panel_state(plot.item)
    assert len(state.bands) == len(RATES) * len(OPTIMIZERS)
    assert len(state.curves) == 2 * len(state.bands)           # each configuration's two means
    band = plot.look.bands[0]
    assert state.bands[0].high == pytest.approx(band.mean.getData()[1] + band.std)
    assert state.bands[0].low == pytest.approx(band.mean.getData()[1] - band.std)
    target = plot.export_target(lambda path: None)
    svg = target.export(tmp_path / "sweep.svg").read_text()
    assert ">Learning rate<" in svg and svg.count('style="fill: ') >= len(state.bands)   # colour bar, bands
    png = QImage(str(target.export(tmp_path / "sweep.png")))
    bar = plot.look.bar.bar.sceneBoundingRect()                # the colours (its axis is beside them)
    origin = plot.widget.ci.sceneBoundingRect().topLeft()
    middle = png.pixelColor(round((bar.center().x() - origin.x()) * PNG_SCALE),
                            round((bar.center().y() - origin.y()) * PNG_SCALE))
    assert middle.saturation() > 100                             # the bar's colours, not the white background


def test_show_on_loss_plot_shows_the_trials_the_sweep_tab_shows_alone_and_the_table_takes_their_colours(
        qtbot, sweep_store, messages):
    from kgui.ui.main_window import MainWindow

    window = MainWindow(store=sweep_store)
    qtbot.addWidget(window)
    window.show()
    view, plot = window.sweep_view, window.plot
    view.table.clicked.emit(view.proxy.index(0, 0))                    # one trial: nothing to average
    plot.redraw()
    controls = plot.look.controls
    assert controls.isVisible() and controls.colour_box.isEnabled() and not controls.seeds_box.isEnabled()
    view.filter_box.setText("adam")                                    # the table shows adam's 6 trials
    view.show_button.click()
    shown = set(window.session.shown_run_ids())
    assert shown == set(view.visible_run_ids()) and len(shown) == 6
    assert window.tabs.currentWidget() is plot and "6 trials on the Loss plot" in window.statusBar().currentMessage()
    controls.set_colour_by("learning_rate")
    controls.seeds_box.setChecked(True)
    assert len(plot.look.bands) == len(RATES) and plot.look.bar.isVisible()
    for run_id in shown:                                               # the runs table's names in the plot's colours
        row = window.runs_table.model.run(run_id)
        assert row.color.name() == plot.runs[run_id].color != plot.runs[run_id].style.color


def test_the_sweep_tabs_curves_name_their_categories_in_a_legend_on_screen_and_in_the_svg(qtbot, sweep_store, tmp_path):
    import html
    from functools import partial

    from kgui.ui.sweep import SweepView, with_history
    from kgui.ui.sweep.export import SweepPanel

    view = SweepView(history_of=partial(with_history, sweep_store))
    qtbot.addWidget(view)
    view.set_runs(sweep_store.list())
    view.show()
    view.views.setCurrentIndex(1)                                    # Curves by seed
    view.colour_picker.setCurrentIndex(view.colour_picker.findData("optimizer"))
    names = sorted(html.unescape(label.text) for _, label in view.curves.legend.items)
    assert names == sorted(f"Optimizer {optimizer}" for optimizer in OPTIMIZERS)
    svg = view.export_target(SweepPanel.CURVES).export(tmp_path / "curves.svg").read_text()
    assert all(f">{name}<" in svg for name in names)
    view.colour_picker.setCurrentIndex(view.colour_picker.findData("learning_rate"))   # a colour bar instead
    assert not view.curves.legend.items and view.curves.bar.isVisible()


def test_hovering_grouped_seeds_reads_the_nearest_configurations_mean_and_std(plot, sweep):
    show(plot, sweep)
    plot.look.controls.seeds_box.setChecked(True)
    high = max(plot.look.bands, key=lambda band: band.train[10])     # the configuration highest at step 11
    scene = plot.item.vb.mapViewToScene(pg.Point(high.x[10], high.train[10]))
    plot._mouse_moved((scene,))
    text = plot.readout.text()
    assert text.startswith(high.label) and "step 11" in text
    assert f"training loss {high.train[10]:.6g} ± {high.std[10]:.3g}" in text
    assert plot.item is plot.panel_of(high.run_ids[0]).item and plot.shown_panels[0].crosshair.isVisible()


def test_an_engine_category_reads_as_its_title_in_the_legends(plot, sweep):
    """Coloured by engine, the legends name "JAX", not "jax" (exports keep the ids)."""
    import copy

    from kgui.ui.colour_key import ColourKey
    from kgui.ui.names import value_title

    engines = ("jax", "theano")
    trials = copy.deepcopy(sweep)
    for index, record in enumerate(trials):
        record.sweep_values["backend"] = engines[index % 2]
    show(plot, trials)
    plot.look.controls.set_colour_by("backend")
    titles = [value_title("backend", engine) for engine in engines]
    assert titles == ["JAX", "Theano (PyTensor)"]
    assert sorted(plot.labels()) == sorted(f"Engine {title}" for title in titles)
    assert [name for name, _ in ColourKey("backend", list(engines)).categories()] == titles


def test_a_learning_rate_trials_legend_says_its_rate_once(plot, sweep):
    """"Learning rate 0.003 · Adam · Seed 0 · sweep-… #3 · lr 0.003": the legend repeated what the name says."""
    show(plot, sweep[:2])
    for record in sweep[:2]:
        label = plot.runs[record.id].label
        assert label.count(f"{record.settings.learning_rate:g}") == 1, label
        assert " · lr " not in label, label
