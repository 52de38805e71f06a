"""One seed, one curve, through every path: a seeded experiment gives the same curve in-process (``kgui run --workers
0``, and again), in worker processes (``kgui run --workers 1``, and a comparison with ``--workers 2``, printed as
in-process), as a trial of a sweep on a pool worker (the second trial of its model there: it restarts the model the
first compiled), on threads of one process and on a real Dask cluster, as the exported script run by a fresh Python,
through the window's Start (twice: the second restarts the compiled model; and begun with Step), and through
``kgui.notebook.explore``; and the same losses within float32 on every installed engine. Real engines, real processes,
real Otto data (skipped when absent).

For one engine every path gives the curve bitwise (each step's losses and accuracy; the script's printed losses to
their 6 significant digits); across engines the losses agree within ``ACROSS_ENGINES``. docs/training.md,
"Reproducibility", has the table of differences this module measures (``pytest -s`` prints it)."""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine_support import INSTALLED
from kgui import backend, cli
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs import RunRecord, RunStatus, RunStore

from ui_support import RUN_TIMEOUT_MS, live_history, messages, window  # noqa: F401 - the window on a private store

if importlib.util.find_spec("distributed") is not None:
    from test_core_sweeps_dask import cluster  # noqa: F401 - the module's own Dask scheduler and two workers
else:
    @pytest.fixture(scope="module")
    def cluster():
        pytest.skip("dask[distributed] is not installed (the cluster extra)")

ROOT = Path(__file__).resolve().parents[1]
OTTO = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup"))
ENGINES = [name for name in backend.engine_ids() if name in INSTALLED]
REFERENCE = ENGINES[0]                     # the engine the others are compared with
ACROSS_ENGINES = {"rtol": 1e-5, "atol": 0.0}   # float32: engines order their sums differently

SPIRAL_FLAGS = ["--dataset", "spiral", "--option", "n=200", "--noise", "0.1", "--model", "mlp", "--hidden", "8,8",
                "--optimizer", "adam", "--lr", "0.03", "--steps", "60", "--batch-size", "10", "--seed", "3"]
SPIRAL = ExperimentSettings(dataset="spiral", dataset_options={"n": 200, "noise": 0.1}, model="mlp", hidden=(8, 8),
                            optimizer="adam", learning_rate=0.03, steps=60, batch_size=10, seed=3)
OTTO_FLAGS = ["--dataset", "otto", "--data-path", str(OTTO), "--steps", "21"]   # the notebook's logistic regression

Curve = list[tuple[float, float | None, float | None]]   # each step's training loss, validation loss, accuracy

DIFFERENCES: dict[tuple[str, str, str], float] = {}   # (experiment, path, engine) -> max |Δloss| vs in-process


def curve(record: RunRecord) -> Curve:
    assert record.status == RunStatus.FINISHED, record.message
    return [(step.train_loss, step.val_loss, step.accuracy) for step in record.history]


def kgui(*args: str) -> str:
    """``kgui ARGS`` in this process (as the command line runs it); its output, or AssertionError with it."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    assert code == 0, err.getvalue() + out.getvalue()
    return out.getvalue()


def curves_by_engine(folder: Path) -> dict[str, Curve]:
    records = RunStore(folder).list(with_history=True)
    assert sorted(r.settings.backend for r in records) == sorted(ENGINES)
    return {record.settings.backend: curve(record) for record in records}


def comparable(out: str) -> list[str]:
    """What ``kgui run`` prints, without what differs between two runs of the same job (timings, run ids)."""
    lines = [line for line in out.splitlines() if not line.startswith(("saved run", "wrote"))]
    return [re.sub(r"in \d+\.\d+ s", "in … s", line) for line in lines]


def losses(values: Curve) -> np.ndarray:
    return np.array([(train, np.nan if val is None else val) for train, val, _ in values], dtype=np.float64)


def note(experiment: str, path: str, engine: str, got: Curve, reference: Curve) -> None:
    DIFFERENCES[(experiment, path, engine)] = float(np.nanmax(np.abs(losses(got) - losses(reference))))


@pytest.fixture(scope="module", autouse=True)
def table_of_differences():
    """``pytest -s`` prints the measured table (docs/training.md, "Reproducibility")."""
    yield
    for experiment in sorted({key[0] for key in DIFFERENCES}):
        paths = list(dict.fromkeys(key[1] for key in DIFFERENCES if key[0] == experiment))
        print(f"\n{experiment}: max |Δloss| vs in-process on the same engine ({REFERENCE} for 'engines')")
        print("| path | " + " | ".join(ENGINES) + " |")
        for path in paths:
            cells = [DIFFERENCES.get((experiment, path, engine)) for engine in ENGINES]
            print(f"| {path} | " + " | ".join("–" if c is None else ("0" if c == 0 else f"{c:.1e}")
                                              for c in cells) + " |")


# -- the runs every test compares (each made once) ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def printed_in_process(tmp_path_factory) -> tuple[dict[str, Curve], str]:
    """``kgui run --backend all --workers 0``: each engine's curve, and what it printed."""
    folder = tmp_path_factory.mktemp("in-process")
    out = kgui("run", "--backend", "all", *SPIRAL_FLAGS, "--workers", "0", "--runs-dir", str(folder))
    return curves_by_engine(folder), out


@pytest.fixture(scope="module")
def in_process(printed_in_process) -> dict[str, Curve]:
    return printed_in_process[0]


@pytest.fixture(scope="module")
def otto_in_process(tmp_path_factory) -> dict[str, Curve]:
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    folder = tmp_path_factory.mktemp("otto-in-process")
    kgui("run", "--backend", "all", *OTTO_FLAGS, "--workers", "0", "--runs-dir", str(folder))
    return curves_by_engine(folder)


def sweep(folder: Path, *flags: str) -> dict[str, RunRecord]:
    """A sweep of every engine with two seeds, 2 and 3, and the experiment's other settings; its trials of seed 3, by
    engine (each its engine's second, on the worker or thread of the first: it restarts the model the first compiled
    when they run in a pool's worker)."""
    kgui("sweep", *SPIRAL_FLAGS, "--seed", "2", "--seeds", "2", "--grid", "backend=" + ",".join(ENGINES),
         "--runs-dir", str(folder), *flags)
    records = RunStore(folder).list(with_history=True)
    assert len(records) == 2 * len(ENGINES)
    assert all(record.status == RunStatus.FINISHED for record in records), [r.message for r in records]
    return {record.settings.backend: record for record in records if record.sweep_values["seed"] == 3}


# -- the tests -----------------------------------------------------------------------------------------------------------

def test_every_engine_gives_the_same_losses_within_float32_and_the_same_run_twice_the_same_curve(
        in_process, tmp_path):
    for engine, values in in_process.items():
        note("spiral", "engines", engine, values, in_process[REFERENCE])
        np.testing.assert_allclose(losses(values), losses(in_process[REFERENCE]), **ACROSS_ENGINES,
                                   err_msg=f"{engine} vs {REFERENCE}")
    kgui("run", "--backend", "all", *SPIRAL_FLAGS, "--workers", "0", "--runs-dir", str(tmp_path))
    assert curves_by_engine(tmp_path) == in_process


def test_a_comparison_in_worker_processes_gives_and_prints_the_in_process_curves(printed_in_process, tmp_path):
    """``kgui run --backend all --workers 2``: two engines train at once, and each prints as one block, in the
    in-process order (their lines used to interleave)."""
    in_process, printed = printed_in_process
    out = kgui("run", "--backend", "all", *SPIRAL_FLAGS, "--workers", "2", "--runs-dir", str(tmp_path))
    through_workers = curves_by_engine(tmp_path)
    for engine in ENGINES:
        note("spiral", "kgui run (worker)", engine, through_workers[engine], in_process[engine])
    assert through_workers == in_process
    assert comparable(out) == comparable(printed)
    assert comparable(out)[-1].startswith("parity: same within float32 tolerance")


def test_a_run_in_a_worker_process_gives_and_prints_the_in_process_curve(in_process, tmp_path):
    """``kgui run --workers 1``: one engine's training job in a worker (the window's and the notebook's way, which
    the tests below run on every engine) prints and saves what ``--workers 0`` does."""
    printed = {}
    for workers in ("0", "1"):
        out = kgui("run", "--backend", REFERENCE, *SPIRAL_FLAGS, "--workers", workers,
                   "--runs-dir", str(tmp_path / workers))
        printed[workers] = comparable(out)
        [record] = RunStore(tmp_path / workers).list(with_history=True)
        assert curve(record) == in_process[REFERENCE], workers
    assert printed["1"] == printed["0"] and len([line for line in printed["0"] if line.startswith("Loss:")]) == 4


def test_a_sweeps_trial_on_a_restarted_model_gives_the_in_process_curve(in_process, tmp_path):
    trials = sweep(tmp_path, "--workers", "1")   # one worker: each seed-3 trial follows its seed-2 one there
    assert all(record.settings == SPIRAL.replace(backend=engine) for engine, record in trials.items())
    for engine in ENGINES:
        note("spiral", "kgui sweep (pool, restarted)", engine, curve(trials[engine]), in_process[engine])
    assert {engine: "restart" in trials[engine].timings for engine in ENGINES} == dict.fromkeys(ENGINES, True)
    assert {engine: curve(record) for engine, record in trials.items()} == in_process


def test_the_same_sweep_on_threads_of_this_process_gives_the_in_process_curve(in_process, tmp_path):
    """``--in-process --workers 2``: two trials train at once on threads of one process, engines side by side."""
    trials = sweep(tmp_path, "--in-process", "--workers", "2")
    for engine in ENGINES:
        note("spiral", "kgui sweep --in-process (threads)", engine, curve(trials[engine]), in_process[engine])
    assert {engine: curve(record) for engine, record in trials.items()} == in_process


def test_the_same_sweep_on_a_dask_cluster_gives_the_in_process_curve(in_process, cluster, tmp_path):  # noqa: F811
    trials = sweep(tmp_path, "--cluster", cluster)
    for engine in ENGINES:
        note("spiral", "kgui sweep --cluster (Dask)", engine, curve(trials[engine]), in_process[engine])
    assert {engine: curve(record) for engine, record in trials.items()} == in_process


def printed_every_step(script: Path, engine: str) -> subprocess.Popen:
    """A fresh Python running ``script`` (changed to print its loss at every step) on ``engine``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KGUI_BACKEND": engine}
    return subprocess.Popen([sys.executable, str(script)], cwd=script.parent, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_the_exported_script_prints_the_in_process_losses_on_every_engine(in_process, tmp_path):
    script = tmp_path / "spiral.py"
    kgui("run", *SPIRAL_FLAGS, "--export", str(script), "--runs-dir", str(tmp_path / "runs"))
    text = script.read_text()
    assert text.count("print_every = 20") == 1
    script.write_text(text.replace("print_every = 20", "print_every = 1"))
    printed = {}
    for pair in (ENGINES[i:i + 2] for i in range(0, len(ENGINES), 2)):   # two at a time: two cores
        processes = {engine: printed_every_step(script, engine) for engine in pair}
        for engine, process in processes.items():
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
            printed[engine] = re.findall(r"^Loss: (\S+)$", out, re.MULTILINE)
    for engine in ENGINES:
        expected = [f"{train:.6g}" for train, _, _ in in_process[engine]]
        note("spiral", "exported script", engine, [(float(v), None, None) for v in printed[engine]],
             in_process[engine])
        assert printed[engine] == expected, engine


def test_the_windows_start_gives_the_in_process_curve_and_again_on_the_restarted_model(qtbot, window, in_process):
    """Start in the window (a worker of the window's pool, with the window's live decision boundary, confusion
    matrix and layer statistics computed between steps), twice per engine: the second run restarts the model the
    first compiled. The stored run and the window's own copy of it (what its plot shows) are the in-process curve."""
    for engine in ENGINES:
        assert window.apply_settings(SPIRAL.replace(backend=engine), say=False) == []
        for attempt in ("compiled", "restarted"):
            before = window.session.last_ended
            window.commands.start.trigger()
            qtbot.waitUntil(lambda: window.session.last_ended is not before and not window.jobs.running
                            and window.commands.start.isEnabled(), timeout=RUN_TIMEOUT_MS)
            ended = window.session.last_ended
            stored = window.session.store.load(ended.id)
            assert (stored.settings, "restart" in stored.timings) == (SPIRAL.replace(backend=engine),
                                                                      attempt == "restarted")
            note("spiral", f"window Start ({attempt})", engine, curve(stored), in_process[engine])
            assert curve(stored) == in_process[engine], (engine, attempt)
            assert curve(window.session.runs[ended.id]) == in_process[engine], (engine, attempt)


def test_a_window_run_stepped_paused_and_resumed_gives_the_in_process_curve(qtbot, window, in_process):
    """Step (a new paused run's first step), Step again, Resume: steps taken one at a time (each checks the parameters
    for divergence), then the rest, give the same curve."""
    assert window.apply_settings(SPIRAL.replace(backend=REFERENCE), say=False) == []
    before = window.session.last_ended
    for count in (1, 2):
        window.commands.step.trigger()
        qtbot.waitUntil(lambda: len(live_history(window)) == count, timeout=RUN_TIMEOUT_MS)
    assert window.jobs.paused
    window.commands.pause.trigger()                       # Resume
    qtbot.waitUntil(lambda: window.session.last_ended is not before and not window.jobs.running,
                    timeout=RUN_TIMEOUT_MS)
    stored = window.session.store.load(window.session.last_ended.id)
    note("spiral", "window Step, Step, Resume", REFERENCE, curve(stored), in_process[REFERENCE])
    assert curve(stored) == in_process[REFERENCE]


@pytest.fixture
def notebook_workers(monkeypatch, worker_pool):
    """kgui.notebook's worker processes: the test session's, warm (a kernel starts its own, the same way)."""
    from kgui.notebook import explorer

    monkeypatch.setattr(explorer, "_pool", worker_pool)


def test_a_notebooks_explore_gives_the_in_process_curve(in_process, notebook_workers, tmp_path):
    """On the engine the window's last test ran (its worker is warm): explore's job is the window's, in a worker of the
    same pool, whose curve the window's tests check on every engine."""
    pytest.importorskip("ipywidgets")
    from kgui.notebook import explore

    engine = REFERENCE
    explorer = explore(SPIRAL.replace(backend=engine), store=tmp_path)
    record = explorer.wait(300)
    stored = RunStore(tmp_path).load(record.id)
    note("spiral", "kgui.notebook explore", engine, curve(stored), in_process[engine])
    assert curve(stored) == in_process[engine], engine
    assert curve(explorer.session.runs[record.id]) == in_process[engine], engine


# -- Otto: the seed notebook's logistic regression on the real data ------------------------------------------------------

def test_otto_gives_the_same_losses_on_every_engine_and_through_a_worker(otto_in_process, tmp_path):
    """(The worker loads the file itself; the engines' arithmetic through workers is the spiral's, above.)"""
    for engine, values in otto_in_process.items():
        note("otto", "engines", engine, values, otto_in_process[REFERENCE])
        np.testing.assert_allclose(losses(values), losses(otto_in_process[REFERENCE]), **ACROSS_ENGINES,
                                   err_msg=f"{engine} vs {REFERENCE}")
    kgui("run", "--backend", REFERENCE, *OTTO_FLAGS, "--workers", "1", "--runs-dir", str(tmp_path))
    [record] = RunStore(tmp_path).list(with_history=True)
    note("otto", "kgui run (worker)", REFERENCE, curve(record), otto_in_process[REFERENCE])
    assert curve(record) == otto_in_process[REFERENCE]


def test_the_otto_script_reads_the_file_itself_and_prints_the_in_process_losses(otto_in_process, tmp_path):
    script = tmp_path / "otto.py"
    kgui("run", *OTTO_FLAGS, "--backend", REFERENCE, "--export", str(script), "--runs-dir", str(tmp_path / "runs"))
    script.write_text(script.read_text().replace("print_every = 20", "print_every = 1"))
    process = printed_every_step(script, REFERENCE)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    printed = re.findall(r"^Loss: (\S+)$", out, re.MULTILINE)
    note("otto", "exported script", REFERENCE, [(float(v), None, None) for v in printed], otto_in_process[REFERENCE])
    assert printed == [f"{train:.6g}" for train, _, _ in otto_in_process[REFERENCE]]
