"""The set-up script (.ci/install-deps) picks the right system packages, with fake dpkg/apt-get/sudo/id/python3
on a PATH that holds nothing else, so nothing is installed and the machine's own state does not matter."""
import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "install-deps"
BASE = ["g++", "libopenblas-dev", "libglib2.0-0", "libgl1", "libegl1", "libfontconfig1", "libxkbcommon0",
        "libdbus-1-3", "fonts-dejavu-core", "libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4",
        "libxcb-keysyms1", "libxcb-shape0", "xvfb", "xauth"]

FAKES = {
    # dpkg -s PKG: installed when listed in $STATE
    "dpkg": 'grep -qxF "$2" "$STATE"',
    # apt-get: logs its arguments; install adds the packages to $STATE
    "apt-get": '''echo "apt-get $*" >> "$LOG"
if [ "$1" = install ]; then for a in "$@"; do case "$a" in -*|install) ;; *) echo "$a" >> "$STATE" ;; esac; done; fi''',
    "id": 'echo "$FAKE_UID"',
    # python3: answers the script's three questions like a system Python 3.x without venv support or headers
    "python3": '''case "$2" in
  *version_info*) echo "$FAKE_PY_VERSION" ;;
  *ensurepip*) [ "$FAKE_PY_BARE" = 1 ] && exit 1; exit 0 ;;
  *sysconfig*) if [ "$FAKE_PY_BARE" = 1 ]; then echo /nonexistent; else echo "$HEADERS"; fi ;;
esac''',
}
SUDO = 'echo "sudo $1" >> "$LOG"; "$@"'


def run_setup(tmp_path, installed=(), uid=0, sudo=False, py_version="3.11", bare_python=True):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "grep", "sed", "dirname", "cat"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    fakes = dict(FAKES, **({"sudo": SUDO} if sudo else {}))
    for name, body in fakes.items():
        path = bin_dir / name
        path.write_text("#!" + shutil.which("bash") + "\n" + body + "\n")
        path.chmod(0o755)
    state, log, headers = tmp_path / "installed", tmp_path / "log", tmp_path / "include"
    state.write_text("".join(f"{pkg}\n" for pkg in installed))
    log.write_text("")
    headers.mkdir()
    (headers / "Python.h").write_text("")
    env = {"PATH": str(bin_dir), "STATE": str(state), "LOG": str(log), "HEADERS": str(headers),
           "FAKE_UID": str(uid), "FAKE_PY_VERSION": py_version, "FAKE_PY_BARE": "1" if bare_python else "0",
           "HOME": str(tmp_path)}
    result = subprocess.run([str(bin_dir / "bash"), str(SCRIPT), "--system-only"], env=env, capture_output=True,
                            text=True, timeout=60)
    return result, log.read_text().splitlines()


def installed_packages(log_lines):
    lines = [line for line in log_lines if line.startswith("apt-get install")]
    assert len(lines) == 1, log_lines
    return [word for word in lines[0].split()[2:] if not word.startswith("-")]


def test_fresh_debian_as_root_installs_everything_missing(tmp_path):
    result, log = run_setup(tmp_path)
    assert result.returncode == 0, result.stderr
    assert log[0] == "apt-get update -qq"
    assert sorted(installed_packages(log)) == sorted(BASE + ["python3.11-venv", "python3.11-dev"])
    assert not any(line.startswith("sudo") for line in log)
    assert "installing 18 system package(s)" in result.stdout


def test_python_with_venv_and_headers_needs_only_the_rest(tmp_path):
    result, log = run_setup(tmp_path, installed=BASE[:5], bare_python=False)
    assert result.returncode == 0, result.stderr
    assert sorted(installed_packages(log)) == sorted(BASE[5:])


def test_nothing_missing_runs_no_apt(tmp_path):
    result, log = run_setup(tmp_path, installed=BASE, bare_python=False)
    assert result.returncode == 0, result.stderr
    assert log == []
    assert "all there" in result.stdout


def test_user_with_sudo_installs_through_sudo(tmp_path):
    result, log = run_setup(tmp_path, uid=1000, sudo=True)
    assert result.returncode == 0, result.stderr
    assert "sudo apt-get" in log and log[log.index("sudo apt-get") + 1] == "apt-get update -qq"
    assert len(installed_packages(log)) == 18


def test_user_without_sudo_gets_one_line(tmp_path):
    result, log = run_setup(tmp_path, uid=1000)
    assert result.returncode == 1
    assert log == []
    assert result.stderr.count("\n") == 1
    assert "needs root (no sudo here)" in result.stderr and "python3.11-dev" in result.stderr


@pytest.mark.parametrize("version", ["3.9", "3.12"])
def test_wrong_python_gets_one_line(tmp_path, version):
    result, log = run_setup(tmp_path, py_version=version)
    assert result.returncode == 1
    assert log == []
    assert result.stderr == (f"kgui setup: error: kgui needs Python 3.11, but python3 is Python {version} "
                             "(set KGUI_PYTHON=/path/to/python3.11)\n")


def test_script_is_bash_clean():
    """bash -n: the script parses (a syntax error would only show on a fresh machine)."""
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0
