"""RunStore: runs written as they go, readable after a crash, listed, loaded, renamed, deleted."""
import json
import math
import os

import pytest

from kgui.core.runs import RunNotFoundError, RunRecord, RunStore, StepRecord
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import Trainer

ENGINES = ["tensorflow", "theano"]


def make_run(store, steps=3, name=None, params=None):
    record = RunRecord.new(ExperimentSettings(dataset="iris", learning_rate=0.1), name)
    record.status = "running"
    store.begin(record)
    for n in range(1, steps + 1):
        step = StepRecord(n, 1.0 / n, 1.5 / n, 0.1 * n, 0.1, 0.01 * n, 2.5, params or {})
        record.history.append(step)
        store.append(record, step)
    return record


def test_round_trip_of_a_run(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, params={"w": 0.3, "b": 0.2})
    record.lr_changes = [(3, 0.05)]
    record.status, record.final_params, record.engine = "finished", {"w": 0.5, "b": 0.25}, "theano"
    store.save(record)
    loaded = store.load(record.id)
    assert loaded.to_dict(with_history=True) == record.to_dict(with_history=True)
    assert loaded.settings == record.settings and loaded.lr_changes == [(3, 0.05)]
    assert sorted(os.listdir(tmp_path / record.id)) == ["history.csv", "run.json"]  # no temporary files left


@pytest.mark.parametrize("engine", ENGINES)
def test_history_is_readable_while_the_run_goes(engine, tmp_path):
    store = RunStore(tmp_path)
    seen = []

    def on_step(step):
        seen.append(len(RunStore(tmp_path).load(trainer.record.id).history))

    settings = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"n": 50}, learning_rate=0.5,
                                  steps=5)
    trainer = Trainer(settings, store=store)
    trainer.run(on_step)
    assert seen == [1, 2, 3, 4, 5]
    assert RunStore(tmp_path).load(trainer.record.id).status == "finished"


def test_a_crash_mid_write_leaves_the_steps_so_far(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=4)
    with open(tmp_path / record.id / "history.csv", "a") as stream:
        stream.write("5,0.2,0.3,,0.1,0.0")  # the process died while writing step 5
    loaded = store.load(record.id)
    assert [s.step for s in loaded.history] == [1, 2, 3, 4] and loaded.status == "running"


def test_a_damaged_history_in_the_middle_is_an_error(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=2)
    path = tmp_path / record.id / "history.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "x,y", *lines[1:]]) + "\n")
    with pytest.raises(ValueError, match="history.csv: line 2 is not a valid step"):
        store.load(record.id)


def test_non_finite_values_stay_standard_json(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=1)
    record.final_params = {"w": math.nan, "b": math.inf}
    store.save(record)

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    data = json.loads((tmp_path / record.id / "run.json").read_text(), parse_constant=refuse)
    assert data["final_params"] == {"w": None, "b": None}


def test_list_rename_delete(tmp_path):
    store = RunStore(tmp_path)
    first, second = make_run(store, name="first"), make_run(store, name="second")
    assert [r.id for r in store.list()] == sorted([first.id, second.id], key=lambda i: (first.created, i))
    assert all(r.history == [] for r in store.list())
    assert [len(r.history) for r in store.list(with_history=True)] == [3, 3]
    assert store.rename(first.id, "  better name ").name == "better name"
    assert store.load(first.id).name == "better name" and len(store.load(first.id).history) == 3
    with pytest.raises(ValueError, match="a run name cannot be empty"):
        store.rename(first.id, " ")
    store.delete(first.id)
    assert [r.id for r in store.list()] == [second.id]
    with pytest.raises(RunNotFoundError, match=f"no run '{first.id}' in {tmp_path}"):
        store.delete(first.id)
    with pytest.raises(RunNotFoundError):
        store.load("missing")


def test_run_ids_cannot_leave_the_store(tmp_path):
    store = RunStore(tmp_path / "runs")
    for bad in ("..", "../x", "", "a/b"):
        with pytest.raises(ValueError, match="invalid run id"):
            store.delete(bad)


def test_unreadable_run_folders_are_skipped_with_a_warning(tmp_path):
    store = RunStore(tmp_path)
    good = make_run(store)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{ not json")
    (tmp_path / "empty-folder").mkdir()
    with pytest.warns(UserWarning, match="skipping unreadable run folder"):
        assert [r.id for r in store.list()] == [good.id]


def test_store_location(tmp_path, monkeypatch):
    monkeypatch.setenv("KGUI_RUNS_DIR", str(tmp_path / "env"))
    assert RunStore().root == tmp_path / "env"
    assert RunStore(tmp_path / "given").root == tmp_path / "given"
    monkeypatch.delenv("KGUI_RUNS_DIR")
    default = RunStore().root
    assert default.name == "runs" and "kgui" in str(default)
    assert RunStore(tmp_path / "never").list() == [] and not (tmp_path / "never").exists()


def test_new_records_get_unique_ids_and_readable_names():
    settings = ExperimentSettings(dataset="/data/houses.csv", backend="theano", learning_rate=0.05)
    a, b = RunRecord.new(settings), RunRecord.new(settings)
    assert a.id != b.id and a.status == "pending"
    assert a.name == "houses.csv · theano · lr 0.05"
