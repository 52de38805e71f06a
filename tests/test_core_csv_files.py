"""Reading users' CSV files safely: only regular files, bounded, streamed, cancellable, cached (issue 10)."""
import contextlib
import gzip
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kgui.core.data import csv_files, dataset_cache, datasets
from kgui.core.data.datasets import DatasetError, LoadCancelled, load_dataset
from kgui.core.runs import RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer, stage_text
from kgui.core.training.training_control import TrainingControl

ROOT = Path(__file__).resolve().parents[1]
SUBPROCESS_TIMEOUT_S = 120  # generous: a hang fails the test instead of blocking the suite


@pytest.fixture(autouse=True)
def fresh_caches(monkeypatch, tmp_path):
    """Each test starts with an empty memory cache, its own disk-cache folder, and the default limits."""
    dataset_cache.MEMORY.clear()
    monkeypatch.setattr(dataset_cache, "DISK", dataset_cache.DiskCache(tmp_path / "cache"))
    monkeypatch.delenv(csv_files.MAX_SIZE_VARIABLE, raising=False)
    monkeypatch.delenv(dataset_cache.DISK_CACHE_VARIABLE, raising=False)
    yield
    os.environ.pop(csv_files.MAX_SIZE_VARIABLE, None)   # set by an in-process cli.main(["run", "--max-data-size", ...])
    os.environ.pop(dataset_cache.DISK_CACHE_VARIABLE, None)
    dataset_cache.MEMORY.clear()


def write_csv(path: Path, rows: int, columns: int = 3) -> Path:
    """``columns - 1`` integer features and a 3-class label."""
    header = ",".join(f"f{j}" for j in range(columns - 1)) + ",label\n"
    body = "".join(",".join(str((i * (j + 3)) % 11) for j in range(columns - 1)) + f",c{i % 3}\n"
                   for i in range(rows))
    path.write_text(header + body)
    return path


def run_cli(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT_S, env={**os.environ, **(env or {})})


# -- only regular files ---------------------------------------------------------------------------------------------

def test_a_fifo_is_refused_at_once_by_the_cli(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = run_cli("run", "--dataset", str(fifo), "--steps", "1", "--runs-dir", str(tmp_path / "runs"))
    assert result.returncode == 1
    assert result.stderr == f"kgui: error: {fifo}: is a named pipe (FIFO), not a file\n"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused(device):
    with pytest.raises(DatasetError, match=f"^{device}: is a character device, not a file$"):
        load_dataset(device)


def test_a_symlink_loop_is_named(tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    with pytest.raises(DatasetError, match=r"a\.csv: a symlink loop"):
        load_dataset(str(tmp_path / "a.csv"))


def test_a_broken_symlink_says_where_it_points(tmp_path):
    (tmp_path / "data.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(DatasetError, match=r"data\.csv: a broken symlink \(it points to .*gone\.csv"):
        load_dataset(str(tmp_path / "data.csv"))


def test_a_symlink_to_a_file_is_read(tmp_path):
    target = write_csv(tmp_path / "real.csv", 30)
    (tmp_path / "link.csv").symlink_to(target)
    assert load_dataset(str(tmp_path / "link.csv")).n_features == 2


# -- bounded reading ------------------------------------------------------------------------------------------------

def test_gzip_bomb_stops_at_the_decompression_cap(tmp_path):
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 2_000_000, 9))  # 8 MB of text in ~10 KB
    os.environ[csv_files.MAX_SIZE_VARIABLE] = str(1 << 20)
    with pytest.raises(DatasetError) as caught:
        load_dataset(str(bomb))
    message = str(caught.value)
    assert message.startswith(f"{bomb}: expands to more than 1 MiB of text")
    assert "--max-data-size" in message and csv_files.MAX_SIZE_VARIABLE in message and "\n" not in message



def test_a_fault_of_the_text_is_reported_after_one_read_not_two(tmp_path, monkeypatch):
    """The limit, met while pandas parsed, was taken for pandas refusing a row: Python's reader read it all again."""
    monkeypatch.setattr(csv_files.pandas_threads, "SEGMENT_BYTES", 40_000)
    monkeypatch.setattr(csv_files.python_reader, "PYTHON_BATCH_CELLS", 10_000)   # progress from either reader
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n" * 2_000_000, 9))
    os.environ[csv_files.MAX_SIZE_VARIABLE] = str(1 << 20)
    rows = []
    with pytest.raises(DatasetError, match="expands to more than 1 MiB of text"):
        load_dataset(str(bomb), progress=lambda progress: rows.append(progress.rows))
    assert rows and rows == sorted(rows)   # one pass: the rows read never go back

def test_the_limit_is_raised_by_the_variable_and_a_plain_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = write_csv(tmp_path / "data.csv", 2000)
    monkeypatch.setenv(csv_files.MAX_SIZE_VARIABLE, "10K")
    with pytest.raises(DatasetError, match=r"data\.csv: .* of text is more than the 10 KiB limit; raise it with"):
        load_dataset(str(path))
    monkeypatch.setenv(csv_files.MAX_SIZE_VARIABLE, "1M")
    assert len(load_dataset(str(path)).x_train) == 1600


def test_cli_flag_raises_the_limit(tmp_path):
    bomb = tmp_path / "big.csv.gz"
    bomb.write_bytes(gzip.compress(b"a,b\n" + b"1,2\n3,4\n" * 200_000))
    small = run_cli("run", "--dataset", str(bomb), "--steps", "1", "--max-data-size", "1M",
                    "--runs-dir", str(tmp_path / "runs"))
    assert small.returncode == 1 and "expands to more than 1 MiB of text" in small.stderr
    assert small.stderr.count("\n") == 1 and "Traceback" not in small.stderr


def test_parse_size():
    assert [csv_files.parse_size(text) for text in ("4096", "10K", "1.5M", "2G", "2GiB", "3gb")] == [
        4096, 10240, 1572864, 2 << 30, 2 << 30, 3 << 30]
    with pytest.raises(ValueError, match="a data size must look like 500M"):
        csv_files.parse_size("lots")
    assert csv_files.parse_size("1048576T") == 1 << 60


@pytest.mark.parametrize("text", ["inf", "1e400", "infG", "2000000T"])
def test_an_infinite_or_absurd_data_size_is_one_line(text, capsys, monkeypatch, tmp_path):
    with pytest.raises(ValueError, match=rf"^a data size must be at most 1 EiB, got '{text}'$"):
        csv_files.parse_size(text)
    from kgui import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run", "--max-data-size", text])
    assert exit_info.value.code == 2 and capsys.readouterr().err == (
        f"kgui: error: argument --max-data-size: a data size must be at most 1 EiB, got '{text}'\n")
    monkeypatch.setenv(csv_files.MAX_SIZE_VARIABLE, text)
    code = cli.main(["run", "--dataset", str(write_csv(tmp_path / "d.csv", 20)), "--steps", "1",
                     "--runs-dir", str(tmp_path / "runs")])
    assert code == 1 and capsys.readouterr().err == (
        f"kgui: error: {csv_files.MAX_SIZE_VARIABLE}: a data size must be at most 1 EiB, got '{text}'\n")


# -- wide files, linear checks -------------------------------------------------------------------------------------

def test_a_wide_file_loads_and_its_header_is_previewed_whole(tmp_path):
    path = write_csv(tmp_path / "wide.csv", 12, columns=20_000)  # a 150 KB header
    preview = csv_files.preview(path)
    assert len(preview.columns) == 20_000 and preview.columns[-1] == "label"
    dataset = load_dataset(str(path), val_fraction=0.25)
    assert dataset.x_train.shape == (9, 19_999) and dataset.class_names == ("c0", "c1", "c2")


def test_a_wide_header_with_a_duplicate_is_refused_in_linear_time(tmp_path):
    names = [f"c{j}" for j in range(100_000)]
    names[-2] = "c7"
    path = tmp_path / "dup.csv"
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    with pytest.raises(DatasetError, match=r"header names column\(s\) 'c7' more than once"):
        load_dataset(str(path))


def test_faults_in_a_long_file_name_their_line(tmp_path):
    path = write_csv(tmp_path / "long.csv", 50_000)
    with open(path, "a") as stream:
        stream.write("1,oops,c1\n")
    with pytest.raises(DatasetError, match=r"column 'f1' is not numeric: line 50002 has 'oops'"):
        load_dataset(str(path))


def test_a_missing_target_value_far_down_names_its_line(tmp_path):
    path = write_csv(tmp_path / "long.csv", 30_000)
    with open(path, "a") as stream:
        stream.write("\n\n1,2,\n")
    with pytest.raises(DatasetError, match=r"target column 'label', line 30004: a missing value"):
        load_dataset(str(path))


# -- cancelling -----------------------------------------------------------------------------------------------------

def test_a_stop_ends_the_load_and_nothing_is_cached(tmp_path):
    path = write_csv(tmp_path / "data.csv", 400_000)   # several reads
    polls = itertools.count()
    with pytest.raises(LoadCancelled):
        load_dataset(str(path), should_stop=lambda: next(polls) >= 2)
    assert len(dataset_cache.MEMORY) == 0


def test_stop_during_the_trainers_load_ends_the_run_as_stopped_and_saves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_files.pandas_threads, "SEGMENT_BYTES", 40_000)  # progress after every ~4,000 rows
    path = write_csv(tmp_path / "data.csv", 100_000)
    store = RunStore(tmp_path / "runs")
    control = TrainingControl()
    statuses = []

    def status(stage):
        statuses.append(stage_text(stage, "tensorflow", trainer.load_progress))
        if trainer.load_progress is not None:
            control.stop()  # as the window's Stop or the CLI's Ctrl-C/SIGTERM do, from the first progress on

    trainer = Trainer(ExperimentSettings(dataset=str(path), steps=3), control, store, status=status)
    record = trainer.run()
    assert (record.status, record.message, record.history) == ("stopped", "stopped while loading the dataset", [])
    assert re.fullmatch(r"loading dataset… [\d,]+ rows, \d+%", statuses[1]), statuses
    assert store.list() == [] and trainer.model is None


def test_the_sessions_phase_events_carry_the_load_progress(tmp_path, monkeypatch):
    """The window's progress bar follows these: rows and share of the file while loading, none after."""
    from kgui.core.session import Phase, Session

    monkeypatch.setattr(csv_files.pandas_threads, "SEGMENT_BYTES", 40_000)
    path = write_csv(tmp_path / "data.csv", 50_000)
    session = Session(RunStore(tmp_path / "runs"))
    phases = []
    session.subscribe(lambda event: isinstance(event, Phase) and phases.append((event.text, event.progress)))
    record = session.new_job(settings=ExperimentSettings(dataset=str(path), steps=2)).run()   # a prepared job
    assert record.status == "finished", record.message
    loading = [progress for text, progress in phases if text.startswith("loading dataset… ")]
    assert len(loading) >= 5 and all(progress is not None for progress in loading)
    assert [p.fraction for p in loading] == sorted(p.fraction for p in loading) and loading[-1].fraction == 1.0
    assert loading[-1].rows == 50_000 and phases[-1] == ("compiling…", None) and phases[0][1] is None


def test_two_loads_of_one_file_read_it_once_and_the_second_hears_the_progress(tmp_path, monkeypatch):
    """The window's Code dock and a Start load the same file at once: one read, one Dataset, progress for both."""
    import threading

    monkeypatch.setattr(csv_files.pandas_threads, "SEGMENT_BYTES", 40_000)
    path = write_csv(tmp_path / "data.csv", 50_000)
    release, waiting = threading.Event(), threading.Event()
    first_progress, second_progress, results = [], [], {}

    def first_hears(progress):
        first_progress.append(progress)
        release.wait(SUBPROCESS_TIMEOUT_S)     # the first read holds on until the second load is waiting

    def second_polls():
        waiting.set()
        return False

    first = threading.Thread(target=lambda: results.update(first=load_dataset(str(path), progress=first_hears)))
    first.start()
    while not first_progress:
        first.join(0.01)
    second = threading.Thread(target=lambda: results.update(second=load_dataset(
        str(path), progress=second_progress.append, should_stop=second_polls)))
    second.start()
    assert waiting.wait(SUBPROCESS_TIMEOUT_S)
    release.set()
    first.join(SUBPROCESS_TIMEOUT_S)
    second.join(SUBPROCESS_TIMEOUT_S)
    assert results["second"] is results["first"]
    assert second_progress and second_progress[-1] == first_progress[-1] and second_progress[-1].rows == 50_000


def test_a_load_waiting_for_anothers_read_of_the_file_stops_when_asked(tmp_path, monkeypatch):
    import threading

    monkeypatch.setattr(csv_files.pandas_threads, "SEGMENT_BYTES", 40_000)
    path = write_csv(tmp_path / "data.csv", 50_000)
    release, started = threading.Event(), threading.Event()

    def hold(progress):
        started.set()
        release.wait(SUBPROCESS_TIMEOUT_S)

    first = threading.Thread(target=lambda: load_dataset(str(path), progress=hold))
    first.start()
    assert started.wait(SUBPROCESS_TIMEOUT_S)
    try:
        with pytest.raises(LoadCancelled):
            load_dataset(str(path), should_stop=lambda: True)
    finally:
        release.set()
        first.join(SUBPROCESS_TIMEOUT_S)


# -- caches ---------------------------------------------------------------------------------------------------------

def test_memory_cache_hit_and_invalidation_when_the_file_changes(tmp_path):
    path = write_csv(tmp_path / "data.csv", 200)
    first = load_dataset(str(path), {"target": "label"}, seed=1)
    assert load_dataset(str(path), {"target": "label"}, seed=1) is first
    assert load_dataset(str(path), {"target": "label"}, seed=2) is not first        # another split
    assert load_dataset(str(path), {"task": "classification"}, seed=1) is not first  # other options
    with pytest.raises(ValueError, match="read-only"):
        first.x_train[0, 0] = 1.0                                    # shared: nobody can change it
    write_csv(path, 300)
    changed = load_dataset(str(path), {"target": "label"}, seed=1)
    assert changed is not first and len(changed.x_train) == 240


def test_memory_cache_sees_a_same_size_rewrite(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(10)))
    first = load_dataset(str(path))
    path.write_text("a,y\n" + "".join(f"{9 - i},{i % 2}\n" for i in range(10)))  # same bytes count
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 1_000_000))
    again = load_dataset(str(path))
    assert again is not first
    assert not np.array_equal(again.scaler.inverse_transform(again.x_val), first.scaler.inverse_transform(first.x_val))


def test_disk_cache_serves_a_new_process_and_follows_the_file(tmp_path):
    path = write_csv(tmp_path / "data.csv", 500)
    os.environ[dataset_cache.DISK_CACHE_VARIABLE] = "1"
    parsed = load_dataset(str(path), seed=3)
    entries = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and (entries[0] / "x.npy").is_file()
    dataset_cache.MEMORY.clear()                                   # as in a later session
    cached = load_dataset(str(path), seed=3)
    assert cached is not parsed
    for a, b in ((cached.x_train, parsed.x_train), (cached.y_val, parsed.y_val)):
        np.testing.assert_array_equal(a, b)
    assert cached.class_names == parsed.class_names and cached.feature_names == parsed.feature_names
    write_csv(path, 600)
    dataset_cache.MEMORY.clear()
    assert len(load_dataset(str(path), seed=3).x_train) == 480   # the changed file, not the stale entry


def test_otto_second_load_is_a_cache_hit(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "PROJECT_DATA_DIR", tmp_path / "data")
    folder = tmp_path / "data" / "kaggle_ottogroup"
    folder.mkdir(parents=True)
    (folder / "train.csv").write_text("id,feat_1,feat_2,target\n" + "".join(
        f"{i},{i % 3},{i % 5},Class_{i % 2 + 1}\n" for i in range(1, 41)))
    first = load_dataset("otto")
    assert load_dataset("otto") is first
    assert load_dataset("otto", {"path": str(folder)}) is not first   # other options, own entry


@pytest.mark.parametrize("signal_name, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_during_the_cli_load_stops_it_cleanly(tmp_path, signal_name, code):
    import signal
    import time

    path = tmp_path / "big.csv"
    with open(path, "w") as stream:
        stream.write("a,b,c,label\n")
        stream.writelines("1.25,2.5,3.75,c1\n4.5,5.25,6.125,c2\n" * 20_000 for _ in range(30))  # ~40 MB
    runs = tmp_path / "runs"
    process = subprocess.Popen([sys.executable, "main.py", "run", "--dataset", str(path), "--steps", "5",
                                "--runs-dir", str(runs)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    fds = Path(f"/proc/{process.pid}/fd")
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:  # wait until it reads the file
        try:
            if any(os.readlink(fd) == str(path) for fd in fds.iterdir()):
                break
        except OSError:
            pass
        time.sleep(0.002)
    process.send_signal(getattr(signal, signal_name))
    out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert process.returncode == code, err
    assert "Traceback" not in err and "stopped: 0 steps" in out
    assert not runs.exists() or not any(runs.iterdir())  # nothing half-saved


def test_pythons_reader_and_pandas_agree(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text("a, b ,label\n" + "".join(f"{i * 0.5}, {-1 if i % 4 else i},  {'xy'[i % 2]} \n"
                                               for i in range(40)) + "\n")
    fast = csv_files.read_table(path, None, label_default_last=True)
    monkeypatch.setattr(csv_files.reading, "PANDAS_MAX_COLUMNS", 2)   # as for a file wider than pandas is good at
    exact = csv_files.read_table(path, None, label_default_last=True)
    np.testing.assert_array_equal(np.concatenate(fast.blocks), np.concatenate(exact.blocks))
    assert fast.labels.values == exact.labels.values == ("x", "y")
    np.testing.assert_array_equal(fast.labels.codes, exact.labels.codes)


@pytest.mark.parametrize("cell", [" ", "", "NA", "nan", "x1"])
def test_pythons_reader_names_blank_and_bad_cells(tmp_path, monkeypatch, cell):
    monkeypatch.setattr(csv_files.reading, "PANDAS_MAX_COLUMNS", 2)
    path = tmp_path / "data.csv"
    path.write_text(f"a,b,label\n1,-1,x\n2,{cell},y\n3,4,x\n")
    problem = " is not numeric: line 3 has 'x1'" if cell == "x1" else ", line 3: a missing value"
    with pytest.raises(DatasetError, match=f"column 'b'{re.escape(problem)}"):
        load_dataset(str(path))


# -- parsing in processes (large plain files) ------------------------------------------------------------------------

def csv_workers() -> set[int]:
    """The pids of this process's children that are CSV parsing processes, ended but not reaped ones too."""
    workers = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat_file.read_text().rsplit(")", 1)[1].split()[1])   # after "pid (command)": state, ppid
            command = (stat_file.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue   # ended meanwhile
        if parent == os.getpid() and b"csv_worker" in command:
            workers.add(int(stat_file.parent.name))
    return workers


@pytest.fixture
def in_processes(monkeypatch):
    """Every plain file parsed by two worker processes in 20 KB ranges."""
    monkeypatch.setattr(csv_files.pandas_processes, "PROCESS_MIN_BYTES", 1)
    monkeypatch.setattr(csv_files.pandas_processes, "PROCESS_PIECE_BYTES", 20_000)
    monkeypatch.setattr(csv_files.pandas_processes, "PARSE_PROCESSES", 2)


@pytest.fixture
def only_processes(in_processes, monkeypatch):
    """As ``in_processes``, and the threads' parser must not be used."""
    def threads_not_expected(*args):
        raise AssertionError("parsed by threads, not by processes")

    monkeypatch.setattr(csv_files.reading, "read_pandas", threads_not_expected)


@pytest.mark.parametrize("newline, end", [("\n", "\n\n"), ("\r\n", "")])   # blank lines at the end; none
def test_processes_parse_what_threads_parse_and_leave_no_process_behind(tmp_path, only_processes, newline, end):
    path = tmp_path / "data.csv"
    rows = [f"{i},{i * 0.25},{(i * 7) % 13 - 6.5},{'xyz'[i % 3]}" for i in range(20_000)]
    path.write_bytes(("id,a,b,label" + newline + newline.join(rows) + end).encode())
    updates = []
    table = csv_files.read_table(path, "label", exclude=("id",), progress=updates.append)
    assert csv_workers() == set()
    assert len(updates) > 10 and updates[-1].rows == 20_000 and updates[-1].fraction == 1.0
    x = np.concatenate(table.blocks)
    np.testing.assert_array_equal(x[:, 0], np.arange(20_000, dtype=np.float32) * 0.25)
    assert x.shape == (20_000, 2) and x.dtype == np.float32 and table.n_rows == 20_000
    assert table.labels.values == ("x", "y", "z")
    np.testing.assert_array_equal(table.labels.codes, np.arange(20_000) % 3)


def test_a_stop_kills_the_parsing_processes(tmp_path, only_processes):
    path = write_csv(tmp_path / "data.csv", 200_000)
    updates = []
    with pytest.raises(LoadCancelled):
        csv_files.read_table(path, "label", progress=updates.append, should_stop=lambda: bool(updates))
    assert csv_workers() == set() and len(updates) == 1


def test_a_quoted_file_falls_back_to_threads_and_a_bad_cell_is_named(tmp_path, in_processes):
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("a,label\n" + "".join(f'{i},"l{i % 2}"\n' for i in range(10_000)))
    table = csv_files.read_table(quoted, "label")
    assert table.n_rows == 10_000 and table.labels.values == ("l0", "l1")
    bad = write_csv(tmp_path / "bad.csv", 20_000)
    with open(bad, "a") as stream:
        stream.write("1,inf,c1\n")
    with pytest.raises(DatasetError, match=r"column 'f1'.*line 20002"):
        load_dataset(str(bad))


@pytest.mark.parametrize("damage", ["empty x.npy", "truncated x.npy", "empty label_codes.npy",
                                    "truncated label_codes.npy", "FIFO x.npy", "FIFO labels.json"])
def test_a_damaged_disk_cache_entry_is_dropped_and_the_file_parsed_again(tmp_path, damage):
    path = write_csv(tmp_path / "data.csv", 500)
    os.environ[dataset_cache.DISK_CACHE_VARIABLE] = "1"
    parsed = load_dataset(str(path), seed=3)
    entry, = [p for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")]
    broken = entry / damage.split()[1]
    if damage.startswith("FIFO"):   # the load waited on it for good
        broken.unlink()
        os.mkfifo(broken)
    else:
        broken.write_bytes(b"" if damage.startswith("empty") else broken.read_bytes()[:-40])
    for _ in range(2):   # the next load parses the file (and caches it again), the one after reads the new entry
        dataset_cache.MEMORY.clear()
        again = load_dataset(str(path), seed=3)
        np.testing.assert_array_equal(again.x_train, parsed.x_train)
        np.testing.assert_array_equal(again.y_val, parsed.y_val)
    assert broken.is_file() and broken.stat().st_size > (100 if broken.suffix == ".npy" else 0)


@contextlib.contextmanager
def read_only_later(folder: Path):
    """``folder`` writable now; calling the yielded function makes it read-only for real (a read-only tmpfs
    mounted there when this runs as root, who may write to read-only folders; else its permission bits)."""
    folder.mkdir(parents=True)
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(folder)],
                                                   capture_output=True).returncode == 0
    if os.geteuid() == 0 and not mounted:
        pytest.skip("cannot make a folder read-only for root here (no tmpfs mount)")

    def make_read_only():
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            for path in [folder, *folder.iterdir()]:
                path.chmod(0o555)
    try:
        yield make_read_only
    finally:
        if mounted:
            subprocess.run(["umount", "--lazy", str(folder)], check=True)   # a memory-mapped entry may be open
        else:
            for path in [folder, *folder.iterdir()]:
                path.chmod(0o755)


def test_a_read_only_disk_cache_is_only_read(tmp_path):
    path = write_csv(tmp_path / "data.csv", 500)
    other = write_csv(tmp_path / "other.csv", 50)
    os.environ[dataset_cache.DISK_CACHE_VARIABLE] = "1"
    with read_only_later(tmp_path / "cache") as make_read_only:
        parsed = load_dataset(str(path), seed=3)
        make_read_only()
        dataset_cache.MEMORY.clear()
        np.testing.assert_array_equal(load_dataset(str(path), seed=3).x_train, parsed.x_train)
        assert len(load_dataset(str(other)).x_train) == 40   # not cached, and nothing fails
