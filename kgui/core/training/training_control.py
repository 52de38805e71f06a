"""TrainingControl: what another thread asks of a run in training (a new learning rate, pause, resume, one step,
stop, a rename, a weight edit), honoured by its trainer between two steps."""
from __future__ import annotations

import math
import threading
from collections.abc import Callable

from ..experiment.settings import FLOAT32_MAX
from .optimizers import in_float32


def checked_rate(value) -> float:
    """``value`` as a learning rate (a float); ValueError in one line unless it is a positive float32."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not (math.isfinite(rate) and 0 < rate <= FLOAT32_MAX) or in_float32(rate) == 0:
        raise ValueError(f"learning rate must be a positive number, at most {FLOAT32_MAX:.4g} (the largest float32), "
                         f"got {value!r}")
    return rate


class TrainingControl:
    """Requests from another thread, honoured between two training steps.

    While paused the worker sleeps on a condition variable (no busy loop); each
    :meth:`request_step` lets exactly one step through.
    """

    def __init__(self, paused: bool = False):
        self._condition = threading.Condition()
        self._paused = paused
        self._stopped = False
        self._steps_allowed = 0
        self._pending_rate: float | None = None
        self._pending_names: dict[str, str] = {}
        self._pending_edits: list[tuple[str, tuple[int, ...], float]] = []
        self.before_sleeping: Callable[[], None] | None = None   # worker side, just before it sleeps while paused

    @property
    def paused(self) -> bool:
        with self._condition:
            return self._paused

    @property
    def stopped(self) -> bool:
        with self._condition:
            return self._stopped

    def set_learning_rate(self, value: float) -> None:
        """Use ``value`` from the next step on; ValueError unless it is a positive number."""
        rate = checked_rate(value)
        with self._condition:
            self._pending_rate = rate

    def request_rename(self, run_id: str, name: str) -> None:
        """Name run ``run_id`` ``name``: its trainer writes it (between two steps, or when the run ends)."""
        with self._condition:
            self._pending_names[run_id] = name

    def edit_weight(self, parameter: str, index: tuple[int, ...], value: float) -> None:
        """Set one weight (``parameter``'s entry at ``index``, e.g. ``("W1", (3, 2))``) to ``value`` before the next
        step; the trainer records it in the run. ValueError unless ``value`` is a finite number."""
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"a weight must be a finite number, got {value!r}")
        with self._condition:
            self._pending_edits.append((parameter, tuple(int(i) for i in index), number))

    def take_weight_edits(self) -> list[tuple[str, tuple[int, ...], float]]:
        """The weight edits requested since the last call, in order (worker side)."""
        with self._condition:
            edits, self._pending_edits = self._pending_edits, []
            return edits

    def take_rename(self, run_id: str) -> str | None:
        """The name requested for run ``run_id`` since the last call, if any (whoever writes the run)."""
        with self._condition:
            return self._pending_names.pop(run_id, None)

    def pause(self) -> None:
        with self._condition:
            self._paused = True

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._steps_allowed = 0
            self._condition.notify_all()

    def request_step(self) -> None:
        """While paused, run exactly one more step (ignored while running)."""
        with self._condition:
            if self._paused:
                self._steps_allowed += 1
                self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify_all()

    def wait_for_turn(self) -> bool:
        """Block while paused with no step requested; False once stopped (worker side)."""
        if self.before_sleeping is not None:
            with self._condition:
                sleeps = not self._may_step()
            if sleeps:
                self.before_sleeping()
        with self._condition:
            self._condition.wait_for(self._may_step)
            if self._stopped:
                return False
            if self._paused:
                self._steps_allowed -= 1
            return True

    def _may_step(self) -> bool:
        """Under the condition's lock."""
        return self._stopped or not self._paused or self._steps_allowed > 0

    def take_learning_rate(self) -> float | None:
        """The rate set since the last call, if any (worker side)."""
        with self._condition:
            rate, self._pending_rate = self._pending_rate, None
            return rate
