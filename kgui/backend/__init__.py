"""kgui.backend: the Keras 2 ``keras.backend`` API over real engines, switchable at run time.

    import kgui.backend as K              # the default engine (KGUI_BACKEND, config file, tensorflow)
    K = kgui.backend.load("theano")       # or pick one; several can be loaded at once

Engines are imported only when first loaded; :func:`available` never imports them.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import threading
from dataclasses import dataclass

from . import config
from .api import Backend, Function
from .config import epsilon, floatx, set_epsilon, set_floatx
from .symbolic import Constant, Placeholder, Tensor, Variable


@dataclass(frozen=True)
class EngineInfo:
    """What is known about an engine without importing it."""

    name: str
    title: str
    installed: bool
    version: str | None
    install_hint: str


_ENGINES = {
    # name: (engine module, title, distributions that provide it, pip command)
    "tensorflow": ("kgui.backend.tensorflow_backend", "TensorFlow", ("tensorflow-cpu", "tensorflow"),
                   "pip install tensorflow-cpu==2.21.0"),
    "theano": ("kgui.backend.theano_backend", "Theano (PyTensor)", ("pytensor",),
               "pip install pytensor==3.0.7"),
}
_ALIASES = {"tf": "tensorflow", "pytensor": "theano"}

_loaded: dict[str, Backend] = {}
_load_lock = threading.RLock()


def engine_names() -> list[str]:
    """Every engine kgui knows, installed or not."""
    return list(_ENGINES)


def canonical_name(name: str) -> str:
    """Engine name for ``name`` or an alias; ValueError naming the known engines."""
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in _ENGINES:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(_ENGINES)}")
    return key


def _installed_version(distributions) -> str | None:
    for dist in distributions:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def available() -> list[EngineInfo]:
    """Each known engine: installed or not and its version, without importing it."""
    infos = []
    for name, (_, title, dists, hint) in _ENGINES.items():
        version = _installed_version(dists)
        infos.append(EngineInfo(name, title, version is not None, version, hint))
    return infos


def is_loaded(name: str) -> bool:
    """True once the engine has been imported in this process."""
    return canonical_name(name) in _loaded


def load(name: str) -> Backend:
    """The backend for engine ``name`` ("tensorflow", "theano"), importing it on first use."""
    key = canonical_name(name)
    with _load_lock:
        if key not in _loaded:
            module_name, title, dists, hint = _ENGINES[key]
            try:
                engine = importlib.import_module(module_name)
            except ImportError as exc:
                raise ImportError(f"the {title} backend needs its engine, which is not installed "
                                  f"({exc}); install it with: {hint}") from exc
            _loaded[key] = Backend(engine)
        return _loaded[key]


def default() -> Backend:
    """The backend chosen by KGUI_BACKEND, else the config file, else tensorflow."""
    return load(config.default_backend_name())


def __getattr__(attr):
    """``K.dot``, ``K.function`` ... at module level act on the default backend."""
    if attr.startswith("__") or not hasattr(Backend, attr):
        raise AttributeError(f"module 'kgui.backend' has no attribute {attr!r}")
    return getattr(default(), attr)


__all__ = ["Backend", "Constant", "EngineInfo", "Function", "Placeholder", "Tensor", "Variable", "available",
           "canonical_name", "default", "engine_names", "epsilon", "floatx", "is_loaded", "load",
           "set_epsilon", "set_floatx"]
