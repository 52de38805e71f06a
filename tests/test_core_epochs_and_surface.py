"""Issue 13 in the run store: a run keeps its training rows (the loss plot's epoch axis), and a 2-feature run keeps
its final decision boundary. Real engine (TensorFlow), small data."""
import json

import numpy as np
import pytest

from kgui.core.runs import RUN_FILE, RunStore
from kgui.core.experiment.settings import ExperimentSettings, steps_per_epoch
from kgui.core.training.surface import SURFACE_FILE, load_saved, surface
from kgui.core.training.trainer import Trainer

SPIRAL = ExperimentSettings(backend="tensorflow", dataset="spiral", dataset_options={"n": 100, "noise": 0.1},
                            model="mlp", hidden=(4,), activation="tanh", optimizer="adam", learning_rate=0.03,
                            steps=5, batch_size=16)


def test_a_run_keeps_its_training_rows_and_old_runs_still_load_without_them(tmp_path):
    store = RunStore(tmp_path)
    record = Trainer(SPIRAL, store=store).run()
    assert record.status == "finished", record.message
    assert record.train_rows == 80
    assert steps_per_epoch(record.train_rows, record.settings.batch_size) == 5
    assert store.load(record.id).train_rows == 80 and store.list()[0].train_rows == 80

    path = store.folder(record.id) / RUN_FILE       # a run saved before the field existed
    data = json.loads(path.read_text())
    del data["train_rows"]
    path.write_text(json.dumps(data))
    old = store.load(record.id)
    assert old.readable and old.train_rows is None and len(old.history) == 5


# -- the final decision boundary of a saved run ------------------------------------------------------------------------

def test_a_two_feature_run_saves_its_final_surface_and_points(tmp_path):
    store = RunStore(tmp_path)
    trainer = Trainer(SPIRAL, store=store)
    record = trainer.run()
    saved = load_saved(store.folder(record.id))
    expected = surface(trainer.model, trainer.dataset)
    assert saved.step == 5 and saved.surface.task == "classification" and saved.surface.n_classes == 2
    np.testing.assert_allclose(saved.surface.values, expected.values, rtol=1e-6)
    np.testing.assert_array_equal(saved.surface.classes, expected.classes)
    assert saved.surface.bounds == pytest.approx(expected.bounds)
    assert saved.points.name == "spiral" and saved.points.x_train.shape == (80, 2) and saved.points.y_val.shape == (20, 2)


def test_runs_without_two_features_save_no_surface_and_say_so(tmp_path):
    store = RunStore(tmp_path)
    record = Trainer(ExperimentSettings(dataset="iris", steps=2), store=store).run()
    assert record.status == "finished" and not (store.folder(record.id) / SURFACE_FILE).exists()
    with pytest.raises(ValueError, match=r"^no decision boundary was saved with this run \(runs on 2-feature data"):
        load_saved(store.folder(record.id))


def _good_arrays(tmp_path):
    store = RunStore(tmp_path / "good")
    record = Trainer(SPIRAL.replace(steps=1), store=store).run()
    with np.load(store.folder(record.id) / SURFACE_FILE) as data:
        return dict(data)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing array", "wrong shape", "bad class", "folder",
                                    "pickled", "device"])
def test_a_damaged_surface_file_is_one_line_never_an_exception(tmp_path, damage):
    arrays = _good_arrays(tmp_path)
    folder = tmp_path / "run"
    folder.mkdir()
    path = folder / SURFACE_FILE
    if damage == "garbage":
        path.write_bytes(b"not a zip at all")
    elif damage == "folder":
        path.mkdir()
    elif damage == "device":
        path.symlink_to("/dev/zero")
    elif damage == "pickled":
        np.savez(path, values=np.array([object()], dtype=object))
    else:
        if damage == "missing array":
            del arrays["classes"]
        elif damage == "wrong shape":
            arrays["values"] = arrays["values"][:3]
        elif damage == "bad class":
            arrays["classes"] = arrays["classes"] + 7
        np.savez_compressed(path, **arrays)
        if damage == "truncated":
            path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError) as caught:
        load_saved(folder)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("surface.npz is damaged (") or (damage in ("folder", "device")
                                                               and message.startswith("no decision"))
    assert "allow_pickle" not in message   # numpy advised: "load it unsafely using the `allow_pickle=` keyword …"
    expected = {"garbage": "surface.npz is damaged (not an .npz file)",
                "pickled": "surface.npz is damaged (it holds Python objects, which kgui never unpickles)"}
    assert message == expected.get(damage, message)
