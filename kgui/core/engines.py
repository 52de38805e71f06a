"""The engines as the rest of kgui sees them, without importing any: ids, titles, installed or not.

Qt-free; the window's engine picker, Compare Backends and the command line read engines here.
"""
from __future__ import annotations

from dataclasses import dataclass

from kgui import backend


@dataclass(frozen=True)
class Engine:
    """One engine kgui knows."""

    id: str                # "tensorflow", "theano", "jax", "torch": the name settings and runs use
    name: str              # human name, e.g. "TensorFlow"
    version: str | None    # installed version, None when not installed
    install_hint: str      # pip command that installs it

    @property
    def installed(self) -> bool:
        return self.version is not None

    @property
    def title(self) -> str:
        """``"TensorFlow 2.21.0"``, or ``"PyTorch (not installed)"``."""
        return f"{self.name} {self.version}" if self.installed else f"{self.name} (not installed)"


def all_engines() -> list[Engine]:
    """Every engine kgui knows, installed or not, in kgui's order."""
    return [Engine(info.name, info.title, info.version if info.installed else None, info.install_hint)
            for info in backend.available()]


def installed_engines() -> list[Engine]:
    """The engines that are installed."""
    return [engine for engine in all_engines() if engine.installed]


def engine_ids() -> list[str]:
    """Ids of every engine kgui knows."""
    return backend.engine_names()


def canonical_id(name: str) -> str:
    """The id for ``name`` or an alias (``pytensor``, ``pytorch``); ValueError naming the known engines."""
    return backend.canonical_name(name)


def find(name: str) -> Engine:
    """The engine called ``name`` (or an alias); ValueError when kgui does not know it."""
    wanted = canonical_id(name)
    return next(engine for engine in all_engines() if engine.id == wanted)
