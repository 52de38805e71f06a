"""TensorFlow engine: the backend op set on native ``tf`` tensors, compiled with ``tf.function``.

Importing this module imports TensorFlow (seconds); :func:`kgui.backend.load` does it on demand.
"""
from __future__ import annotations

import os
import re
import sys
from contextlib import contextmanager

import numpy as np

from . import config, native

# Modules TensorFlow imports eagerly but only for features kgui never uses (it calls ``tf.*`` alone): the end of
# tensorflow/__init__.py imports Keras 3's optimizers (Keras and scikit-learn, ~3.5 s), the TFLite converter
# imports JAX (~1 s). TensorFlow guards both with ``except ImportError``.
_SKIPPED_IMPORTS = ("keras.src.optimizers", "tf_keras.src.optimizers", "jax")


@contextmanager
def _skipping_imports(names):
    """A ``None`` entry in ``sys.modules`` makes ``import name`` fail at once; the entries go again afterwards,
    so a later ``import keras`` or ``import jax`` works. Modules already imported are left alone. Engine
    imports run under :func:`kgui.backend.load`'s lock, so kgui's own JAX import never sees the entry."""
    skipped = [name for name in names if name not in sys.modules]
    for name in skipped:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in skipped:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


# What TensorFlow's libraries print while they load, twice (each library has its own absl), whatever
# TF_CPP_MIN_LOG_LEVEL says: nothing a kgui user can act on (oneDNN stays on: it is the engine's speed and numbers).
_LOAD_NOISE = (re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"),
               re.compile(r"^I\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on\."))

if not os.environ.get("KGUI_ENGINE_LOGS"):  # the engines' own log lines only when asked for
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
with native.dropping_stderr_lines(_LOAD_NOISE):
    native.preload("tensorflow", ("libtensorflow_framework.so.2", "libtensorflow_cc.so.2"))
    with _skipping_imports(_SKIPPED_IMPORTS):
        import tensorflow as tf

# Ops run one after another (each op still uses every core it can, the intra-op threads): a kgui step is a chain of
# small ops, which TensorFlow's inter-op pool handed between threads, spinning, for 20-25 % more CPU per training step
# (an MLP 8,8 on spiral: 0.33 -> 0.26 s of CPU a 500-step run) and the same numbers. TF_NUM_INTEROP_THREADS wins, and
# so does a TensorFlow that already ran in this process (a notebook's own cells): it keeps the pool it started with.
if "TF_NUM_INTEROP_THREADS" not in os.environ:
    try:
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:   # "cannot be modified after initialization"
        pass

NAME = "tensorflow"


def version() -> str:
    return tf.__version__


# ------------------------------------------------------------------ state and compilation

def variable(array: np.ndarray, name=None):
    safe = re.sub(r"[^A-Za-z0-9_.\-/]", "_", name) if name else None
    return tf.Variable(array, name=safe if safe and safe[0].isalnum() else None)


def get_value(var) -> np.ndarray:
    return np.array(var.numpy())


def set_value(var, array: np.ndarray) -> None:
    var.assign(array)


def compile(trace, specs, variables):  # noqa: A001 - engine protocol name
    """Trace once into a concrete ``tf.function``; outputs are read before the updates run."""
    signature = [tf.TensorSpec(shape, tf.as_dtype(dtype)) for shape, dtype in specs]

    def step(*inputs):
        outputs, updates = trace(list(inputs), variables)
        outputs = [tf.identity(out) for out in outputs]
        with tf.control_dependencies(outputs):
            for var, value in updates:
                var.assign(value)
        return outputs

    concrete = tf.function(step, input_signature=signature, autograph=False).get_concrete_function()

    def call(arrays):
        return [np.asarray(out) for out in concrete(*arrays)]

    return call


def gradients(loss, variables, loss_of):
    """Gradients of the scalar ``loss`` (``loss_of`` is for functional engines)."""
    return tf.gradients(loss, variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)


def constant(value: np.ndarray, dtype: str):
    return tf.constant(value, dtype=dtype)


# --------------------------------------------------------------------------------- ops

def add(x, y): return tf.add(x, y)
def subtract(x, y): return tf.subtract(x, y)
def multiply(x, y): return tf.multiply(x, y)
def divide(x, y): return tf.divide(x, y)
def pow(x, a): return tf.pow(x, a)  # noqa: A001
def maximum(x, y): return tf.maximum(x, y)
def minimum(x, y): return tf.minimum(x, y)
def equal(x, y): return tf.equal(x, y)
def not_equal(x, y): return tf.not_equal(x, y)
def greater(x, y): return tf.greater(x, y)
def greater_equal(x, y): return tf.greater_equal(x, y)
def less(x, y): return tf.less(x, y)
def less_equal(x, y): return tf.less_equal(x, y)
def negative(x): return tf.negative(x)
def getitem(x, key): return x[key]


def dot(x, y):
    """NumPy ``dot`` semantics."""
    x_rank, y_rank = x.shape.rank, y.shape.rank
    if x_rank == 0 or y_rank == 0:
        return x * y
    if x_rank == 2 and y_rank == 2:
        return tf.matmul(x, y)
    return tf.tensordot(x, y, axes=[[x_rank - 1], [y_rank - 2 if y_rank >= 2 else 0]])


def transpose(x): return tf.transpose(x)
def reshape(x, shape): return tf.reshape(x, shape)
def sum(x, axis, keepdims): return tf.reduce_sum(x, axis=axis, keepdims=keepdims)  # noqa: A001
def max(x, axis, keepdims): return tf.reduce_max(x, axis=axis, keepdims=keepdims)  # noqa: A001
def min(x, axis, keepdims): return tf.reduce_min(x, axis=axis, keepdims=keepdims)  # noqa: A001


def mean(x, axis, keepdims):
    if not x.dtype.is_floating:
        x = tf.cast(x, config.floatx())
    return tf.reduce_mean(x, axis=axis, keepdims=keepdims)


def argmax(x, axis): return tf.argmax(x, axis=axis)
def square(x): return tf.square(x)
def abs(x): return tf.abs(x)  # noqa: A001
def sqrt(x): return tf.sqrt(x)
def exp(x): return tf.exp(x)
def log(x): return tf.math.log(x)
def sigmoid(x): return tf.sigmoid(x)
def tanh(x): return tf.tanh(x)
def softmax(x, axis): return tf.nn.softmax(x, axis=axis)
def cast(x, dtype): return tf.cast(x, dtype)


def relu(x, alpha, max_value):
    out = tf.nn.relu(x)
    if max_value is not None:
        out = tf.minimum(out, tf.cast(max_value, x.dtype))
    if alpha:
        out = out - tf.cast(alpha, x.dtype) * tf.nn.relu(-x)
    return out


def clip(x, min_value, max_value):
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return tf.clip_by_value(x, tf.cast(low, x.dtype), tf.cast(high, x.dtype))


def categorical_crossentropy(target, output, from_logits, axis):
    if from_logits:
        return tf.nn.softmax_cross_entropy_with_logits(labels=target, logits=output, axis=axis)
    output = output / tf.reduce_sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    output = tf.clip_by_value(output, tf.cast(eps, output.dtype), tf.cast(1 - eps, output.dtype))
    return -tf.reduce_sum(target * tf.math.log(output), axis=axis)


def binary_crossentropy(target, output, from_logits):
    if from_logits:
        return tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=output)
    eps = config.epsilon()
    output = tf.clip_by_value(output, tf.cast(eps, output.dtype), tf.cast(1 - eps, output.dtype))
    return -(target * tf.math.log(output) + (1 - target) * tf.math.log(1 - output))
