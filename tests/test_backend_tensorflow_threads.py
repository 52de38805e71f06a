"""TensorFlow runs a step's ops one after another (one inter-op thread: less CPU per step for kgui's chains of small
ops), with the same numbers as its default inter-op pool; TF_NUM_INTEROP_THREADS still chooses."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine_support import INSTALLED, spiral_run_in_a_fresh_process

pytestmark = pytest.mark.skipif("tensorflow" not in INSTALLED, reason="TensorFlow is not installed")
ROOT = Path(__file__).resolve().parents[1]


def run_tensorflow(runs: Path, **env) -> list[float]:
    """A run on TensorFlow in a fresh process: its training losses."""
    return spiral_run_in_a_fresh_process("tensorflow", 40, runs, **env)[0]


def test_ops_run_on_one_inter_op_thread_with_the_numbers_of_the_default_pool(tmp_path):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import kgui.backend as K; K.load('tensorflow'); "
            "import tensorflow as tf; print(tf.config.threading.get_inter_op_parallelism_threads())")
    threads = [subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=300,
                              env={**os.environ, **env}).stdout.split()[-1]
               for env in ({}, {"TF_NUM_INTEROP_THREADS": "3"})]
    assert threads == ["1", "0"]   # 0: TensorFlow's own choice, from the variable
    assert run_tensorflow(tmp_path / "one") == run_tensorflow(tmp_path / "pool", TF_NUM_INTEROP_THREADS="0")


def test_kgui_loads_tensorflow_already_running_in_the_process():
    """A notebook that ran TensorFlow itself before kgui: its pool cannot change any more, and kgui's engine loads on it
    (it was 'TensorFlow is installed but cannot be imported (RuntimeError: Inter op parallelism…)')."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import tensorflow as tf; tf.constant(1.0) + 1; "
            "import kgui.backend as K; K.load('tensorflow'); "
            "print(tf.config.threading.get_inter_op_parallelism_threads())")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if k != "TF_NUM_INTEROP_THREADS"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "0"   # the pool TensorFlow started with
