"""The notebook API given bad values: one ValueError/TypeError line naming the problem, and nothing wedged (a bad
value given to LivePlot.update does not stop its later frames; a flat loss at 1e308 does not break its view)."""
import math

import numpy as np
import pytest

from kgui.core.experiment.settings import ExperimentSettings
from kgui.notebook import LivePlot, explore
from kgui.notebook.live_plot import LIVE_RUN


@pytest.mark.parametrize("step, loss", [("x", 1.0), (1, "x"), (1, None)], ids=["step", "loss", "none"])
def test_a_bad_value_given_to_live_plot_is_one_line_and_later_steps_still_draw(step, loss):
    plot = LivePlot(show=False)
    with pytest.raises(ValueError, match="^update takes numbers"):
        plot.update(step, loss)
    plot.update(2, 0.5)
    plot.draw()
    plot.close()
    assert plot.loss_plot.runs[LIVE_RUN].buffer.size == 1


def test_live_plot_survives_a_flat_loss_at_the_largest_floats():
    plot = LivePlot(show=False)
    for step in range(1, 4):
        plot.update(step, 1e308)
    plot.draw()
    plot.close()
    low, high = plot.loss_plot.item.vb.viewRange()[1]
    assert math.isfinite(low) and math.isfinite(high)   # pyqtgraph keeps views within ±1e307
    assert len(np.unique(plot.frame.get_frame().reshape(-1, 4), axis=0)) > 2


@pytest.mark.parametrize("steps", ["x", 0, 10 ** 30, 2.5, True])
def test_a_live_plot_given_steps_that_are_no_step_count_is_one_line(steps):
    with pytest.raises(ValueError, match="^steps must be a whole number from 1 to 10,000,000"):
        LivePlot(steps=steps, show=False)   # "x" raised a TypeError, 10**30 a pyqtgraph error at the first frame


@pytest.mark.parametrize("rate", ["x", -1.0, math.nan, None, 1e-50])
def test_a_live_plot_or_explorer_given_a_rate_that_is_no_number_says_so_in_one_line(tmp_path, rate):
    if rate is not None:
        with pytest.raises(ValueError, match="^learning rate must be a positive number"):
            LivePlot(learning_rate=rate, show=False)
    explorer = explore(ExperimentSettings(dataset="spiral", steps=5), store=tmp_path, start=False)
    with pytest.raises(ValueError, match="^learning rate must be a positive number"):
        explorer.set_learning_rate(rate)   # None: "float() argument must be a string or a real number"


@pytest.mark.parametrize("pixels", [0, 10 ** 6, 2.5])
def test_a_live_plot_size_out_of_bounds_is_one_line(pixels):
    with pytest.raises(ValueError, match="^width must be a whole number of pixels from 16 to 8192"):
        LivePlot(width=pixels, show=False)


def test_a_store_that_is_no_folder_path_is_one_line():
    import kgui

    for call in (lambda: kgui.runs(5), lambda: kgui.history("x", 5.0),
                 lambda: explore(dataset="spiral", store=5, start=False)):
        with pytest.raises(TypeError, match="^store must be a RunStore or a folder's path, got (int|float)$"):
            call()   # was pathlib's "expected str, bytes or os.PathLike object, not int"


def test_explore_refuses_what_is_not_settings_and_a_bad_option(tmp_path):
    with pytest.raises(TypeError, match="^explore takes an ExperimentSettings or the command line's keywords"):
        explore("spiral", store=tmp_path)
    with pytest.raises(ValueError, match="^option takes a dict"):
        explore(dataset="spiral", option=5, store=tmp_path)


@pytest.mark.parametrize("rate", [math.nan, -1.0, 0.0, math.inf, 1e39])
def test_an_explorer_refuses_a_learning_rate_that_is_no_positive_float32_in_one_line(tmp_path, rate):
    explorer = explore(ExperimentSettings(dataset="spiral", steps=5), store=tmp_path, start=False)
    with pytest.raises(ValueError, match="^learning rate must be a positive number"):
        explorer.set_learning_rate(rate)
    assert explorer.learning_rate == explorer.rate_slider.value == 0.01
