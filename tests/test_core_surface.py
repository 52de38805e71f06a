"""The decision surface of 2-feature models: grid, predicted classes and probabilities, regression values."""
import numpy as np
import pytest

from kgui.core.data.datasets import load_dataset
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.surface import plane_bounds, surface, trainer_surface
from kgui.core.training.trainer import Trainer


def test_classification_surface_is_the_models_prediction_over_the_points_plane(tmp_path):
    csv = tmp_path / "blobs.csv"
    rng = np.random.RandomState(0)
    points = np.concatenate([rng.randn(40, 2) + 3, rng.randn(40, 2) - 3])
    csv.write_text("a,b,label\n" + "\n".join(f"{x},{y},{'up' if i < 40 else 'down'}"
                                           for i, (x, y) in enumerate(points)))
    trainer = Trainer(ExperimentSettings(dataset=str(csv), learning_rate=0.5, steps=30))
    trainer.run()
    result = trainer_surface(trainer, resolution=16)
    assert result.values.shape == result.classes.shape == (16, 16)
    x_min, x_max, y_min, y_max = plane_bounds(trainer.dataset)
    assert result.bounds == pytest.approx((x_min, x_max, y_min, y_max))
    probabilities = trainer.model.predict(np.array([[result.xs[3], result.ys[5]]], dtype=np.float32))[0]
    assert result.values[5, 3] == pytest.approx(probabilities[1], rel=1e-5)
    assert result.classes[5, 3] == probabilities.argmax()
    up = trainer.dataset.class_names.index("up")
    assert result.classes[-1, -1] == up and result.classes[0, 0] == 1 - up  # the corners by the blobs


def test_regression_surface_holds_predicted_values():
    trainer = Trainer(ExperimentSettings(dataset="plane", dataset_options={"n": 100}, learning_rate=0.01, steps=20))
    trainer.run()
    result = trainer_surface(trainer, resolution=8)
    assert result.classes is None and result.values.shape == (8, 8)
    expected = trainer.model.predict(np.array([[result.xs[2], result.ys[6]]], dtype=np.float32))[0, 0]
    assert result.values[6, 2] == pytest.approx(expected, rel=1e-5)
    assert result.values[-1, -1] > result.values[0, 0]  # the plane rises with x1 + x2


def test_surface_needs_two_features():
    trainer = Trainer(ExperimentSettings(dataset="diabetes", steps=1))
    trainer.prepare()
    with pytest.raises(ValueError, match="a decision surface needs 2 features; diabetes has 10"):
        surface(trainer.model, trainer.dataset)
