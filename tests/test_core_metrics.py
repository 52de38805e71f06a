"""What the model learned: confusion matrix through the K-API predict, fitted line against the true one."""
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from kgui.core.training import metrics
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

ENGINES = ["tensorflow", "theano"]


class FixedModel:
    """Stands in for a model: predict returns given probabilities."""

    def __init__(self, probabilities):
        self.probabilities = np.asarray(probabilities, dtype=np.float32)

    def predict(self, x):
        return self.probabilities


def test_rows_are_true_classes_and_columns_predictions():
    y = np.eye(3, dtype=np.float32)[[0, 0, 1, 2, 2, 2]]
    predicted = np.eye(3, dtype=np.float32)[[0, 1, 1, 2, 0, 2]] * 0.8 + 0.05
    matrix = metrics.confusion_matrix(FixedModel(predicted), None, y, ("a", "b", "c"))
    assert matrix.counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert (matrix.total, matrix.accuracy, matrix.class_names) == (6, pytest.approx(4 / 6), ("a", "b", "c"))
    assert matrix.row_shares()[0].tolist() == [0.5, 0.5, 0.0]


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_confusion_matches_sklearn_and_the_trainers_accuracy(engine):
    trainer = Trainer(ExperimentSettings(backend=engine, dataset="wine", learning_rate=0.05, steps=4))
    for _ in range(3):
        trainer.step()
    matrix = metrics.validation_confusion(trainer)
    dataset = trainer.dataset
    predicted = np.argmax(trainer.model.predict(dataset.x_val), axis=1)
    expected = sklearn_confusion_matrix(np.argmax(dataset.y_val, axis=1), predicted, labels=range(3))
    assert matrix.counts.tolist() == expected.tolist() and matrix.total == len(dataset.x_val) == 36
    assert matrix.class_names == dataset.class_names
    # a step's accuracy is of the weights it starts from: the matrix of the weights after step 3 is step 4's
    assert matrix.accuracy == pytest.approx(trainer.step().accuracy, abs=1e-6) and matrix.accuracy < 1


def test_confusion_needs_classification_with_validation_rows():
    with pytest.raises(ValueError, match="needs a classification dataset; linear is regression"):
        metrics.validation_confusion(Trainer(ExperimentSettings(dataset="linear")))
    with pytest.raises(ValueError, match="iris has no validation rows"):
        metrics.validation_confusion(Trainer(ExperimentSettings(dataset="iris", val_fraction=0.0)))


@pytest.mark.parametrize("engine", ENGINES)
def test_fitted_line_approaches_the_true_line(engine):
    settings = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"slope": 2.0, "intercept": -1.0},
                                  learning_rate=0.5, steps=300)
    trainer = Trainer(settings)
    start = metrics.fitted_line(trainer)  # the initial weights, before any step
    trainer.run()
    line = metrics.fitted_line(trainer)
    assert (line.true_w, line.true_b) == (2.0, -1.0)
    assert abs(line.w - 2.0) < 0.01 < abs(start.w - 2.0) and abs(line.b + 1.0) < 0.01
    assert (line.w, line.b) == (trainer.record.history[-1].params["w"], trainer.record.history[-1].params["b"])
    assert line.at([0.0, 1.0]) == pytest.approx([line.b, line.w + line.b])


def test_true_line_uses_the_loaders_defaults_and_only_for_synthetic_data():
    assert metrics.true_line(ExperimentSettings(dataset="linear")) == (0.96, 0.24)
    assert metrics.true_line(ExperimentSettings(dataset="linear", dataset_options={"slope": 3})) == (3.0, 0.24)
    assert metrics.true_line(ExperimentSettings(dataset="diabetes")) is None
    with pytest.raises(ValueError, match="one-feature linear regression; diabetes has 10 features"):
        metrics.fitted_line(Trainer(ExperimentSettings(dataset="diabetes")))
