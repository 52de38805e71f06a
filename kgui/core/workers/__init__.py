"""Every job in a worker process of its own (issue 20): the protocol (:mod:`.protocol`), the worker process
(:mod:`.main`), starting one (:mod:`.launch`), one worker seen from its parent (:mod:`.process`), the pool that reuses
them (:mod:`.pool`) and the job that runs in one (:mod:`.remote_job`). The parent side never imports an engine.

The names below load on first use, so that :mod:`.launch` imports nothing heavy (a command starts its workers
before its own imports)."""
from __future__ import annotations

import importlib

_WHERE = {"Exited": "process", "WorkerProcess": "process", "RemoteControl": "remote_job", "RemoteJob": "remote_job",
          "WorkerPool": "pool"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
