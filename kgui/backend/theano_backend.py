"""Theano engine, through PyTensor (Theano's maintained continuation): the backend op set
on native PyTensor tensors, compiled with ``pytensor.function``.

Importing this module imports PyTensor; :func:`kgui.backend.load` does it on demand.
"""
from __future__ import annotations

import ctypes.util
import logging
import os
import sys

import numpy as np
import threadpoolctl

from . import config


def _pytensor_flags() -> str:
    """PYTENSOR_FLAGS with kgui's defaults added where the user set nothing.

    pip-installed PyTensor finds no BLAS by itself (it searches only Python's lib dirs), so
    its matrix products fall back to slow NumPy C-API loops: link the system OpenBLAS when
    there is one. floatX follows kgui's floatx so no float64 creeps into the graphs.
    """
    flags = os.environ.get("PYTENSOR_FLAGS", "")
    given = {item.split("=", 1)[0].strip() for item in flags.split(",") if "=" in item}
    defaults = {"floatX": config.floatx()}
    if "blas__ldflags" not in given:
        if ctypes.util.find_library("openblas"):
            defaults["blas__ldflags"] = "-lopenblas"
        else:   # PyTensor's own search would fail too, with a five-line warning: one line of kgui's instead
            defaults["blas__ldflags"] = ""
            print(NO_BLAS_WARNING, file=sys.stderr, flush=True)
            logging.getLogger("pytensor.tensor.blas").setLevel(logging.ERROR)   # and not its line at each compile
    extra = [f"{key}={value}" for key, value in defaults.items() if key not in given]
    return ",".join(filter(None, [flags, *extra]))


NO_BLAS_WARNING = ("kgui: warning: OpenBLAS is not installed, so the Theano engine multiplies matrices without BLAS "
                   "(much slower); install it: sudo apt-get install libopenblas-dev (Debian/Ubuntu)")
os.environ["PYTENSOR_FLAGS"] = _pytensor_flags()
# The system OpenBLAS PyTensor's compiled code links (-lopenblas) reads its thread count when it is loaded, after this;
# one already loaded (by another library) is set through threadpoolctl. NumPy's own OpenBLAS is left as it is.
os.environ["OPENBLAS_NUM_THREADS"] = str(config.ENGINE_THREADS)
threadpoolctl.threadpool_limits({"libopenblas": config.ENGINE_THREADS})

import pytensor  # noqa: E402
import pytensor.tensor as pt  # noqa: E402
from pytensor.compile.mode import get_mode  # noqa: E402
from pytensor.gradient import zero_grad  # noqa: E402

# C back end (faster than the default numba mode here). kgui's log-softmax is already
# shifted by its maximum, so PyTensor's log-sum-exp rewrite would only add a second pass.
# Its softmax rewrite would turn kgui's element-wise softmax into a Softmax op, which the C back end
# runs in Python through an inner numba function that leaves a file in /tmp at each compile.
MODE = get_mode(os.environ.get("KGUI_PYTENSOR_MODE", "CVM")).excluding("local_log_sum_exp", "local_softmax_stabilize")

NAME = "theano"


def version() -> str:
    return pytensor.__version__


# ------------------------------------------------------------------ state and compilation

def variable(array: np.ndarray, name=None):
    return pytensor.shared(array, name=name, shape=array.shape)


def get_value(var) -> np.ndarray:
    return var.get_value(borrow=False)


def set_value(var, array: np.ndarray) -> None:
    var.set_value(array, borrow=False)


def compile(trace, specs, variables):  # noqa: A001 - engine protocol name
    """Build the graph on symbolic inputs and compile it; Theano computes outputs before updates."""
    inputs = [pt.tensor(dtype=dtype, shape=shape) for shape, dtype in specs]
    outputs, updates = trace(inputs, variables)
    fn = pytensor.function(inputs, outputs, updates=updates, mode=MODE, on_unused_input="ignore")
    fn.trust_input = True  # kgui.backend.api checks rank, shape and dtype before every call

    def call(arrays):
        return [np.asarray(out) for out in fn(*arrays)]

    return call


def gradients(loss, variables, loss_of):
    """Gradients of the scalar ``loss`` (``loss_of`` is for functional engines)."""
    return pytensor.grad(loss, variables, disconnected_inputs="ignore")


def constant(value: np.ndarray, dtype: str):
    return pt.constant(value, dtype=dtype)


# --------------------------------------------------------------------------------- ops

def add(x, y): return x + y
def subtract(x, y): return x - y
def multiply(x, y): return x * y
def divide(x, y): return x / y
def pow(x, a): return x ** a  # noqa: A001
def maximum(x, y): return pt.maximum(x, y)
def minimum(x, y): return pt.minimum(x, y)
def equal(x, y): return pt.eq(x, y)
def not_equal(x, y): return pt.neq(x, y)
def greater(x, y): return pt.gt(x, y)
def greater_equal(x, y): return pt.ge(x, y)
def less(x, y): return pt.lt(x, y)
def less_equal(x, y): return pt.le(x, y)
def negative(x): return -x
def getitem(x, key): return x[key]


def dot(x, y):
    """NumPy ``dot`` semantics."""
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim <= 2 and y.ndim <= 2:
        return pt.dot(x, y)
    return pt.tensordot(x, y, axes=[[x.ndim - 1], [y.ndim - 2 if y.ndim >= 2 else 0]])


def transpose(x): return x.T
def reshape(x, shape): return pt.reshape(x, shape)
def sum(x, axis, keepdims): return pt.sum(x, axis=axis, keepdims=keepdims)  # noqa: A001
def max(x, axis, keepdims): return pt.max(x, axis=axis, keepdims=keepdims)  # noqa: A001
def min(x, axis, keepdims): return pt.min(x, axis=axis, keepdims=keepdims)  # noqa: A001


def mean(x, axis, keepdims):
    if not x.dtype.startswith("float"):
        x = pt.cast(x, config.floatx())
    return pt.mean(x, axis=axis, keepdims=keepdims)


def argmax(x, axis): return pt.argmax(x, axis=axis)
def square(x): return pt.square(x)
def abs(x): return pt.abs(x)  # noqa: A001
def sqrt(x): return pt.sqrt(x)
def exp(x): return pt.exp(x)
def log(x): return pt.log(x)
def sigmoid(x): return pt.sigmoid(x)
def tanh(x): return pt.tanh(x)
def _shifted(x, axis):
    """``x`` minus its maximum along ``axis``; the shift is constant for differentiation."""
    return x - zero_grad(pt.max(x, axis=axis, keepdims=True))


def _log_softmax(x, axis):
    # Written with element-wise ops: PyTensor's Softmax/LogSoftmax ops have no C code and
    # run in Python, which tripled the cost of a training step on Otto.
    z = _shifted(x, axis)
    return z - pt.log(pt.sum(pt.exp(z), axis=axis, keepdims=True))


def softmax(x, axis):
    e = pt.exp(_shifted(x, axis))
    return e / pt.sum(e, axis=axis, keepdims=True)


def cast(x, dtype): return pt.cast(x, dtype)


def _const(value, like):
    return pt.constant(value, dtype=like.dtype)


def relu(x, alpha, max_value):
    out = pt.maximum(x, _const(0, x))
    if max_value is not None:
        out = pt.minimum(out, _const(max_value, x))
    if alpha:
        out = out - _const(alpha, x) * pt.maximum(-x, _const(0, x))
    return out


def clip(x, min_value, max_value):
    low = -np.inf if min_value is None else min_value
    high = np.inf if max_value is None else max_value
    return pt.clip(x, _const(low, x), _const(high, x))


def categorical_crossentropy(target, output, from_logits, axis):
    if from_logits:
        return -pt.sum(target * _log_softmax(output, axis), axis=axis)
    output = output / pt.sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    output = pt.clip(output, _const(eps, output), _const(1 - eps, output))
    return -pt.sum(target * pt.log(output), axis=axis)


def binary_crossentropy(target, output, from_logits):
    if from_logits:
        return pt.maximum(output, _const(0, output)) - output * target + pt.log1p(pt.exp(-pt.abs(output)))
    eps = config.epsilon()
    output = pt.clip(output, _const(eps, output), _const(1 - eps, output))
    return -(target * pt.log(output) + (1 - target) * pt.log(1 - output))
