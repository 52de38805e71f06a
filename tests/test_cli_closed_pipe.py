"""`kgui runs list | head -1`: a reader that leaves early ends the command quietly, as it ends ls (exit 141, the
code of SIGPIPE), not with "kgui: error: Broken pipe" or a traceback."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def kgui(*args: str, unbuffered: bool = False, **popen) -> subprocess.Popen:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    env.update({"PYTHONPATH": str(ROOT)}, **({"PYTHONUNBUFFERED": "1"} if unbuffered else {}))
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT, env=env, **popen)


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_a_reader_that_left_ends_the_listing_quietly(tmp_path, unbuffered):
    runs = tmp_path / "runs"
    made = kgui("run", "--dataset", "linear", "--steps", "3", "--workers", "0", "--runs-dir", str(runs),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert made.wait(300) == 0, made.stderr.read()
    listing = kgui("runs", "list", "--runs-dir", str(runs), unbuffered=unbuffered, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    listing.stdout.close()   # the reader is gone before the first line
    err = listing.stderr.read()
    assert listing.wait(60) == 141 and err == b""


@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_other_write_errors_still_name_their_cause(tmp_path, unbuffered):
    """/dev/full is no reader gone: its one line says so."""
    with open("/dev/full", "w") as full:
        shown = kgui("runs", "list", "--runs-dir", str(tmp_path / "none"), unbuffered=unbuffered, stdout=full,
                     stderr=subprocess.PIPE)
        err = shown.stderr.read().decode()
    assert shown.wait(60) == 1 and err.startswith("kgui: error:") and err.count("\n") == 1, err
