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


INTER_OP_THREADS = ("import sys, tensorflow as tf; print('inter-op threads', "
                    "tf.config.threading.get_inter_op_parallelism_threads(), file=sys.stderr)")


def run_tensorflow(runs: Path, **env) -> tuple[list[float], str]:
    """A run on TensorFlow in a fresh process: its training losses, and TensorFlow's inter-op thread count there."""
    losses, stderr = spiral_run_in_a_fresh_process("tensorflow", 40, runs, then=INTER_OP_THREADS, **env)
    return losses, stderr.splitlines()[-1]


def test_ops_run_on_one_inter_op_thread_with_the_numbers_of_the_default_pool(tmp_path):
    one, pool = run_tensorflow(tmp_path / "one"), run_tensorflow(tmp_path / "pool", TF_NUM_INTEROP_THREADS="0")
    assert (one[1], pool[1]) == ("inter-op threads 1", "inter-op threads 0")   # 0: TensorFlow's own choice
    assert one[0] == pool[0]


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
