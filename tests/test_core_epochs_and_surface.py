"""Issue 13 in the run store: a run keeps its training rows (the loss plot's epoch axis), and a 2-feature run keeps
its final decision boundary. Real engine (TensorFlow), small data."""
import json

from kgui.core.runs import RUN_FILE, RunStore
from kgui.core.settings import ExperimentSettings, steps_per_epoch
from kgui.core.trainer import Trainer

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
