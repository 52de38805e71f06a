"""``kgui sweep`` given bad axes or a damaged sweep file (and ``kgui run`` a damaged experiment file, ``kgui open`` a
damaged classroom file): one line naming the problem, exit code 1, no run written, nothing hangs."""
import errno
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from kgui import cli

ROOT = Path(__file__).resolve().parents[1]

SWEEP = ["sweep", "--dataset", "spiral", "--model", "mlp", "--hidden", "8", "--steps", "5", "--workers", "0"]


def sweep(capsys, tmp_path, *args):
    code = cli.main([*SWEEP, *args, "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("args, says", [
    (["--grid", "optimizer=sgd,bogus"], "optimizer must be one of sgd, rmsprop, adagrad, adam, got 'bogus'"),
    (["--grid", "hidden=8/8,abc"], "--grid hidden takes layer widths like 8,8/16 (whole numbers), got '8/8,abc'"),
    (["--tpe", "2", "--range", "lr=0.1:1", "--sample-seed", "-3"],
     "sample_seed must be a whole number from 0 to 2**32 - 1, got -3"),
], ids=["unknown-optimizer", "hidden-not-a-number", "negative-sample-seed"])
def test_a_bad_axis_is_one_line_naming_it(capsys, tmp_path, args, says):
    code, err = sweep(capsys, tmp_path, *args)
    assert code == 1
    assert err.splitlines() == [err] and says in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("sample_seed", ["x", 2.5, True, 2 ** 40])
def test_a_sweep_file_with_a_bad_sample_seed_is_one_line(capsys, tmp_path, sample_seed):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"experiment": {"dataset": "spiral"}, "method": "tpe", "trials": 2,
                                "axes": [{"name": "lr", "low": 0.01, "high": 1}], "sample_seed": sample_seed}))
    code, err = sweep(capsys, tmp_path, "--config", str(path))
    assert code == 1
    assert err.splitlines() == [err] and "sample_seed must be a whole number" in err


SWEEP_JSON = {"experiment": {"dataset": "spiral"}, "axes": [{"name": "lr", "values": [0.1, 0.2]}]}


DAMAGES = ["truncated", "binary", "utf-16", "empty", "nested", "fifo", "zero", "folder"]


def damaged_files(folder):
    """name -> (a path holding a damaged sweep file, what the error says)."""
    files = {"truncated": (json.dumps(SWEEP_JSON)[:30].encode(), "not valid JSON"),
             "binary": (bytes(range(256)) * 8, "not a UTF-8 JSON file"),
             "utf-16": (json.dumps(SWEEP_JSON).encode("utf-16"), "not a UTF-8 JSON file"),
             "empty": (b"", "not valid JSON"),
             "nested": (b'{"axes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply")}
    paths = {}
    for name, (data, says) in files.items():
        path = folder / f"{name}.json"
        path.write_bytes(data)
        paths[name] = (path, says)
    fifo = folder / "fifo.json"
    os.mkfifo(fifo)
    (folder / "folder.json").mkdir()
    paths.update(fifo=(fifo, "not a regular file"), zero=(Path("/dev/zero"), "not a regular file"),
                 folder=(folder / "folder.json", "a folder"))
    return paths


EACH_COMMAND = """
import contextlib, io, json, sys
from kgui.cli import main
said = {}
for case, argv in json.loads(sys.argv[1]).items():
    with contextlib.redirect_stderr(io.StringIO()) as err:
        said[case] = [main(argv), err.getvalue()]
print(json.dumps(said))
"""


@pytest.mark.parametrize("command", ["sweep", "run", "classroom"])
def test_a_damaged_config_file_is_one_line_naming_it_and_nothing_hangs(tmp_path, command):
    """Every damaged file given to one command, in one fresh process (a hang is its timeout)."""
    damaged = damaged_files(tmp_path)
    argv = {damage: {"sweep": [*SWEEP, "--config", str(path), "--runs-dir", str(tmp_path / "runs")],
                     "run": ["run", "--steps", "5", "--config", str(path), "--runs-dir", str(tmp_path / "runs")],
                     "classroom": ["open", "--classroom", str(path), "--screenshot", str(tmp_path / "window.png")]
                     }[command] for damage, (path, _) in damaged.items()}
    result = subprocess.run([sys.executable, "-c", EACH_COMMAND, json.dumps(argv)], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert result.returncode == 0, result.stderr
    said = json.loads(result.stdout)
    assert sorted(said) == sorted(damaged) == sorted(DAMAGES)
    for damage, (path, says) in damaged.items():
        code, err = said[damage][0], said[damage][1].strip()
        assert code == 1, (damage, err)
        assert err.splitlines() == [err] and str(path) in err and says in err, (damage, err)


def test_a_sweep_file_saved_with_a_byte_order_mark_is_read(capsys, tmp_path):
    path = tmp_path / "sweep.json"
    path.write_bytes(json.dumps(SWEEP_JSON).encode("utf-8-sig"))
    code, err = sweep(capsys, tmp_path, "--config", str(path))
    assert code == 0, err


def test_a_store_that_cannot_be_written_is_one_line_with_the_cause_and_leaves_no_half_made_folder(tmp_path):
    """A full disk (here: a file size limit of 0 bytes, which fails writes with EFBIG as a full disk fails them with
    ENOSPC) fails the first run's lock: the line names that cause, not the retry's "File exists"."""
    def no_file_may_grow():
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    runs = tmp_path / "runs"
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), *SWEEP, "--backend", "torch", "--grid",
                             "lr=0.1,0.2", "--runs-dir", str(runs)], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, preexec_fn=no_file_may_grow)
    err = result.stderr.strip()
    assert result.returncode == 1
    assert err.splitlines() == [err] and "cannot create" in err and os.strerror(errno.EFBIG) in err
    assert not list(runs.iterdir())


@pytest.mark.parametrize("target, says", [("/dev/full", "No space left on device"), ("fifo", "a pipe nobody reads")],
                         ids=["full-disk", "fifo"])
def test_save_to_a_full_device_or_a_pipe_nobody_reads_is_one_line_naming_it_not_a_hang(tmp_path, target, says):
    if target == "fifo":
        target = tmp_path / "sweep.json"
        os.mkfifo(target)
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), *SWEEP, "--grid", "lr=0.1,0.2", "--save",
                             str(target), "--runs-dir", str(tmp_path / "runs")], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    err = result.stderr.strip()
    assert result.returncode == 1
    assert err == f"kgui: error: cannot write {target}: {says}"
    assert Path("/dev/full").is_char_device()
