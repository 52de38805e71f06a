"""JAX's compiled functions are kept in kgui's cache folder: a later process loads them instead of compiling, with the
same numbers as a process without the cache; a folder that cannot be written means no cache and no message."""
from pathlib import Path

import pytest

from engine_support import INSTALLED, spiral_run_in_a_fresh_process

pytestmark = pytest.mark.skipif("jax" not in INSTALLED, reason="JAX is not installed")


def run_jax(runs: Path, **env) -> tuple[list[float], str]:
    """A run on JAX in a fresh process: its training losses, and what it printed on stderr."""
    return spiral_run_in_a_fresh_process("jax", 30, runs, **env)


@pytest.fixture(scope="module")
def uncached(tmp_path_factory) -> tuple[list[float], str]:
    """A run with JAX's cache turned off (every test's reference): its losses and stderr; it kept nothing in the cache
    folder it was given."""
    folder = tmp_path_factory.mktemp("uncached")
    done = run_jax(folder / "runs", XDG_CACHE_HOME=str(folder / "cache"), JAX_ENABLE_COMPILATION_CACHE="false")
    assert not (folder / "cache" / "kgui" / "jax").exists() or not any((folder / "cache" / "kgui" / "jax").rglob(
        "*-cache"))
    return done


@pytest.fixture(scope="module")
def cold(tmp_path_factory) -> tuple[list[float], Path]:
    """A run that compiled with the cache on, into a fresh cache folder (which the tests only read, or copy): its
    losses, and that folder (XDG_CACHE_HOME)."""
    folder = tmp_path_factory.mktemp("cold")
    return run_jax(folder / "runs", XDG_CACHE_HOME=str(folder / "cache"))[0], folder / "cache"


def test_compiled_functions_are_kept_and_loaded_with_the_same_numbers(tmp_path, uncached, cold):
    compiled, cache = cold
    kept = sorted((cache / "kgui" / "jax").rglob("*-cache"))
    assert kept   # the model's compiled functions
    loaded, _ = run_jax(tmp_path / "warm", XDG_CACHE_HOME=str(cache))
    assert sorted((cache / "kgui" / "jax").rglob("*-cache")) == kept   # loaded, none compiled again
    assert loaded == compiled == uncached[0]


@pytest.mark.parametrize("variable", ["XDG_CACHE_HOME", "JAX_COMPILATION_CACHE_DIR"])
def test_a_cache_folder_that_cannot_be_made_means_no_cache_and_no_message(tmp_path, variable, uncached):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    losses, stderr = run_jax(tmp_path / "runs", **{variable: str(not_a_folder / "jax")})
    assert (losses, stderr) == (uncached[0], "") and uncached[1] == ""


def test_a_damaged_entry_is_compiled_again_with_no_message(tmp_path, cold):
    """An entry cut short (a full disk, a worker killed while JAX wrote it) stays, as JAX never replaces one: every
    later run read it, failed, and printed JAX's warnings."""
    import shutil

    compiled, cache = cold[0], tmp_path / "cache"
    shutil.copytree(cold[1], cache)
    for entry in (cache / "kgui" / "jax").rglob("*-cache"):
        entry.write_bytes(entry.read_bytes()[:100])
    again, stderr = run_jax(tmp_path / "damaged", XDG_CACHE_HOME=str(cache))
    assert again == compiled and stderr == ""


def test_each_cpu_keeps_its_own_folder(cold):
    """XLA compiles for the CPU it runs on: a home shared by two machines keeps a folder per CPU model and flags."""
    from kgui.backend.jax_backend import _cpu_key as cpu_key
    folder, = (cold[1] / "kgui" / "jax").iterdir()
    assert folder.name == cpu_key() and any(folder.rglob("*-cache"))
    one = "model name\t: A CPU\nflags\t\t: fpu sse2 avx2\n"
    assert cpu_key(one) == cpu_key(one + one) != cpu_key(one.replace(" avx2", " avx512f"))
    assert cpu_key(one) != cpu_key(one.replace("A CPU", "Another CPU"))


NOTEBOOK_CODE = """
from pathlib import Path
import jax, numpy as np
import kgui.backend

K = kgui.backend.load("jax")
x = K.variable(np.ones(3))
K.eval(x * 2)                                      # kgui's own functions, kept in its cache
jax.jit(lambda a: a * 3 + 1)(np.ones(4))           # the notebook's own function, kept in the same cache
for entry in Path(jax.config.jax_compilation_cache_dir).rglob("*-cache"):
    entry.write_bytes(entry.read_bytes()[:100])    # every entry damaged
jax.clear_caches()
K.eval(K.variable(np.ones(3)) * 2)                 # kgui's: compiled again, unsaid
jax.jit(lambda a: a * 3 + 1)(np.ones(4))           # the notebook's: JAX says so, as it would without kgui
"""


def test_only_kgui_own_calls_are_quiet_about_damaged_entries_not_the_notebooks_jax_code(tmp_path):
    """kgui's filter of JAX's cache warnings was the whole process's: a notebook's own JAX code never heard of its
    own damaged entries once kgui's JAX engine was loaded."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", NOTEBOOK_CODE], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root), "XDG_CACHE_HOME": str(tmp_path)}, timeout=300)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "persistent compilation cache entry" in line]
    assert len(warned) == 1 and "Error reading persistent compilation cache entry for 'jit__lambda'" in warned[0], \
        done.stderr


def test_kgui_calls_ending_in_another_order_than_they_began_leave_the_process_filters_as_they_were():
    """Two threads compiling kgui's functions at once end in any order: each put back its copy of every filter
    (catch_warnings), so kgui's filter stayed for good, and a filter the notebook set meanwhile was dropped."""
    import warnings

    from kgui import backend

    jax_backend = backend.load("jax").engine
    before = list(warnings.filters)
    first, second = jax_backend._cache_errors_unsaid(), jax_backend._cache_errors_unsaid()
    first.__enter__()                      # one thread's compile begins
    second.__enter__()                     # another's
    warnings.filterwarnings("ignore", message="the notebook's own filter")
    first.__exit__(None, None, None)       # the first ends first
    assert "notebook" in warnings.filters[0][1].pattern
    second.__exit__(None, None, None)
    try:
        assert warnings.filters[1:] == before and "notebook" in warnings.filters[0][1].pattern
    finally:
        warnings.filters[:] = before
