"""Learning-rate range test: a suggestion the linear exercise trains with, early stop, cancel, export."""
import json
import math
import threading

import numpy as np
import pytest

from kgui.core.training import lr_finder
from kgui.core.data.datasets import load_linear
from kgui.core.training.lr_finder import (DEFAULT_SUGGESTION, RangeTestStatus, Suggestion, find_learning_rate, learning_rates, minimum_rate,
                                 slide_rate, steep_rate, suggestions, valley_rate)
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer
from kgui.core.training.training_control import TrainingControl

ENGINES = ["tensorflow", "theano"]
WAIT = 30  # seconds a test waits for the worker thread


def linear(engine, **changes):
    return ExperimentSettings(backend=engine, dataset="linear").replace(**changes)


def notebook_converges(rate, steps=200) -> bool:
    """Full-batch gradient descent in float64 from the models' initial w, b: 0.96, 0.24 to two decimals?"""
    data = load_linear()
    x, y = data.x_train[:, 0].astype(np.float64), data.y_train[:, 0].astype(np.float64)
    rng = np.random.RandomState(0)
    w, b = float(rng.rand()), float(rng.rand())
    for _ in range(steps):
        residual = w * x + b - y
        w, b = w - rate * 2 * np.mean(residual * x), b - rate * 2 * np.mean(residual)
    return abs(w - 0.96) < 0.005 and abs(b - 0.24) < 0.005


def sensible_band() -> tuple[float, float]:
    """Rates with which the notebook's 200 full-batch steps reach w, b = 0.96, 0.24.

    Upper edge: gradient descent on this MSE diverges above 2/λmax of its Hessian
    2·E[(x, 1)(x, 1)ᵀ] (x ~ U(0, 1): λmax ≈ 2.54, edge ≈ 0.787). Lower edge, measured: from 0.19
    on, 200 steps print 0.96, 0.24 (at 0.17 they print 0.95, 0.24).
    """
    x = load_linear().x_train[:, 0].astype(np.float64)
    hessian = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    return 0.19, 2 / np.linalg.eigvalsh(hessian)[-1]


def test_the_band_is_what_it_claims():
    low, high = sensible_band()
    assert high == pytest.approx(0.787, abs=0.005)
    assert notebook_converges(low) and notebook_converges(0.99 * high)
    assert not notebook_converges(0.9 * low) and not notebook_converges(1.02 * high)


@pytest.mark.parametrize("engine", ENGINES)
def test_suggestion_on_the_linear_exercise_is_in_the_band(engine):
    points = []
    result = find_learning_rate(linear(engine), on_point=points.append)
    low, high = sensible_band()
    assert low <= result.suggestion <= high, result.summary()
    rates = result.suggestions
    assert result.suggestion == rates[Suggestion.MINIMUM] and rates[Suggestion.STEEP] < rates[Suggestion.MINIMUM]
    assert result.status is RangeTestStatus.BLOWN_UP and points == result.points and len(points) < lr_finder.DEFAULT_STEPS
    expected_rates = learning_rates(1e-6, 10, 100)[:len(points)]
    assert [p.learning_rate for p in points] == pytest.approx(expected_rates, rel=1e-12)
    assert result.engine == engine and result.summary().startswith(f"suggested learning rate {result.suggestion:.3g} (valley ")


@pytest.mark.parametrize("engine", ENGINES)
def test_stops_as_soon_as_the_smoothed_loss_blows_up(engine):
    result = find_learning_rate(linear(engine), start=0.1, end=1e4, steps=50, smoothing=0.5)
    smoothed = [p.smoothed_loss for p in result.points]
    assert result.status == "blown up" and len(result.points) < 50
    assert all(smoothed[i] <= 4 * min(smoothed[:i + 1]) for i in range(len(smoothed) - 1))
    assert not smoothed[-1] <= 4 * min(smoothed)  # the last point is past 4x the minimum so far
    assert "the loss blew up" in result.summary()
    bottom, top = lr_finder.range_test_figure(result).axes[0].get_ylim()   # the PNG/SVG export's axis, as on screen
    assert bottom == min(min(smoothed), min(p.loss for p in result.points)) >= 0 and top == 1.5 * smoothed[0]


def test_a_non_finite_loss_stops_the_sweep():
    result = find_learning_rate(linear("tensorflow", val_fraction=0.0), start=1e25, end=1e26, steps=20, blow_up=1e30)
    assert result.status == "blown up" and len(result.points) == 2 and not math.isfinite(result.points[-1].loss)


def test_cancel_from_another_thread():
    control = TrainingControl(paused=True)  # the sweep waits before its first step
    results = []
    worker = threading.Thread(target=lambda: results.append(find_learning_rate(linear("theano"), control=control)))
    worker.start()
    control.stop()
    worker.join(WAIT)
    [result] = results
    assert (result.status, result.points, result.suggestion) == ("stopped", [], None)
    assert result.summary() == "no suggestion: too few points to judge (cancelled after 0 steps)"


def test_cancel_mid_sweep_keeps_the_points_so_far():
    control = TrainingControl()
    result = find_learning_rate(linear("tensorflow"), control=control,
                                on_point=lambda point: point.step == 40 and control.stop())
    assert result.status is RangeTestStatus.STOPPED and len(result.points) == 40 and result.suggestion is not None


def test_suggestion_rules_on_known_curves():
    rates = np.geomspace(1e-4, 1, 41)
    curve = 1 / (1 + np.exp(4 * (np.log10(rates) + 2)))  # falls fastest at 1e-2, bottoms out at 1
    assert steep_rate(rates, curve) == pytest.approx(1e-2, rel=0.3)
    assert minimum_rate(rates, curve) == pytest.approx(0.1)
    assert all(rule(rates[:1], curve[:1]) is None for rule in (steep_rate, minimum_rate, valley_rate, slide_rate))


def test_the_four_rules_on_a_synthetic_curve_with_a_known_valley():
    """A flat plateau (with a little alternating noise, as measured losses have) until 1e-3, a cosine fall to the
    bottom at 1e-1, then a rise: fast.ai's rules, worked out by hand on it."""
    exponents = np.round(np.linspace(-5, 1, 61), 10)     # tenths of a decade
    rates = 10.0 ** exponents
    plateau = 1.0 + 0.001 * (-1) ** np.arange(61)
    fall = 0.55 + 0.45 * np.cos(np.pi * (exponents + 3) / 2)   # 1 at 1e-3 down to 0.1 at 1e-1, steepest at 1e-2
    losses = np.where(exponents < -3, plateau, np.where(exponents <= -1, fall, 0.1 + (exponents + 1) ** 2))
    found = suggestions(rates, losses)
    # valley: the longest falling run is the fall (from the plateau's last low point, 1e-3.1, to the bottom); a third
    # plus a sixth of its 22 points in: 10^-2.2
    assert found[Suggestion.VALLEY] == pytest.approx(10 ** -2.2)
    assert found[Suggestion.STEEP] == pytest.approx(1e-2)           # the cosine's steepest point
    assert found[Suggestion.MINIMUM] == pytest.approx(1e-1 / 10)    # the bottom, divided by 10
    # slide: from the end, 15-point windows move left until the loss's gradient is the same (within 0.005) at both
    # ends: first with the right end at the top of the fall (1e-3) and the left one on the plateau, 1.5 decades lower
    assert found[Suggestion.SLIDE] == pytest.approx(10 ** -4.4)
    assert DEFAULT_SUGGESTION is Suggestion.MINIMUM


@pytest.mark.parametrize("start, end, steps, message", [
    (1e-3, 1e-4, 100, "0 < start < end"), (0, 1, 100, "0 < start < end"), (1e-6, math.inf, 100, "0 < start < end"),
    (1e-6, 10, 5, "at least 10 steps"), (1e39, 1e40, 10, r"at most 3\.403e\+38 \(the largest float32\), got end 1e\+40"),
])
def test_bad_ranges_are_refused(start, end, steps, message):
    with pytest.raises(ValueError, match=message):
        find_learning_rate(linear("tensorflow"), start, end, steps)


def test_export_csv_json_and_plot(tmp_path):
    result = find_learning_rate(linear("tensorflow", val_fraction=0.0), start=1e25, end=1e26, steps=10)
    lr_finder.export_range_test(result, tmp_path / "sweep.csv")
    lr_finder.export_range_test(result, tmp_path / "sweep.json")
    lr_finder.export_range_test(result, tmp_path / "sweep.svg")
    rows = (tmp_path / "sweep.csv").read_text().splitlines()
    assert rows[0] == "step,learning_rate,loss,smoothed_loss" and len(rows) == 1 + len(result.points)
    data = json.loads((tmp_path / "sweep.json").read_text())  # standard JSON: inf/NaN losses become null
    assert data["status"] == "blown up" and data["settings"]["dataset"] == "linear"
    assert None in data["points"][-1].values()
    assert (tmp_path / "sweep.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match="unknown extension"):
        lr_finder.export_range_test(result, tmp_path / "sweep.txt")


def test_adam_on_spiral_gets_a_suggestion_that_beats_ten_times_more_and_less():
    settings = ExperimentSettings(dataset="spiral", dataset_options={"noise": 0.1}, model="mlp", hidden=(8, 8),
                                  activation="tanh", optimizer="adam", steps=300)
    result = find_learning_rate(settings)
    rate = result.suggestion
    assert rate is not None
    final = {factor: Trainer(settings.replace(learning_rate=rate * factor)).run().history[-1].train_loss
             for factor in (0.1, 1, 10)}
    assert final[1] < final[0.1] and final[1] < final[10], (rate, final)
