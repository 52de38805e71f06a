"""``kgui sweep``'s worker processes, started from the raw command line before the command imports anything heavy:
their start and engine import then overlap the command's own start (its imports, parsing, expanding the grid). Each
imports the sweep's engine, when the command line names it, before its first trial arrives.

Only a local sweep starts them (not ``--cluster`` or ``$KGUI_DASK_SCHEDULER``, ``--in-process``, ``--workers 0``
or ``--help``): ``--workers N`` of them, else one a core, at most one a core. The pool takes them as its first
workers (:class:`~kgui.core.workers.pool.WorkerPool` ``launched``); those it does not need, and all of them when the
command ends before it has one (bad input), are ended (:func:`~kgui.core.workers.launch.close_all`).
"""
from __future__ import annotations

import os

from kgui.core.workers.launch import MAX_WORKERS   # the standard library only

CLUSTER_VARIABLE = "KGUI_DASK_SCHEDULER"
DEFAULT_ENGINE = "tensorflow"   # ExperimentSettings' (not imported here: it is what the early start avoids)
DEFAULT_DATASET = "linear"      # ExperimentSettings' too
# the linear exercise and TensorFlow Playground's problems: made with NumPy alone
NUMPY_DATASETS = ("linear", "circle", "xor", "gaussians", "spiral", "plane", "multi-gaussian")


def _given(argv: list[str], option: str) -> str | None:
    """The value of ``option`` (or of an abbreviation argparse would take) in ``argv``: "" for a flag, None if
    absent."""
    for index, word in enumerate(argv):
        name, equals, value = word.partition("=")
        if len(name) > 3 and option.startswith(name):
            if equals:
                return value
            return argv[index + 1] if index + 1 < len(argv) and not argv[index + 1].startswith("-") else ""
    return None


def early_worker_count(argv: list[str]) -> int:
    """How many workers to start for the command line ``argv`` before it is parsed (0: none)."""
    if not argv or argv[0] != "sweep" or os.environ.get(CLUSTER_VARIABLE):
        return 0
    words = argv[1:]
    if any(word in ("-h", "--help") for word in words) or any(
            _given(words, option) is not None for option in ("--cluster", "--in-process")):
        return 0
    cores = min(os.cpu_count() or 1, MAX_WORKERS)
    workers = _given(words, "--workers")
    if workers is None:
        return cores
    try:
        return min(max(int(workers), 0), cores)
    except ValueError:
        return 0   # argparse says what is wrong with it


def engine_ahead(argv: list[str]) -> str | None:
    """The engine every trial of the sweep ``argv`` trains on, as far as the raw command line tells (its workers
    import it while the command starts): ``--backend``'s, else the default experiment's; None when an axis varies it,
    for ``all``, or with a ``--config`` file (its axes may vary the engine or the dataset). Also None unless the
    dataset loads with NumPy alone (:data:`NUMPY_DATASETS`): one that imports other packages (scikit-learn's, a CSV
    file, Otto's) would import them while the engine is imported on another thread, and two threads importing
    module trees they share can meet in CPython's import locks (a "deadlock detected" ImportError)."""
    words = argv[1:]
    for index, word in enumerate(words):   # an axis: --grid backend=..., --grid=dataset=..., --range ...
        name, equals, value = word.partition("=")
        if len(name) > 3 and ("--grid".startswith(name) or "--range".startswith(name)):
            value = value if equals else (words[index + 1] if index + 1 < len(words) else "")
            if value.strip().startswith(("backend=", "dataset=")):
                return None
    if _given(words, "--config") is not None:
        return None
    dataset = _given(words, "--dataset")
    if (DEFAULT_DATASET if dataset is None else dataset) not in NUMPY_DATASETS:
        return None
    backend = _given(words, "--backend")
    if backend is None:
        return DEFAULT_ENGINE
    return backend if backend and backend != "all" else None


def start_early(argv: list[str]) -> list:
    """The :class:`~kgui.core.workers.launch.Launched` workers for ``argv`` (see :func:`early_worker_count`), each
    importing :func:`engine_ahead`'s engine while it waits for its first trial."""
    count = early_worker_count(argv)
    if not count:
        return []
    from kgui.core.workers.launch import Launched

    engine = engine_ahead(argv)
    return [Launched(engine) for _ in range(count)]
