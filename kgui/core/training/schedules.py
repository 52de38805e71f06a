"""Learning-rate schedules: the rate each step trains with, fed to the model's ``lr`` variable before the step.

- ``decay`` (any schedule, every optimizer): Keras 2's ``lr / (1 + decay · iterations)``, iterations being the
  updates made before this one;
- ``step``: ``lr · drop ** (iterations // every)``;
- ``cosine``: ``lr · (1 + cos(π · iterations / steps)) / 2`` (tf.keras' CosineDecay to 0 over the run);
- ``onecycle``: fastai's one-cycle policy: a cosine rise from ``lr`` to ``max_lr`` over the first quarter of the
  steps, then a cosine fall to ``max_lr / 1e5`` (fastai's ``fit_one_cycle(lr_max)`` is ``--lr lr_max/25``).

The slider sets the *base* rate: a run whose base was moved from ``lr`` to ``base`` trains with the schedule's rate
times ``base / lr``. :func:`scheduled_rate` uses nothing but :mod:`math`, so the exported script carries its source
and computes the same rates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .optimizers import in_float32, rounded_in_float32

SCHEDULES = ("constant", "step", "cosine", "onecycle")
SCHEDULE_PARAMETERS = {"constant": (), "step": ("drop", "every"), "cosine": (), "onecycle": ("max_lr",)}


def scheduled_rate(iteration, steps, learning_rate, base, schedule, decay, drop, every, max_lr):
    """The rate of the update after ``iteration`` others (0 first) in a run of ``steps`` steps whose settings' rate
    is ``learning_rate`` and whose slider is at ``base``."""
    if schedule == "step":
        rate = learning_rate * drop ** (iteration // every)
    elif schedule == "cosine":
        rate = learning_rate * (1.0 + math.cos(math.pi * iteration / steps)) / 2.0
    elif schedule == "onecycle":
        position = iteration / steps
        warmup = 0.25   # fastai's pct_start: the share of the steps rising to max_lr
        if position < warmup:
            start, end, position = learning_rate, max_lr, position / warmup
        else:   # down to fastai's max_lr / div_final
            start, end, position = max_lr, max_lr / 1e5, (position - warmup) / (1.0 - warmup)
        rate = start + (1.0 + math.cos(math.pi * (1.0 - position))) * (end - start) / 2.0
    else:
        rate = learning_rate
    return rate / (1.0 + decay * iteration) * (base / learning_rate)


@dataclass(frozen=True)
class ScheduleConfig:
    """Which schedule, its parameters and Keras 2's ``decay``; the learning rate is set apart."""

    name: str = "constant"
    decay: float = 0.0
    drop: float = 0.5
    every: int = 100
    max_lr: float | None = None

    @property
    def scheduled(self) -> bool:
        """Whether the rate changes from step to step (else the model's ``lr`` is only set by the slider)."""
        return self.name != "constant" or self.decay != 0

    def validate(self, learning_rate: float) -> None:
        """ValueError naming the first bad parameter (or combination) and its value."""
        if self.name not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.name!r}")
        default = ScheduleConfig()
        for name in ("drop", "every", "max_lr"):
            if getattr(self, name) != getattr(default, name) and name not in SCHEDULE_PARAMETERS[self.name]:
                user = next(schedule for schedule, names in SCHEDULE_PARAMETERS.items() if name in names)
                raise ValueError(f"{name} applies to the {user} schedule only, not {self.name}")
        if isinstance(self.decay, bool) or not (math.isfinite(self.decay) and self.decay >= 0):
            raise ValueError(f"decay must be a non-negative number, got {self.decay!r}")
        if not (math.isfinite(self.drop) and 0 < self.drop <= 1):
            raise ValueError(f"drop must be in (0, 1], got {self.drop!r}")
        if in_float32(self.drop) == 0:
            raise ValueError(rounded_in_float32("drop", self.drop))
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every < 1:
            raise ValueError(f"every must be a whole number of steps, at least 1, got {self.every!r}")
        if self.name == "onecycle":
            if self.max_lr is None:
                raise ValueError("the onecycle schedule needs max_lr (--max-lr), its peak rate")
            if not (math.isfinite(self.max_lr) and self.max_lr >= learning_rate):
                raise ValueError(f"max_lr must be a number at least the learning rate {learning_rate:g}, "
                                 f"got {self.max_lr!r}")

    def describe(self) -> str:
        """``step (drop 0.5, every 100)``, ``onecycle (max_lr 0.1) · decay 0.01``, ``constant``."""
        parts = [f"{name} {getattr(self, name):g}" for name in SCHEDULE_PARAMETERS[self.name]]
        text = self.name + (f" ({', '.join(parts)})" if parts else "")
        return text + (f" · decay {self.decay:g}" if self.decay else "")


@dataclass(frozen=True)
class RateSchedule:
    """The rates of one run: ``config`` over ``steps`` steps from the settings' ``learning_rate``."""

    config: ScheduleConfig
    learning_rate: float
    steps: int

    def rate(self, step: int, base: float | None = None) -> float:
        """The rate of 1-based ``step`` with the slider at ``base`` (default: the settings' rate)."""
        config = self.config
        return scheduled_rate(step - 1, self.steps, self.learning_rate,
                              self.learning_rate if base is None else base, config.name, config.decay, config.drop,
                              config.every, config.max_lr or 0.0)

    def base_rate(self, step: int, rate: float) -> float:
        """The slider's rate under which ``step`` trained with ``rate`` (the rate itself without a schedule)."""
        if not self.config.scheduled:
            return rate
        unit = self.rate(step)
        return rate * self.learning_rate / unit if unit > 0 else rate


