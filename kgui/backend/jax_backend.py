"""JAX engine: the backend op set on ``jax.numpy`` arrays, compiled with ``jax.jit``, differentiated
with ``jax.grad``.

Variables are arrays held by kgui (``_Variable``). A compiled function is pure: it takes
the variables' current values and the inputs and returns the outputs and the new values, which
kgui then stores, so outputs are computed before the updates by construction. 64-bit types are
enabled so int64/float64 mean the same as on the other engines.

Importing this module imports JAX; :func:`kgui.backend.load` does it on demand.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import threading
import warnings

import numpy as np

if not os.environ.get("KGUI_ENGINE_LOGS"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # XLA's C++ logging
os.environ.setdefault("JAX_PLATFORMS", "cpu")  # no probing for accelerators kgui does not use

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from . import config  # noqa: E402

jax.config.update("jax_enable_x64", True)

NAME = "jax"
COMPILED_CACHE_BYTES = 512 << 20   # kgui's folder of compiled functions keeps the most recently used this much


def _cpu_key(cpuinfo: str | None = None) -> str:
    """A short name for this machine's CPU (its architecture, model and feature flags): XLA's compiled code is for
    the CPU it was compiled on, so a cache folder in a home shared between machines keeps one folder per CPU."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
                cpuinfo = file.read()
        except OSError:
            cpuinfo = platform.processor()
    described = sorted({line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                        if line.split(":", 1)[0].strip() in ("model name", "flags", "Features", "CPU part")})
    text = "\n".join([platform.machine(), *described])
    return f"{platform.machine() or 'cpu'}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def _keep_compiled_functions() -> None:
    """JAX's persistent compilation cache, in kgui's cache folder (``…/kgui/jax/<cpu>``): a process compiling a model
    compiled before (the first trial of each sweep worker, every ``kgui run``) loads it instead (spiral's MLP: 0.66 s
    → 0.21 s), with the same numbers. Every compile is kept (JAX's default keeps those over 1 s), its entries written
    and read under a file lock (two workers compile the same model at once), the least recently used dropped past
    ``COMPILED_CACHE_BYTES``. ``JAX_COMPILATION_CACHE_DIR`` chooses another folder, ``JAX_ENABLE_COMPILATION_CACHE=
    false`` turns it off; a folder that cannot be written, or an entry that cannot be read or written, means no cache
    there, not a message."""
    try:
        import filelock  # noqa: F401 - JAX locks its entries with it (a PyTensor dependency)
        from platformdirs import user_cache_dir
    except ImportError:
        return
    folder = os.environ.get("JAX_COMPILATION_CACHE_DIR") or os.path.join(user_cache_dir("kgui"), "jax", _cpu_key())
    try:
        os.makedirs(folder, exist_ok=True)
        usable = os.access(folder, os.W_OK | os.X_OK)
    except OSError:
        usable = False
    if not usable:   # JAX would otherwise try JAX_COMPILATION_CACHE_DIR itself, and warn at every compile
        jax.config.update("jax_compilation_cache_dir", None)
        return
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_compilation_cache_max_size", COMPILED_CACHE_BYTES)


_keep_compiled_functions()

_CACHE_ENTRY_ERROR = "Error (reading|writing) persistent compilation cache entry"


_unsaid_lock = threading.Lock()
_unsaid_calls = 0                    # kgui's calls inside _cache_errors_unsaid now, on every thread
_unsaid_filter: tuple | None = None  # the filter they added (None: none, or the process had that one already)


@contextlib.contextmanager
def _cache_errors_unsaid():
    """While kgui's own function compiles: a damaged cache entry (a full disk, a worker killed while writing one) is
    compiled again, as without the cache, and JAX's warning about it is not shown (it never replaces an entry, so it
    would warn on every run). Only around kgui's calls: other JAX code of the process (a notebook's) still hears of
    its own entries. The filter is the process's: added when the first of kgui's calls enters, and that filter alone
    removed when the last leaves, whatever the threads' order (``catch_warnings`` put back a copy of all the filters:
    two threads' copies left kgui's filter behind for good, and dropped the filters others set meanwhile). A compiled
    function enters it only when a call can compile (new input shapes), not at every step."""
    global _unsaid_calls, _unsaid_filter
    with _unsaid_lock:
        if _unsaid_calls == 0:
            had = list(warnings.filters)
            warnings.filterwarnings("ignore", message=_CACHE_ENTRY_ERROR)
            _unsaid_filter = None if warnings.filters[0] in had else warnings.filters[0]
        _unsaid_calls += 1
    try:
        yield
    finally:
        with _unsaid_lock:
            _unsaid_calls -= 1
            if _unsaid_calls == 0 and _unsaid_filter is not None:
                with contextlib.suppress(ValueError):   # removed by someone else meanwhile
                    warnings.filters.remove(_unsaid_filter)
                    warnings._filters_mutated()   # as filterwarnings does: the modules' registries are read anew
                _unsaid_filter = None


def version() -> str:
    return jax.__version__


# ------------------------------------------------------------------ state and compilation

class _Variable:
    """A variable's current value; compiled functions read it and kgui replaces it after a call."""

    __slots__ = ("value", "name")

    def __init__(self, value, name=None):
        self.value = value
        self.name = name


def variable(array: np.ndarray, name=None):
    with _cache_errors_unsaid():   # the copy onto the device is compiled once per shape and type
        return _Variable(jnp.asarray(array), name)


def get_value(var) -> np.ndarray:
    return np.array(var.value)


def set_value(var, array: np.ndarray) -> None:
    with _cache_errors_unsaid():
        var.value = jnp.asarray(array)


def compile(trace, specs, variables):  # noqa: A001 - engine protocol name
    """``jax.jit`` of the pure step (variable values, inputs) -> (outputs, new values).

    jit compiles once per input shape; the variables that are updated are known after tracing.
    """
    updated: list[_Variable] = []

    def pure(values, inputs):
        outputs, updates = trace(list(inputs), list(values))
        updated[:] = [var for var, _ in updates]
        return outputs, [value for _, value in updates]

    step = jax.jit(pure)
    compiled_for: set[tuple] = set()   # the input shapes step has been compiled for (the API fixes the inputs'
                                       # types, and the variables' shapes and types)

    def call(arrays):
        values = [var.value for var in variables]
        shapes = tuple(array.shape for array in arrays)
        if shapes in compiled_for:
            outputs, new_values = step(values, arrays)
        else:
            with _cache_errors_unsaid():
                outputs, new_values = step(values, arrays)
            compiled_for.add(shapes)
        for var, value in zip(updated, new_values):
            var.value = value
        return [np.array(out) for out in outputs]

    return call


def gradients(loss, variables, loss_of):
    """``jax.grad`` of ``loss_of``, the loss as a function of the variables' values."""
    return jax.grad(loss_of)(list(variables))


def constant(value: np.ndarray, dtype: str):
    with _cache_errors_unsaid():
        return jnp.asarray(value, dtype=dtype)


# --------------------------------------------------------------------------------- ops

def add(x, y): return jnp.add(x, y)
def subtract(x, y): return jnp.subtract(x, y)
def multiply(x, y): return jnp.multiply(x, y)
def pow(x, a): return jnp.power(x, a)  # noqa: A001
def maximum(x, y): return jnp.maximum(x, y)
def minimum(x, y): return jnp.minimum(x, y)
def equal(x, y): return jnp.equal(x, y)
def not_equal(x, y): return jnp.not_equal(x, y)
def greater(x, y): return jnp.greater(x, y)
def greater_equal(x, y): return jnp.greater_equal(x, y)
def less(x, y): return jnp.less(x, y)
def less_equal(x, y): return jnp.less_equal(x, y)
def negative(x): return jnp.negative(x)
def getitem(x, key): return x[key]


def divide(x, y):
    return jnp.true_divide(x, y)


def dot(x, y):
    """NumPy ``dot`` semantics."""
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim <= 2 and y.ndim <= 2:
        return jnp.matmul(x, y)
    return jnp.tensordot(x, y, axes=[[x.ndim - 1], [y.ndim - 2 if y.ndim >= 2 else 0]])


def transpose(x): return jnp.transpose(x)
def reshape(x, shape): return jnp.reshape(x, shape)
def sum(x, axis, keepdims): return jnp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)  # noqa: A001
def max(x, axis, keepdims): return jnp.max(x, axis=axis, keepdims=keepdims)  # noqa: A001
def min(x, axis, keepdims): return jnp.min(x, axis=axis, keepdims=keepdims)  # noqa: A001


def mean(x, axis, keepdims):
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(config.floatx())
    return jnp.mean(x, axis=axis, keepdims=keepdims)


def argmax(x, axis): return jnp.argmax(x, axis=axis).astype(jnp.int64)
def square(x): return jnp.square(x)
def abs(x): return jnp.abs(x)  # noqa: A001
def sqrt(x): return jnp.sqrt(x)
def exp(x): return jnp.exp(x)
def log(x): return jnp.log(x)
def sigmoid(x): return jax.nn.sigmoid(x)
def tanh(x): return jnp.tanh(x)
def softmax(x, axis): return jax.nn.softmax(x, axis=axis)
def cast(x, dtype): return x.astype(dtype)


def relu(x, alpha, max_value):
    out = jnp.maximum(x, 0)
    if max_value is not None:
        out = jnp.minimum(out, max_value)
    if alpha:
        out = out - alpha * jnp.maximum(-x, 0)
    return out


def clip(x, min_value, max_value):
    def bound(value):
        return None if value is None else jnp.asarray(value, x.dtype)

    return jnp.clip(x, bound(min_value), bound(max_value))


def categorical_crossentropy(target, output, from_logits, axis):
    if from_logits:
        return -jnp.sum(target * jax.nn.log_softmax(output, axis=axis), axis=axis)
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    eps = config.epsilon()
    output = jnp.clip(output, eps, 1 - eps)
    return -jnp.sum(target * jnp.log(output), axis=axis)


def binary_crossentropy(target, output, from_logits):
    if from_logits:
        return jnp.maximum(output, 0) - output * target + jnp.log1p(jnp.exp(-jnp.abs(output)))
    eps = config.epsilon()
    output = jnp.clip(output, eps, 1 - eps)
    return -(target * jnp.log(output) + (1 - target) * jnp.log(1 - output))
