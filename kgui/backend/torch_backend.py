"""PyTorch engine: the backend op set on ``torch`` tensors, run eagerly with autograd.

Variables are tensors held by kgui (``_Variable``). A call evaluates the graph eagerly: the
variables' current tensors go in (marked as requiring gradients when the function has
gradients), outputs and new values come out, then kgui stores the new values, so outputs are
computed before the updates by construction. ``torch.compile`` was measured and not used (see
docs/benchmarks.md).

Importing this module imports PyTorch (seconds); :func:`kgui.backend.load` does it on demand.
"""
from __future__ import annotations

import threading
import warnings

import numpy as np

from . import config, native

native.preload("torch", ("lib/libc10.so", "lib/libtorch_cpu.so"))
import torch  # noqa: E402

# kgui never writes into the arrays it is fed; read-only inputs are fine.
warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)
_state = threading.local()  # set by gradients(): the function being called wants autograd
torch.set_num_threads(config.ENGINE_THREADS)   # the same sums in the same order on every machine and path

NAME = "torch"


def version() -> str:
    return torch.__version__


def _dtype(name: str) -> torch.dtype:
    return getattr(torch, name)


# ------------------------------------------------------------------ state and compilation

class _Variable:
    """A variable's current tensor; calls read it and kgui replaces it after a call."""

    __slots__ = ("value", "name")

    def __init__(self, value, name=None):
        self.value = value
        self.name = name


def variable(array: np.ndarray, name=None):
    return _Variable(torch.from_numpy(np.array(array)), name)


def get_value(var) -> np.ndarray:
    return var.value.numpy().copy()


def set_value(var, array: np.ndarray) -> None:
    var.value = torch.from_numpy(np.array(array))


def compile(trace, specs, variables):  # noqa: A001 - engine protocol name
    """Eager: every call evaluates the graph. A function with gradients records for autograd (known
    after its first call, which differentiates a fresh recording of the loss); others run without."""
    records = False

    def call(arrays):
        nonlocal records
        inputs = [torch.from_numpy(array) for array in arrays]
        if records:
            values = [v.value.detach().requires_grad_() if v.value.is_floating_point() else v.value for v in variables]
        else:
            values = [var.value for var in variables]
        _state.wanted_gradients = False
        with torch.set_grad_enabled(records):
            outputs, updates = trace(inputs, values)
        records = records or _state.wanted_gradients
        results = [out.detach().numpy() for out in outputs]
        for var, value in updates:
            var.value = value.detach()
        return results

    return call


def gradients(loss, variables, loss_of):
    """Autograd gradients of ``loss``; when it was computed without recording, of a recording of
    ``loss_of`` (and the calling function records from then on)."""
    if loss.requires_grad:
        grads = torch.autograd.grad(loss, variables, allow_unused=True, retain_graph=True)
    else:
        _state.wanted_gradients = True
        leaves = [value.detach().requires_grad_(value.is_floating_point()) for value in variables]
        with torch.enable_grad():
            recorded = loss_of(leaves)
            grads = torch.autograd.grad(recorded, leaves, allow_unused=True) if recorded.requires_grad else \
                [None] * len(leaves)
    return [torch.zeros_like(value) if grad is None else grad.detach() for value, grad in zip(variables, grads)]


def constant(value: np.ndarray, dtype: str):
    return torch.from_numpy(value) if value.dtype.name == dtype else torch.from_numpy(value.astype(dtype))


# --------------------------------------------------------------------------------- ops

def add(x, y): return torch.add(x, y)
def subtract(x, y): return torch.sub(x, y)
def multiply(x, y): return torch.mul(x, y)
def divide(x, y): return torch.true_divide(x, y)
def pow(x, a): return torch.pow(x, a)  # noqa: A001
def maximum(x, y): return torch.maximum(x, y)
def minimum(x, y): return torch.minimum(x, y)
def equal(x, y): return torch.eq(x, y)
def not_equal(x, y): return torch.ne(x, y)
def greater(x, y): return torch.gt(x, y)
def greater_equal(x, y): return torch.ge(x, y)
def less(x, y): return torch.lt(x, y)
def less_equal(x, y): return torch.le(x, y)
def negative(x): return torch.neg(x)
def getitem(x, key): return x[key]


def dot(x, y):
    """NumPy ``dot`` semantics."""
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim <= 2 and y.ndim <= 2:
        return torch.matmul(x, y)
    return torch.tensordot(x, y, dims=([x.ndim - 1], [y.ndim - 2 if y.ndim >= 2 else 0]))


def transpose(x): return x.permute(*reversed(range(x.ndim)))
def reshape(x, shape): return torch.reshape(x, shape)


def _dims(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    return tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)


def sum(x, axis, keepdims):  # noqa: A001
    return torch.sum(x, dim=_dims(x, axis), keepdim=keepdims, dtype=x.dtype) if x.ndim else x


def max(x, axis, keepdims): return torch.amax(x, dim=_dims(x, axis), keepdim=keepdims) if x.ndim else x  # noqa: A001
def min(x, axis, keepdims): return torch.amin(x, dim=_dims(x, axis), keepdim=keepdims) if x.ndim else x  # noqa: A001


def mean(x, axis, keepdims):
    if not x.is_floating_point():
        x = x.to(_dtype(config.floatx()))
    return torch.mean(x, dim=_dims(x, axis), keepdim=keepdims) if x.ndim else x


def argmax(x, axis): return torch.argmax(x, dim=axis)
def square(x): return torch.square(x)
def abs(x): return torch.abs(x)  # noqa: A001
def sqrt(x): return torch.sqrt(x)
def exp(x): return torch.exp(x)
def log(x): return torch.log(x)
def sigmoid(x): return torch.sigmoid(x)
def tanh(x): return torch.tanh(x)
def softmax(x, axis): return torch.softmax(x, dim=axis)
def cast(x, dtype): return x.to(_dtype(dtype))


def relu(x, alpha, max_value):
    out = torch.relu(x)
    if max_value is not None:
        out = torch.clamp(out, max=max_value)
    if alpha:
        out = out - alpha * torch.relu(-x)
    return out


def clip(x, min_value, max_value):
    if x.is_floating_point():
        return torch.clamp(x, min=min_value, max=max_value)
    low = None if min_value is None else int(np.ceil(min_value))
    high = None if max_value is None else int(np.floor(max_value))
    return torch.clamp(x, min=low, max=high)


def categorical_crossentropy(target, output, from_logits, axis):
    if from_logits:
        return -torch.sum(target * torch.log_softmax(output, dim=axis), dim=axis)
    output = output / torch.sum(output, dim=axis, keepdim=True)
    eps = config.epsilon()
    output = torch.clamp(output, eps, 1 - eps)
    return -torch.sum(target * torch.log(output), dim=axis)


def binary_crossentropy(target, output, from_logits):
    if from_logits:
        return torch.clamp(output, min=0) - output * target + torch.log1p(torch.exp(-torch.abs(output)))
    eps = config.epsilon()
    output = torch.clamp(output, eps, 1 - eps)
    return -(target * torch.log(output) + (1 - target) * torch.log(1 - output))
