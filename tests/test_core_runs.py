"""RunStore: runs written as they go, readable after a crash, listed, loaded, renamed, deleted."""
import fcntl
import json
import math
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from kgui.core.runs import RUN_SCHEMA, RunInUseError, RunNotFoundError, RunRecord, RunStatus, RunStore, StepRecord
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs.index import INDEX_VERSION
from kgui.core.training.trainer import Trainer

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


def test_run_json_carries_its_schema_and_files_without_one_are_read(tmp_path):
    store = RunStore(tmp_path)
    record = make_run(store, steps=2, name="old")
    path = tmp_path / record.id / "run.json"
    data = json.loads(path.read_text())
    assert data["schema"] == RUN_SCHEMA == 1
    del data["schema"]                       # as kgui wrote it before run.json had a schema
    path.write_text(json.dumps(data))
    loaded = store.load(record.id)
    assert loaded.readable and loaded.name == "old" and len(loaded.history) == 2


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
    "nested in the settings": lambda data: json.dumps({**data, "settings": None}).replace(
        '"settings": null', '"settings": {"dataset_options": {"x": ' + _deep_json(900) + "}}"),
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
    "newer schema": lambda data: json.dumps({**data, "schema": 99}),
}
DAMAGED_REASONS = {
    "created is a number": "created must be a string, got 5", "created is null": "created must be a string, got None",
    "a JSON list": "holds a JSON list, not an object", "deeply nested": "nested too deeply",
    "nested in the settings": "nested too deeply",
    "name is a number": "name must be a string, got 123", "status is null": "status must be a string, got None",
    "unknown status": "status 'sleeping' is not a run status", "not JSON": "not valid JSON",
    "not UTF-8": "not UTF-8", "settings missing": "settings: experiment settings must be a JSON object",
    "bad settings": "settings: steps must be an integer", "bad lr_changes": "lr_changes must be a list",
    "bad summary": "summary steps must be an integer", "empty": "not valid JSON",
    "newer schema": "schema 99 is not one this kgui reads (1 to 1): written by a newer kgui?",
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
@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_a_folder_fifo_or_device_in_place_of_a_run_file_neither_stops_nor_hangs_listing(tmp_path, name, kind):
    if kind == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    store = RunStore(tmp_path)
    record = make_run(store, status="running")
    path = tmp_path / record.id / name
    path.unlink()
    {"folder": path.mkdir, "fifo": lambda: os.mkfifo(path), "device": lambda: path.symlink_to("/dev/zero")}[kind]()
    listed = store.list()[0]
    assert store.load(record.id, with_history=True).status == listed.status  # /dev/zero: read to no end before
    if name == "run.json":
        assert listed.status == RunStatus.UNREADABLE
        assert listed.message == ("run.json: Is a directory" if kind == "folder" else "run.json: not a regular file")
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
    assert a.name == "Theano (PyTensor) · houses.csv · lr 0.05"
    mlp = ExperimentSettings(dataset="otto", model="mlp", hidden=(64, 32), optimizer="adam", learning_rate=0.001)
    assert RunRecord.new(mlp).name == "TensorFlow · Otto Group · MLP 64,32 · Adam · lr 0.001"
    linear = ExperimentSettings(dataset="linear", model="linear", backend="jax", optimizer="sgd", momentum=0.9)
    assert RunRecord.new(linear).name == "JAX · Linear · SGD momentum 0.9 · lr 0.01"   # auto's model: not named
    assert RunRecord.new(settings, "mine").name == "mine"


# -- the listing index and hidden leftovers ------------------------------------------------------------------------

@pytest.fixture
def reads(monkeypatch):
    """The ids of the runs read from their own files (not from the listing index), as listings go."""
    seen = []
    read_stored = RunStore._read_stored.__func__

    def counted(cls, folder, run_id, with_history):
        seen.append(run_id)
        return read_stored(cls, folder, run_id, with_history)

    monkeypatch.setattr(RunStore, "_read_stored", classmethod(counted))
    return seen


def settle(store, seconds=60):
    """Make every run.json look written ``seconds`` ago (the index only keeps runs whose files have settled)."""
    then = time.time() - seconds
    for path in store.root.glob("*/run.json"):
        os.utime(path, (then, then))


def listed(store):
    return [(r.id, r.name, str(r.status), r.summary.steps, r.summary.skipped_lines, r.message) for r in store.list()]


def varied_store(tmp_path):
    """Runs of every kind listing meets: non-finite numbers and rate changes, interrupted, unreadable, skipped
    lines, no summary."""
    store = RunStore(tmp_path)
    odd = make_run(store, params={"w": math.nan, "b": math.inf})
    data = json.loads((tmp_path / odd.id / "run.json").read_text())
    data.update(lr_changes=[[2, 0.05]], final_params={"w": None, "b": 1.5}, timings={"train": 0.25}, train_rows=120)
    (tmp_path / odd.id / "run.json").write_text(json.dumps(data))
    make_run(store, status="running")  # its writer is gone: interrupted
    damage(store, "name is a number")
    skipped = make_run(store, name="skipped")
    with open(tmp_path / skipped.id / "history.csv", "ab") as stream:
        stream.write(b"garbage\n4,0.25,0.3,0.4,0.1,0.04,2.5,,\n")
    bare = make_run(store, name="no summary")
    data = json.loads((tmp_path / bare.id / "run.json").read_text())
    del data["summary"]
    (tmp_path / bare.id / "run.json").write_text(json.dumps(data))
    settle(store)
    return store


def test_listing_comes_from_the_index_and_equals_reading_every_run(tmp_path, reads):
    store = varied_store(tmp_path)
    truth = [store.load(run_id, with_history=False) for run_id in sorted(os.listdir(tmp_path))]
    reads.clear()
    first = store.list()
    assert sorted(reads) == sorted(r.id for r in truth) and (tmp_path / ".index.json").is_file()
    reads.clear()
    for again in (store.list(), RunStore(tmp_path).list()):
        assert reads == []  # one file read, not one per run
        assert [r.to_dict() for r in again] == [r.to_dict() for r in first] == \
               [r.to_dict() for r in sorted(truth, key=lambda r: (r.created, r.id))]
        assert [r.settings for r in again] == [r.settings for r in first]
        assert [repr(r.summary) for r in again] == [repr(r.summary) for r in first]  # NaN stays NaN, None None
        odd = next(r for r in again if r.lr_changes)
        assert math.isnan(odd.summary.last.params["w"]) and odd.summary.last.accuracy == 0.30000000000000004
        assert odd.lr_changes == [(2, 0.05)] and odd.final_params == {"w": None, "b": 1.5} and odd.train_rows == 120
    assert {r.status for r in first} == {RunStatus.FINISHED, RunStatus.INTERRUPTED, RunStatus.UNREADABLE}
    assert {(r.name, r.summary.steps, r.summary.skipped_lines) for r in first} >= {("skipped", 4, 1),
                                                                                 ("no summary", 3, 0)}


def test_the_index_follows_every_change_to_the_run_folders(tmp_path, reads):
    store = RunStore(tmp_path)
    runs = {name: make_run(store, name=name).id for name in "abcdfg"}
    settle(store)
    store.list()
    store.rename(runs["a"], "renamed")                                  # run.json rewritten
    reads.clear()
    shutil.copytree(tmp_path / runs["b"], tmp_path / "b-copy")          # cp -r (keeps the times)
    os.rename(tmp_path / runs["c"], tmp_path / "c-moved")               # mv
    shutil.rmtree(tmp_path / runs["d"])                                 # rm -r
    runs["e"] = make_run(store, name="e").id                            # a new run
    run_json = tmp_path / runs["f"] / "run.json"                        # damaged in place: same size, same mtime
    before = run_json.stat()
    with open(run_json, "r+b") as stream:
        stream.write(b"[")
    os.utime(run_json, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert run_json.stat().st_size == before.st_size
    with open(tmp_path / runs["g"] / "history.csv", "ab") as stream:  # steps added to a finished run
        stream.write(b"4,0.25,0.3,0.4,0.1,0.04,2.5,,\n")
    expected = sorted([(runs["a"], "renamed", "finished", 3), (runs["b"], "b", "finished", 3),
                       ("b-copy", "b", "finished", 3), ("c-moved", "c", "finished", 3), (runs["e"], "e", "finished", 3),
                       (runs["f"], runs["f"], "unreadable", 0), (runs["g"], "g", "finished", 4)])
    for _ in range(2):
        assert sorted((r.id, r.name, str(r.status), r.summary.steps) for r in store.list()) == expected
    assert sorted(reads) == sorted([runs["a"], "b-copy", "c-moved", runs["e"], runs["f"], runs["g"],  # changed
                                    runs["a"], runs["e"]])  # changed moments ago: read until they settle
    settle(store)
    store.list()
    reads.clear()
    assert sorted((r.id, r.name, str(r.status), r.summary.steps) for r in store.list()) == expected
    assert reads == []


def _rewrite_index(path, change):
    header, _, body = path.read_bytes().partition(b"\n")
    data = change(json.loads(body))
    body = json.dumps(data).encode()
    path.write_bytes(json.dumps({**json.loads(header), "crc32": zlib.crc32(body)}).encode() + b"\n" + body)


INDEX_DAMAGE = {
    "garbage": lambda path: path.write_bytes(b"\x00garbage\xff"),
    "empty": lambda path: path.write_bytes(b""),
    "cut short": lambda path: path.write_bytes(path.read_bytes()[:len(path.read_bytes()) // 2]),
    "a changed byte": lambda path: path.write_bytes(path.read_bytes().replace(b'"finished"', b'"finishez"')),
    "another version": lambda path: path.write_bytes(path.read_bytes().replace(
        b'"kgui_run_index": %d' % INDEX_VERSION, b'"kgui_run_index": 99')),
    "unknown settings": lambda path: _rewrite_index(path, lambda data: {**data, "settings": [{"nope": 1}]}),
    "entries of another shape": lambda path: _rewrite_index(path, lambda data: {
        **data, "runs": {run_id: [entry[0], 7, entry[2][:3]] for run_id, entry in data["runs"].items()}}),
    "entries with unknown fields": lambda path: _rewrite_index(path, lambda data: {
        **data, "runs": {run_id: [entry[0], entry[1], [*entry[2][:2], entry[2][2] + ["x"], entry[2][3]]]
                         for run_id, entry in data["runs"].items()}}),
    "a folder": lambda path: (path.unlink(), path.mkdir()),
    "a FIFO": lambda path: (path.unlink(), os.mkfifo(path)),
}


@pytest.mark.parametrize("kind", INDEX_DAMAGE)
def test_a_damaged_index_never_stops_listing_and_is_rebuilt(tmp_path, reads, kind):
    store = varied_store(tmp_path)
    truth = listed(store)
    INDEX_DAMAGE[kind](tmp_path / ".index.json")
    reads.clear()
    assert listed(store) == truth and len(reads) == len(truth)
    reads.clear()
    assert listed(store) == truth
    assert sorted(reads) == ([] if kind != "a folder" else sorted(r[0] for r in truth))  # rebuilt unless it cannot be


LIVE_WRITER = """
import sys
from kgui.core.runs import RunRecord, RunStatus, RunStore, StepRecord
from kgui.core.experiment.settings import ExperimentSettings

record = RunRecord.new(ExperimentSettings(dataset="iris"), "live")
record.status = RunStatus.RUNNING
writer = RunStore(sys.argv[1]).begin(record)
print(record.id, flush=True)
for n, _ in enumerate(sys.stdin, start=1):
    writer.append(StepRecord(n, 1.0 / n, None, None, 0.1, 0.01 * n, 1.0, {}))
    print("ok", flush=True)
"""


def test_a_run_another_process_writes_lists_running_until_its_writer_dies(tmp_path, reads):
    """The index keeps the run as its files say; whether its writer lives is checked on every listing."""
    process = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(tmp_path)], cwd=Path(__file__).parents[1],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        run_id = process.stdout.readline().strip()
        store = RunStore(tmp_path)
        for _ in range(2):
            process.stdin.write("step\n")
            process.stdin.flush()
            assert process.stdout.readline() == "ok\n"
        settle(store)
        assert [(r.status, r.summary.steps) for r in store.list()] == [(RunStatus.RUNNING, 2)]
        reads.clear()
        assert [(r.status, r.summary.steps) for r in store.list()] == [(RunStatus.RUNNING, 2)]
        assert reads == []
        process.stdin.write("step\n")
        process.stdin.flush()
        assert process.stdout.readline() == "ok\n"
        assert [(r.status, r.summary.steps) for r in store.list()] == [(RunStatus.RUNNING, 3)]
        assert reads == [run_id]  # its history grew
    finally:
        process.kill()
        process.wait()
    reads.clear()
    for _ in range(2):
        assert [(r.status, r.summary.steps) for r in store.list()] == [(RunStatus.INTERRUPTED, 3)]
    assert reads == []


def test_hidden_leftovers_of_killed_processes_are_removed_when_safe_and_never_listed(tmp_path):
    store = RunStore(tmp_path)
    kept = make_run(store, name="kept")
    old = time.time() - 3600

    def leftover(name, old_enough=True):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "history.csv").write_text("step,train_loss\n")
        (folder / "writer.lock").write_text("0\n")
        if old_enough:
            os.utime(folder, (old, old))
        return folder

    created = leftover(".20260101-000000-aaaaaa.new")                    # killed while creating the run
    deleted = leftover(f".{kept.id}.deleting-0a1b2c")                     # killed while deleting it
    temporary = tmp_path / ".index.json.x1y2.tmp"                         # killed while writing the index
    temporary.write_text("{")
    os.utime(temporary, (old, old))
    recent = leftover(".20260101-000000-bbbbbb.deleting-3d4e5f", old_enough=False)  # maybe still being removed
    being_created = leftover(".20260101-000000-cccccc.new")
    lock = os.open(being_created / "writer.lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_EX)                                      # its writer is alive
    users = leftover(".git")                                              # not the store's
    try:
        assert [r.id for r in store.list()] == [kept.id]
        assert not created.exists() and not deleted.exists() and not temporary.exists()
        assert recent.exists() and being_created.exists() and users.exists()
    finally:
        os.close(lock)
    assert [r.id for r in store.list()] == [kept.id] and not being_created.exists()
    assert store.load(kept.id).summary.steps == 3


def test_an_empty_runs_dir_variable_counts_as_unset(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("KGUI_RUNS_DIR", "")
    assert RunStore().root == tmp_path / "data" / "kgui" / "runs"
    monkeypatch.setenv("KGUI_RUNS_DIR", str(tmp_path / "mine"))
    assert RunStore().root == tmp_path / "mine"
