"""Experiment settings as people read them: a title and a cell text for every ExperimentSettings field (the runs
table's setting columns, ``kgui runs list --columns``), and the parts of a run's default name, which show every
field that differs from its default.

A field kgui adds later is shown too, by its name and value, until it gets a label of its own here.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..data import datasets
from ..training import engines
from .settings import OPTIMIZER_FIELDS, ExperimentSettings

OPTIMIZER_TITLES = {"sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}
_DEFAULTS = ExperimentSettings()


def _number(value) -> str:
    return "-" if value is None else f"{value:g}"


def _plain(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        return ",".join(map(_plain, value))
    if isinstance(value, dict) or hasattr(value, "items"):
        return " ".join(f"{key}={_plain(item)}" for key, item in value.items()) or "-"
    return str(value)


def dataset_title(name: str) -> str:
    """"Otto Group", "Linear", "houses.csv": the dataset as legends and names show it."""
    try:
        return (Path(name).name if datasets.is_file_name(name)
                else datasets.spec_for(name).short_title.split(":")[0])
    except datasets.DatasetError:     # a dataset this version does not know (a run saved by another one)
        return name


@dataclass(frozen=True)
class SettingLabel:
    """How one settings field reads: ``title`` heads its column, ``text(settings)`` fills a cell."""

    name: str                                   # the ExperimentSettings field
    title: str
    text: Callable[[ExperimentSettings], str]


_TITLES = {"backend": "Engine", "dataset": "Dataset", "dataset_options": "Dataset options", "model": "Model",
           "learning_rate": "Learning rate", "steps": "Steps", "batch_size": "Batch size",
           "val_fraction": "Validation share", "seed": "Seed", "hidden": "Hidden layers", "activation": "Activation",
           "optimizer": "Optimizer", "momentum": "Momentum", "nesterov": "Nesterov", "rho": "Rho",
           "beta_1": "Beta 1", "beta_2": "Beta 2", "epsilon": "Epsilon", "l2": "L2", "l1": "L1",
           "schedule": "Schedule", "decay": "Decay", "drop": "Drop", "every": "Every", "max_lr": "Max lr",
           "epochs": "Epochs"}
_TEXTS = {"backend": lambda s: engines.engine_title(s.backend),
          "dataset": lambda s: dataset_title(s.dataset),
          "optimizer": lambda s: OPTIMIZER_TITLES.get(s.optimizer, s.optimizer),
          "batch_size": lambda s: "full" if s.batch_size is None else str(s.batch_size),
          "hidden": lambda s: ",".join(map(str, s.hidden)) or "-",
          "max_lr": lambda s: _number(s.max_lr)}


def setting_labels() -> list[SettingLabel]:
    """A label for every ExperimentSettings field, in the fields' order."""
    return [SettingLabel(f.name, _TITLES.get(f.name, f.name.replace("_", " ").capitalize()),
                         _TEXTS.get(f.name, lambda settings, name=f.name: _plain(getattr(settings, name))))
            for f in dataclasses.fields(ExperimentSettings)]


def label_for(name: str) -> SettingLabel:
    """The label of field ``name``; ValueError naming the fields there are."""
    labels = {label.name: label for label in setting_labels()}
    if name not in labels:
        raise ValueError(f"unknown setting {name!r}; settings: {', '.join(labels)}")
    return labels[name]


_NAMING_THEMSELVES = {"backend", "dataset", "optimizer"}   # "JAX", "Otto Group", "Adam": no title needed


def value_words(name: str, settings: ExperimentSettings) -> str:
    """The value ``settings`` give field or dataset option ``name``, as people read it: "Learning rate 0.01", "Adam",
    "JAX", "Hidden layers 8,8", "Batch size full", "Seed 2", a dataset option's "Noise 0.1" (a sweep trial's axis
    values in its run's name)."""
    labels = {label.name: label for label in setting_labels()}
    if name in labels:
        label = labels[name]
        return label.text(settings) if name in _NAMING_THEMSELVES else f"{label.title} {label.text(settings)}"
    return f"{name.replace('_', ' ').capitalize()} {_plain(settings.dataset_options.get(name))}"


# -- default run names ------------------------------------------------------------------------------------------

def name_parts(settings: ExperimentSettings) -> list[str]:
    """The parts of a run's default name before its rate: engine, dataset, then each field that differs from its
    default, e.g. ["TensorFlow", "Otto Group", "SGD momentum 0.9 nesterov", "L2 0.0001", "100 steps"]."""
    parts = [engines.engine_title(settings.backend), dataset_title(settings.dataset)]
    shown = {"backend", "dataset", "learning_rate"}
    options = _changed_options(settings)
    if options:
        parts.append(options)
    shown.add("dataset_options")
    if settings.model not in (_DEFAULTS.model, _automatic_model(settings.dataset)):
        model = settings.model.upper() if settings.model == "mlp" else settings.model
        hidden = ",".join(map(str, settings.hidden))
        activation = settings.activation if settings.activation != _DEFAULTS.activation else ""
        parts.append(" ".join(filter(None, [model, hidden, activation])))
    elif settings.hidden or settings.activation != _DEFAULTS.activation:   # refused by validate(); named anyway
        parts.append(" ".join(filter(None, [",".join(map(str, settings.hidden)), settings.activation])))
    shown.update({"model", "hidden", "activation"})
    hyper = [_hyper_text(name, getattr(settings, name)) for name in OPTIMIZER_FIELDS
             if getattr(settings, name) != getattr(_DEFAULTS, name)]
    if settings.optimizer != _DEFAULTS.optimizer or hyper:
        parts.append(" ".join([OPTIMIZER_TITLES.get(settings.optimizer, settings.optimizer), *hyper]))
    shown.update({"optimizer", *OPTIMIZER_FIELDS})
    for name in ("l2", "l1"):
        if getattr(settings, name) != getattr(_DEFAULTS, name):
            parts.append(f"{name.upper()} {getattr(settings, name):g}")
    shown.update({"l2", "l1", "steps", "epochs"})
    for f in dataclasses.fields(ExperimentSettings):
        if f.name not in shown and getattr(settings, f.name) != getattr(_DEFAULTS, f.name):
            parts.append(_field_text(f.name, getattr(settings, f.name)))
    if settings.epochs is not None:
        parts.append(f"{settings.epochs} epochs")
    elif settings.steps != _DEFAULTS.steps:
        parts.append(f"{settings.steps} steps")
    return parts


def _automatic_model(dataset: str) -> str | None:
    """The model "auto" trains on ``dataset`` (naming it adds nothing); None when the data decides (CSV files)."""
    try:
        task = datasets.spec_for(dataset).task
    except datasets.DatasetError:
        return None
    return ExperimentSettings().resolved_model(task) if task is not None else None


def _hyper_text(name: str, value) -> str:
    if name == "nesterov":
        return "nesterov" if value else "no nesterov"
    return f"{name.replace('_', ' ')} {value:g}"


def _field_text(name: str, value) -> str:
    """``batch 16``, ``seed 4``, ``val 0.3``, ``schedule step``, ``decay 0.01``: one field in a name."""
    if name == "batch_size":
        return f"batch {value}"
    if name == "val_fraction":
        return f"val {value:g}"
    if name == "schedule":
        return f"{value} schedule"
    return f"{name.replace('_', ' ')} {_plain(value)}"


def _changed_options(settings: ExperimentSettings) -> str:
    """``noise 0.05, n 500``: the dataset options that differ from the dataset's defaults (paths left out)."""
    try:
        defaults = {option.name: option.default for option in datasets.spec_for(settings.dataset).options}
    except datasets.DatasetError:
        defaults = {}
    return ", ".join(f"{key} {_plain(value)}" for key, value in settings.dataset_options.items()
                     if key != "path" and value != defaults.get(key))
