"""Learning-rate range test, like fast.ai's ``lr_find``.

One fresh model is trained through :class:`~kgui.core.training.trainer.Trainer` (same data, batches and
initial weights as a normal run) while the learning rate rises geometrically from ``start`` to
``end``; before every step the model's ``lr`` variable is set to the next rate. Each step's
training loss (on the batch, before the update, as fast.ai records it) is smoothed with the
debiased EMA of :mod:`kgui.core.smoothing`. The test stops early once the smoothed loss exceeds
``blow_up`` times its minimum or a loss is NaN/inf.

Suggestions come from the smoothed curve without its first tenth and last few points (fast.ai's
trimming), by fast.ai's four rules (``fastai/callback/schedule.py``): *valley* (fast.ai's default), a third and a
half of the way into the longest run of falling losses; *steep*, the rate where the loss falls fastest per unit of
log(rate); *minimum*, the rate at the lowest loss divided by 10; *slide*, the interval slide rule (from the end,
the first rate where the loss's gradient changes by no more than 0.005 over 15 points).

kgui's suggestion is *minimum*, not fast.ai's valley: the valley assumes a noisy curve, flat until the loss starts
to fall, while kgui's full-batch curves fall from the very first step, so the longest falling run spans the whole
stable range and its midpoint only reflects ``start``. Measured (docs/bench_lr_suggestions.md): 300 steps at the
valley lose to 300 steps at 10× it on the spiral (SGD, Adam), the linear exercise and Otto; at minimum/10 they beat
both 10× above and below on all four.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np

from ..data.datasets import LoadCancelled
from ..exports.export import export_format, figure_bytes, table_csv
from ..files import write_output
from ..runs import json_safe
from ..experiment.settings import FLOAT32_MAX, ExperimentSettings
from ..smoothing import DebiasedEMA
from .trainer import Trainer
from .training_control import TrainingControl

DEFAULT_START = 1e-6
DEFAULT_END = 10.0
DEFAULT_STEPS = 100
DEFAULT_SMOOTHING = 0.9   # fast.ai uses 0.98; with ~100 points that lags the curve by a quarter of a decade
BLOW_UP_FACTOR = 4.0
MINIMUM_DIVISOR = 10.0    # the minimum suggestion is the lowest-loss rate divided by this
SLIDE_SPAN, SLIDE_THRESHOLD = 15, 0.005   # fast.ai's slide(lr_diff=15, thresh=.005)
TRIMMED_END = 5           # last points left out of the suggestions (fast.ai's skip_end)
MIN_STEPS = 10
PLOT_HEADROOM = 1.5       # the plot shows losses up to this many times the first one
CSV_COLUMNS = ("step", "learning_rate", "loss", "smoothed_loss")


class Suggestion(StrEnum):
    """fast.ai's suggestion rules, in fast.ai's order (its default, valley, first)."""

    VALLEY = "valley"
    STEEP = "steep"
    MINIMUM = "minimum"
    SLIDE = "slide"


DEFAULT_SUGGESTION = Suggestion.MINIMUM   # the rule that passes the sanity check on kgui's curves (see above)


class RangeTestStatus(StrEnum):
    """Where a range test stands: sweeping, then why it ended."""

    RUNNING = "running"
    FINISHED = "finished"     # every rate of the range swept
    BLOWN_UP = "blown up"     # the smoothed loss passed the blow-up factor times its lowest (or the run diverged)
    STOPPED = "stopped"       # cancelled


@dataclass(frozen=True)
class RateRange:
    """The rates a range test sweeps: ``steps`` of them from ``start`` to ``end``, evenly spaced on a log axis."""

    start: float = DEFAULT_START
    end: float = DEFAULT_END
    steps: int = DEFAULT_STEPS

    def rates(self) -> np.ndarray:
        """The rates; ValueError in one line for a range the test cannot sweep."""
        return learning_rates(self.start, self.end, self.steps)


@dataclass(frozen=True)
class RangeTestPoint:
    """One step of the sweep."""

    step: int               # 1-based
    learning_rate: float    # rate of this step's update
    loss: float             # training loss on the step's batch, before the update
    smoothed_loss: float


@dataclass
class RangeTestResult:
    """The sweep so far, its suggestions, and where it stands (``status``)."""

    settings: ExperimentSettings
    engine: str
    engine_version: str
    start: float
    end: float
    steps: int
    points: list[RangeTestPoint] = field(default_factory=list)
    status: RangeTestStatus = RangeTestStatus.RUNNING
    suggestions: dict[Suggestion, float | None] = field(default_factory=dict)   # each rule's rate (None: no rate)

    @property
    def suggestion(self) -> float | None:
        """The rate to train with: the ``DEFAULT_SUGGESTION`` rule's, else the first rule's that gives one."""
        rules = (DEFAULT_SUGGESTION, *Suggestion)
        return next((self.suggestions[rule] for rule in rules if self.suggestions.get(rule) is not None), None)

    def summary(self) -> str:
        """One line for people: the suggestion and why the sweep ended."""
        if self.status is RangeTestStatus.BLOWN_UP:
            ended = f"stopped at lr {self.points[-1].learning_rate:.3g} (step {len(self.points)}): the loss blew up"
        elif self.status is RangeTestStatus.STOPPED:
            ended = f"cancelled after {len(self.points)} steps"
        else:
            ended = f"swept {self.start:g} to {self.end:g} in {len(self.points)} steps"
        if self.suggestion is None:
            return f"no suggestion: too few points to judge ({ended})"
        rules = ", ".join(f"{rule} {_rate(self.suggestions.get(rule))}" for rule in Suggestion)
        return f"suggested learning rate {self.suggestion:.3g} ({rules}); {ended}"

    def to_dict(self) -> dict:
        return json_safe({
            "settings": self.settings.to_dict(), "engine": self.engine, "engine_version": self.engine_version,
            "start": self.start, "end": self.end, "steps": self.steps, "status": self.status,
            "suggestion": self.suggestion, **{str(rule): self.suggestions.get(rule) for rule in Suggestion},
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


def steep_rate(rates, losses) -> float | None:
    """fast.ai's steep: the rate where ``losses`` fall fastest against log(rate); None with fewer than two points."""
    rates, losses = np.asarray(rates, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    if len(rates) < 2:
        return None
    slopes = np.diff(losses) / np.diff(np.log(rates))
    return float(rates[int(np.argmin(slopes))])


def minimum_rate(rates, losses) -> float | None:
    """fast.ai's minimum: the rate at the lowest loss, divided by 10."""
    losses = np.asarray(losses, dtype=np.float64)
    if len(losses) < 2:
        return None
    return float(rates[int(np.argmin(losses))]) / MINIMUM_DIVISOR


def valley_rate(rates, losses) -> float | None:
    """fast.ai's valley: in the longest run of falling losses (each point below an earlier one of the run), the
    point a third plus a sixth of the way in."""
    losses = np.asarray(losses, dtype=np.float64)
    n = len(losses)
    if n < 2:
        return None
    longest = [1] * n       # longest falling run ending at each point (fast.ai's O(n²) rule, n ≈ 100)
    start, end = 0, 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and longest[i] < longest[j] + 1:
                longest[i] = longest[j] + 1
            if longest[end] < longest[i]:
                end = i
                start = end - longest[end]
    sections = (end - start) / 3
    return float(rates[start + int(sections) + int(sections / 2)])


def slide_rate(rates, losses) -> float | None:
    """fast.ai's slide: from the end, move a window of 15 points left while the loss's gradient at its two ends
    differs by more than 0.005; the rate at its left end."""
    losses = np.asarray(losses, dtype=np.float64)
    if len(losses) <= SLIDE_SPAN:
        return None
    gradient = np.gradient(losses)
    right, left = -1, -1 - SLIDE_SPAN
    rate = rates[left]
    while left >= -len(losses) and abs(gradient[right] - gradient[left]) > SLIDE_THRESHOLD:
        rate = rates[left]
        right -= 1
        left -= 1
    return float(rate)


RULES = {Suggestion.VALLEY: valley_rate, Suggestion.STEEP: steep_rate, Suggestion.MINIMUM: minimum_rate,
         Suggestion.SLIDE: slide_rate}


def suggestions(rates, losses) -> dict[Suggestion, float | None]:
    """Every rule's rate for smoothed ``losses`` at ``rates`` (already trimmed)."""
    return {rule: function(rates, losses) for rule, function in RULES.items()}


def find_learning_rate(settings: ExperimentSettings, start: float = DEFAULT_START, end: float = DEFAULT_END,
                       steps: int = DEFAULT_STEPS, *, smoothing: float = DEFAULT_SMOOTHING,
                       blow_up: float = BLOW_UP_FACTOR, control: TrainingControl | None = None, dataset=None,
                       status=None, on_point=None) -> RangeTestResult:
    """Run the range test for ``settings`` (its learning rate and steps are ignored) on its engine.

    ``on_point(RangeTestPoint)`` is called after every step and ``status(Stage, LoadProgress | None)`` while
    preparing, both on this thread; ``control.stop()`` from another thread cancels between two steps (status
    STOPPED; the suggestions use the points so far). Bad settings raise ValueError (OSError,
    ImportError for files and engines), as :meth:`Trainer.prepare` does.
    """
    rates = learning_rates(start, end, steps)
    if not blow_up > 1:
        raise ValueError(f"the blow-up factor must be greater than 1, got {blow_up!r}")
    control = control or TrainingControl()
    ema = DebiasedEMA(smoothing)
    def on_stage(stage) -> None:
        if status is not None:
            status(stage, trainer.load_progress)

    trainer = Trainer(settings.unscheduled().replace(learning_rate=float(rates[0]), steps=steps), control,
                      dataset=dataset, status=on_stage)
    try:
        trainer.prepare()
    except LoadCancelled:
        return RangeTestResult(trainer.settings, "", "", start, end, steps,
                               status=RangeTestStatus.STOPPED)
    result = RangeTestResult(trainer.settings, trainer.record.engine, trainer.record.engine_version, start, end,
                             steps)
    lowest = math.inf
    for rate in rates:
        if not control.wait_for_turn():
            result.status = RangeTestStatus.STOPPED
            break
        trainer.set_learning_rate(float(rate))
        step = trainer.step()
        point = RangeTestPoint(step.step, step.learning_rate, step.train_loss, ema.update(step.train_loss))
        result.points.append(point)
        if on_point is not None:
            on_point(point)
        lowest = min(lowest, point.smoothed_loss)
        if trainer.record.status == "diverged" or not point.smoothed_loss <= blow_up * lowest:
            result.status = RangeTestStatus.BLOWN_UP
            break
    else:
        result.status = RangeTestStatus.FINISHED
    result.suggestions = suggestions(*_trimmed(result.points))
    return result


def range_test_figure(result: RangeTestResult):
    """A matplotlib Figure: loss and smoothed loss against the learning rate (log axis), suggestions marked."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    rates = [p.learning_rate for p in result.points]
    axes.plot(rates, [p.loss for p in result.points], color="C0", alpha=0.3, label="loss")
    axes.plot(rates, [p.smoothed_loss for p in result.points], color="C0", label="smoothed loss")
    for rule, colour in zip(Suggestion, ("C2", "C3", "C4", "C1")):
        rate = result.suggestions.get(rule)
        if rate is not None:
            axes.axvline(rate, color=colour, linestyle="--", label=f"{rule} {rate:.3g}")
    axes.set_xscale("log")
    finite = [value for p in result.points for value in (p.loss, p.smoothed_loss) if math.isfinite(value)]
    if finite and math.isfinite(result.points[0].smoothed_loss):   # as on screen: the blow-up would flatten the rest,
        axes.set_ylim(min(finite), PLOT_HEADROOM * result.points[0].smoothed_loss)   # and its margin went below 0
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
    write_output(path, data)
    return path
