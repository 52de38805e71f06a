"""The Keras-2 backend function set, bound to one engine module."""
from __future__ import annotations

import threading

import numpy as np

from . import config, symbolic
from .symbolic import Constant, Placeholder, Tensor, Variable, normalize_dtype


class Backend:
    """``K``: Keras-2 backend functions computed by one engine (TensorFlow, Theano/PyTensor, ...).

    Graph-building functions (``dot``, ``mean``, ``gradients`` ...) come from
    :mod:`kgui.backend.symbolic` and are the same objects on every backend; variables and
    functions belong to the backend that made them.
    """

    def __init__(self, engine):
        self.engine = engine
        self.name = engine.NAME
        self.version = engine.version()

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


class Function:
    """A compiled computation: outputs are computed first, then the updates are applied.

    Compilation is lazy (first call, on the calling thread) and cached per input-rank
    signature, so rank-less placeholders take the rank of the data fed.
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
        graph = self.outputs + [new for _, new in self.updates]
        for leaf in symbolic.leaves(graph):
            if isinstance(leaf, Variable):
                backend._own(leaf)
        self._compiled = {}
        self._lock = threading.Lock()

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
            checked.append((var, new))
        return checked

    def __call__(self, values):
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"{self.name}: pass the inputs as a list of arrays, got {type(values).__name__}")
        if len(values) != len(self.inputs):
            raise ValueError(f"{self.name}: expected {len(self.inputs)} input(s) "
                             f"({', '.join(p.name for p in self.inputs) or 'none'}), got {len(values)}")
        arrays = [self._checked_input(i, p, v) for i, (p, v) in enumerate(zip(self.inputs, values))]
        key = tuple(a.ndim for a in arrays)
        compiled = self._compiled.get(key) or self._compile(key)
        return compiled(arrays)

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
        if array.dtype != placeholder.dtype or not array.flags.c_contiguous:
            array = np.asarray(array, dtype=placeholder.dtype, order="C")
        return array

    def _compile(self, ranks):
        with self._lock:
            if ranks not in self._compiled:
                specs = [(p.shape if p.shape is not None else (None,) * rank, p.dtype)
                         for p, rank in zip(self.inputs, ranks)]
                self._compiled[ranks] = self.backend.engine.compile(self._trace, specs)
            return self._compiled[ranks]

    def _trace(self, native_inputs):
        """Native outputs and (native variable, native new value) updates for the engine to compile."""
        feed = dict(zip(self.inputs, native_inputs))
        values = symbolic.evaluate(self.backend.engine, self.outputs + [new for _, new in self.updates], feed)
        outputs = values[:len(self.outputs)]
        updates = [(var.native, value) for (var, _), value in zip(self.updates, values[len(self.outputs):])]
        return outputs, updates
