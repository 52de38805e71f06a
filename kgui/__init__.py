"""kgui: train models through a Keras-2-style backend layer on TensorFlow and Theano (PyTensor).

Packages: ``kgui.backend`` (the K API over real engines), ``kgui.core`` (datasets, models,
trainer, saved runs, export; no Qt), ``kgui.cli`` (command line), ``kgui.ui`` (the window) and
``kgui.notebook`` (live views in Jupyter; ``%load_ext kgui`` gives the ``%kgui`` magic).

Saved runs as data (pandas), from the window's store unless ``store`` names another folder::

    kgui.runs()                   # one row per run: settings, summary, sweep tags
    kgui.history(run_id)          # its steps
    kgui.load_run(run_id).settings

Importing kgui imports none of its packages: they load when first used.
"""
from __future__ import annotations

import importlib

_SUBPACKAGES = ("backend", "core", "cli", "ui", "notebook")


def runs(store=None):
    """Every saved run as a pandas DataFrame indexed by run id (see :mod:`kgui.core.exports.run_tables`)."""
    from kgui.core.exports import run_tables

    return run_tables.runs_frame(store)


def history(run_id: str, store=None):
    """The steps of run ``run_id`` as a pandas DataFrame indexed by step."""
    from kgui.core.exports import run_tables

    return run_tables.history_frame(load_run(run_id, store))


def load_run(run_id: str, store=None):
    """Run ``run_id`` with its history (a RunRecord: ``.settings`` is its ExperimentSettings); LookupError if none."""
    from kgui.core.exports import run_tables

    return run_tables.store_of(store).load(run_id)


def load_ipython_extension(shell) -> None:
    """``%load_ext kgui``: the ``%kgui`` line magic (``%kgui open [flags]`` opens the window from the kernel)."""
    from kgui.notebook import magics

    magics.register(shell)


def __getattr__(name: str):
    """``kgui.notebook`` and the other packages import on first use."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"kgui.{name}")
    raise AttributeError(f"module 'kgui' has no attribute {name!r}")
