"""The command line under faults: a run killed, stopped by a signal, out of file space, written by another
process while deleted, and a store of damaged runs (``runs list`` never stops)."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgui import cli
from kgui.core.runs import RunStatus, RunStore
from kgui.exit_codes import EXIT_ERROR
from test_core_runs import DAMAGE_KINDS, damage, make_run

ROOT = Path(__file__).resolve().parents[1]
FILE_SIZE_LIMIT = 64 * 1024
LONG_RUN = ["run", "--backend", "theano", "--dataset", "linear", "--option", "n=50", "--lr", "0.1",
            "--steps", "1000000"]


def start(runs_dir, *extra, file_size_limit=None):
    """``kgui run`` of a long run in a new process (that may write no file beyond ``file_size_limit`` bytes)."""
    limit = "" if file_size_limit is None else (
        f"import resource; resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size_limit}, {file_size_limit})); ")
    code = f"{limit}import sys, runpy; sys.argv[0] = 'kgui'; runpy.run_module('kgui', run_name='__main__')"
    return subprocess.Popen([sys.executable, "-c", code, *LONG_RUN, "--runs-dir", str(runs_dir), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The long runs of this module's tests, started together (each pays the engine's start-up once):
    name -> (process, its runs folder, its export file)."""
    base = tmp_path_factory.mktemp("runs")
    started = {}
    for name in ("killed", "SIGTERM", "SIGHUP", "file size limit"):
        folder, export = base / name, base / f"{name}.csv" if name != "file size limit" else base / "loss.svg"
        process = start(folder, "--export", str(export),
                        file_size_limit=FILE_SIZE_LIMIT if name == "file size limit" else None)
        started[name] = (process, folder, export)
    yield started
    for process, _, _ in started.values():
        if process.poll() is None:
            process.kill()
        process.communicate()


def wait_for_steps(process, runs_dir, steps=5, timeout=180):
    """The run the process writes, once it has ``steps`` steps on disk."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = RunStore(runs_dir).list()
        if runs and runs[0].summary.steps >= steps:
            return runs[0]
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.communicate()}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the run did not start in time")


def test_a_killed_run_shows_as_interrupted_with_all_its_steps(runs, capsys):
    process, tmp_path, _ = runs["killed"]
    run = wait_for_steps(process, tmp_path)
    assert run.status == RunStatus.RUNNING
    process.kill()
    process.wait()
    store = RunStore(tmp_path)
    record = store.load(run.id)
    assert record.status == RunStatus.INTERRUPTED and len(record.history) >= 5
    assert store.list()[0].summary.steps == len(record.history)
    assert cli.main(["runs", "list", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{run.id}  interrupted  ") and f"{len(record.history):>6} steps" in out
    assert cli.main(["runs", "delete", run.id, "--runs-dir", str(tmp_path)]) == 0  # no writer: it can go


@pytest.mark.parametrize("name, code", [("SIGTERM", 143), ("SIGHUP", 129)])
def test_sigterm_and_sighup_stop_a_run_like_ctrl_c(runs, capsys, name, code):
    process, runs_dir, export = runs[name]
    run = wait_for_steps(process, runs_dir)
    # another process writes the run: deleting it is refused in one line, and nothing is touched
    assert cli.main(["runs", "delete", run.id, "--runs-dir", str(runs_dir)]) == EXIT_ERROR
    assert capsys.readouterr().err == (f"kgui: error: run {run.id} is still being trained by process "
                                       f"{process.pid}; stop it first\n")
    process.send_signal(getattr(signal, name))
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    record = RunStore(runs_dir).load(run.id)
    assert record.status == RunStatus.STOPPED and len(record.history) >= 5
    assert f"stopped: {len(record.history)} steps" in out and f"wrote {export}" in out
    assert len(export.read_text().splitlines()) == len(record.history) + 1


def test_a_write_that_fails_ends_the_run_as_failed_naming_the_file(runs):
    """A real OS write error: the run's process may not write files past 64 kB (RLIMIT_FSIZE: EFBIG)."""
    process, runs_dir, export = runs["file size limit"]
    out, err = process.communicate(timeout=300)
    [record] = RunStore(runs_dir).list(with_history=True)
    history = runs_dir / record.id / "history.csv"
    assert process.returncode == EXIT_ERROR
    assert err == f"kgui: error: cannot write {history}: File too large\n"
    assert (record.status, record.message) == (RunStatus.FAILED, f"cannot write {history}: File too large")
    assert len(record.history) > 100 and history.stat().st_size <= FILE_SIZE_LIMIT
    assert f"wrote {export}" in out and export.stat().st_size > 0


def test_runs_list_shows_every_damaged_run_and_keeps_going(tmp_path, capsys):
    store = RunStore(tmp_path)
    bad = {damage(store, kind): kind for kind in DAMAGE_KINDS}
    good = make_run(store, name="good")
    assert cli.main(["runs", "list", "--runs-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and len(lines) == len(DAMAGE_KINDS) + 1
    for line in lines[:-1]:
        run_id = line.split()[0]
        assert run_id in bad and line.startswith(f"{run_id}  unreadable   run.json: ")
    assert lines[-1].startswith(f"{good.id}  finished          3 steps  loss 0.3333")


def test_runs_list_counts_skipped_history_lines(tmp_path, capsys):
    store = RunStore(tmp_path)
    record = make_run(store, steps=3)
    with open(tmp_path / record.id / "history.csv", "ab") as stream:
        stream.write(b"\x00\x00garbage\n4,0.25,0.3,0.4,0.1,0.04,2.5,,\n")
    assert cli.main(["runs", "list", "--runs-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "finished          4 steps  loss 0.25 " in out and out.endswith("  (1 bad history line skipped)\n")


@pytest.mark.parametrize("name, shown", [("a\nb.csv", "a\\nb.csv"), ("a\x1b[31mb.csv", "a\ufffd[31mb.csv")])
def test_a_path_with_a_line_break_or_an_escape_sequence_is_named_on_one_line(capsys, tmp_path, name, shown):
    """The error line printed the path as it is: a line break made it two lines, an escape sequence coloured the
    terminal."""
    assert cli.main(["run", "--dataset", str(tmp_path / name), "--runs-dir", str(tmp_path / "runs")]) == EXIT_ERROR
    assert capsys.readouterr().err == f"kgui: error: {tmp_path / shown}: no such file\n"
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit):    # argparse's errors too
        cli.main(["runs", "list", "--runs-dir", str(tmp_path / "file" / name)])
    assert capsys.readouterr().err == (f"kgui: error: argument --runs-dir: {tmp_path / 'file' / shown} cannot be "
                                       f"made: {tmp_path / 'file'} is not a folder\n")


def test_warm_up_of_an_unknown_engine_is_the_one_line(capsys):
    """It printed "kgui: compiling … on bogus (once; later runs reuse it)…" before refusing the engine."""
    assert cli.main(["warm-up", "--backend", "bogus"]) == EXIT_ERROR
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "kgui: error: unknown backend 'bogus'; known backends: tensorflow, "
                                                "theano, jax, torch\n")


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_blank_name_is_one_line(capsys, tmp_path, command):
    """`run --name "   "` saved a run listed with a blank name (the window refuses to rename a run to one)."""
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--dataset", "linear", "--name", "   ", "--runs-dir", str(tmp_path)])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == "kgui: error: argument --name: a name cannot be empty"
    assert not list(tmp_path.iterdir())


def test_a_written_file_whose_path_holds_a_line_break_is_named_on_one_line(tmp_path, capsys):
    """'wrote PATH' printed a line break in the path as it is: two lines, the second looking like output of its own."""
    folder = tmp_path / "two\nlines"
    folder.mkdir()
    code = cli.main(["run", "--dataset", "linear", "--steps", "3", "--workers", "0", "--runs-dir", str(tmp_path / "r"),
                     "--export", str(folder / "h.csv")])
    out = capsys.readouterr().out
    assert code == 0 and (folder / "h.csv").stat().st_size > 0
    assert f"wrote {tmp_path}/two\\nlines/h.csv\n" in out
