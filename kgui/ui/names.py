"""What a person reads about engines, datasets and runs: "TensorFlow 2.21.0", "Otto Group", never the ids
("tensorflow", "otto") that settings, run files and exports keep."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from kgui.core.experiment.setting_labels import setting_labels
from kgui.core.sweeps.spec import Metric
from kgui.core.training.engines import engine_label, engine_title
from kgui.core.runs import RunRecord, SweepTag
from kgui.core.runs.names import default_name, earlier_default_name
from kgui.core.experiment.settings import steps_per_epoch as settings_steps_per_epoch

from .datasets import short_title

MAX_RATES_SHOWN = 3     # a label lists at most this many learning rates: first → … → last


def run_engine_label(record: RunRecord) -> str:
    """The engine a run trained on, with the version it used ("—" when its file cannot tell)."""
    if not record.readable:
        return "—"
    return engine_label(record.engine or record.settings.backend, record.engine_version)


@cache
def dataset_title(dataset: str) -> str:
    """A few words for a dataset (built-in id or CSV path): "Otto Group", "Linear", "points.csv"."""
    return short_title(dataset).split(":")[0]


@cache
def column_title(name: str) -> str:
    """A sweep's column as people read it: a metric's label ("Final validation loss"), a setting's title
    ("Learning rate"), else the name with spaces ("Noise", "Status"); exports keep the names."""
    if name in list(Metric):
        return Metric(name).label
    titles = {label.name: label.title for label in setting_labels()}
    return titles.get(name, name.replace("_", " ").capitalize())


def value_title(name: str, text: str) -> str:
    """A sweep's value of column ``name`` as people read it: an engine's title ("JAX", not "jax"), a dataset's
    ("Otto Group"); other values as they are. Exports keep the ids."""
    if name == "backend":
        return engine_title(text)
    if name == "dataset":
        return dataset_title(text)
    return text


def rates_text(rates) -> str:
    """"0.5 → 0.1": a run's learning rates in order, the middle ones elided when there are many."""
    texts = [f"{rate:.3g}" for rate in rates]
    if len(texts) > MAX_RATES_SHOWN:
        texts = [texts[0], "…", texts[-1]]
    return " → ".join(texts)


def has_default_name(record: RunRecord) -> bool:
    """True when the run still has the name it was created with (the user did not rename it): today's default
    or the one older versions gave ("otto · tensorflow · lr 0.1")."""
    settings = record.settings
    older = f"{Path(settings.dataset).name} · {settings.backend} · lr {settings.learning_rate:g}"
    return record.name in (default_name(settings), older,
                           f"{earlier_default_name(settings)} · lr {settings.learning_rate:g}")


def run_title(record: RunRecord) -> str:
    """The run for a person: its own name when the user gave one, else "TensorFlow · Otto Group" (its default
    name without the rate, which the legend adds as it changes)."""
    if not record.readable:
        return f"{record.id} (unreadable)"
    if not has_default_name(record):
        return record.name
    return default_name(record.settings, with_rate=False)


def plot_placement(record: RunRecord) -> dict:
    """LossPlot.add_run's keywords for a run: its first learning rate, its dataset's panel, its steps per epoch
    (None when the run was saved without its training rows), its learning-rate schedule and its sweep, if any."""
    if not record.readable:
        return {}
    per_epoch = None if record.train_rows is None else settings_steps_per_epoch(record.train_rows,
                                                                                 record.settings.batch_size)
    return {"rate": record.settings.learning_rate, "dataset": record.settings.dataset,
            "dataset_title": dataset_title(record.settings.dataset), "steps_per_epoch": per_epoch,
            "schedule": record.settings.rate_schedule() if record.settings.schedule_config().scheduled else None,
            "sweep": SweepTag(record.sweep_id, record.sweep_values) if record.sweep_id else None}
