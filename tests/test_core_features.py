"""Input features (Playground's X₁² … sin X₂ on the 2-D sets, polynomial degree 2 elsewhere) and the data seed:
each transform is its NumPy formula, computed from the raw columns before standardisation, named, refused in one
line where it does not apply; the decision boundary is still drawn over the raw plane."""
import numpy as np
import pytest
import sklearn.datasets

from kgui import cli
from kgui.core.experiment import settings as experiment
from kgui.core.training import surface
from kgui.core.data import toy_datasets
from kgui.core.data.dataset_registry import DatasetError, split_indices
from kgui.core.data.datasets import load_dataset
from kgui.core.data.features import MAX_COLUMNS, PLANE_FEATURES, InputFeatures
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

FORMULAS = {"x1": lambda a, b: a, "x2": lambda a, b: b, "x1_squared": lambda a, b: a ** 2,
            "x2_squared": lambda a, b: b ** 2, "x1x2": lambda a, b: a * b, "sin_x1": lambda a, b: np.sin(a),
            "sin_x2": lambda a, b: np.sin(b)}


@pytest.mark.parametrize("name", PLANE_FEATURES)
def test_each_plane_feature_is_its_formula(name):
    x = np.random.RandomState(1).uniform(-6, 6, (50, 2))
    np.testing.assert_array_equal(InputFeatures((name,)).apply(x)[:, 0], FORMULAS[name](x[:, 0], x[:, 1]))


def test_polynomial_degree_2_is_the_columns_then_their_squares_and_products():
    x = np.random.RandomState(2).randn(9, 3)
    a, b, c = x.T
    expected = np.column_stack([a, b, c, a * a, a * b, a * c, b * b, b * c, c * c])
    inputs = InputFeatures(degree=2)
    np.testing.assert_array_equal(inputs.apply(x), expected)
    x32 = x.astype(np.float32)
    np.testing.assert_array_equal(inputs.apply_float32(x32), inputs.apply(x32.astype(np.float64)).astype(np.float32))
    assert inputs.names(("a", "b", "c")) == ("a", "b", "c", "a²", "a·b", "a·c", "b²", "b·c", "c²")
    assert inputs.columns(3) == 9


def test_a_toy_set_gets_its_features_from_the_raw_points_and_keeps_the_plane():
    chosen = ("sin_x2", "x1", "x1x2")   # any order: the columns come in Playground's order
    dataset = load_dataset("spiral", {"n": 200, "noise": 0.1}, 0.25, seed=4, inputs=InputFeatures(chosen))
    raw, _ = toy_datasets.generate("spiral", 200, 0.1, 4)
    train, val = split_indices(200, 0.25, 4, "spiral")
    a, b = raw[train, 0], raw[train, 1]
    np.testing.assert_allclose(dataset.x_train, np.column_stack([a, a * b, np.sin(b)]), rtol=1e-6)
    assert dataset.feature_names == ("x1", "x1·x2", "sin(x2)") and dataset.scaler is None
    np.testing.assert_array_equal(dataset.plane()[0], raw[train].astype(np.float32))
    np.testing.assert_array_equal(dataset.plane()[1], raw[val].astype(np.float32))
    assert surface.has_surface(dataset)


def test_polynomial_features_are_computed_before_standardising():
    dataset = load_dataset("iris", val_fraction=0.2, seed=3, inputs=InputFeatures(degree=2))
    raw = sklearn.datasets.load_iris().data
    train, _ = split_indices(len(raw), 0.2, 3, "iris")
    first, second = np.triu_indices(4)
    columns = np.column_stack([raw, raw[:, first] * raw[:, second]])[train]
    expected = (columns - columns.mean(axis=0)) / columns.std(axis=0)
    np.testing.assert_allclose(dataset.x_train, expected, atol=2e-6)
    assert dataset.n_features == 14 and dataset.feature_names[4] == "sepal length (cm)²"
    assert not surface.has_surface(dataset) and dataset.plane() is None


def test_a_files_columns_get_polynomial_features_too(tmp_path):
    path = tmp_path / "two.csv"
    rng = np.random.RandomState(0)
    rows = rng.randint(0, 9, (40, 2))
    path.write_text("a,b,label\n" + "\n".join(f"{a},{b},{'yes' if a > b else 'no'}" for a, b in rows) + "\n")
    dataset = load_dataset(str(path), val_fraction=0.0, inputs=InputFeatures(degree=2))
    train, _ = split_indices(40, 0.0, 0, str(path))
    raw = rows[train].astype(np.float64)
    columns = np.column_stack([raw, raw[:, 0] ** 2, raw[:, 0] * raw[:, 1], raw[:, 1] ** 2])
    np.testing.assert_allclose(dataset.x_train, (columns - columns.mean(axis=0)) / columns.std(axis=0), atol=2e-6)
    assert dataset.feature_names == ("a", "b", "a²", "a·b", "b²")
    np.testing.assert_array_equal(dataset.plane()[0], raw.astype(np.float32))   # 2 raw columns: still a plane


def test_too_many_polynomial_columns_are_refused_in_one_line(tmp_path):
    width = 141     # 141 + 141·142/2 = 10,152 columns
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(width)) + ",y\n" + ",".join(["1"] * width) + ",0\n"
                    + ",".join(["2"] * width) + ",1\n")
    with pytest.raises(ValueError, match=f"^polynomial degree 2 of wide.csv's 141 columns makes 10,152 columns, "
                                         f"more than {MAX_COLUMNS:,}$"):
        load_dataset(str(path), inputs=InputFeatures(degree=2))


def test_the_decision_boundary_feeds_the_plane_through_the_features():
    settings = ExperimentSettings(dataset="circle", dataset_options={"n": 100}, model="mlp", hidden=(4,),
                                  features=("x1_squared", "x2_squared"), steps=5, learning_rate=0.1)
    trainer = Trainer(settings)
    trainer.run()
    grid = surface.surface(trainer.model, trainer.dataset, resolution=5)
    points = np.stack(np.meshgrid(grid.xs, grid.ys), axis=-1).reshape(-1, 2).astype(np.float32)
    expected = trainer.model.predict(np.column_stack([points[:, 0] ** 2, points[:, 1] ** 2]).astype(np.float32))
    np.testing.assert_allclose(grid.values.ravel(), expected[:, 1], rtol=1e-5, atol=1e-6)
    assert grid.bounds[0] < trainer.dataset.plane()[0][:, 0].min()


def test_the_data_seed_draws_other_points_with_the_same_split_and_weights():
    base = ExperimentSettings(dataset="xor", dataset_options={"n": 80}, seed=2)
    default, same, other = (settings.load_dataset() for settings in (base, base.replace(data_seed=2),
                                                                    base.replace(data_seed=9)))
    np.testing.assert_array_equal(default.x_train, same.x_train)
    raw, _ = toy_datasets.generate("xor", 80, 0.0, 9)
    train, _ = split_indices(80, 0.2, 2, "xor")
    np.testing.assert_array_equal(other.x_train, raw[train].astype(np.float32))


@pytest.mark.parametrize("changes, message", [
    ({"dataset": "iris", "features": ("x1x2",)}, "features x1x2 are for the 2-D sets; iris is not one.*"),
    ({"dataset": "spiral", "features": ("x3",)}, "unknown feature.s. 'x3'; the 2-D sets' features are .*"),
    ({"dataset": "spiral", "features": ("x1", "x1")}, "features must not repeat, got x1,x1"),
    ({"dataset": "spiral", "features": ("x1",), "polynomial_degree": 2}, "choose either features .*"),
    ({"polynomial_degree": 3}, "polynomial_degree must be 1 or 2, got 3"),
    ({"dataset": "iris", "data_seed": 3}, "data_seed regenerates the 2-D sets; iris is not generated"),
    ({"dataset": "xor", "data_seed": -1}, r"data_seed must be a non-negative integer \(or null: the seed\), got -1"),
])
def test_bad_feature_settings_are_one_line(changes, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        ExperimentSettings(**changes).validate()


def test_feature_settings_round_trip_and_come_from_flags():
    settings = ExperimentSettings(dataset="spiral", features=("x1", "sin_x1"), data_seed=7)
    assert ExperimentSettings.from_json(settings.to_json()) == settings
    assert ExperimentSettings.from_dict({"dataset": "spiral", "features": "x1, x1x2"}).features == ("x1", "x1x2")
    old = ExperimentSettings.from_dict({"dataset": "iris"})
    assert (old.features, old.polynomial_degree, old.data_seed) == ((), 1, None)
    parse = cli.build_parser().parse_args
    flags = experiment.from_arguments(parse(["run", "--dataset", "spiral", "--features", "x1,x2,x1x2,sin_x1",
                                                 "--data-seed", "4"]))
    assert (flags.features, flags.data_seed) == (("x1", "x2", "x1x2", "sin_x1"), 4)
    assert experiment.from_arguments(parse(["run", "--dataset", "wine", "--polynomial-degree", "2"])
                                         ).input_features() == InputFeatures(degree=2)


def test_switching_to_another_dataset_drops_the_plane_features(tmp_path):
    config = tmp_path / "exp.json"
    config.write_text(ExperimentSettings(dataset="spiral", features=("x1x2",), data_seed=3).to_json())
    parse = cli.build_parser().parse_args
    settings = experiment.from_arguments(parse(["run", "--config", str(config), "--dataset", "iris"]))
    assert (settings.features, settings.data_seed) == ((), None)


def test_load_refuses_features_where_they_do_not_apply():
    with pytest.raises(DatasetError, match="^data_seed regenerates the 2-D sets; iris is not generated$"):
        load_dataset("iris", data_seed=1)
