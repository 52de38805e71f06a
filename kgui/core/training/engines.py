"""The engines as the rest of kgui sees them, without importing any: ids, titles, installed or not; :func:`load`
imports one.

Qt-free; the window's engine picker, Compare Backends and the command line read engines here.
"""
from __future__ import annotations

import atexit
import functools
import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from kgui import backend
from kgui.backend import canonical_id   # the window reads it here (ui imports core, not backend)


@dataclass(frozen=True)
class Engine:
    """One engine kgui knows."""

    id: str                # "tensorflow", "theano", "jax", "torch": the name settings and runs use
    title: str             # the name people read, e.g. "TensorFlow"
    version: str | None    # installed version, None when not installed
    install_hint: str      # pip command that installs it

    @property
    def installed(self) -> bool:
        return self.version is not None

    @property
    def label(self) -> str:
        """``"TensorFlow 2.21.0"``, or ``"PyTorch (not installed)"``."""
        return engine_label(self.id, self.version) if self.installed else f"{self.title} (not installed)"


def all_engines() -> list[Engine]:
    """Every engine kgui knows, installed or not, in kgui's order."""
    return [Engine(info.id, info.title, info.version if info.installed else None, info.install_hint)
            for info in backend.available()]


def installed_engines() -> list[Engine]:
    """The engines that are installed."""
    return [engine for engine in all_engines() if engine.installed]


def installed_ids() -> list[str]:
    """Ids of the installed engines; ValueError naming how to install one when there is none."""
    installed = [engine.id for engine in installed_engines()]
    if not installed:
        hints = "; ".join(engine.install_hint for engine in all_engines())
        raise ValueError(f"no engine is installed; install one: {hints}")
    return installed


@functools.cache
def engine_title(name: str) -> str:
    """"TensorFlow" for "tensorflow" (or an alias such as "tf"); a name kgui does not know comes back as it is."""
    try:
        wanted = canonical_id(name)
    except ValueError:
        return name
    return next(engine.title for engine in all_engines() if engine.id == wanted)


@functools.cache
def engine_label(engine_id: str, version: str = "") -> str:
    """"TensorFlow 2.21.0": the engine's title and ``version`` (default: the installed one's, none when it is not
    installed); an id kgui does not know comes back with the version (a run saved by another kgui)."""
    if not version:
        try:
            version = find(engine_id).version or ""
        except ValueError:
            pass
    return f"{engine_title(engine_id)} {version}".strip()


def find(name: str) -> Engine:
    """The engine called ``name`` (or an alias); ValueError when kgui does not know it."""
    wanted = canonical_id(name)
    return next(engine for engine in all_engines() if engine.id == wanted)


@contextmanager
def garbage_collector_paused():
    """Python's cycle collector off for a while: making many objects without cycles (an engine import, a listing,
    a table of thousands of rows) otherwise triggers collections that cost a quarter of the time or more."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector; afterwards freeze what is alive (:func:`gc.freeze`) and resume."""
    gc.collect(1)   # recent garbage is freed, not frozen (a full collection would itself hold the GIL long)
    with garbage_collector_paused():
        try:
            yield
        finally:
            gc.freeze()


@functools.cache
def _freeze_at_exit() -> None:
    """At the process's exit, freeze what is left too: the interpreter's last collections would walk every object not
    frozen yet, seconds after an engine import (or while one is still running on a preparation thread)."""
    atexit.register(gc.freeze)


def _first_call(K) -> None:
    """Compile and call a small training step: the modules an engine imports only when it first compiles (PyTensor:
    its C compiler's, 400 modules) are imported now, with the engine."""
    x = K.placeholder(shape=(None, 2))
    w = K.variable(np.zeros((2, 1), dtype=K.floatx()))
    loss = K.mean(K.square(K.dot(x, w) - 1.0))
    step = K.function([x], [loss], updates=[(w, w - 0.1 * K.gradients(loss, [w])[0])])
    step([np.ones((4, 2), dtype=K.floatx())])


def check_floatx() -> None:
    """ValueError (one line) unless floatx is float32: kgui's models, data and optimizers are float32 on every
    engine, and the engines refuse to mix it with another float type."""
    floatx = backend.floatx()
    if floatx != "float32":
        from kgui.backend import config

        raise ValueError(f"kgui trains in float32, but floatx is {floatx!r} (set in {config.config_path()} or by "
                         "K.set_floatx): remove it there, or set \"float32\"")


_loading: dict[str, threading.Lock] = {}   # per engine: held while it is imported and first compiles


def load(name: str) -> backend.Backend:
    """The backend of engine ``name``, imported on first use (seconds) with the GIL held as briefly as possible.

    An import makes hundreds of thousands of objects, so the collections it triggers walk ever more of them,
    each holding the GIL (TensorFlow: five full collections, 1-1.8 s each at load 15, the window frozen). The
    collector is paused while the engine is imported and first compiles, and the objects then alive are frozen:
    kept for good (the engine's modules), and skipped by every later collection, while training too. A thread
    that asks while another imports the same engine waits for it (a worker imports ahead of its first job).
    """
    with _loading.setdefault(canonical_id(name), threading.Lock()):   # one object, however many ask
        if backend.is_loaded(name):
            return backend.load(name)
        _freeze_at_exit()
        with _collector_paused():
            K = backend.load(name)
            _first_call(K)
        return K
