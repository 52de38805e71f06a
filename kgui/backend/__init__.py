"""kgui.backend: the Keras 2 ``keras.backend`` API over real engines, switchable at run time.

    import kgui.backend as K              # the default engine (KGUI_BACKEND, config file, tensorflow)
    K = kgui.backend.load("jax")          # or pick one; several can be loaded at once

Engines are imported only when first loaded; :func:`available` never imports them.
"""
from __future__ import annotations

import functools
import importlib
import threading
from dataclasses import dataclass

from . import config, engine_protocol
from .api import Backend, Function
from .config import epsilon, floatx, set_epsilon, set_floatx
from .symbolic import Constant, Placeholder, Tensor, Variable


@dataclass(frozen=True)
class EngineInfo:
    """What is known about an engine without importing it."""

    id: str         # "tensorflow": the name settings, runs and ``set_backend`` use
    title: str      # "TensorFlow": the name people read
    installed: bool
    version: str | None
    install_hint: str


@dataclass(frozen=True)
class _Engine:
    module: str                   # kgui's engine module
    title: str
    distributions: tuple          # any one of these pip distributions provides the engine (its version is shown)
    hint: str                     # pip command that installs it
    also_needs: tuple = ()        # distributions that must be installed as well


_ENGINES = {
    "tensorflow": _Engine("kgui.backend.tensorflow_backend", "TensorFlow", ("tensorflow-cpu", "tensorflow"),
                          "pip install tensorflow-cpu==2.21.0"),
    "theano": _Engine("kgui.backend.theano_backend", "Theano (PyTensor)", ("pytensor",),
                      "pip install pytensor==3.0.7"),
    "jax": _Engine("kgui.backend.jax_backend", "JAX", ("jax",), "pip install jax==0.10.2 jaxlib==0.10.2",
                   also_needs=("jaxlib",)),
    "torch": _Engine("kgui.backend.torch_backend", "PyTorch", ("torch",),
                     "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"),
}
_ALIASES = {"tf": "tensorflow", "pytensor": "theano", "pytorch": "torch"}

_loaded: dict[str, Backend] = {}
_load_lock = threading.RLock()


def engine_ids() -> list[str]:
    """The id of every engine kgui knows, installed or not: "tensorflow", "theano", "jax", "torch"."""
    return list(_ENGINES)


def canonical_id(name: str) -> str:
    """The engine id for ``name``, an id or an alias ("tf", "pytensor", "pytorch"); ValueError naming the known
    engines."""
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in _ENGINES:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(_ENGINES)}")
    return key


@functools.cache   # each lookup reads package metadata (~7 ms); an engine installed meanwhile shows after a restart
def _installed_version(distributions: tuple) -> str | None:
    import importlib.metadata  # here, not at the top: it costs ~50 ms of every CLI command's start

    for dist in distributions:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def available() -> list[EngineInfo]:
    """Each known engine: installed or not and its version, without importing it."""
    infos = []
    for engine_id, engine in _ENGINES.items():
        version = _installed_version(engine.distributions)
        installed = version is not None and all(_installed_version((d,)) for d in engine.also_needs)
        infos.append(EngineInfo(engine_id, engine.title, installed, version if installed else None, engine.hint))
    return infos


def is_loaded(name: str) -> bool:
    """True once the engine has been imported in this process."""
    return canonical_id(name) in _loaded


def load(name: str) -> Backend:
    """The backend for engine ``name`` ("tensorflow", "theano", "jax", ...), importing it on first use."""
    key = canonical_id(name)
    with _load_lock:
        if key not in _loaded:
            spec = _ENGINES[key]
            try:
                engine = importlib.import_module(spec.module)
            except Exception as exc:  # noqa: BLE001 - a broken install raises anything while importing
                raise EngineUnavailable(key, _unavailable_reason(spec, exc)) from exc
            engine_protocol.check(engine)
            _loaded[key] = Backend(engine)
        return _loaded[key]


class EngineUnavailable(ImportError):
    """Engine ``engine`` cannot be imported (not installed, or its install is broken); the message names it."""

    def __init__(self, engine: str, message: str):
        super().__init__(message)
        self.engine = engine


def _unavailable_reason(spec: _Engine, exc: Exception) -> str:
    reason = str(exc) if isinstance(exc, ImportError) else f"{type(exc).__name__}: {exc}"
    if _installed_version(spec.distributions) is None:
        return f"the {spec.title} backend needs its engine, which is not installed ({reason}); install it with: " \
               f"{spec.hint}"
    return f"{spec.title} is installed but cannot be imported ({reason}); reinstall it with: {spec.hint}"


def default() -> Backend:
    """The backend chosen by KGUI_BACKEND, else the config file, else tensorflow."""
    return load(config.default_backend_name())


INSTANCE_ATTRIBUTES = ("name", "version")   # set per backend in Backend.__init__, read as K.version too


def __getattr__(attr):
    """``K.dot``, ``K.function`` ... at module level act on the default backend."""
    if attr.startswith("__") or not (hasattr(Backend, attr) or attr in INSTANCE_ATTRIBUTES):
        raise AttributeError(f"module 'kgui.backend' has no attribute {attr!r}")
    return getattr(default(), attr)


__all__ = ["Backend", "Constant", "EngineInfo", "EngineUnavailable", "Function", "Placeholder", "Tensor", "Variable",
           "available", "canonical_id", "default", "engine_ids", "epsilon", "floatx", "is_loaded", "load",
           "set_epsilon", "set_floatx"]
