"""Engine-neutral symbolic tensors.

Every ``K.*`` call builds a small graph of :class:`Tensor` nodes. Nothing is computed
until :class:`kgui.backend.api.Function` compiles the graph through an engine module,
which implements each op under the same name on its native tensors. Building graphs
this way lets one rule hold on every engine (placeholder rank taken from the data,
gradient of a non-scalar loss, dtype of Python numbers, input checks).
"""
from __future__ import annotations

import itertools
import numbers

import numpy as np

from . import config
from .shapes import broadcast_shape, dot_shape, index_shape, reduced_shape, reshaped
from .engine_protocol import OPS, EngineModule

_ids = itertools.count(1)


def normalize_dtype(dtype) -> str:
    """Canonical dtype name; ``None`` and ``"float"`` mean :func:`config.floatx`."""
    if dtype is None or dtype == "float":
        return config.floatx()
    try:
        return np.dtype(getattr(dtype, "name", dtype)).name
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def _is_float(dtype: str) -> bool:
    return np.dtype(dtype).kind == "f"


class Tensor:
    """A node of a symbolic graph: an op name, input nodes, attributes, static shape, dtype."""

    __array_priority__ = 100  # make numpy defer to Tensor's reflected operators

    def __init__(self, op, inputs=(), attrs=None, shape=None, dtype=None, name=None):
        self.op = op
        self.inputs = tuple(inputs)
        self.attrs = attrs or {}
        self.shape = None if shape is None else tuple(shape)
        self.dtype = normalize_dtype(dtype)
        self.name = name or f"{op}_{next(_ids)}"

    @property
    def ndim(self):
        return None if self.shape is None else len(self.shape)

    def __repr__(self):
        shape = "?" if self.shape is None else self.shape
        return f"<kgui {type(self).__name__} {self.name} shape={shape} dtype={self.dtype}>"

    __hash__ = object.__hash__  # nodes are dict keys; use K.equal for element-wise ==

    def __bool__(self):
        raise TypeError("a symbolic tensor has no truth value; use K.eval or K.function to compute it")

    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return subtract(self, other)
    def __rsub__(self, other): return subtract(other, self)
    def __mul__(self, other): return multiply(self, other)
    def __rmul__(self, other): return multiply(other, self)
    def __truediv__(self, other): return divide(self, other)
    def __rtruediv__(self, other): return divide(other, self)
    def __pow__(self, other): return pow(self, other)
    def __rpow__(self, other): return pow(other, self)
    def __matmul__(self, other): return dot(self, other)
    def __rmatmul__(self, other): return dot(other, self)
    def __neg__(self): return _unary("negative", self)
    def __abs__(self): return abs(self)
    def __lt__(self, other): return less(self, other)
    def __le__(self, other): return less_equal(self, other)
    def __gt__(self, other): return greater(self, other)
    def __ge__(self, other): return greater_equal(self, other)

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        for part in key:
            if not (part is Ellipsis or part is None or isinstance(part, (int, slice))):
                raise TypeError(f"tensor index must use ints, slices, None or ..., got {part!r}")
        return Tensor("getitem", (self,), {"key": key}, shape=index_shape(self.shape, key), dtype=self.dtype)


class Placeholder(Tensor):
    """Data fed on every call of a function."""

    def __init__(self, shape=None, ndim=None, dtype=None, name=None):
        if shape is not None:
            shape = tuple(None if d is None else int(d) for d in shape)
            if ndim is not None and ndim != len(shape):
                raise ValueError(f"placeholder shape {shape} has {len(shape)} dimensions, not ndim={ndim}")
        elif ndim is not None:
            if int(ndim) < 0:
                raise ValueError(f"placeholder ndim must be >= 0, got {ndim}")
            shape = (None,) * int(ndim)
        super().__init__("placeholder", shape=shape, dtype=dtype, name=name or f"placeholder_{next(_ids)}")


class Constant(Tensor):
    """A fixed value, held as a NumPy array until compiled."""

    def __init__(self, value, dtype=None, name=None):
        value = np.asarray(value)
        if dtype is None and not _is_float(value.dtype.name) and value.dtype.kind not in "iub":
            raise TypeError(f"cannot make a constant from {value.dtype} data")
        dtype = normalize_dtype(dtype if dtype is not None else _natural_dtype(value))
        self.value = np.asarray(value, dtype=dtype, order="C")
        super().__init__("constant", shape=self.value.shape, dtype=dtype, name=name)


class Variable(Tensor):
    """State owned by one backend; ``native`` is the engine's own variable object."""

    def __init__(self, backend, native, shape, dtype, name=None):
        self.backend = backend
        self.native = native
        super().__init__("variable", shape=shape, dtype=dtype, name=name)


def _natural_dtype(value: np.ndarray) -> str:
    """Floats become floatx, bools stay bool, integers stay integers."""
    return config.floatx() if value.dtype.kind == "f" else value.dtype.name


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """Wrap a Python number or array; Python scalars take the dtype of the tensor they meet."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (list, tuple, np.ndarray, numbers.Number, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"cannot use {value!r} ({array.dtype}) in a tensor expression")
        scalar_like = like is not None and array.ndim == 0 and not isinstance(value, np.generic)
        if scalar_like and (_is_float(like.dtype) or array.dtype.kind in "biu"):
            return Constant(array, dtype=like.dtype)
        return Constant(array)
    raise TypeError(f"expected a kgui tensor, a number or an array, got {type(value).__name__}")


# ------------------------------------------------------------------------ op builders

def _unary(op, x, dtype=None, **attrs):
    x = as_tensor(x)
    return Tensor(op, (x,), attrs, shape=x.shape, dtype=dtype or x.dtype)


def _binary(op, x, y, dtype=None):
    x, y = _operands(x, y)
    return Tensor(op, (x, y), shape=broadcast_shape(x.shape, y.shape), dtype=dtype or x.dtype)


def _operands(x, y):
    if not isinstance(x, Tensor) and isinstance(y, Tensor):
        x = as_tensor(x, like=y)
    x = as_tensor(x)
    y = as_tensor(y, like=x)
    if x.dtype != y.dtype:
        raise TypeError(f"cannot combine {x.dtype} and {y.dtype} tensors ({x.name}, {y.name}); use K.cast")
    return x, y


def _float_only(op, x):
    if not _is_float(x.dtype):
        raise TypeError(f"{op} needs a float tensor, got {x.dtype} ({x.name}); use K.cast")


def add(x, y): return _binary("add", x, y)
def subtract(x, y): return _binary("subtract", x, y)
def multiply(x, y): return _binary("multiply", x, y)
def divide(x, y): return _binary("divide", x, y)
def pow(x, a): return _binary("pow", x, a)  # noqa: A001 - Keras name
def maximum(x, y): return _binary("maximum", x, y)
def minimum(x, y): return _binary("minimum", x, y)
def equal(x, y): return _binary("equal", x, y, dtype="bool")
def not_equal(x, y): return _binary("not_equal", x, y, dtype="bool")
def greater(x, y): return _binary("greater", x, y, dtype="bool")
def greater_equal(x, y): return _binary("greater_equal", x, y, dtype="bool")
def less(x, y): return _binary("less", x, y, dtype="bool")
def less_equal(x, y): return _binary("less_equal", x, y, dtype="bool")


def dot(x, y):
    """NumPy ``dot`` semantics: contract the last axis of x with the second-to-last of y."""
    x, y = _operands(x, y)
    if x.ndim is not None and y.ndim is not None and x.ndim and y.ndim:
        kx, ky = x.shape[-1], y.shape[-2 if y.ndim >= 2 else 0]
        if kx is not None and ky is not None and kx != ky:
            raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned ({kx} != {ky})")
    return Tensor("dot", (x, y), shape=dot_shape(x.shape, y.shape), dtype=x.dtype)


def transpose(x):
    """Reverse the axes."""
    x = as_tensor(x)
    return Tensor("transpose", (x,), shape=None if x.shape is None else x.shape[::-1], dtype=x.dtype)


def reshape(x, shape):
    """NumPy's reshape: at most one -1, which takes the size left over."""
    x = as_tensor(x)
    shape = tuple(int(d) for d in shape)
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        raise ValueError(f"reshape: {shape} is not a shape (at most one -1, no other negative size)")
    if x.shape is not None and None not in x.shape:
        reshaped(x.shape, shape)
    return Tensor("reshape", (x,), {"shape": shape}, shape=tuple(None if d == -1 else d for d in shape),
                  dtype=x.dtype)


def _reduction(op, x, axis, keepdims, dtype=None):
    x = as_tensor(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return Tensor(op, (x,), {"axis": axis, "keepdims": bool(keepdims)},
                  shape=reduced_shape(x.shape, axis, keepdims), dtype=dtype or x.dtype)


def sum(x, axis=None, keepdims=False): return _reduction("sum", x, axis, keepdims)  # noqa: A001
def max(x, axis=None, keepdims=False): return _reduction("max", x, axis, keepdims)  # noqa: A001
def min(x, axis=None, keepdims=False): return _reduction("min", x, axis, keepdims)  # noqa: A001


def mean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return _reduction("mean", x, axis, keepdims, dtype=x.dtype if _is_float(x.dtype) else config.floatx())


def argmax(x, axis=-1):
    x = as_tensor(x)
    return Tensor("argmax", (x,), {"axis": axis}, shape=reduced_shape(x.shape, axis, False), dtype="int64")


def square(x): return _unary("square", x)
def abs(x): return _unary("abs", x)  # noqa: A001


def _float_unary(op, x, **attrs):
    x = as_tensor(x)
    _float_only(op, x)
    return _unary(op, x, **attrs)


def sqrt(x): return _float_unary("sqrt", x)
def exp(x): return _float_unary("exp", x)
def log(x): return _float_unary("log", x)
def sigmoid(x): return _float_unary("sigmoid", x)
def tanh(x): return _float_unary("tanh", x)
def softmax(x, axis=-1): return _float_unary("softmax", x, axis=axis)


def relu(x, alpha=0.0, max_value=None):
    return _float_unary("relu", x, alpha=float(alpha), max_value=None if max_value is None else float(max_value))


def clip(x, min_value, max_value):
    x = as_tensor(x)
    if max_value is not None and min_value is not None and max_value < min_value:
        max_value = min_value
    return _unary("clip", x, min_value=min_value, max_value=max_value)


def cast(x, dtype):
    x, dtype = as_tensor(x), normalize_dtype(dtype)
    return Tensor("cast", (x,), {"dtype": dtype}, shape=x.shape, dtype=dtype)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) targets and probabilities or logits."""
    target, output = _operands(target, output)
    _float_only("categorical_crossentropy", output)
    return Tensor("categorical_crossentropy", (target, output), {"from_logits": bool(from_logits), "axis": axis},
                  shape=reduced_shape(broadcast_shape(target.shape, output.shape), axis, False), dtype=output.dtype)


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise binary cross-entropy."""
    target, output = _operands(target, output)
    _float_only("binary_crossentropy", output)
    return Tensor("binary_crossentropy", (target, output), {"from_logits": bool(from_logits)},
                  shape=broadcast_shape(target.shape, output.shape), dtype=output.dtype)


def gradients(loss, variables):
    """Symbolic gradients of ``loss`` (summed when not a scalar) w.r.t. each variable."""
    loss = as_tensor(loss)
    _float_only("gradients", loss)
    variables = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    for i, var in enumerate(variables):
        if not isinstance(var, Variable):
            raise TypeError(f"gradients: item {i} ({var!r}) is not a variable made with K.variable")
        if not _is_float(var.dtype):
            raise TypeError(f"gradients: variable {var.name} is {var.dtype}; only float variables have gradients")
    group = Tensor("gradients", (loss,), {"variables": tuple(variables)}, dtype=loss.dtype)
    return [Tensor("item", (group,), {"index": i}, shape=v.shape, dtype=v.dtype) for i, v in enumerate(variables)]


# The graph builders a backend offers as ``K.<name>``: one for each engine op with a function here of its name (the
# others, ``negative`` and ``getitem``, are Tensor operators), and gradients.
BUILDERS = tuple(op for op in OPS if op in globals()) + ("gradients",)


# ------------------------------------------------------------------------- evaluation

def leaves(roots):
    """Placeholders and variables reachable from ``roots`` (gradient variables included)."""
    seen, found, stack = set(), [], list(roots)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.op in ("placeholder", "variable"):
            found.append(node)
        stack.extend(node.inputs)
        stack.extend(node.attrs.get("variables", ()))
    return found


def evaluate(engine: EngineModule, roots, feed):
    """Native engine tensors for ``roots``; ``feed`` maps placeholders and variables to native values.

    A gradient node hands the engine the loss, the variables' values and ``loss_of(values)``, the
    loss recomputed from other values of the variables: symbolic engines differentiate the loss,
    functional ones (JAX) differentiate ``loss_of``.
    """
    memo = dict(feed)

    def summed(node, loss):
        return loss if node.ndim == 0 else engine.sum(loss, axis=None, keepdims=False)

    def value(node):
        if node in memo:
            return memo[node]
        if node.op == "placeholder":
            raise ValueError(f"placeholder {node.name} is needed but is not among the function's inputs")
        if node.op == "variable":
            raise ValueError(f"variable {node.name} is needed but was not fed")
        if node.op == "constant":
            result = engine.constant(node.value, node.dtype)
        elif node.op == "item":
            result = value(node.inputs[0])[node.attrs["index"]]
        elif node.op == "gradients":
            loss_node, variables = node.inputs[0], node.attrs["variables"]

            def loss_of(values):
                return summed(loss_node, evaluate(engine, [loss_node], {**feed, **dict(zip(variables, values))})[0])

            result = engine.gradients(summed(loss_node, value(loss_node)), [value(v) for v in variables], loss_of)
        else:
            result = getattr(engine, node.op)(*(value(i) for i in node.inputs), **node.attrs)
        memo[node] = result
        return result

    return [value(root) for root in roots]
