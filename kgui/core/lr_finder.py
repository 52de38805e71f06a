"""Learning-rate range test, like fast.ai's ``lr_find``.

One fresh model is trained through :class:`~kgui.core.trainer.Trainer` (same data, batches and
initial weights as a normal run) while the learning rate rises geometrically from ``start`` to
``end``; before every step the model's ``lr`` variable is set to the next rate. Each step's
training loss (on the batch, before the update, as fast.ai records it) is smoothed with the
debiased EMA of :mod:`kgui.core.smoothing`. The test stops early once the smoothed loss exceeds
``blow_up`` times its minimum or a loss is NaN/inf.

Suggestions come from the smoothed curve without its first tenth and last few points (fast.ai's
trimming): *steepest*, the rate where the loss falls fastest per decade of rate, and *valley*,
the rate one decade below the lowest loss (fast.ai v1's rule, v2's "minimum"). The valley is the
suggestion. fast.ai v2's own valley (about halfway into the longest decreasing run of the loss)
assumes a noisy curve: on kgui's noise-free full-batch curves the loss falls from the very first
step, so that run spans the whole stable range and its midpoint only reflects ``start`` (measured
0.003 on the linear exercise, 0.005 on iris and Otto, whatever the data).
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .datasets import LoadCancelled
from .export import export_format, figure_bytes, table_csv
from .files import write_atomic
from .runs import json_safe
from .settings import FLOAT32_MAX, ExperimentSettings
from .smoothing import DebiasedEMA
from .trainer import Trainer, TrainingControl

DEFAULT_START = 1e-6
DEFAULT_END = 10.0
DEFAULT_STEPS = 100
DEFAULT_SMOOTHING = 0.9   # fast.ai uses 0.98; with ~100 points that lags the curve by a quarter of a decade
BLOW_UP_FACTOR = 4.0
VALLEY_DECADES = 10.0     # the valley suggestion is the lowest-loss rate divided by this
TRIMMED_END = 5           # last points left out of the suggestions (fast.ai's skip_end)
MIN_STEPS = 10
PLOT_HEADROOM = 1.5       # the plot shows losses up to this many times the first one
CSV_COLUMNS = ("step", "learning_rate", "loss", "smoothed_loss")


@dataclass(frozen=True)
class RangeTestPoint:
    """One step of the sweep."""

    step: int               # 1-based
    learning_rate: float    # rate of this step's update
    loss: float             # training loss on the step's batch, before the update
    smoothed_loss: float


@dataclass
class RangeTestResult:
    """The sweep so far and its suggestions; ``status`` is "finished", "blown up" or "stopped"."""

    settings: ExperimentSettings
    engine: str
    engine_version: str
    start: float
    end: float
    steps: int
    points: list[RangeTestPoint] = field(default_factory=list)
    status: str = "running"
    steepest: float | None = None
    valley: float | None = None

    @property
    def suggestion(self) -> float | None:
        """The rate to train with: the valley, else the steepest descent; None with too few points."""
        return self.valley if self.valley is not None else self.steepest

    def summary(self) -> str:
        """One line for people: the suggestion and why the sweep ended."""
        if self.status == "blown up":
            ended = f"stopped at lr {self.points[-1].learning_rate:.3g} (step {len(self.points)}): the loss blew up"
        elif self.status == "stopped":
            ended = f"cancelled after {len(self.points)} steps"
        else:
            ended = f"swept {self.start:g} to {self.end:g} in {len(self.points)} steps"
        if self.suggestion is None:
            return f"no suggestion: too few points to judge ({ended})"
        return (f"suggested learning rate {self.suggestion:.3g} (valley {_rate(self.valley)}, "
                f"steepest descent {_rate(self.steepest)}); {ended}")

    def to_dict(self) -> dict:
        return json_safe({
            "settings": self.settings.to_dict(), "engine": self.engine, "engine_version": self.engine_version,
            "start": self.start, "end": self.end, "steps": self.steps, "status": self.status,
            "suggestion": self.suggestion, "valley": self.valley, "steepest": self.steepest,
            "points": [asdict(point) for point in self.points]})


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def learning_rates(start: float, end: float, steps: int) -> np.ndarray:
    """``steps`` rates from ``start`` to ``end`` (both included), evenly spaced on a log axis."""
    if not (0 < start < end and math.isfinite(end)):
        raise ValueError(f"the range test needs 0 < start < end, got start {start!r} and end {end!r}")
    if end > FLOAT32_MAX:
        raise ValueError(f"the range test's rates must be at most {FLOAT32_MAX:.4g} (the largest float32), "
                         f"got end {end:g}")
    if steps < MIN_STEPS:
        raise ValueError(f"the range test needs at least {MIN_STEPS} steps, got {steps!r}")
    return np.geomspace(start, end, steps)


def _trimmed(points: list[RangeTestPoint]) -> tuple[np.ndarray, np.ndarray]:
    """Rates and smoothed losses without the first tenth and the last points (fast.ai's trimming)."""
    kept = points[len(points) // 10:len(points) - TRIMMED_END]
    kept = [p for p in kept if math.isfinite(p.smoothed_loss)]
    return (np.array([p.learning_rate for p in kept]), np.array([p.smoothed_loss for p in kept]))


def steepest_rate(rates, losses) -> float | None:
    """The rate where ``losses`` fall fastest against log(rate); None with fewer than two points."""
    rates, losses = np.asarray(rates, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    if len(rates) < 2:
        return None
    slopes = np.diff(losses) / np.diff(np.log(rates))
    return float(rates[int(np.argmin(slopes))])


def valley_rate(rates, losses) -> float | None:
    """One decade below the bottom of the valley: the rate at the lowest loss, divided by 10."""
    losses = np.asarray(losses, dtype=np.float64)
    if len(losses) < 2:
        return None
    return float(rates[int(np.argmin(losses))]) / VALLEY_DECADES


def find_learning_rate(settings: ExperimentSettings, start: float = DEFAULT_START, end: float = DEFAULT_END,
                       steps: int = DEFAULT_STEPS, *, smoothing: float = DEFAULT_SMOOTHING,
                       blow_up: float = BLOW_UP_FACTOR, control: TrainingControl | None = None, dataset=None,
                       status=None, on_point=None) -> RangeTestResult:
    """Run the range test for ``settings`` (its learning rate and steps are ignored) on its engine.

    ``on_point(RangeTestPoint)`` is called after every step and ``status(str)`` while preparing,
    both on this thread; ``control.stop()`` from another thread cancels between two steps (status
    "stopped"; the suggestions use the points so far). Bad settings raise ValueError (OSError,
    ImportError for files and engines), as :meth:`Trainer.prepare` does.
    """
    rates = learning_rates(start, end, steps)
    if not blow_up > 1:
        raise ValueError(f"the blow-up factor must be greater than 1, got {blow_up!r}")
    control = control or TrainingControl()
    ema = DebiasedEMA(smoothing)
    trainer = Trainer(settings.unscheduled().replace(learning_rate=float(rates[0]), steps=steps), control,
                      dataset=dataset, status=status)
    try:
        trainer.prepare()
    except LoadCancelled:
        return RangeTestResult(trainer.settings, "", "", start, end, steps, status="stopped")
    result = RangeTestResult(trainer.settings, trainer.record.engine, trainer.record.engine_version, start, end,
                             steps)
    lowest = math.inf
    for rate in rates:
        if not control.wait_for_turn():
            result.status = "stopped"
            break
        trainer.set_learning_rate(float(rate))
        step = trainer.step()
        point = RangeTestPoint(step.step, step.learning_rate, step.train_loss, ema.update(step.train_loss))
        result.points.append(point)
        if on_point is not None:
            on_point(point)
        lowest = min(lowest, point.smoothed_loss)
        if trainer.record.status == "diverged" or not point.smoothed_loss <= blow_up * lowest:
            result.status = "blown up"
            break
    else:
        result.status = "finished"
    trimmed_rates, trimmed_losses = _trimmed(result.points)
    result.steepest = steepest_rate(trimmed_rates, trimmed_losses)
    result.valley = valley_rate(trimmed_rates, trimmed_losses)
    return result


def range_test_figure(result: RangeTestResult):
    """A matplotlib Figure: loss and smoothed loss against the learning rate (log axis), suggestions marked."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    rates = [p.learning_rate for p in result.points]
    axes.plot(rates, [p.loss for p in result.points], color="C0", alpha=0.3, label="loss")
    axes.plot(rates, [p.smoothed_loss for p in result.points], color="C0", label="smoothed loss")
    for name, rate, colour in (("valley", result.valley, "C2"), ("steepest", result.steepest, "C3")):
        if rate is not None:
            axes.axvline(rate, color=colour, linestyle="--", label=f"{name} {rate:.3g}")
    axes.set_xscale("log")
    if result.points and math.isfinite(result.points[0].smoothed_loss):
        axes.set_ylim(top=PLOT_HEADROOM * result.points[0].smoothed_loss)  # the blow-up would flatten the rest
    axes.set_xlabel("learning rate")
    axes.set_ylabel("training loss")
    axes.set_title(f"learning-rate range test · {result.settings.dataset} · {result.engine}", fontsize=10)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def export_range_test(result: RangeTestResult, path):
    """Write the sweep to ``path`` as CSV (one row per step), JSON (with suggestions) or a PNG/SVG plot."""
    fmt = export_format(path)
    if fmt == "csv":
        data = table_csv(CSV_COLUMNS, ([p.step, p.learning_rate, p.loss, p.smoothed_loss] for p in result.points))
    elif fmt == "json":
        data = json.dumps(result.to_dict(), indent=2)
    else:
        data = figure_bytes(range_test_figure(result), fmt)
    write_atomic(path, data)
    return path
