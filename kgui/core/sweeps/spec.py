"""A sweep: one experiment plus axes, expanded into trials (each a normal run's settings and its axis values).

- Any :class:`ExperimentSettings` field can be an axis (``learning_rate``, ``optimizer``, ``hidden``, ``seed``...), and
  so can an option of the experiment's dataset (``noise``). ``lr`` is short for ``learning_rate``.
- **Grid**: every combination of the axes' values. **Random**: ``trials`` draws, each axis from its values or its
  range (log-uniform for rates and for the axes named in ``log``). **TPE**: Optuna's sampler through its
  ask-and-tell interface (:mod:`.tpe`), when optuna is installed.
- ``seeds`` K repeats each configuration with the seeds ``experiment.seed`` … ``experiment.seed + K - 1``.
- More than :data:`MAX_TRIALS` trials is refused in one line.
"""
from __future__ import annotations

import dataclasses
import json
import math
import random
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import product
from typing import ClassVar

from .. import json_files
from ..runs import RunRecord
from ..training.optimizers import HYPER_PARAMETERS
from ..experiment.settings import ExperimentSettings

MAX_TRIALS = 10_000
ALIASES = {"lr": "learning_rate", "batch": "batch_size"}
LOG_BY_DEFAULT = frozenset({"learning_rate", "epsilon"})   # ranges drawn log-uniform unless said otherwise
INTEGER_FIELDS = frozenset({"steps", "batch_size", "seed", "epochs"})
AXIS_FIELDS = frozenset(f.name for f in dataclasses.fields(ExperimentSettings)) - {"dataset_options"}
SWEEP_KEYS = frozenset({"experiment", "axes", "method", "trials", "seeds", "metric", "sample_seed", "name"})  # its JSON


class SweepMethod(StrEnum):
    GRID = "grid"        # every combination
    RANDOM = "random"    # ``trials`` independent draws
    TPE = "tpe"          # Optuna's TPE sampler, ``trials`` asked one after another (ask-and-tell)


class Metric(StrEnum):
    """What ranks the trials: a loss (lower is better) or the validation accuracy (higher is better)."""

    FINAL_VAL_LOSS = "final_val_loss"
    BEST_VAL_LOSS = "best_val_loss"
    FINAL_TRAIN_LOSS = "final_train_loss"
    BEST_TRAIN_LOSS = "best_train_loss"
    FINAL_ACCURACY = "final_accuracy"

    @property
    def higher_is_better(self) -> bool:
        return self is Metric.FINAL_ACCURACY

    @property
    def label(self) -> str:
        """The metric as people read it ("Final validation loss"); the value is its name in flags and files."""
        return METRIC_LABELS[self]

    def of(self, record: RunRecord | None) -> float | None:
        """The metric of a run (its history, else its summary: its best losses, its last step); None when it has
        none."""
        if record is None:
            return None
        if not record.history:
            best = {Metric.BEST_TRAIN_LOSS: record.summary.best_train_loss,
                    Metric.BEST_VAL_LOSS: record.summary.best_val_loss}.get(self)
            if best is not None:
                return best
        steps = record.history or ([record.summary.last] if record.summary.last is not None else [])
        if self in (Metric.FINAL_VAL_LOSS, Metric.BEST_VAL_LOSS):
            values = [step.val_loss for step in steps if step.val_loss is not None]
        elif self is Metric.FINAL_ACCURACY:
            values = [step.accuracy for step in steps if step.accuracy is not None]
        else:
            values = [step.train_loss for step in steps]
        values = [value for value in values if math.isfinite(value)]
        if not values:
            return None
        return min(values) if self.name.startswith("BEST") else values[-1]


METRIC_LABELS = {Metric.FINAL_VAL_LOSS: "Final validation loss", Metric.BEST_VAL_LOSS: "Best validation loss",
                 Metric.FINAL_TRAIN_LOSS: "Final training loss", Metric.BEST_TRAIN_LOSS: "Best training loss",
                 Metric.FINAL_ACCURACY: "Accuracy"}


def canonical_axis_name(name: str) -> str:
    return ALIASES.get(name.strip(), name.strip())


@dataclass(frozen=True)
class Axis:
    """One hyper-parameter of a sweep: a list of ``values``, or a range ``low`` … ``high`` (random and TPE only)."""

    name: str                      # an ExperimentSettings field or a dataset option
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    log: bool | None = None        # None: log-uniform for rates (LOG_BY_DEFAULT)

    @property
    def is_range(self) -> bool:
        return self.low is not None

    @property
    def log_scale(self) -> bool:
        return self.name in LOG_BY_DEFAULT if self.log is None else self.log

    @property
    def integer(self) -> bool:
        return self.name in INTEGER_FIELDS

    def check(self) -> None:
        """ValueError naming what is wrong with this axis on its own."""
        if self.is_range == bool(self.values):
            raise ValueError(f"axis {self.name}: give either values or a range low:high")
        if self.is_range:
            if not (isinstance(self.low, (int, float)) and isinstance(self.high, (int, float))
                    and math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
                raise ValueError(f"axis {self.name}: a range needs finite numbers low < high, got "
                                 f"{self.low!r}:{self.high!r}")
            if self.log_scale and self.low <= 0:
                raise ValueError(f"axis {self.name}: a log range needs low > 0, got {self.low:g}")
        elif len(set(map(_key, self.values))) != len(self.values):
            raise ValueError(f"axis {self.name}: a value is given twice")

    def draw(self, rng: random.Random):
        """A value of a random trial."""
        if not self.is_range:
            return self.values[rng.randrange(len(self.values))]
        if self.log_scale:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        else:
            value = rng.uniform(self.low, self.high)
        return round(value) if self.integer else value

    def to_dict(self) -> dict:
        data: dict = {"name": self.name}
        if self.is_range:
            data.update(low=self.low, high=self.high)
        else:
            data["values"] = [list(value) if isinstance(value, tuple) else value for value in self.values]
        if self.log is not None:
            data["log"] = self.log
        return data

    @classmethod
    def from_dict(cls, data) -> "Axis":
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise ValueError(f"an axis must be an object with a name, got {data!r:.60}")
        unknown = sorted(set(data) - {"name", "values", "low", "high", "log"})
        if unknown:
            raise ValueError(f"axis {data['name']}: unknown key(s) {', '.join(unknown)}")
        values = data.get("values", [])
        if not isinstance(values, list):
            raise ValueError(f"axis {data['name']}: values must be a list")
        log = data.get("log")
        if log is not None and not isinstance(log, bool):
            raise ValueError(f"axis {data['name']}: log must be true or false")
        return cls(canonical_axis_name(data["name"]), tuple(tuple(v) if isinstance(v, list) else v for v in values),
                   data.get("low"), data.get("high"), log)


def _key(value):
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: its settings, and the values that set it apart (axis name -> value)."""

    index: int                     # 0-based, in the order the trials were made
    settings: ExperimentSettings
    values: dict = field(default_factory=dict)

    def label(self) -> str:
        """``learning_rate 0.01 · optimizer adam · seed 1``."""
        return " · ".join(f"{name} {format_value(value)}" for name, value in self.values.items())


def format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value)) or "none"
    return str(value)


@dataclass(frozen=True)
class SweepSpec(json_files.ReadFromJson):
    """An experiment and its axes, and how to go through them."""

    json_what: ClassVar[str] = "the sweep"
    experiment: ExperimentSettings
    axes: tuple[Axis, ...] = ()
    method: SweepMethod = SweepMethod.GRID
    trials: int | None = None      # random and TPE: how many configurations
    seeds: int = 1                 # each configuration with this many seeds
    metric: Metric = Metric.FINAL_VAL_LOSS
    sample_seed: int = 0           # random and TPE draws
    name: str = ""

    # -- checking and counting -------------------------------------------------------------------------------------

    def validate(self) -> None:
        """ValueError, one line, for the first problem: a bad axis, method, count or trial."""
        self.experiment.validate()
        if not self.axes and self.seeds == 1:
            raise ValueError("a sweep needs at least one axis (--grid, --range) or --seeds 2 or more")
        names = [axis.name for axis in self.axes]
        for axis in self.axes:
            if axis.name not in AXIS_FIELDS and axis.name not in self.experiment_dataset_options():
                raise ValueError(f"{axis.name!r} is neither an experiment setting nor an option of dataset "
                                 f"{self.experiment.dataset}; settings: {', '.join(sorted(AXIS_FIELDS))}")
            if names.count(axis.name) > 1:
                raise ValueError(f"axis {axis.name} is given twice")
            axis.check()
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a positive integer, got {self.seeds!r}")
        if isinstance(self.sample_seed, bool) or not isinstance(self.sample_seed, int) \
                or not 0 <= self.sample_seed < 2 ** 32:
            raise ValueError(f"sample_seed must be a whole number from 0 to 2**32 - 1, got {self.sample_seed!r}")
        if self.seeds > 1 and "seed" in names:
            raise ValueError("seed is an axis already: drop --seeds or the seed axis")
        if self.method is SweepMethod.GRID:
            ranges = [axis.name for axis in self.axes if axis.is_range]
            if ranges:
                raise ValueError(f"a grid needs values, not a range, for {', '.join(ranges)} (or use --random N)")
            if self.trials is not None:
                raise ValueError("a grid makes every combination; a trial count is for random and TPE sweeps")
        elif isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            raise ValueError(f"a {self.method} sweep needs a positive number of trials, got {self.trials!r}")
        count = self.count()
        if count > MAX_TRIALS:
            raise ValueError(f"a sweep of {count:,} trials is more than the {MAX_TRIALS:,} allowed: use fewer values, "
                             "seeds or trials")

    def experiment_dataset_options(self) -> frozenset[str]:
        from ..data.datasets import DatasetError, spec_for

        try:
            return frozenset(option.name for option in spec_for(self.experiment.dataset).options)
        except DatasetError:
            return frozenset()

    def count(self) -> int:
        """How many trials the sweep makes."""
        if self.method is SweepMethod.GRID:
            return math.prod(len(axis.values) for axis in self.axes) * self.seeds
        return (self.trials or 0) * self.seeds

    # -- trials ----------------------------------------------------------------------------------------------------

    def configurations(self) -> list[dict]:
        """Each configuration's axis values (grid or random; TPE asks them one by one)."""
        if self.method is SweepMethod.GRID:
            names = [axis.name for axis in self.axes]
            return [dict(zip(names, values)) for values in product(*(axis.values for axis in self.axes))]
        if self.method is SweepMethod.RANDOM:
            rng = random.Random(self.sample_seed)
            return [{axis.name: axis.draw(rng) for axis in self.axes} for _ in range(self.trials)]
        raise ValueError("a TPE sweep's configurations come from Optuna as trials end (kgui.core.sweeps.tpe)")

    def expand(self) -> list[Trial]:
        """Every trial of a grid or random sweep, validated; ValueError naming the first invalid one."""
        self.validate()
        trials = []
        for values in self.configurations():
            trials += self.trials_of(values, len(trials))
        return trials

    def trials_of(self, values: dict, first_index: int) -> list[Trial]:
        """The ``seeds`` trials of one configuration, numbered from ``first_index``."""
        trials = []
        for offset in range(self.seeds):
            tagged = dict(values)
            if self.seeds > 1:
                tagged["seed"] = self.experiment.seed + offset
            trials.append(Trial(first_index + offset, self.settings_for(tagged), tagged))
        return trials

    def settings_for(self, values: dict) -> ExperimentSettings:
        """The experiment with ``values`` applied (an optimizer or model switch drops what no longer applies)."""
        base = self.experiment
        data = base.to_dict()
        options = dict(base.dataset_options)
        for name, value in values.items():
            if name in AXIS_FIELDS:
                data[name] = list(value) if isinstance(value, tuple) else value
            else:
                options[name] = value
        data["dataset_options"] = options
        defaults = ExperimentSettings()
        applies = HYPER_PARAMETERS.get(data["optimizer"]) if isinstance(data["optimizer"], str) else None
        if applies is not None and data["optimizer"] != base.optimizer:   # an unknown one: validate() names it
            for name in ("momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon"):
                if name not in applies and name not in values:
                    data[name] = getattr(defaults, name)
        if data["model"] != "mlp":
            for name in ("hidden", "activation"):
                if name not in values:
                    data[name] = getattr(defaults, name)
        label = ", ".join(f"{name}={format_value(value)}" for name, value in values.items())
        try:
            settings = ExperimentSettings.from_dict(data)
            settings.validate()
        except (ValueError, LookupError) as exc:
            raise ValueError(f"trial {label}: {exc}") from None
        return settings

    # -- JSON --------------------------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        data = {"experiment": self.experiment.to_dict(), "axes": [axis.to_dict() for axis in self.axes],
                "method": str(self.method), "seeds": self.seeds, "metric": str(self.metric),
                "sample_seed": self.sample_seed}
        if self.trials is not None:
            data["trials"] = self.trials
        if self.name:
            data["name"] = self.name
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data) -> "SweepSpec":
        """A sweep from JSON values; ValueError naming what is wrong (not validated: call :meth:`validate`)."""
        json_files.checked_object(data, "a sweep", SWEEP_KEYS, "sweep key")
        axes = data.get("axes", [])
        if not isinstance(axes, list):
            raise ValueError("axes must be a list")
        try:
            method = SweepMethod(data.get("method", "grid"))
        except ValueError:
            raise ValueError(f"method must be one of {', '.join(SweepMethod)}, got {data.get('method')!r}") from None
        try:
            metric = Metric(data.get("metric", Metric.FINAL_VAL_LOSS))
        except ValueError:
            raise ValueError(f"metric must be one of {', '.join(Metric)}, got {data.get('metric')!r}") from None
        name = data.get("name", "")
        if not isinstance(name, str):
            raise ValueError("name must be a string")
        return cls(ExperimentSettings.from_dict(data.get("experiment", {})), tuple(map(Axis.from_dict, axes)),
                   method, data.get("trials"), data.get("seeds", 1), metric, data.get("sample_seed", 0), name)


def parse_values(name: str, text: str) -> tuple:
    """``--grid NAME=a,b,c`` values as JSON numbers/booleans where they parse, else strings; ``hidden`` takes
    ``8,8/16`` (layer lists separated by ``/``)."""
    if name == "hidden":
        try:
            return tuple(tuple(int(width) for width in part.split(",") if width.strip()) for part in text.split("/"))
        except ValueError:
            raise ValueError(f"--grid hidden takes layer widths like 8,8/16 (whole numbers), got {text!r}") from None
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"--grid {name}: an empty value in {text!r}")
        try:
            values.append(json.loads(part))
        except json.JSONDecodeError:
            values.append(part)
    return tuple(values)


def parse_assignment(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(f"{flag} must look like NAME=VALUES, got {text!r}")
    return canonical_axis_name(name), value


def parse_range(text: str) -> tuple[str, float, float]:
    """``lr=1e-4:1`` -> ("learning_rate", 1e-4, 1.0)."""
    name, value = parse_assignment(text, "--range")
    low, sep, high = value.partition(":")
    try:
        return name, float(low), float(high)
    except ValueError:
        raise ValueError(f"--range {name} must look like LOW:HIGH with numbers, got {value!r}") from None

