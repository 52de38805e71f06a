"""TensorBoard-style debiased EMA: hand-computed values, NaN/inf handling, streaming = batch."""
import math

import numpy as np
import pytest

from kgui.core.smoothing import DebiasedEMA, smoothed


def test_matches_a_hand_computed_reference():
    # weight 0.5: a1 = 0.5, a2 = 1.25, a3 = 2.125; debiased by 1 - 0.5**n = 0.5, 0.75, 0.875
    assert smoothed([1, 2, 3], 0.5) == pytest.approx([1.0, 1.25 / 0.75, 2.125 / 0.875], abs=1e-15)


def test_weight_zero_is_the_raw_curve_and_a_constant_curve_stays_constant():
    values = [3.0, -1.0, 2.5]
    assert smoothed(values, 0).tolist() == values
    assert smoothed([5.0] * 50, 0.999) == pytest.approx([5.0] * 50, rel=1e-12)  # debiasing: no pull to 0


def test_non_finite_values_pass_through_and_leave_the_average_alone():
    result = smoothed([1.0, math.nan, None, math.inf, 3.0], 0.5)
    assert result[0] == 1.0 and np.isnan(result[1]) and np.isnan(result[2]) and result[3] == math.inf
    assert result[4] == pytest.approx(smoothed([1.0, 3.0], 0.5)[1], abs=1e-15)


def test_streaming_gives_the_same_values():
    values = np.random.RandomState(0).rand(30)
    ema = DebiasedEMA(0.9)
    assert [ema.update(v) for v in values] == smoothed(values, 0.9).tolist()


@pytest.mark.parametrize("weight", [-0.1, 1.0, math.nan])
def test_weights_outside_0_to_0_999_are_refused(weight):
    with pytest.raises(ValueError, match="smoothing weight must be between 0 and 0.999"):
        smoothed([1.0], weight)
