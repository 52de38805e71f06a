"""ExperimentSettings: one immutable value describing an experiment, with JSON and CLI-flag round trips."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

import numpy as np

from kgui import backend

from ..data import datasets
from .. import json_files
from ..training import models
from ..training.optimizers import HYPER_PARAMETERS, OPTIMIZERS, OptimizerConfig, in_float32, rounded_in_float32
from ..data.features import PLANE_FEATURES, InputFeatures
from ..training.schedules import SCHEDULE_PARAMETERS, SCHEDULES, RateSchedule, ScheduleConfig

MODELS = ("auto", *models.MODELS)

# Bounds of every numeric field, shared by the CLI, config files, stored runs and the window's widgets.
# learning_rate: any positive float32 (too large a rate diverges, which a run reports).
MAX_STEPS = 10_000_000          # 10 M steps: ~1 GB of history.csv and of steps in memory; 10x the old spin box
MAX_BATCH_SIZE = 2**31 - 1      # the largest a Qt spin box holds; a batch is also at most the training rows
MAX_SEED = 2**32 - 1            # numpy.random.RandomState takes 0 ... 2**32 - 1
MAX_VAL_FRACTION = 0.9
FLOAT32_MAX = float(np.finfo(np.float32).max)   # learning_rate, l1, l2: the engines compute in float32
OPTIMIZER_FIELDS = ("momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon")


def _settings_from_fields(cls, fields: dict):
    return cls(**fields)


@dataclass(frozen=True)
class ExperimentSettings(json_files.ReadFromJson):
    """What to train, on which engine, and how. ``validate()`` checks every field."""

    json_what: ClassVar[str] = "experiment settings"
    backend: str = "tensorflow"
    dataset: str = "linear"      # "otto" | "linear" | bundled name | path to a .csv
    dataset_options: dict = field(default_factory=dict)  # read-only after construction
    model: str = "auto"          # "auto" | "softmax" | "linear" | "mlp"
    learning_rate: float = 0.01
    steps: int = 200
    batch_size: int | None = None  # None = full batch
    val_fraction: float = 0.2
    seed: int = 0
    hidden: tuple[int, ...] = ()   # mlp: neurons of each hidden layer
    activation: str = "relu"       # mlp: of the hidden layers
    optimizer: str = "sgd"         # "sgd" | "rmsprop" | "adagrad" | "adam"; hyper-parameters below (Keras 2 defaults)
    momentum: float = 0.0          # sgd
    nesterov: bool = False         # sgd with momentum
    rho: float = 0.9               # rmsprop
    beta_1: float = 0.9            # adam
    beta_2: float = 0.999          # adam
    epsilon: float = 1e-7          # rmsprop, adagrad, adam
    l2: float = 0.0                # weight of Σ W² (weight matrices) added to the loss
    l1: float = 0.0                # weight of Σ |W| (weight matrices) added to the loss
    schedule: str = "constant"     # learning-rate schedule (kgui.core.training.schedules); its parameters below
    decay: float = 0.0             # Keras 2's lr / (1 + decay·iterations), with any schedule and optimizer
    drop: float = 0.5              # step schedule: the rate is multiplied by this ...
    every: int = 100               # ... every this many steps
    max_lr: float | None = None    # onecycle schedule: the peak rate
    features: tuple[str, ...] = ()  # 2-D sets: input features computed from x1, x2 (kgui.core.data.features); () = x1, x2
    polynomial_degree: int = 1     # other numeric datasets: 2 adds the squares and pairwise products of the columns
    data_seed: int | None = None   # 2-D sets: the seed their points are drawn with (None: seed)
    epochs: int | None = None      # when set: train this many epochs (passes over the training rows) instead of steps

    def __post_init__(self):
        object.__setattr__(self, "dataset_options", MappingProxyType(dict(self.dataset_options)))
        object.__setattr__(self, "hidden", tuple(self.hidden))
        object.__setattr__(self, "features", tuple(self.features))

    def __reduce__(self):
        """Pickled field by field (a worker process receives settings; a read-only mapping does not pickle)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["dataset_options"] = dict(self.dataset_options)
        return _settings_from_fields, (type(self), fields)

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["dataset_options"] = dict(self.dataset_options)
        data["hidden"] = list(self.hidden)
        data["features"] = list(self.features)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data) -> "ExperimentSettings":
        """Settings from a dict (or a saved run's run.json, or an export of one run: its settings); ValueError naming
        unknown keys or badly typed values, or saying that ``data`` is a sweep or an export of several runs."""
        if isinstance(data, dict) and "experiment" in data and "axes" in data:
            raise ValueError("this is a sweep (kgui sweep --config takes it), not one experiment's settings")
        if isinstance(data, dict) and set(data) == {"runs"} and isinstance(data["runs"], list):   # run --export x.json
            if len(data["runs"]) != 1 or not isinstance(data["runs"][0], dict):
                raise ValueError(f"this is an export of {len(data['runs'])} runs, not one experiment's settings: "
                                 "keep one run in it, or use the command `kgui runs show ID` prints")
            data = data["runs"][0]    # the run it holds: run it again
        if isinstance(data, dict) and "id" in data and isinstance(data.get("settings"), dict):
            data = data["settings"]   # a saved run's run.json: run it again
        json_files.checked_object(data, "experiment settings", _field_names(), "setting")
        values = {name: _coerced(name, value) for name, value in data.items()}
        return cls(**values)

    def replace(self, **changes) -> "ExperimentSettings":
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        """:class:`SettingError` (a ValueError) naming the first invalid field and its value."""
        with _about("backend"):
            backend.canonical_id(self.backend)
        with _about("dataset"):
            datasets.spec_for(self.dataset)
        with _about("dataset_options"):
            datasets.check_options(self.dataset, self.dataset_options)
        with _about("model"):
            if self.model not in MODELS:
                raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        with _about("hidden"):
            if self.model != "mlp" and self.hidden:
                raise ValueError(f"hidden layers need model mlp, not {self.model}")
            models.check_hidden(self.hidden)
        with _about("activation"):
            if self.activation not in models.ACTIVATIONS:
                raise ValueError(f"activation must be one of {', '.join(models.ACTIVATIONS)}, "
                                 f"got {self.activation!r}")
            if self.model != "mlp" and self.activation != ExperimentSettings.activation:
                raise ValueError(f"activation applies to model mlp only, not {self.model}")
        with _about("optimizer"):
            if self.optimizer not in OPTIMIZERS:
                raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        for name in OPTIMIZER_FIELDS:   # each alone (nesterov with its momentum), so a problem names its field
            with _about(name):
                alone = {name: getattr(self, name), **({"momentum": self.momentum} if name == "nesterov" else {})}
                OptimizerConfig(self.optimizer, **alone).validate()
        with _about("schedule"):
            self.schedule_config().validate(self.learning_rate)
        self.input_features().validate()
        generated = datasets.spec_for(self.dataset).group == datasets.DatasetGroup.TOY
        if self.features and not generated:
            raise ValueError(f"features {','.join(self.features)} are for the 2-D sets; {self.dataset} is not one "
                             "(polynomial_degree 2 adds squares and products to other datasets)")
        if self.data_seed is not None:
            _check_int("data_seed", self.data_seed, 0, MAX_SEED, "a non-negative integer (or null: the seed)")
            if not generated:
                raise ValueError(f"data_seed regenerates the 2-D sets; {self.dataset} is not generated")
        for name in ("l1", "l2"):
            with _about(name):
                _check_float(name, getattr(self, name), "a non-negative number", allow_zero=True)
        with _about("epochs"):
            if self.epochs is not None:
                _check_int("epochs", self.epochs, 1, MAX_STEPS, "at least 1 (or null to count steps)")
        with _about("learning_rate"):
            _check_float("learning_rate", self.learning_rate, "a positive number")
        with _about("steps"):
            _check_int("steps", self.steps, 1, MAX_STEPS, "at least 1")
        with _about("batch_size"):
            if self.batch_size is not None:
                _check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE, "at least 1 (or null for full batch)")
        with _about("val_fraction"):
            if not 0 <= self.val_fraction <= MAX_VAL_FRACTION:
                raise ValueError(f"val_fraction must be between 0 and {MAX_VAL_FRACTION}, got {self.val_fraction!r}")
        with _about("seed"):
            _check_int("seed", self.seed, 0, MAX_SEED, "a non-negative integer")
        with _about("optimizer"):
            self.optimizer_config().validate()

    def optimizer_config(self) -> OptimizerConfig:
        """The optimizer and its hyper-parameters."""
        return OptimizerConfig(self.optimizer, self.momentum, self.nesterov, self.rho, self.beta_1, self.beta_2,
                               self.epsilon)

    def schedule_config(self) -> ScheduleConfig:
        """The learning-rate schedule and its parameters."""
        return ScheduleConfig(self.schedule, self.decay, self.drop, self.every, self.max_lr)

    def input_features(self) -> InputFeatures:
        """The features the model gets, computed from the dataset's raw columns."""
        return InputFeatures(self.features, self.polynomial_degree)

    def load_dataset(self, progress=None, should_stop=None) -> datasets.Dataset:
        """This experiment's data: the dataset with its options, split, features and data seed (hooks: see
        :func:`kgui.core.data.datasets.load_dataset`)."""
        hooks = {name: hook for name, hook in (("progress", progress), ("should_stop", should_stop)) if hook}
        return datasets.load_dataset(self.dataset, self.dataset_options, self.val_fraction, self.seed, **hooks,
                                     inputs=self.input_features(), data_seed=self.data_seed)

    def unscheduled(self) -> "ExperimentSettings":
        """These settings at a constant learning rate (the range test sets the rate of each step itself)."""
        defaults = ExperimentSettings()
        return self.replace(**{name: getattr(defaults, name) for name in ("schedule", "decay", "drop", "every",
                                                                           "max_lr")})

    def rate_schedule(self) -> RateSchedule:
        """The rate of each of the ``steps`` steps (with ``epochs``, once a trainer has set ``steps`` from them)."""
        return RateSchedule(self.schedule_config(), self.learning_rate, self.steps)

    def planned_steps(self, n_train: int) -> int:
        """Parameter updates of the run: ``steps``, or ``epochs`` passes of full batches over ``n_train`` rows."""
        if self.epochs is None:
            return self.steps
        steps = self.epochs * steps_per_epoch(n_train, self.batch_size)
        if steps > MAX_STEPS:
            raise ValueError(f"epochs {self.epochs} make {steps:,} steps, more than the {MAX_STEPS:,} a run can have")
        return steps

    def describe_model(self, task: str) -> str:
        """``softmax · sgd``, ``mlp 64,32 relu · l2 0.0001 · adam`` ... for headers and labels."""
        model = self.resolved_model(task)
        if model == "mlp":
            model += f" {','.join(map(str, self.hidden)) or 'no hidden layer'} {self.activation}"
        penalties = [f"{name} {getattr(self, name):g}" for name in ("l1", "l2") if getattr(self, name)]
        parts = [model] + penalties + [self.optimizer_config().describe()]
        if self.schedule_config().scheduled:
            parts.append(self.schedule_config().describe())
        return " · ".join(parts)

    def resolved_model(self, task: str) -> str:
        """The model to train for ``task``: the explicit one, or softmax/linear for classification/regression."""
        if self.model != "auto":
            return self.model
        return "softmax" if task == "classification" else "linear"


class SettingError(ValueError):
    """A setting that cannot be used, in one line; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@contextlib.contextmanager
def _about(field: str):
    """ValueErrors raised in the block become :class:`SettingError`s of ``field``."""
    try:
        yield
    except SettingError:
        raise
    except ValueError as exc:
        raise SettingError(field, str(exc)) from None


_SET_BACK_TOGETHER = {"dataset": ("dataset_options",), "schedule": ("decay", "drop", "every", "max_lr")}


def usable_settings(settings: ExperimentSettings) -> tuple[ExperimentSettings, list[SettingError]]:
    """``settings`` with every value this version cannot use set back to its default, and what each one was.

    For settings saved elsewhere (a run or a window state written by another version): an engine, optimizer or
    activation this version does not know, steps above today's maximum, ... Loading them shows the rest and says
    what was left out; training them as they are must be refused, never done with the defaults under their name.
    """
    defaults, problems = ExperimentSettings(), []
    for _ in dataclasses.fields(ExperimentSettings):
        try:
            settings.validate()
            return settings, problems
        except SettingError as exc:
            problems.append(exc)
            fields = (exc.field, *_SET_BACK_TOGETHER.get(exc.field, ()))
            settings = settings.replace(**{name: getattr(defaults, name) for name in fields})
    settings.validate()
    return settings, problems


@functools.cache
def _field_names() -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(ExperimentSettings))


def _check_int(name: str, value, low: int, high: int, low_text: str) -> None:
    """ValueError unless ``value`` is an int in ``low ... high`` (``low_text`` says what is too small)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be {low_text}, got {value!r}")
    if value > high:
        raise ValueError(f"{name} must be at most {high:,}, got {value:,}")


def _check_float(name: str, value: float, positive_text: str, allow_zero: bool = False) -> None:
    """ValueError unless ``value`` is finite, positive (or zero) and fits float32, the engines' type."""
    if not (math.isfinite(value) and (value > 0 or allow_zero and value == 0)):
        raise ValueError(f"{name} must be {positive_text}, got {value!r}")
    if value > FLOAT32_MAX:
        raise ValueError(f"{name} must be at most {FLOAT32_MAX:.4g} (the largest float32), got {value:g}")
    if value > 0 and in_float32(value) == 0:
        raise ValueError(rounded_in_float32(name, value))


def steps_per_epoch(n_train: int, batch_size: int | None) -> int:
    """Full batches in one pass over the training rows (the rows left over wait for the next shuffle)."""
    return 1 if batch_size is None else max(1, n_train // batch_size)


def _coerced(name: str, value):
    """``value`` as the type field ``name`` holds; ValueError when it cannot be."""
    def fail(expected):
        return ValueError(f"{name} must be {expected}, got {value!r}")

    if name == "hidden":
        if isinstance(value, str):
            return parse_hidden(value)
        if not isinstance(value, (list, tuple)) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
            raise fail("a list of layer widths like [64, 32]")
        return tuple(value)
    if name == "features":
        if isinstance(value, str):
            return parse_features(value)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise fail("a list of feature names like [\"x1\", \"x1x2\"]")
        return tuple(value)
    if name == "nesterov":
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if name in ("backend", "dataset", "model", "activation", "optimizer", "schedule"):
        if not isinstance(value, str) or not value:
            raise fail("a non-empty string")
        return value
    if name == "dataset_options":
        if not isinstance(value, dict):
            raise fail("an object")
        return dict(value)
    if name in ("learning_rate", "val_fraction", "momentum", "rho", "beta_1", "beta_2", "epsilon", "l2",
                "l1", "decay", "drop") or (name == "max_lr" and value is not None):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        return float(value)
    if name in ("batch_size", "epochs", "max_lr", "data_seed") and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail("an integer")
    return value


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"64,32"`` → ``(64, 32)``; ``""`` → no hidden layer; ValueError for anything else."""
    parts = [part.strip() for part in str(text).replace(" ", ",").split(",") if part.strip()]
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"hidden must be layer widths like 64,32, got {text!r}")
    return tuple(int(part) for part in parts)


def parse_features(text: str) -> tuple[str, ...]:
    """``"x1,x2,x1x2"`` → ``("x1", "x2", "x1x2")`` (checked by validate())."""
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


def _hidden_flag(text: str) -> tuple[int, ...]:
    try:
        return parse_hidden(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser) -> None:
    """Experiment flags (all optional; unset flags keep the --config file's or the default values)."""
    parser.add_argument("--config", metavar="EXPERIMENT.json", help="start from the settings in this JSON file "
                                                                    "(or a 'kgui:…' experiment string)")
    parser.add_argument("--backend", help="tensorflow, theano, jax, torch, or 'all' installed engines")
    parser.add_argument("--dataset", help=f"{', '.join(datasets.BUILTIN_NAMES)}, or a path to a .csv file")
    parser.add_argument("--target", metavar="COLUMN", help="target column of a CSV dataset (default: the last one)")
    parser.add_argument("--task", choices=datasets.TASK_CHOICES, help="task of a CSV dataset (default: auto)")
    parser.add_argument("--data-path", metavar="FILE", help="the Otto train.csv(.gz) when not in the data folder")
    parser.add_argument("--noise", type=float, metavar="F", help="noise of a generated dataset (dataset option)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="dataset option, e.g. n=500 or noise=0.1 for linear (repeatable)")
    parser.add_argument("--model", choices=MODELS, help="auto: softmax for classification, linear for regression")
    parser.add_argument("--hidden", type=_hidden_flag, metavar="64,32", help="mlp: neurons of each hidden layer (0-4)")
    parser.add_argument("--activation", choices=models.ACTIVATIONS, help="mlp: activation of the hidden layers")
    parser.add_argument("--l2", type=float, metavar="F", help="L2 penalty on the weight matrices (default 0)")
    parser.add_argument("--l1", type=float, metavar="F", help="L1 penalty l1·Σ|W| on the weight matrices (default 0)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="update rule (Keras 2 semantics; default sgd)")
    parser.add_argument("--momentum", type=float, metavar="F", help="sgd momentum (default 0)")
    parser.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None,
                        help="sgd: Nesterov momentum")
    parser.add_argument("--rho", type=float, metavar="F", help="rmsprop decay (default 0.9)")
    parser.add_argument("--beta-1", type=float, metavar="F", help="adam (default 0.9)")
    parser.add_argument("--beta-2", type=float, metavar="F", help="adam (default 0.999)")
    parser.add_argument("--epsilon", type=float, metavar="F", help="rmsprop, adagrad, adam (default 1e-7)")
    parser.add_argument("--features", type=parse_features, metavar="x1,x2,…",
                        help=f"2-D sets: input features ({', '.join(PLANE_FEATURES)}; default x1,x2)")
    parser.add_argument("--polynomial-degree", type=int, metavar="N",
                        help="other numeric datasets: 2 adds the squares and pairwise products of the columns")
    parser.add_argument("--data-seed", type=int, metavar="N",
                        help="2-D sets: draw the points with this seed (default: --seed)")
    parser.add_argument("--lr", type=float, dest="learning_rate", metavar="F", help="learning rate")
    parser.add_argument("--schedule", choices=SCHEDULES, help="learning-rate schedule (default constant)")
    parser.add_argument("--decay", type=float, metavar="F", help="Keras 2's lr / (1 + decay·iterations) (default 0)")
    parser.add_argument("--drop", type=float, metavar="F", help="step schedule: multiply the rate by F (default 0.5)")
    parser.add_argument("--every", type=int, metavar="N", help="step schedule: ... every N steps (default 100)")
    parser.add_argument("--max-lr", type=float, metavar="F", help="onecycle schedule: the peak rate")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, metavar="N", help="number of parameter updates")
    length.add_argument("--epochs", type=int, metavar="N", help="number of passes over the training rows")
    parser.add_argument("--batch-size", type=int, metavar="N", help="mini-batch size (default: full batch)")
    parser.add_argument("--seed", type=int, metavar="N")
    parser.add_argument("--val-fraction", type=float, metavar="F", help="share of rows held out for validation")


_FIELD_FLAGS = ("dataset", "model", "learning_rate", "steps", "batch_size", "val_fraction", "seed", "hidden",
                "activation", "optimizer", "momentum", "nesterov", "rho", "beta_1", "beta_2", "epsilon", "l2",
                "epochs", "l1", "schedule", "decay", "drop", "every", "max_lr", "features", "polynomial_degree",
                "data_seed")


def arguments_given(args) -> bool:
    """Whether any :func:`add_arguments` flag was given."""
    return any(getattr(args, name) not in (None, []) for name in
               ("config", "backend", "target", "task", "data_path", "noise", "option", *_FIELD_FLAGS))


def from_arguments(args, backend_name: str | None = None,
                   base: ExperimentSettings | None = None) -> ExperimentSettings:
    """Settings from parsed :func:`add_arguments` flags over ``base``, else the --config file (or defaults),
    validated.

    Switching the dataset, model, optimizer or schedule drops the old one's options, hidden layers,
    hyper-parameters or schedule parameters; ``--steps`` replaces the file's ``epochs``.
    """
    settings = base or (_config(args.config) if args.config else ExperimentSettings())
    changes = {name: getattr(args, name) for name in _FIELD_FLAGS if getattr(args, name) is not None}
    if backend_name or args.backend:
        changes["backend"] = backend_name or args.backend
    if args.steps is not None:
        changes["epochs"] = None
    defaults = ExperimentSettings()
    model = changes.get("model", settings.model)
    if model != settings.model and model != "mlp":   # a file's own hidden layers on another model are refused
        for name in ("hidden", "activation"):
            changes.setdefault(name, getattr(defaults, name))
    optimizer = changes.get("optimizer", settings.optimizer)
    if optimizer != settings.optimizer:
        for name in OPTIMIZER_FIELDS:
            if name not in HYPER_PARAMETERS[optimizer]:
                changes.setdefault(name, getattr(defaults, name))
    schedule = changes.get("schedule", settings.schedule)
    if schedule != settings.schedule:
        for name in ("drop", "every", "max_lr"):
            if name not in SCHEDULE_PARAMETERS[schedule]:
                changes.setdefault(name, getattr(defaults, name))
    if args.dataset is not None and args.dataset != settings.dataset:
        options = {}
        if datasets.spec_for(args.dataset).group != datasets.DatasetGroup.TOY:
            changes.setdefault("features", ())
            changes.setdefault("data_seed", None)
    else:
        options = dict(settings.dataset_options)
    given: list[tuple[str, str, object]] = [
        (key, f"{flag} {value}", value) for key, flag, value in (
            ("target", "--target", args.target), ("task", "--task", args.task),
            ("path", "--data-path", args.data_path), ("noise", "--noise", args.noise)) if value is not None]
    for text in args.option:
        key, value = _parse_option(text)
        given.append((key, f"--option {text}", value))
    flag_of: dict[str, str] = {}   # a second flag for one option would drop the first silently
    for key, flag, value in given:
        if key in flag_of:
            raise ValueError(f"dataset option {key} is given twice ({flag_of[key]} and {flag}): give it once")
        flag_of[key] = flag
        options[key] = value
    settings = settings.replace(dataset_options=options, **changes)
    settings.validate()
    return settings


def _config(source: str) -> ExperimentSettings:
    """The settings of a --config JSON file or ``kgui:`` string."""
    from . import experiment_strings

    if experiment_strings.is_experiment_string(source):
        return experiment_strings.decode(source)[0]
    return ExperimentSettings.load(source)


def _parse_option(text: str) -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--option must look like KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw
