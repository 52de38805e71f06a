"""Shapes of a symbolic graph's nodes: what each op makes of its inputs' shapes (``None`` for an unknown size or
rank), when a node is built (static: :mod:`.symbolic`'s builders) and for a feed's actual shapes
(:func:`concrete_shapes`, checked once per new input-shape signature before an engine runs). A mismatch is one
ValueError (IndexError for an index) naming the shapes, on every engine."""
from __future__ import annotations

import itertools

import numpy as np


def broadcast_shape(a, b):
    if a is None or b is None:
        return None
    result = []
    for x, y in itertools.zip_longest(reversed(a), reversed(b), fillvalue=1):
        if x == 1:
            result.append(y)
        elif y == 1 or x == y or y is None:
            result.append(x)
        elif x is None:
            result.append(y)
        else:
            raise ValueError(f"shapes {a} and {b} cannot be broadcast together")
    return tuple(reversed(result))


def shape_fits(shape, wanted) -> bool:
    """False when ``shape`` (``None`` entries unknown) certainly differs from the fully known ``wanted``."""
    if shape is None:
        return True
    return len(shape) == len(wanted) and all(d is None or d == w for d, w in zip(shape, wanted))


def reduced_shape(shape, axis, keepdims):
    if axis is None and not keepdims:
        return ()
    if shape is None:
        return None
    if axis is None:
        return (1,) * len(shape)
    axes = set()
    for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
        if not -len(shape) <= a < len(shape):
            raise ValueError(f"axis {a} is out of range for a tensor of shape {shape}")
        axes.add(a % len(shape))
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes)


def index_shape(shape, key):
    if shape is None or Ellipsis in key:
        return None
    result, dims = [], iter(shape)
    for part in key:
        if part is None:
            result.append(1)
            continue
        dim = next(dims, "missing")
        if dim == "missing":
            raise IndexError(f"too many indices for a tensor of shape {shape}")
        if isinstance(part, int) and dim is not None and not -dim <= part < dim:
            raise IndexError(f"index {part} is out of range for an axis of size {dim} (shape {shape})")
        if isinstance(part, slice):
            result.append(None if dim is None else len(range(dim)[part]))
    return tuple(result) + tuple(dims)


def dot_shape(a, b):
    if a is None or b is None:
        return None
    if len(a) == 0 or len(b) == 0:
        return broadcast_shape(a, b)
    contracted_b = b[:-2] + b[-1:] if len(b) >= 2 else ()
    return a[:-1] + contracted_b


def reshaped(old, new):
    size, known = int(np.prod(old)), int(np.prod([d for d in new if d != -1]))
    if (-1 in new and (known == 0 or size % known)) or (-1 not in new and size != known):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {old} ({size} values) into {new}")
    return tuple(size // known if d == -1 else d for d in new)


# ---------------------------------------------------------------------- concrete shapes

def _same_shape(node, x, *rest):
    return x


def _broadcast_rule(node, x, y):
    return broadcast_shape(x, y)


def _dot_rule(node, x, y):
    if len(x) and len(y):
        kx, ky = x[-1], y[-2 if len(y) >= 2 else 0]
        if kx != ky:
            raise ValueError(f"dot: shapes {x} and {y} are not aligned ({kx} != {ky})")
    return dot_shape(x, y)


def _crossentropy_rule(node, target, output):
    return reduced_shape(broadcast_shape(target, output), node.attrs["axis"], False)


_SHAPE_RULES = {
    **{op: _broadcast_rule for op in "add subtract multiply divide pow maximum minimum equal not_equal greater "
                                     "greater_equal less less_equal binary_crossentropy".split()},
    "dot": _dot_rule,
    "transpose": lambda node, x: x[::-1],
    "reshape": lambda node, x: reshaped(x, node.attrs["shape"]),
    **{op: lambda node, x: reduced_shape(x, node.attrs["axis"], node.attrs["keepdims"])
       for op in ("sum", "max", "min", "mean")},
    "argmax": lambda node, x: reduced_shape(x, node.attrs["axis"], False),
    "getitem": lambda node, x: index_shape(x, node.attrs["key"]),
    "categorical_crossentropy": _crossentropy_rule,
}


def concrete_shapes(roots, feed) -> dict:
    """Shape of every node under ``roots`` given the placeholders' actual shapes (``feed``).

    ValueError/IndexError (naming the op's shapes) where an op cannot take its inputs' shapes;
    ``None`` for nodes whose shape is not tracked (a gradient group).
    """
    memo = {node: tuple(shape) for node, shape in feed.items()}

    def shape(node):
        if node in memo:
            return memo[node]
        if node.op in ("variable", "constant"):
            result = node.shape
        elif node.op == "placeholder":
            raise ValueError(f"placeholder {node.name} is needed but is not among the function's inputs")
        elif node.op == "gradients":
            shape(node.inputs[0])
            result = None
        elif node.op == "item":
            shape(node.inputs[0])
            result = node.shape
        else:
            inputs = [shape(i) for i in node.inputs]
            result = None if None in inputs else _SHAPE_RULES.get(node.op, _same_shape)(node, *inputs)
        memo[node] = result
        return result

    for root in roots:
        shape(root)
    return memo
