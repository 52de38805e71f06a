"""ExperimentSettings: one immutable value describing an experiment, with JSON and CLI-flag round trips."""
from __future__ import annotations

import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from kgui import backend

from . import datasets

MODELS = ("auto", "softmax", "linear")

# Bounds of every numeric field, shared by the CLI, config files, stored runs and the window's widgets.
# learning_rate: any positive finite float (too large a rate diverges, which a run reports).
MAX_STEPS = 10_000_000          # 10 M steps: ~1 GB of history.csv and of steps in memory; 10x the old spin box
MAX_BATCH_SIZE = 2**31 - 1      # the largest a Qt spin box holds; a batch is also at most the training rows
MAX_SEED = 2**32 - 1            # numpy.random.RandomState takes 0 ... 2**32 - 1
MAX_VAL_FRACTION = 0.9


@dataclass(frozen=True)
class ExperimentSettings:
    """What to train, on which engine, and how. ``validate()`` checks every field."""

    backend: str = "tensorflow"
    dataset: str = "linear"      # "otto" | "linear" | bundled name | path to a .csv
    dataset_options: dict = field(default_factory=dict)  # read-only after construction
    model: str = "auto"          # "auto" | "softmax" | "linear"
    learning_rate: float = 0.01
    steps: int = 200
    batch_size: int | None = None  # None = full batch
    val_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "dataset_options", MappingProxyType(dict(self.dataset_options)))

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["dataset_options"] = dict(self.dataset_options)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data) -> "ExperimentSettings":
        """Settings from a dict; ValueError naming unknown keys or badly typed values."""
        if not isinstance(data, dict):
            raise ValueError(f"experiment settings must be a JSON object, got {type(data).__name__}")
        known = _field_names()
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}")
        values = {name: _coerced(name, value) for name, value in data.items()}
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> "ExperimentSettings":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"experiment settings are not valid JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, path) -> "ExperimentSettings":
        """Settings from a JSON file; ValueError/OSError naming the file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"{path}: not a UTF-8 JSON file") from None
        except OSError as exc:
            raise OSError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            return cls.from_json(text)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None

    def replace(self, **changes) -> "ExperimentSettings":
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        """ValueError naming the first invalid field and its value."""
        backend.canonical_name(self.backend)
        datasets.check_options(self.dataset, self.dataset_options)
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate!r}")
        _check_int("steps", self.steps, 1, MAX_STEPS, "at least 1")
        if self.batch_size is not None:
            _check_int("batch_size", self.batch_size, 1, MAX_BATCH_SIZE, "at least 1 (or null for full batch)")
        if not 0 <= self.val_fraction <= MAX_VAL_FRACTION:
            raise ValueError(f"val_fraction must be between 0 and {MAX_VAL_FRACTION}, got {self.val_fraction!r}")
        _check_int("seed", self.seed, 0, MAX_SEED, "a non-negative integer")

    def resolved_model(self, task: str) -> str:
        """The model to train for ``task``: the explicit one, or softmax/linear for classification/regression."""
        if self.model != "auto":
            return self.model
        return "softmax" if task == "classification" else "linear"


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


def _coerced(name: str, value):
    """``value`` as the type field ``name`` holds; ValueError when it cannot be."""
    def fail(expected):
        return ValueError(f"{name} must be {expected}, got {value!r}")

    if name in ("backend", "dataset", "model"):
        if not isinstance(value, str) or not value:
            raise fail("a non-empty string")
        return value
    if name == "dataset_options":
        if not isinstance(value, dict):
            raise fail("an object")
        return dict(value)
    if name in ("learning_rate", "val_fraction"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("a number")
        return float(value)
    if name == "batch_size" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail("an integer")
    return value


def add_arguments(parser) -> None:
    """Experiment flags (all optional; unset flags keep the --config file's or the default values)."""
    parser.add_argument("--config", metavar="EXPERIMENT.json", help="start from the settings in this JSON file")
    parser.add_argument("--backend", help="tensorflow, theano, jax, torch, or 'all' installed engines")
    parser.add_argument("--dataset", help=f"{', '.join(datasets.BUILTIN_NAMES)}, or a path to a .csv file")
    parser.add_argument("--target", metavar="COLUMN", help="target column of a CSV dataset (default: the last one)")
    parser.add_argument("--task", choices=datasets.TASK_CHOICES, help="task of a CSV dataset (default: auto)")
    parser.add_argument("--data-path", metavar="FILE", help="the Otto train.csv(.gz) when not in the data folder")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="dataset option, e.g. n=500 or noise=0.1 for linear (repeatable)")
    parser.add_argument("--model", choices=MODELS)
    parser.add_argument("--lr", type=float, dest="learning_rate", metavar="F", help="learning rate")
    parser.add_argument("--steps", type=int, metavar="N", help="number of parameter updates")
    parser.add_argument("--batch-size", type=int, metavar="N", help="mini-batch size (default: full batch)")
    parser.add_argument("--seed", type=int, metavar="N")
    parser.add_argument("--val-fraction", type=float, metavar="F", help="share of rows held out for validation")


def arguments_given(args) -> bool:
    """Whether any :func:`add_arguments` flag was given."""
    return any(getattr(args, name) not in (None, []) for name in
               ("config", "backend", "dataset", "target", "task", "data_path", "option", "model", "learning_rate",
                "steps", "batch_size", "seed", "val_fraction"))


def from_arguments(args, backend_name: str | None = None) -> ExperimentSettings:
    """Settings from parsed :func:`add_arguments` flags over the --config file (or defaults), validated."""
    settings = ExperimentSettings.load(args.config) if args.config else ExperimentSettings()
    changes = {name: getattr(args, name) for name in
               ("dataset", "model", "learning_rate", "steps", "batch_size", "val_fraction", "seed")
               if getattr(args, name) is not None}
    if backend_name or args.backend:
        changes["backend"] = backend_name or args.backend
    if args.dataset is not None and args.dataset != settings.dataset:
        options = {}
    else:
        options = dict(settings.dataset_options)
    for key, flag in (("target", args.target), ("task", args.task), ("path", args.data_path)):
        if flag is not None:
            options[key] = flag
    options.update(_parse_option(text) for text in args.option)
    settings = settings.replace(dataset_options=options, **changes)
    settings.validate()
    return settings


def _parse_option(text: str) -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--option must look like KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw
