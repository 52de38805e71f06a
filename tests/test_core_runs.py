"""RunStore: runs written as they go, readable after a crash, listed, loaded, renamed, deleted."""
import json
import math
import os
import shutil

import pytest

from kgui.core.runs import RunInUseError, RunNotFoundError, RunRecord, RunStatus, RunStore, StepRecord
from kgui.core.settings import ExperimentSettings
from kgui.core.trainer import Trainer

ENGINES = ["tensorflow", "theano"]


def make_run(store, steps=3, name=None, params=None, status="finished"):
    """A run of ``steps`` steps written through the store's writer, ended with ``status``."""
    record = RunRecord.new(ExperimentSettings(dataset="iris", learning_rate=0.1), name)
    record.status = RunStatus.RUNNING
    writer = store.begin(record)
    for n in range(1, steps + 1):
        step = StepRecord(n, 1.0 / n, 1.5 / n, 0.1 * n, 0.1, 0.01 * n, 2.5, params or {})
        record.history.append(step)
        writer.append(step)
    record.status = RunStatus(status)
    writer.save()
    writer.close()
    return record


def test_round_trip_of_a_run(tmp_path):
    store = RunStore(tmp_path)
    record = RunRecord.new(ExperimentSettings(dataset="iris", learning_rate=0.1))
    writer = store.begin(record)
    for n in range(1, 4):
        step = StepRecord(n, 1.0 / n, 1.5 / n, 0.1 * n, 0.1, 0.01 * n, 2.5, {"w": 0.3, "b": 0.2})
        record.history.append(step)
        writer.append(step)
    record.lr_changes = [(3, 0.05)]
    record.status, record.final_params, record.engine = RunStatus.FINISHED, {"w": 0.5, "b": 0.25}, "theano"
    writer.save()
    writer.close()
    loaded = store.load(record.id)
    assert loaded.to_dict(with_history=True) == record.to_dict(with_history=True)
    assert loaded.settings == record.settings and loaded.lr_changes == [(3, 0.05)]
    assert loaded.summary.steps == 3 and loaded.summary.mean_step_ms == 2.5 and loaded.summary.skipped_lines == 0
    assert sorted(os.listdir(tmp_path / record.id)) == ["history.csv", "run.json", "writer.lock"]  # no temp files


@pytest.mark.parametrize("engine", ENGINES)
def test_history_is_readable_while_the_run_goes(engine, tmp_path):
    store = RunStore(tmp_path)
    seen = []

    def on_step(step):
        other = RunStore(tmp_path)
        seen.append((len(other.load(trainer.record.id).history), other.list()[0].summary.steps,
                     other.list()[0].status))

    settings = ExperimentSettings(backend=engine, dataset="linear", dataset_options={"n": 50}, learning_rate=0.5,
                                  steps=5)
    trainer = Trainer(settings, store=store)
    trainer.run(on_step)
    assert seen == [(n, n, "running") for n in range(1, 6)]
    assert RunStore(tmp_path).load(trainer.record.id).status == "finished"


def test_a_crash_mid_write_leaves_the_steps_so_far_and_shows_interrupted(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=4, status="running")  # its writer is gone, the run never ended
    with open(tmp_path / record.id / "history.csv", "a") as stream:
        stream.write("5,0.2,0.3,,0.1,0.0")  # the process died while writing step 5
    for loaded in (store.load(record.id), store.list()[0]):
        assert loaded.status == RunStatus.INTERRUPTED and loaded.summary.steps == 4
        assert "ended before the run did" in loaded.message
    assert [s.step for s in store.load(record.id).history] == [1, 2, 3, 4]
    assert store.list()[0].summary.skipped_lines == 0


@pytest.mark.parametrize("bad_line", [b"3,0.5\x00,0.1,,0.1,0.0,1.0,,", b"3,\xff\xfe,0.1,,0.1,0.0,1.0,,", b"x,y",
                                      b"1.5,0.5,0.1,,0.1,0.0,1.0,,", b"2,0.5,0.1,,0.1,0.0,1.0,,", b"\x00" * 50])
def test_a_bad_history_line_is_skipped_and_counted(tmp_path, bad_line):
    store = RunStore(tmp_path)
    record = make_run(store, steps=4)
    path = tmp_path / record.id / "history.csv"
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([*lines[:3], bad_line, *lines[3:]]))  # header, steps 1 and 2, bad, steps 3 and 4
    loaded = store.load(record.id)
    assert [s.step for s in loaded.history] == [1, 2, 3, 4] and loaded.status == "finished"
    listed = store.list()[0]
    assert (listed.summary.steps, listed.summary.skipped_lines, listed.summary.last.step) == (4, 1, 4)
    assert (loaded.summary.steps, loaded.summary.skipped_lines) == (4, 1)


def test_listing_reads_the_summary_and_only_new_history(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=3)
    path = tmp_path / record.id / "history.csv"
    assert store.list()[0].summary.last.step == 3
    path.write_bytes(path.read_bytes().replace(b"\n1,", b"\nX,"))  # same size: the summary is trusted
    assert store.list()[0].summary.skipped_lines == 0 and store.load(record.id).summary.skipped_lines == 1
    with open(path, "ab") as stream:
        stream.write(b"4,0.25,0.3,0.4,0.1,0.04,2.5,,\n")  # appended after the last summary: counted from there
    listed = store.list()[0]
    assert (listed.summary.steps, listed.summary.last.step, listed.summary.skipped_lines) == (4, 4, 0)
    path.write_bytes(b"garbage\n" + path.read_bytes())  # changed before the summary's end: read again
    listed = store.list()[0]
    assert (listed.summary.steps, listed.summary.skipped_lines) == (3, 3)  # garbage, the header below it, X


def test_runs_written_without_a_summary_are_listed_from_their_history(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=3)
    run_json = tmp_path / record.id / "run.json"
    data = json.loads(run_json.read_text())
    del data["summary"]
    run_json.write_text(json.dumps(data))
    (tmp_path / record.id / "writer.lock").unlink()
    listed = store.list()[0]
    assert (listed.status, listed.summary.steps, listed.summary.last.train_loss) == ("finished", 3, 1 / 3)


def test_non_finite_values_stay_standard_json(tmp_path):
    store = RunStore(tmp_path)
    record = RunRecord.new(ExperimentSettings(dataset="iris"))
    writer = store.begin(record)
    step = StepRecord(1, math.nan, math.inf, None, 0.1, 0.01, 2.5, {})
    record.history.append(step)
    writer.append(step)
    record.final_params = {"w": math.nan, "b": math.inf}
    writer.save()
    writer.close()

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    data = json.loads((tmp_path / record.id / "run.json").read_text(), parse_constant=refuse)
    assert data["final_params"] == {"w": None, "b": None}
    assert store.list()[0].summary.steps == 1 and math.isnan(store.load(record.id).history[0].train_loss)


def test_list_rename_delete(tmp_path):
    store = RunStore(tmp_path)
    first, second = make_run(store, name="first"), make_run(store, name="second")
    assert [r.id for r in store.list()] == sorted([first.id, second.id], key=lambda i: (first.created, i))
    assert all(r.history == [] and r.summary.steps == 3 for r in store.list())
    assert [len(r.history) for r in store.list(with_history=True)] == [3, 3]
    assert store.rename(first.id, "  better name ").name == "better name"
    assert store.load(first.id).name == "better name" and len(store.load(first.id).history) == 3
    with pytest.raises(ValueError, match="a run name cannot be empty"):
        store.rename(first.id, " ")
    store.delete(first.id)
    assert [r.id for r in store.list()] == [second.id]
    assert sorted(os.listdir(tmp_path)) == [second.id]
    with pytest.raises(RunNotFoundError, match=f"no run '{first.id}' in {tmp_path}"):
        store.delete(first.id)
    with pytest.raises(RunNotFoundError):
        store.load("missing")


def test_run_ids_cannot_leave_the_store(tmp_path):
    store = RunStore(tmp_path / "runs")
    for bad in ("..", "../x", "", "a/b", ".hidden"):
        with pytest.raises(ValueError, match="invalid run id"):
            store.delete(bad)


def test_a_copied_run_folder_is_its_own_run(tmp_path):
    """cp -r runs/<id> runs/my-backup, renamed in its run.json: two rows; deleting the copy keeps the original."""
    store = RunStore(tmp_path)
    original = make_run(store, name="original")
    shutil.copytree(tmp_path / original.id, tmp_path / "my-backup")
    store.rename("my-backup", "the copy")
    assert sorted((r.id, r.name) for r in store.list()) == sorted([(original.id, "original"),
                                                                  ("my-backup", "the copy")])
    store.delete("my-backup")
    assert [(r.id, r.name, r.summary.steps) for r in store.list()] == [(original.id, "original", 3)]
    assert len(store.load(original.id).history) == 3


def _deep_json(depth):
    return "[" * depth + "]" * depth


DAMAGED_RUN_FILES = {
    "created is a number": lambda data: json.dumps({**data, "created": 5}),
    "created is null": lambda data: json.dumps({**data, "created": None}),
    "a JSON list": lambda data: json.dumps([data]),
    "deeply nested": lambda data: _deep_json(100_000),
    "deeply nested object": lambda data: json.dumps({**data, "settings": None})[:-1] + ', "x": '
                                                    + _deep_json(100_000) + "}",
    "name is a number": lambda data: json.dumps({**data, "name": 123}),
    "status is null": lambda data: json.dumps({**data, "status": None}),
    "unknown status": lambda data: json.dumps({**data, "status": "sleeping"}),
    "not JSON": lambda data: "{ not json",
    "not UTF-8": lambda data: b"\xff\xfe{}",
    "settings missing": lambda data: json.dumps({k: v for k, v in data.items() if k != "settings"}),
    "bad settings": lambda data: json.dumps({**data, "settings": {**data["settings"], "steps": "many"}}),
    "bad lr_changes": lambda data: json.dumps({**data, "lr_changes": [[1]]}),
    "bad summary": lambda data: json.dumps({**data, "summary": {"steps": "x"}}),
    "empty": lambda data: "",
}
DAMAGED_REASONS = {
    "created is a number": "created must be a string, got 5", "created is null": "created must be a string, got None",
    "a JSON list": "holds a JSON list, not an object", "deeply nested": "nested too deeply",
    "name is a number": "name must be a string, got 123", "status is null": "status must be a string, got None",
    "unknown status": "status 'sleeping' is not a run status", "not JSON": "not valid JSON",
    "not UTF-8": "not UTF-8", "settings missing": "settings: experiment settings must be a JSON object",
    "bad settings": "settings: steps must be an integer", "bad lr_changes": "lr_changes must be a list",
    "bad summary": "summary steps must be an integer", "empty": "not valid JSON",
}


def damage(store, kind):
    """A run whose run.json is damaged in the way ``kind`` names (or is a folder / missing); its id."""
    record = make_run(store, steps=2, name=kind)
    path = store.root / record.id / "run.json"
    if kind == "run.json is a directory":
        path.unlink()
        path.mkdir()
    elif kind == "run.json missing":
        path.unlink()
    else:
        content = DAMAGED_RUN_FILES[kind](json.loads(path.read_text()))
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return record.id


DAMAGE_KINDS = [*DAMAGED_RUN_FILES, "run.json is a directory", "run.json missing"]


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_a_damaged_run_is_listed_as_unreadable_with_the_reason(tmp_path, kind):
    store = RunStore(tmp_path)
    good = make_run(store, name="good")
    bad_id = damage(store, kind)
    records = {r.id: r for r in store.list()}
    assert records[good.id].status == "finished" and records[good.id].summary.steps == 3
    bad = records[bad_id]
    assert (bad.status, bad.name, bad.settings, bad.readable) == (RunStatus.UNREADABLE, bad_id, None, False)
    assert bad.message.startswith("run.json: ")
    reason = DAMAGED_REASONS.get(kind, {"run.json is a directory": "Is a directory",
                                        "run.json missing": "No such file or directory"}.get(kind))
    if kind == "deeply nested object":
        reason = "nested too deeply"
    assert reason in bad.message and "\n" not in bad.message
    assert store.load(bad_id).status == RunStatus.UNREADABLE
    store.delete(bad_id)  # an unreadable run can still be deleted
    assert [r.id for r in store.list()] == [good.id]


@pytest.mark.parametrize("name", ["history.csv", "writer.lock", "run.json"])
@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_folder_or_fifo_in_place_of_a_run_file_neither_stops_nor_hangs_listing(tmp_path, name, kind):
    if kind == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    store = RunStore(tmp_path)
    record = make_run(store, status="running")
    path = tmp_path / record.id / name
    path.unlink()
    path.mkdir() if kind == "folder" else os.mkfifo(path)
    listed = store.list()[0]
    if name == "run.json":
        assert listed.status == RunStatus.UNREADABLE
    else:
        assert listed.status == RunStatus.INTERRUPTED
        assert listed.summary.steps == (0 if name == "history.csv" else 3)
    store.delete(record.id)
    assert store.list() == []


def test_in_process_writer_holds_the_run(tmp_path):
    """While a trainer writes a run, other stores see it running; delete is refused, rename goes through it."""
    store = RunStore(tmp_path)
    settings = ExperimentSettings(dataset="linear", dataset_options={"n": 50}, learning_rate=0.5, steps=3)
    seen = []

    def on_step(step):
        if step.step == 2:
            other = RunStore(str(tmp_path) + "/")
            seen.append((other.list()[0].status, other.writer_pid(trainer.record.id)))
            with pytest.raises(RunInUseError, match=f"run {trainer.record.id} is still being trained by this "
                                                    "process; stop it first"):
                other.delete(trainer.record.id)
            other.rename(trainer.record.id, "renamed while training")

    trainer = Trainer(settings, store=store)
    trainer.run(on_step)
    assert seen == [(RunStatus.RUNNING, os.getpid())]
    assert trainer.record.name == "renamed while training"
    loaded = store.load(trainer.record.id)
    assert (loaded.name, loaded.status, len(loaded.history)) == ("renamed while training", "finished", 3)
    assert store.writer_pid(trainer.record.id) is None


def test_a_full_disk_fails_the_run_naming_the_file_and_keeps_the_steps(tmp_path):
    """A real ENOSPC: after step 3 the history file's descriptor is pointed at /dev/full."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    store = RunStore(tmp_path)
    settings = ExperimentSettings(dataset="linear", dataset_options={"n": 50}, learning_rate=0.5, steps=10)

    def on_step(step):
        if step.step == 3:
            full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(full, trainer.writer._history.fileno())
            os.close(full)

    trainer = Trainer(settings, store=store)
    record = trainer.run(on_step)
    assert record.status == "failed"
    assert record.message == f"cannot write {tmp_path / record.id / 'history.csv'}: No space left on device"
    loaded = store.load(record.id)
    assert (loaded.status, loaded.message) == ("failed", record.message)
    assert [s.step for s in loaded.history] == [1, 2, 3]
    assert store.writer_pid(record.id) is None


def test_unreadable_and_copied_runs_never_stop_listing_in_another_process(tmp_path):
    store = RunStore(tmp_path)
    for kind in DAMAGE_KINDS:
        damage(store, kind)
    good = make_run(store, name="good")
    assert sum(r.readable for r in store.list()) == 1 and len(store.list()) == len(DAMAGE_KINDS) + 1
    assert store.load(good.id).summary.steps == 3


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
