"""Dataset loaders: linear, bundled, user CSV (including every kind of bad file) and the real Otto data."""
import gzip
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from kgui.core.data import datasets
from kgui.core.data.datasets import DatasetError, load_csv, load_dataset

OTTO = Path(os.environ.get("KGUI_OTTO_DIR", Path(__file__).resolve().parents[2] / "shared/data/kaggle_ottogroup"))


def check_arrays(dataset):
    for array in (dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val):
        assert array.dtype == np.float32 and array.flags.c_contiguous
    assert dataset.x_train.shape[1] == dataset.x_val.shape[1] == len(dataset.feature_names)
    if dataset.task == "classification":
        assert dataset.y_train.shape[1] == dataset.n_classes
        np.testing.assert_array_equal(dataset.y_train.sum(axis=1), 1.0)
    else:
        assert dataset.y_train.shape == (len(dataset.x_train), 1)


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def test_linear_exercise_is_exact_without_noise_and_unscaled():
    dataset = load_dataset("linear", {"n": 100}, val_fraction=0.2, seed=3)
    check_arrays(dataset)
    assert (len(dataset.x_train), len(dataset.x_val), dataset.task, dataset.scaler) == (80, 20, "regression", None)
    np.testing.assert_allclose(dataset.y_train[:, 0], 0.96 * dataset.x_train[:, 0] + 0.24, rtol=1e-6)
    assert 0 <= dataset.x_train.min() and dataset.x_train.max() < 1
    assert "y = 0.96·x + 0.24" in dataset.describe()


def test_linear_options_and_seeds():
    a = load_dataset("linear", {"n": 50, "noise": 0.5, "slope": 2, "intercept": -1}, seed=1)
    b = load_dataset("linear", {"n": 50, "noise": 0.5, "slope": 2, "intercept": -1}, seed=1)
    c = load_dataset("linear", {"n": 50, "noise": 0.5, "slope": 2, "intercept": -1}, seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)
    residual = a.y_train[:, 0] - (2 * a.x_train[:, 0] - 1)
    assert 0.2 < residual.std() < 1.0


@pytest.mark.parametrize("name, task, classes, features", [
    ("iris", "classification", 3, 4), ("wine", "classification", 3, 13),
    ("breast_cancer", "classification", 2, 30), ("digits", "classification", 10, 64),
    ("diabetes", "regression", 0, 10),
])
def test_bundled_datasets_need_no_network(name, task, classes, features):
    dataset = load_dataset(name, seed=0)
    check_arrays(dataset)
    assert (dataset.task, dataset.n_classes, dataset.n_features) == (task, classes, features)
    assert "scikit-learn" in dataset.source and name in dataset.describe()


def test_standardised_dataset_without_validation_split():
    dataset = load_dataset("iris", val_fraction=0.0)
    assert (dataset.x_train.shape, dataset.x_val.shape, dataset.y_val.shape) == ((150, 4), (0, 4), (0, 3))


def test_features_are_standardised_with_training_rows_only(tmp_path):
    rows = "\n".join(f"{i},{i * i},{'ab'[i % 2]}" for i in range(10))
    dataset = load_csv(write(tmp_path, "a,b,label\n" + rows + "\n"), val_fraction=0.3, seed=0)
    np.testing.assert_allclose(dataset.x_train.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(dataset.x_train.std(axis=0), 1, atol=1e-6)
    raw_val = dataset.scaler.inverse_transform(dataset.x_val)
    assert np.abs(dataset.x_val.mean(axis=0)).max() > 0.01  # validation rows did not take part in the fit
    np.testing.assert_allclose(dataset.transform(raw_val), dataset.x_val, atol=1e-5)


def test_csv_classification_inferred_from_text_target(tmp_path):
    path = write(tmp_path, "x1,x2,kind\n1,2,cat\n2,3,dog\n3,4,cat\n4,5,dog\n5,6,bird\n")
    dataset = load_csv(path, target="kind", val_fraction=0.2, seed=0)
    check_arrays(dataset)
    assert (dataset.task, dataset.class_names, dataset.feature_names) == (
        "classification", ("bird", "cat", "dog"), ("x1", "x2"))
    assert (len(dataset.x_train), len(dataset.x_val)) == (4, 1)
    text = dataset.describe()
    assert "classification, 3 classes: bird, cat, dog" in text and str(path.resolve()) in text
    assert "rows: 4 train, 1 validation" in text


def test_csv_task_inference_and_override(tmp_path):
    integers = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)), "ints.csv")
    floats = write(tmp_path, "x,y\n" + "".join(f"{i},{i / 7}\n" for i in range(30)), "floats.csv")
    many = write(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(30)), "many.csv")
    assert load_csv(integers).task == "classification"
    assert load_csv(integers).class_names == ("0", "1", "2")
    assert load_csv(floats).task == "regression"
    assert load_csv(many).task == "regression"  # more integer values than MAX_AUTO_CLASSES
    assert load_csv(integers, task="regression").task == "regression"
    assert load_csv(many, task="classification").n_classes == 30


def test_csv_target_defaults_to_last_column_and_gzip_works(tmp_path):
    path = tmp_path / "data.csv.gz"
    path.write_bytes(gzip.compress(b"a,b,target\n1,2,0.5\n2,1,1.5\n3,0,2.5\n4,4,3.0\n"))
    dataset = load_csv(path, val_fraction=0.25)
    assert (dataset.task, dataset.feature_names, dataset.name) == ("regression", ("a", "b"), "data.csv.gz")


def test_blank_lines_are_skipped_and_lines_counted(tmp_path):
    path = write(tmp_path, "a,y\n\n1,x\n\n2,y\n3,x\nbad,y\n")
    with pytest.raises(DatasetError, match=r"column 'a' is not numeric: line 7 has 'bad'"):
        load_csv(path)


BAD_FILES = [
    ("empty", b"", {}, r"data\.csv: the file is empty \(0 bytes\)"),
    ("blank lines", b"\n\n\n", {}, r"the file is empty \(no header row\)"),
    ("header only", b"a,b,y\n", {}, r"only a header row, no data rows"),
    ("missing target", b"a,b\n1,2\n3,4\n", {"target": "y"}, r"no target column 'y'; columns: a, b"),
    ("non-numeric feature", b"a,b,y\n1,2,0\n3,x7,1\n", {}, r"column 'b' is not numeric: line 3 has 'x7'"),
    ("empty cell", b"a,b,y\n1,2,0\n3,,1\n4,5,0\n", {}, r"column 'b', line 3: a missing value"),
    ("NaN cell", b"a,b,y\n1,2,0\n3,4,1\nnan,5,0\n", {}, r"column 'a', line 4: a missing value"),
    ("inf cell", b"a,b,y\n1,2,0\n3,inf,1\n", {}, r"column 'b', line 3: an infinite value \(inf\)"),
    ("too many fields", b"a,b,y\n1,2,0\n3,4,1,9\n", {}, r"line 3 has 4 field\(s\), the header has 3"),
    ("too few fields", b"a,b,y\n1,2,0\n3,4\n", {}, r"line 3 has 2 field\(s\), the header has 3"),
    ("single class", b"a,y\n1,k\n2,k\n3,k\n", {}, r"target column 'y' has a single class \('k'\)"),
    ("1000 classes", ("a,y\n" + "".join(f"{i},c{i}\n" for i in range(1000))).encode(), {},
     r"target column 'y' has 1000 classes; at most 100 are supported"),
    ("missing target value", b"a,y\n1,k\n2,\n3,j\n", {}, r"target column 'y', line 3: a missing value"),
    ("text regression target", b"a,y\n1,k\n2,j\n", {"task": "regression"}, r"column 'y' is not numeric: line 2"),
    ("binary", bytes(range(256)) * 4, {}, r"a binary file, not CSV text"),
    ("latin-1", "a,y\n1,café\n2,thé\n".encode("latin-1"), {}, r"not UTF-8 text \(byte 0xe9 at offset 9\)"),
    ("no features", b"y\n1\n2\n", {}, r"no feature columns besides the target 'y'"),
    ("unnamed column", b"a,,y\n1,2,3\n", {}, r"header column 2 has no name"),
    ("duplicate column", b"a,a,y\n1,2,3\n", {}, r"header names column\(s\) 'a' more than once"),
    ("too few rows", b"a,y\n1,2.5\n", {}, r"1 row\(s\) are too few to hold out a validation fraction of 0\.2"),
    ("no header", b"1,2,0\n3,4,1\n", {}, r"the first row holds only numbers \(1,2,0\): it must be a header row"),
    ("semicolons", b"a;b;y\n1;2;0\n", {}, r"the header is one column, 'a;b;y': kgui reads comma-separated values, "
     r"and this file looks separated by ';'"),
    ("beyond float32", b"a,b,y\n1,2,0\n3,-1e39,1\n", {}, r"column 'b', line 3: -1e39 is beyond float32's range"),
    ("target beyond float32", b"a,y\n1,2.5\n2,1e39\n3,0.5\n", {}, r"column 'y', line 3: 1e\+39 is beyond float32's"),
]


@pytest.mark.parametrize("content, options, message", [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_csv_files_get_one_line_messages_naming_the_place(tmp_path, content, options, message):
    path = write(tmp_path, content)
    with pytest.raises(DatasetError, match=message) as caught, warnings.catch_warnings():
        warnings.simplefilter("error")  # the one line is all a user sees: no warning printed beside it
        load_dataset(str(path), options)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


@pytest.mark.parametrize("options, message", [
    ({"n": 2_000_000_000}, r"dataset option n must be at most 10,000,000, got 2000000000"),   # the kernel killed it
    ({"slope": 1e308}, r"dataset option slope must be within ±3\.403e\+38 \(float32, the data's type\), got 1e\+308"),
    ({"noise": 1e39}, r"dataset option noise must be within ±3\.403e\+38")])   # both trained on inf data
def test_linear_options_beyond_memory_or_float32_are_one_line(options, message):
    with pytest.raises(ValueError, match=message):
        datasets.check_options("linear", options)


def test_missing_path_and_directory(tmp_path):
    with pytest.raises(DatasetError, match=r"nowhere\.csv: no such file"):
        load_dataset(str(tmp_path / "nowhere.csv"))
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DatasetError, match=r"folder\.csv: is a directory, not a CSV file"):
        load_dataset(str(folder))


def test_broken_gzip(tmp_path):
    path = write(tmp_path, b"\x1f\x8b\x08\x00garbage", "data.csv.gz")
    with pytest.raises(DatasetError, match="not a readable gzip file"):
        load_csv(path)


def test_unknown_dataset_name():
    with pytest.raises(DatasetError, match="unknown dataset 'mnist'"):
        load_dataset("mnist")


def fake_otto(folder, rows=20):
    folder.mkdir(parents=True)
    lines = ["id,feat_1,feat_2,feat_3,target"]
    lines += [f"{i},{i % 3},{i % 5},{i % 2},Class_{i % 3 + 1}" for i in range(1, rows + 1)]
    (folder / "train.csv").write_text("\n".join(lines) + "\n")
    (folder / "test.csv").write_text("id,feat_1,feat_2,feat_3\n1,0,0,0\n2,1,1,1\n")


def test_otto_is_found_in_kgui_data_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "PROJECT_DATA_DIR", tmp_path / "project-data")
    monkeypatch.setenv("KGUI_DATA_DIR", str(tmp_path / "mine"))
    fake_otto(tmp_path / "mine" / "kaggle_ottogroup")
    dataset = load_dataset("otto")
    assert (dataset.feature_names, dataset.class_names) == (("feat_1", "feat_2", "feat_3"),
                                                            ("Class_1", "Class_2", "Class_3"))
    ids, x = datasets.load_otto_test(dataset)
    assert ids.tolist() == [1, 2] and x.dtype == np.float32
    np.testing.assert_allclose(x[0], (0 - dataset.scaler.mean) / dataset.scaler.scale, rtol=1e-6)


def test_otto_missing_says_where_to_put_the_download(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "PROJECT_DATA_DIR", tmp_path / "project-data")
    monkeypatch.setenv("KGUI_DATA_DIR", str(tmp_path / "mine"))
    with pytest.raises(DatasetError) as caught:
        load_dataset("otto")
    message = str(caught.value)
    assert "Otto Group train.csv not found" in message and "kaggle.com/c/otto-group" in message
    assert str(tmp_path / "project-data" / "kaggle_ottogroup") in message
    assert str(tmp_path / "mine" / "kaggle_ottogroup") in message
    assert message.endswith("or give its path (--data-path on the command line)")    # which flag


def test_otto_path_that_is_not_otto(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DatasetError, match="no 'target' column; is this the Otto train.csv"):
        load_dataset("otto", {"path": str(path)})


@pytest.fixture(scope="module")
def otto():
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    return load_dataset("otto", {"path": str(OTTO)}, val_fraction=0.2, seed=0)


def test_real_otto_like_the_notebook(otto):
    check_arrays(otto)
    assert (len(otto.x_train), len(otto.x_val), otto.n_features) == (49502, 12376, 93)
    assert otto.class_names == tuple(f"Class_{i}" for i in range(1, 10))
    np.testing.assert_allclose(otto.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(otto.x_train.std(axis=0), 1, atol=1e-3)
    counts = (otto.y_train.sum(axis=0) + otto.y_val.sum(axis=0)).astype(int)
    assert counts.tolist() == [1929, 16122, 8004, 2691, 2739, 14135, 2839, 8464, 4955]  # SOURCE.txt


def test_real_otto_split_is_seeded(otto):
    again = load_dataset("otto", {"path": str(OTTO / "train.csv.gz")}, val_fraction=0.2, seed=0)
    np.testing.assert_array_equal(again.x_val, otto.x_val)
    other = load_dataset("otto", {"path": str(OTTO)}, val_fraction=0.2, seed=1)
    assert not np.array_equal(other.x_val[:10], otto.x_val[:10])


def test_real_otto_test_file_uses_the_training_scaler(otto):
    ids, x = datasets.load_otto_test(otto, OTTO)
    assert x.shape == (144368, 93) and ids[0] == 1 and ids[-1] == 144368
    assert abs(float(x.mean())) < 0.1  # same distribution, scaled with the training statistics


def test_a_files_compression_is_read_from_its_bytes_not_its_name(tmp_path):
    """A plain CSV named .gz said 'not a readable gzip file (incorrect header check)'; a gzipped one named .csv was
    read as text."""
    text = b"a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n"
    plain, packed = load_csv(write(tmp_path, text, "plain.csv.gz")), load_csv(write(tmp_path, gzip.compress(text),
                                                                                     "packed.csv"))
    np.testing.assert_array_equal(plain.x_train, packed.x_train)
    assert len(plain.x_train) + len(plain.x_val) == 4
