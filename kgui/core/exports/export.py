"""Export run histories to CSV/JSON and loss plots to PNG/SVG, with no display needed.

Plots use ``matplotlib.figure.Figure`` with the Agg canvas (never pyplot), so they are safe
from worker threads and next to Qt. The format is chosen by the file extension.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from ..files import write_output
from ..runs import RunRecord

CSV_COLUMNS = ("run", "step", "train_loss", "val_loss", "accuracy", "learning_rate", "elapsed")
FORMATS = (".csv", ".json", ".png", ".svg")


def table_csv(columns, rows) -> str:
    """CSV text with a header row; None becomes an empty cell, numbers their repr (floats exactly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return repr(value.item() if hasattr(value, "item") else value)  # NumPy scalars as plain numbers


def history_csv(records) -> str:
    """Long-format CSV text: one row per run and step."""
    return table_csv(CSV_COLUMNS, ([record.id, step.step, step.train_loss, step.val_loss, step.accuracy,
                                    step.learning_rate, step.elapsed]
                                   for record in records for step in record.history))


def history_json(records) -> str:
    """JSON text: each run's metadata and full history (non-finite numbers become null)."""
    return json.dumps({"runs": [record.to_dict(with_history=True) for record in records]}, indent=2)


def loss_figure(records):
    """A matplotlib Figure of training (solid) and validation (dashed) loss, learning-rate changes marked."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    losses = []
    for index, record in enumerate(records):
        colour = f"C{index % 10}"
        steps = [s.step for s in record.history]
        train = [s.train_loss for s in record.history]
        axes.plot(steps, train, color=colour, label=f"{record.name} (train)")
        if any(s.val_loss is not None for s in record.history):
            val = [math.nan if s.val_loss is None else s.val_loss for s in record.history]
            axes.plot(steps, val, color=colour, linestyle="--", label=f"{record.name} (validation)")
            losses += val
        losses += train
        for step, rate in record.lr_changes:
            axes.axvline(step, color=colour, linestyle=":", linewidth=1)
            axes.annotate(f"lr {rate:g}", (step, 1), xycoords=("data", "axes fraction"), rotation=90,
                          va="top", ha="right", fontsize=8, color=colour)
    positive = [value for value in losses if 0 < value < math.inf]
    if positive and max(positive) / min(positive) > 100:
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.grid(True, alpha=0.3)
    if records:
        axes.legend(fontsize=8)
    return figure


def plot_bytes(records, fmt: str) -> bytes:
    """The loss plot encoded as ``fmt`` ("png" or "svg"); run names are plain text (no "$…$" math)."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        return figure_bytes(loss_figure(records), fmt)


def figure_bytes(figure, fmt: str) -> bytes:
    """A matplotlib Figure encoded as ``fmt`` ("png" or "svg") through the Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from .plain_ticks import plain_log_ticks

    FigureCanvasAgg(figure)
    plain_log_ticks(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    return buffer.getvalue()


def export_format(path, also: tuple[str, ...] = ()) -> str:
    """The format of ``path`` ("csv", "json", "png" or "svg"); ValueError for other extensions, listing these and
    ``also`` (the extensions the caller handles itself, e.g. ".py")."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot export to {path}: unknown extension {path.suffix or '(none)'!r}; "
                         f"use {', '.join((*FORMATS, *also))}")
    return suffix[1:]


def export(records: list[RunRecord], path) -> Path:
    """Write ``records`` to ``path`` as CSV, JSON, PNG or SVG by its extension.

    ValueError for an unknown extension; OSError naming the path when it cannot be written.
    """
    fmt = export_format(path)
    if fmt == "csv":
        data = history_csv(records)
    elif fmt == "json":
        data = history_json(records)
    else:
        data = plot_bytes(records, fmt)
    write_output(path, data)
    return Path(path)
