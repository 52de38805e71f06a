"""A command's job in a terminal: the worker pool of ``--workers N``, and Ctrl-C, SIGTERM or SIGHUP stopping the
job cleanly between two steps (exit code 128 + the signal)."""
from __future__ import annotations

import contextlib
import signal
import threading

from kgui.core.training.training_control import TrainingControl
from kgui.exit_codes import EXIT_STOPPED

from .output import abandon_unread

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def worker_pool(args):
    """The pool of ``--workers N`` (None for 0). Workers inherit the environment, data arguments included."""
    if not args.workers:
        return None
    from kgui.core.workers import WorkerPool

    return WorkerPool(max_workers=args.workers)


class Stopper:
    """A TrainingControl that Ctrl-C, SIGTERM and SIGHUP stop (cleanly, between two steps); ``exit_code``
    is 128 + the signal that came (EXIT_STOPPED when stopped otherwise)."""

    def __init__(self, control: TrainingControl | None = None):
        self.control = control or TrainingControl()
        self.signal: int | None = None

    def __call__(self, signum, frame) -> None:
        self.signal = self.signal or signum
        abandon_unread()   # a job printing into a pipe nobody reads would never reach its stop
        self.control.stop()

    def follow(self, control: TrainingControl) -> None:
        """Stop ``control`` instead from now on (at once when a signal has come already)."""
        self.control = control
        if self.signal is not None:
            control.stop()

    @property
    def exit_code(self) -> int:
        return 128 + self.signal if self.signal else EXIT_STOPPED


@contextlib.contextmanager
def signals_stop(control: TrainingControl | None = None):
    """While the block runs, Ctrl-C, SIGTERM and SIGHUP stop ``control`` (a new one by default), the yielded
    :class:`Stopper`'s."""
    stopper = Stopper(control)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = {number: signal.signal(number, stopper) for number in STOP_SIGNALS} if on_main_thread else {}
    try:
        yield stopper
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
