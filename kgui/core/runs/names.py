"""The names a new run gets for people, today's and the earlier scheme's (which still count as default names)."""
from __future__ import annotations

import unicodedata

from ..training import engines
from ..experiment import setting_labels
from ..experiment.settings import ExperimentSettings

MAX_NAME_CHARS = 200   # a longer name (a sweep --name pasted from a file) is cut, with "…"


def printable(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """``text`` safe to show on one line of a terminal or a table: tabs and line breaks become spaces, other control
    and format characters (escape sequences, NUL, direction overrides) "\ufffd", and more than ``limit`` characters are cut with "…"."""
    cleaned = "".join(" " if ch in "\t\n\r" else "\ufffd" if unicodedata.category(ch) in ("Cc", "Cf", "Cs") else ch
                      for ch in text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit - 1] + "…"


def terminal_line(text) -> str:
    """``text`` whole, as one line of a terminal: line breaks shown as ``\\n`` and ``\\r``, other control characters
    as "\ufffd" (a file's or run's name in a message)."""
    text = str(text).replace("\r", "\\r").replace("\n", "\\n")
    return printable(text, limit=len(text) + 1)


def default_name(settings: ExperimentSettings, with_rate: bool = True) -> str:
    """A new run's name for people: engine, dataset, every setting that differs from its default, and the rate:
    "TensorFlow · Otto Group · lr 0.1", "TensorFlow · Otto Group · SGD momentum 0.9 nesterov · L2 0.0001 · 100
    steps · lr 0.01" (:func:`setting_labels.name_parts`)."""
    rate = [f"lr {settings.learning_rate:g}"] if with_rate else []
    return " · ".join([*setting_labels.name_parts(settings), *rate])

def earlier_default_name(settings: ExperimentSettings) -> str:
    """The name versions before every differing setting was named gave a new run (without its rate): the
    engine, the dataset, an MLP's layers and the optimizer when not SGD."""
    model = f"MLP {','.join(map(str, settings.hidden))}".strip() if settings.model == "mlp" else ""
    optimizer = {"rmsprop": "RMSprop", "adagrad": "Adagrad", "adam": "Adam"}.get(settings.optimizer, "")
    parts = [engines.engine_title(settings.backend), setting_labels.dataset_title(settings.dataset), model, optimizer]
    return " · ".join(part for part in parts if part)
