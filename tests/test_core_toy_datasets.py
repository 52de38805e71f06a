"""TensorFlow Playground's problems: shapes, labels as the Playground defines them, seeds, noise, bad options."""
import numpy as np
import pytest

from kgui.core.data import datasets, toy_datasets
from kgui.core.data.toy_datasets import generate


@pytest.mark.parametrize("name", toy_datasets.NAMES)
def test_same_seed_same_points_other_seed_other_points(name):
    x, y = generate(name, 100, 0.1, seed=3)
    assert x.shape == (100, 2) and y.shape == (100,) and x.dtype == np.float64
    again = generate(name, 100, 0.1, seed=3)
    np.testing.assert_array_equal(x, again[0])
    np.testing.assert_array_equal(y, again[1])
    assert not np.array_equal(x, generate(name, 100, 0.1, seed=4)[0])


def test_default_sizes_are_the_playgrounds():
    assert len(generate("spiral")[0]) == 500 and len(generate("plane")[0]) == 1200


def test_circle_without_noise_is_a_disc_inside_a_ring():
    x, y = generate("circle", 400, 0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert (y[:200] == 1).all() and (radius[:200] < 2.5).all()
    assert (y[200:] == -1).all() and (radius[200:] >= 3.5).all() and (radius <= 5).all()


def test_xor_labels_are_the_sign_of_the_product_and_points_keep_off_the_axes():
    x, y = generate("xor", 400, 0.0)
    np.testing.assert_array_equal(y, np.where(x[:, 0] * x[:, 1] >= 0, 1, -1))
    assert (np.abs(x) >= 0.3).all() and (np.abs(x) <= 5.3).all()


def test_gaussians_sit_at_plus_and_minus_two_and_noise_widens_them():
    x, y = generate("gaussians", 2000, 0.0)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(x[y == -1].mean(axis=0), [-2, -2], atol=0.1)
    assert x[y == 1].var(axis=0) == pytest.approx([0.5, 0.5], rel=0.15)
    assert generate("gaussians", 2000, 0.5)[0][:1000].var(axis=0) == pytest.approx([4, 4], rel=0.15)


def test_spiral_arms_are_half_a_turn_apart():
    x, y = generate("spiral", 200, 0.0)
    np.testing.assert_allclose(x[y == 1], -x[y == -1], atol=1e-12)
    assert np.hypot(x[:, 0], x[:, 1]).max() < 5
    noisy = generate("spiral", 200, 0.3)[0]
    assert 0 < np.abs(noisy - x).max() <= 0.3


def test_regressions_follow_the_playground_formulas():
    x, y = generate("plane", 300, 0.0)
    np.testing.assert_allclose(y, x.sum(axis=1) / 10)
    x, y = generate("multi-gaussian", 3000, 0.0)
    assert y.min() >= -1 and y.max() <= 1
    near = np.hypot(x[:, 0] - 4, x[:, 1] + 2.5) < 0.2
    assert near.any() and (y[near] < -0.9).all()


def test_noise_flips_some_labels_near_the_boundary():
    clean = generate("circle", 500, 0.0)[1]
    assert 0 < (generate("circle", 500, 0.3)[1] != clean).sum() < 250


@pytest.mark.parametrize("options, message", [
    ({"n": 5}, "dataset option n must be at least 10, got 5"),
    ({"n": 200_000}, "dataset option n must be at most 100,000, got 200000"),
    ({"noise": 2.0}, "dataset option noise must be at most 1, got 2.0"),
    ({"noise": -0.1}, "dataset option noise must be a non-negative number, got -0.1"),
    ({"slope": 1.0}, "dataset option 'slope' does not apply to 'spiral'"),
])
def test_bad_options_are_one_line(options, message):
    with pytest.raises(ValueError, match=message):
        datasets.check_options("spiral", options)


@pytest.mark.parametrize("name", toy_datasets.NAMES)
def test_registered_with_raw_coordinates_and_the_playgrounds_labels(name):
    data = datasets.load_dataset(name, {"n": 50, "noise": 0.2}, val_fraction=0.2, seed=1)
    x, target = generate(name, 50, 0.2, seed=1)
    assert (len(data.x_train), len(data.x_val), data.feature_names, data.scaler) == (40, 10, ("x1", "x2"), None)
    rows = np.sort(np.concatenate([data.x_train, data.x_val]), axis=0)
    np.testing.assert_array_equal(rows, np.sort(x.astype(np.float32), axis=0))
    if data.task == "classification":
        assert data.class_names == ("-1", "+1")
        positives = (target == 1).sum()
        assert data.y_train[:, 1].sum() + data.y_val[:, 1].sum() == positives
    else:
        assert sorted(np.concatenate([data.y_train, data.y_val])[:, 0]) == pytest.approx(sorted(target), abs=1e-6)


def test_noise_flag_reaches_the_generator():
    from kgui.core.experiment import settings as experiment
    import argparse
    parser = argparse.ArgumentParser()
    experiment.add_arguments(parser)
    settings = experiment.from_arguments(parser.parse_args(["--dataset", "spiral", "--noise", "0.3"]))
    assert settings.dataset_options == {"noise": 0.3}
    with pytest.raises(ValueError, match="dataset option 'noise' does not apply to 'iris'"):
        experiment.from_arguments(parser.parse_args(["--dataset", "iris", "--noise", "0.3"]))
