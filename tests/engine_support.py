"""Engine parametrisation shared by the backend tests: every engine kgui knows, skipped only when not installed."""
import pytest

import kgui.backend

ENGINES = kgui.backend.engine_ids()
INSTALLED = {info.id for info in kgui.backend.available() if info.installed}


def load_or_skip(name: str):
    """The backend for ``name``; the test is skipped (not failed) when its engine is not installed."""
    if name not in INSTALLED:
        pytest.skip(f"{name} is not installed")
    return kgui.backend.load(name)


RUN_THEN = "import sys; from kgui.cli import main; code = main(sys.argv[2:]); exec(sys.argv[1]); sys.exit(code)"


def spiral_run_in_a_fresh_process(engine: str, steps: int, runs, then: str = "", **env) -> tuple[list[float], str]:
    """``kgui run`` of spiral's MLP 8,8 with Adam on ``engine`` in a fresh Python (``env`` added to its environment),
    followed there by the Python statements ``then``: the run's training losses, and what the process printed on
    stderr."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from kgui.core.runs import RunStore

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", RUN_THEN, then, "run", "--backend", engine, "--dataset", "spiral",
                           "--model", "mlp", "--hidden", "8,8", "--optimizer", "adam", "--steps", str(steps),
                           "--batch-size", "10", "--workers", "0", "--runs-dir", str(runs)],
                          cwd=root, env={**os.environ, "PYTHONPATH": str(root), **env}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    store = RunStore(runs)
    record, = store.list()
    return [step.train_loss for step in store.load(record.id).history], done.stderr
