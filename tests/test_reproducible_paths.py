"""One seed, one loss, through every path: a seeded experiment gives the same curve in-process (``kgui run --workers
0``), in a worker process (``kgui run --workers 2``), as one trial of a sweep on worker processes (restarted on a
compiled model, not the first trial on its worker), as one trial of the same sweep on a real Dask cluster, as the
exported script run by a fresh Python, through the window's Start (twice: the second restarts the compiled model) and
through ``kgui.notebook.explore``; and the same loss within float32 on every installed engine. Real engines, real
processes, real Otto data (skipped when absent).

For one engine every path gives the curve bitwise (losses and accuracy of every step; the script's printed losses to
their 6 significant digits); across engines the losses agree within ``ACROSS_ENGINES`` (docs/training.md,
"Reproducibility", has the table of differences this module measures: ``pytest -s`` prints it)."""
from __future__ import annotations

import contextlib
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

from test_core_sweeps_dask import cluster  # noqa: F401 - the module's own Dask scheduler and two workers

ROOT = Path(__file__).resolve().parents[1]
OTTO = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup"))
ENGINES = [name for name in backend.engine_ids() if name in INSTALLED]
REFERENCE = ENGINES[0]                     # the engine the others are compared with
ACROSS_ENGINES = {"rtol": 1e-5, "atol": 0.0}   # float32: engines order their sums differently

SPIRAL_FLAGS = ["--dataset", "spiral", "--option", "n=200", "--model", "mlp", "--hidden", "8,8", "--optimizer",
                "adam", "--lr", "0.03", "--steps", "60", "--batch-size", "10", "--seed", "3"]
SPIRAL = ExperimentSettings(dataset="spiral", dataset_options={"n": 200}, model="mlp", hidden=(8, 8),
                            optimizer="adam", learning_rate=0.03, steps=60, batch_size=10, seed=3)
OTTO_FLAGS = ["--dataset", "otto", "--data-path", str(OTTO), "--steps", "21"]   # the notebook's logistic regression
SWEPT_RATES = "0.1,0.03"   # 0.03 second: on one worker, its trial restarts the model the first one compiled

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


def swept_curves(folder: Path) -> dict[str, RunRecord]:
    """The trials of lr 0.03 of the sweep in ``folder``, by engine (every trial finished)."""
    records = RunStore(folder).list(with_history=True)
    assert len(records) == len(ENGINES) * len(SWEPT_RATES.split(","))
    assert all(record.status == RunStatus.FINISHED for record in records), [r.message for r in records]
    return {record.settings.backend: record for record in records
            if record.sweep_values["learning_rate"] == 0.03}


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
def in_process(tmp_path_factory) -> dict[str, Curve]:
    folder = tmp_path_factory.mktemp("in-process")
    kgui("run", "--backend", "all", *SPIRAL_FLAGS, "--workers", "0", "--runs-dir", str(folder))
    return curves_by_engine(folder)


@pytest.fixture(scope="module")
def otto_in_process(tmp_path_factory) -> dict[str, Curve]:
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    folder = tmp_path_factory.mktemp("otto-in-process")
    kgui("run", "--backend", "all", *OTTO_FLAGS, "--workers", "0", "--runs-dir", str(folder))
    return curves_by_engine(folder)


def sweep(folder: Path, *flags: str) -> dict[str, RunRecord]:
    kgui("sweep", *SPIRAL_FLAGS, "--grid", "backend=" + ",".join(ENGINES), "--grid", "lr=" + SWEPT_RATES,
         "--runs-dir", str(folder), *flags)
    return swept_curves(folder)


# -- the tests -----------------------------------------------------------------------------------------------------------

def test_every_engine_gives_the_same_losses_within_float32_and_the_same_run_twice_the_same_curve(
        in_process, tmp_path):
    for engine, values in in_process.items():
        note("spiral", "engines", engine, values, in_process[REFERENCE])
        np.testing.assert_allclose(losses(values), losses(in_process[REFERENCE]), **ACROSS_ENGINES,
                                   err_msg=f"{engine} vs {REFERENCE}")
    kgui("run", "--backend", "all", *SPIRAL_FLAGS, "--workers", "0", "--runs-dir", str(tmp_path))
    assert curves_by_engine(tmp_path) == in_process


def test_a_run_in_worker_processes_gives_the_in_process_curves(in_process, tmp_path):
    kgui("run", "--backend", "all", *SPIRAL_FLAGS, "--workers", "2", "--runs-dir", str(tmp_path))
    through_workers = curves_by_engine(tmp_path)
    for engine in ENGINES:
        note("spiral", "kgui run (worker)", engine, through_workers[engine], in_process[engine])
    assert through_workers == in_process


def test_a_sweeps_trial_on_a_restarted_model_gives_the_in_process_curve(in_process, tmp_path):
    trials = sweep(tmp_path, "--workers", "1")
    for engine in ENGINES:
        note("spiral", "kgui sweep (pool, restarted)", engine, curve(trials[engine]), in_process[engine])
    assert {engine: "restart" in trials[engine].timings for engine in ENGINES} == dict.fromkeys(ENGINES, True)
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
