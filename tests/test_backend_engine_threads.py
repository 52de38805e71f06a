"""PyTorch and PyTensor split one matrix product over a fixed number of threads (``config.ENGINE_THREADS``), whatever
the machine or the process's OMP_NUM_THREADS/OPENBLAS_NUM_THREADS (Dask's workers start with 1): another count sums in
another order, and a seed's Otto curve differed by 1e-7 relative between a Dask worker and a local run."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine_support import INSTALLED
from kgui.core.runs import RunStore

ROOT = Path(__file__).resolve().parents[1]
OTTO = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup"))
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def otto_losses(engine: str, runs: Path, threads: int) -> list[tuple[float, float]]:
    """12 full-batch steps of Otto's logistic regression in a fresh process told to use ``threads`` threads (without
    the fix, PyTorch's losses differed from step 3 on, PyTensor's from step 8): each step's losses."""
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "run", "--backend", engine, "--dataset", "otto",
                           "--data-path", str(OTTO), "--steps", "12", "--workers", "0", "--runs-dir", str(runs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **dict.fromkeys(THREAD_VARIABLES, str(threads))})
    assert done.returncode == 0, done.stderr
    store = RunStore(runs)
    record, = store.list()
    return [(step.train_loss, step.val_loss) for step in store.load(record.id).history]


@pytest.mark.parametrize("engine", ["torch", "theano"])
def test_otto_gives_the_same_bits_whatever_threads_the_process_was_given(engine, tmp_path):
    if engine not in INSTALLED:
        pytest.skip(f"{engine} is not installed")
    if not (OTTO / "train.csv.gz").exists() and not (OTTO / "train.csv").exists():
        pytest.skip(f"the Otto data is not in {OTTO}")
    assert otto_losses(engine, tmp_path / "one", 1) == otto_losses(engine, tmp_path / "two", 2)
