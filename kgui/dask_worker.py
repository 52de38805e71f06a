"""A Dask worker preload that readies the worker for kgui's sweeps before it joins the scheduler:

    dask worker tcp://HOST:8786 --nthreads 1 --preload kgui.dask_worker --kgui-engines theano,jax

Before the worker registers, it imports kgui's trial code and each named engine, and compiles a small function on
each (the modules an engine imports only at its first compile), on the thread that runs its tasks: the first trial
of a sweep on a fresh cluster then trains at once, as on a worker that has trained before, instead of importing its
engine (1–2 s of CPU for TensorFlow or JAX). ``--kgui-engines`` (or ``$KGUI_DASK_ENGINES``) takes engine names
separated by commas, or ``all`` (every installed engine); without it, kgui's default engine (``$KGUI_BACKEND``, the
config file, else TensorFlow). A name that is not an installed engine stops ``dask worker`` at once, in one line.

This module is imported by ``dask worker`` itself to read its options: it imports nothing heavy until the worker
starts.
"""
from __future__ import annotations

import asyncio
import logging
import time

import click

ENGINES_VARIABLE = "KGUI_DASK_ENGINES"

readied: tuple[str, ...] = ()   # the engines this worker's preload imported (what a test or a user can ask it)

logger = logging.getLogger("distributed.kgui")   # shown with the worker's own log lines


def _engine_ids(context, parameter, value: str | None) -> tuple[str, ...]:
    """The engine ids ``value`` names (see the module's doc); click's one-line error unless each is installed."""
    from kgui import backend

    installed = [info.id for info in backend.available() if info.installed]
    if value is None or not value.strip():
        names = [backend.config.default_backend_name()]
    elif value.strip().lower() == "all":
        return tuple(installed)
    else:
        names = [name.strip() for name in value.split(",") if name.strip()]
    ids = []
    for name in names:
        try:
            engine = backend.canonical_id(name)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        if engine not in installed:
            raise click.BadParameter(f"{engine} is not installed here (installed: {', '.join(installed)})")
        ids.append(engine)
    return tuple(dict.fromkeys(ids))


def ready(engines: tuple[str, ...]) -> float:
    """Import kgui's trial code and ``engines`` (each with its first compile) in this process; the seconds taken."""
    global readied

    start = time.perf_counter()
    from kgui.core.sweeps import dask_executor  # noqa: F401 - the trials' task, found by reference
    from kgui.core.training import engines as engine_loader

    for engine in engines:
        engine_loader.load(engine)
    readied = engines
    return time.perf_counter() - start


@click.command()
@click.option("--kgui-engines", envvar=ENGINES_VARIABLE, callback=_engine_ids, metavar="NAMES",
              help="kgui engines to import before the worker joins, comma separated, or 'all' (default: kgui's "
                   "default engine)")
async def dask_setup(worker, kgui_engines: tuple[str, ...]) -> None:
    """Dask's preload hook: ready the worker on its task thread, before it registers with the scheduler."""
    seconds = await asyncio.get_running_loop().run_in_executor(worker.executors["default"], ready, kgui_engines)
    logger.info("kgui: %s ready in %.1f s", ", ".join(kgui_engines) or "trial code", seconds)
