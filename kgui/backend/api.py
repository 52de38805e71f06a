"""The Keras-2 backend function set, bound to one engine module."""
from __future__ import annotations

import threading

import numpy as np

from . import config, symbolic
from .engine_protocol import EngineModule
from .shapes import concrete_shapes, shape_fits
from .symbolic import Constant, Placeholder, Tensor, Variable, normalize_dtype


class Backend:
    """``K``: Keras-2 backend functions computed by one engine (TensorFlow, Theano/PyTensor, ...).

    Graph-building functions (``dot``, ``mean``, ``gradients`` ...) come from
    :mod:`kgui.backend.symbolic` and are the same objects on every backend; variables and
    functions belong to the backend that made them.
    """

    def __init__(self, engine: EngineModule):
        self.engine = engine
        self.name = engine.NAME
        self.version = str(engine.version())   # plain str (torch has a subclass): records must unpickle anywhere

    def __repr__(self):
        return f"<kgui backend {self.name} {self.version}>"

    def backend(self) -> str:
        return self.name

    floatx = staticmethod(config.floatx)
    set_floatx = staticmethod(config.set_floatx)
    epsilon = staticmethod(config.epsilon)
    set_epsilon = staticmethod(config.set_epsilon)

    @staticmethod
    def placeholder(shape=None, ndim=None, dtype=None, name=None) -> Placeholder:
        """Symbolic input; with neither shape nor ndim it takes the rank of the first value fed."""
        return Placeholder(shape=shape, ndim=ndim, dtype=dtype, name=name)

    @staticmethod
    def constant(value, dtype=None, shape=None, name=None) -> Constant:
        if shape is not None:
            value = np.full(shape, value)
        return Constant(value, dtype=dtype, name=name)

    def variable(self, value, dtype=None, name=None) -> Variable:
        """A variable initialised from ``value`` (floats become floatx unless ``dtype`` says otherwise)."""
        if isinstance(value, Tensor):
            value = self.eval(value)
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"variable {name or ''}: cannot hold {array.dtype} data")
        dtype = normalize_dtype(dtype if dtype is not None else symbolic._natural_dtype(array))
        array = np.array(array, dtype=dtype)
        return Variable(self, self.engine.variable(array, name), array.shape, dtype, name=name)

    def _own(self, var) -> Variable:
        if not isinstance(var, Variable):
            raise TypeError(f"expected a variable made with K.variable, got {var!r}")
        if var.backend is not self:
            raise ValueError(f"variable {var.name} belongs to the {var.backend.name} backend, not {self.name}")
        return var

    def get_value(self, var) -> np.ndarray:
        var = self._own(var)
        return self.engine.get_value(var.native)

    def batch_get_value(self, variables) -> list:
        return [self.get_value(v) for v in variables]

    def set_value(self, var, value) -> None:
        """Replace a variable's value; functions see it on their next call."""
        var = self._own(var)
        array = np.asarray(value, dtype=var.dtype)
        if array.shape != var.shape:
            raise ValueError(f"set_value: {var.name} has shape {var.shape}, got a value of shape {array.shape}")
        self.engine.set_value(var.native, array)

    def batch_set_value(self, pairs) -> None:
        for var, value in pairs:
            self.set_value(var, value)

    def eval(self, x) -> np.ndarray:
        """Value of a variable or of any expression without placeholders."""
        if isinstance(x, Variable):
            return self.get_value(x)
        return self.function([], [x])([])[0]

    def zeros(self, shape, dtype=None, name=None) -> Variable:
        return self.variable(np.zeros(shape), dtype, name)

    def ones(self, shape, dtype=None, name=None) -> Variable:
        return self.variable(np.ones(shape), dtype, name)

    def random_uniform_variable(self, shape, low, high, dtype=None, name=None, seed=None) -> Variable:
        """Uniform initial values drawn by NumPy, so a seed gives the same values on every engine."""
        return self.variable(np.random.RandomState(seed).uniform(low, high, shape), dtype, name)

    def random_normal_variable(self, shape, mean, scale, dtype=None, name=None, seed=None) -> Variable:
        """Normal initial values drawn by NumPy, so a seed gives the same values on every engine."""
        return self.variable(np.random.RandomState(seed).normal(mean, scale, shape), dtype, name)

    @staticmethod
    def int_shape(x):
        """Static shape as a tuple (``None`` for unknown dimensions or rank)."""
        return symbolic.as_tensor(x).shape

    @staticmethod
    def ndim(x):
        return symbolic.as_tensor(x).ndim

    @staticmethod
    def is_placeholder(x) -> bool:
        return isinstance(x, Placeholder)

    def function(self, inputs, outputs, updates=None, name=None) -> "Function":
        """Callable taking a list of arrays and returning a list of NumPy arrays."""
        return Function(self, inputs, outputs, updates or [], name=name)


for _name in symbolic.BUILDERS:
    setattr(Backend, _name, staticmethod(getattr(symbolic, _name)))


MAX_CHECKED_SHAPES = 256  # input-shape signatures remembered as checked, per function


def _shape_text(shape) -> str:
    return "unknown" if shape is None else str(tuple("?" if d is None else d for d in shape))


def _check_integer_feed(label: str, array: np.ndarray, target: np.dtype) -> None:
    """The casting rule for integer placeholders: floats are refused, integers must fit."""
    if target.kind not in "iu":
        return
    if array.dtype.kind == "f":
        raise TypeError(f"{label} is {target}, got {array.dtype} data: floats are not cast to integers; "
                        f"round and convert them first, e.g. np.rint(x).astype('{target}')")
    if array.dtype.kind in "iu" and array.size:
        info, low, high = np.iinfo(target), array.min(), array.max()
        if low < info.min or high > info.max:
            raise ValueError(f"{label} is {target} ({info.min} to {info.max}), got values from {low} to {high}")


class Function:
    """A compiled computation: outputs are computed first, then the updates are applied.

    Compilation is lazy (first call, on the calling thread) and cached per input-rank
    signature, so rank-less placeholders take the rank of the data fed. Calls are serialised by a
    per-function lock, so calls from several threads never lose an update. Outputs have the dtype
    the graph declares, on every engine.
    """

    def __init__(self, backend: Backend, inputs, outputs, updates, name=None):
        self.backend = backend
        self.name = name or "function"
        self.inputs = list(inputs)
        outputs = [outputs] if isinstance(outputs, Tensor) else outputs
        self.outputs = [symbolic.as_tensor(o) for o in outputs]
        for i, node in enumerate(self.inputs):
            if not isinstance(node, Placeholder):
                raise TypeError(f"{self.name}: input {i} must be a placeholder, got {node!r}")
        self.updates = self._checked_updates(updates)
        self._graph = self.outputs + [new for _, new in self.updates]
        self.variables = [leaf for leaf in symbolic.leaves(self._graph) if isinstance(leaf, Variable)]
        for var in self.variables:
            backend._own(var)
        self._output_dtypes = [np.dtype(o.dtype) for o in self.outputs]
        self._compiled = {}
        self._checked_shapes: set = set()
        self._lock = threading.Lock()  # one call at a time: concurrent calls must not lose updates

    def _checked_updates(self, updates):
        checked, seen = [], set()
        for item in updates:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise TypeError(f"{self.name}: each update must be a (variable, new_value) pair, got {item!r}")
            var, new = item
            var = self.backend._own(var)
            if var in seen:
                raise ValueError(f"{self.name}: variable {var.name} is updated twice in one function")
            seen.add(var)
            new = symbolic.as_tensor(new, like=var)
            if new.dtype != var.dtype:
                new = symbolic.cast(new, var.dtype)
            if not shape_fits(new.shape, var.shape):
                raise ValueError(f"{self.name}: the update of {var.name} has shape {_shape_text(new.shape)}, "
                                 f"but the variable has shape {var.shape}")
            checked.append((var, new))
        return checked

    def __call__(self, values):
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"{self.name}: pass the inputs as a list of arrays, got {type(values).__name__}")
        if len(values) != len(self.inputs):
            raise ValueError(f"{self.name}: expected {len(self.inputs)} input(s) "
                             f"({', '.join(p.name for p in self.inputs) or 'none'}), got {len(values)}")
        arrays = [self._checked_input(i, p, v) for i, (p, v) in enumerate(zip(self.inputs, values))]
        shapes = tuple(a.shape for a in arrays)
        if shapes not in self._checked_shapes:
            self._check_shapes(shapes)
        key = tuple(len(shape) for shape in shapes)
        with self._lock:
            compiled = self._compiled.get(key) or self._compile(key)
            outputs = compiled(arrays)
        return [out if out.dtype == dtype else out.astype(dtype) for out, dtype in zip(outputs, self._output_dtypes)]

    def _check_shapes(self, shapes):
        """Every op's shapes for these input shapes, so a mismatch is one ValueError on every engine,
        raised before any engine runs (no update is applied)."""
        try:
            computed = concrete_shapes(self._graph, dict(zip(self.inputs, shapes)))
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{self.name}: {exc}") from None
        for var, new in self.updates:
            if computed[new] is not None and tuple(computed[new]) != var.shape:
                raise ValueError(f"{self.name}: the update of {var.name} has shape {tuple(computed[new])}, "
                                 f"but the variable has shape {var.shape}")
        if len(self._checked_shapes) >= MAX_CHECKED_SHAPES:
            self._checked_shapes.clear()
        self._checked_shapes.add(shapes)

    def _checked_input(self, index, placeholder, value):
        array = np.asarray(value)
        label = f"{self.name}: input {index} ({placeholder.name})"
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{label} must be numeric, got dtype {array.dtype}")
        if placeholder.shape is not None:
            if array.ndim != len(placeholder.shape):
                raise ValueError(f"{label} must have {len(placeholder.shape)} dimension(s) "
                                 f"(shape {placeholder.shape}), got shape {array.shape}")
            for axis, (want, got) in enumerate(zip(placeholder.shape, array.shape)):
                if want is not None and want != got:
                    raise ValueError(f"{label}: expected shape {placeholder.shape}, got {array.shape} "
                                     f"(axis {axis}: {got} != {want})")
        if array.dtype != placeholder.dtype:
            _check_integer_feed(label, array, np.dtype(placeholder.dtype))
        if array.dtype != placeholder.dtype or not array.flags.c_contiguous:
            array = np.asarray(array, dtype=placeholder.dtype, order="C")
        return array

    def _compile(self, ranks):
        """The engine's callable for inputs of these ranks (called with the lock held)."""
        specs = [(p.shape if p.shape is not None else (None,) * rank, p.dtype) for p, rank in zip(self.inputs, ranks)]
        self._compiled[ranks] = self.backend.engine.compile(self._trace, specs, [v.native for v in self.variables])
        return self._compiled[ranks]

    def _trace(self, native_inputs, variable_values):
        """Native outputs and (native variable, native new value) updates for the engine to compile.

        ``variable_values`` stands for :attr:`variables` in the computation: the engine's variables
        themselves (TensorFlow, Theano) or their current values (JAX, PyTorch).
        """
        feed = dict(zip(self.inputs, native_inputs))
        feed.update(zip(self.variables, variable_values))
        values = symbolic.evaluate(self.backend.engine, self._graph, feed)
        outputs = values[:len(self.outputs)]
        updates = [(var.native, value) for (var, _), value in zip(self.updates, values[len(self.outputs):])]
        return outputs, updates
