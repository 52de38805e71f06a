"""Runs as TensorBoard event files, for people who already look at their experiments there.

Each run becomes a folder ``<run id>_<name>`` under the chosen directory (TensorBoard lists it as a run)
holding one event file, written with the ``tensorboard`` package's protos and record writer only (its
``EventFileWriter`` would import TensorFlow, seconds on a first use):

- scalars ``loss/training``, ``loss/validation``, ``accuracy/validation`` and ``learning_rate``, one event per
  step with that step's number and wall time (the run's start plus its ``elapsed`` seconds); stored as float32
  rank-0 tensors, as ``tf.summary.scalar`` writes them: TensorBoard's default data server (``--load_fast``)
  drops float64 scalars, so the dashboards stayed empty (the losses, computed in float32, are still exact);
- ``settings``: the experiment settings as JSON, with engine, status and dataset, as text (Markdown);
- with the run's layer statistics (:mod:`kgui.core.training.layer_stats`), at each sampled step: scalars
  ``gradient_norm/<parameter>``, ``update_ratio/<parameter>``, ``activation_mean/layer<i>``,
  ``activation_std/layer<i>``, ``dead_fraction/layer<i>``, and histograms ``activations/layer<i>`` (the sampled
  counts) and ``weights/<parameter>`` (the weights kept at that step).

- a sweep's trial (a run with ``sweep_values``): the HParams plugin's session start (its axis values as
  hyper-parameters, grouped by configuration so that the seeds of one are averaged) and session end (its status),
  so ``tensorboard --logdir`` shows the sweep in its HParams dashboard, with the scalars above as its metrics.

Exporting a run again replaces the event file kgui wrote for it before.
"""
from __future__ import annotations

import io
import json
import re
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..files import write_atomic
from ..training.layer_stats import LayerStatsHistory
from ..runs import RunRecord

SUFFIX = ".kgui"        # event files kgui writes end with this (and only those are replaced)
TAGS = {                # tag: StepRecord field
    "loss/training": "train_loss",
    "loss/validation": "val_loss",
    "accuracy/validation": "accuracy",
    "learning_rate": "learning_rate",
}
SETTINGS_TAG = "settings"
MAX_FOLDER_NAME = 120   # characters of a run's folder name: far below any file system's 255-byte limit


@dataclass
class Exported:
    """What an export wrote: each exported run's folder, and why each other run could not be exported."""

    folders: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)   # run id -> one line


def run_folder_name(record: RunRecord) -> str:
    """``<id>_<name>`` with anything but letters, digits, ``.-_`` replaced: one folder name on every system, the
    name cut to fit :data:`MAX_FOLDER_NAME` characters (the id keeps it unique)."""
    name = re.sub(r"[^\w.-]+", "_", record.name, flags=re.ASCII).strip("_")
    return f"{record.id}_{name}"[:MAX_FOLDER_NAME].rstrip("_.") if name else record.id


def start_time(record: RunRecord) -> float:
    """The run's creation time as seconds since the epoch (its steps' wall times count from there); ValueError
    when run.json's ``created`` is not a date."""
    try:
        return datetime.fromisoformat(record.created).timestamp()
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"its creation time {record.created!r} is not a date") from None


def valid_utf8(text: str) -> str:
    """``text`` as protobuf's strings must be: a path's bytes that are not UTF-8 (kept by Python as surrogates)
    become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _scalar_value(tag: str, value: float):
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                    float_val=[value])
    return summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)


def _text_value(tag: str, text: str):
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                    string_val=[valid_utf8(text).encode("utf-8")])
    return summary_pb2.Summary.Value(tag=tag, metadata=metadata, tensor=tensor)


def _histogram_value(tag: str, edges: np.ndarray, counts: np.ndarray, total: float, squares: float):
    """A histogram (TensorBoard's legacy histogram plugin): ``counts`` in the bins ending at ``edges[1:]``."""
    from tensorboard.compat.proto import summary_pb2

    histogram = summary_pb2.HistogramProto(min=float(edges[0]), max=float(edges[-1]), num=float(counts.sum()),
                                           sum=float(total), sum_squares=float(squares),
                                           bucket_limit=[float(edge) for edge in edges[1:]],
                                           bucket=[float(count) for count in counts])
    return summary_pb2.Summary.Value(tag=tag, histo=histogram)


def _values_histogram(tag: str, values: np.ndarray, bins: int = 30):
    """A histogram of ``values``' finite entries (None when there is none: a diverged run's weights); equal values
    get a bin width their size can hold (2e29 + 1e-6 is 2e29)."""
    values = np.asarray(values, np.float64).ravel()
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    low, high = float(values.min()), float(values.max())
    if not high > low:
        high = low + max(1e-6, abs(low) * 1e-6)
    counts, edges = np.histogram(values, bins, (low, high))
    return _histogram_value(tag, edges, counts, values.sum(), np.square(values).sum())


def layer_values(layers: LayerStatsHistory) -> dict[int, list]:
    """The layer statistics' summary values, by step."""
    names = layers.parameter_names
    snapshots = {snapshot.step: snapshot.weights for snapshot in layers.snapshots if snapshot.weights}
    by_step = {}
    for row, step in enumerate(layers.steps):
        values = []
        for i, name in enumerate(names):
            values.append(_scalar_value(f"gradient_norm/{name}", float(layers.gradient_norms[row][i])))
            ratio = float(layers.update_ratios[row][i])
            if np.isfinite(ratio):
                values.append(_scalar_value(f"update_ratio/{name}", ratio))
        low, high = layers.latest.histogram_range
        for layer in range(len(layers.activation_mean[row])):
            tag = f"layer{layer + 1}"
            values += [_scalar_value(f"activation_mean/{tag}", float(layers.activation_mean[row][layer])),
                       _scalar_value(f"activation_std/{tag}", float(layers.activation_std[row][layer])),
                       _scalar_value(f"dead_fraction/{tag}", float(layers.dead_fraction[row][layer]))]
            counts = np.asarray(layers.histograms[row][layer], np.float64)
            edges = np.linspace(low, high, len(counts) + 1)
            centres = (edges[:-1] + edges[1:]) / 2
            values.append(_histogram_value(f"activations/{tag}", edges, counts, (counts * centres).sum(),
                                           (counts * centres ** 2).sum()))
        for name, weights in zip(names, snapshots.get(step, ())):
            histogram = _values_histogram(f"weights/{name}", weights)
            if histogram is not None:
                values.append(histogram)
        by_step[step] = values
    return by_step


def _hparam_value(value):
    from google.protobuf import struct_pb2

    proto = struct_pb2.Value()
    if isinstance(value, bool):
        proto.bool_value = value
    elif isinstance(value, (int, float)):
        proto.number_value = float(value)
    elif isinstance(value, (list, tuple)):
        proto.string_value = valid_utf8(",".join(map(str, value)) or "none")
    else:
        proto.string_value = valid_utf8(str(value))
    return proto


def _hparams_summary(data) -> list:
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    tag = metadata.SESSION_START_INFO_TAG if data.HasField("session_start_info") else metadata.SESSION_END_INFO_TAG
    return [summary_pb2.Summary.Value(tag=tag, metadata=metadata.create_summary_metadata(data),
                                      tensor=metadata.NULL_TENSOR)]


def hparams_start(record: RunRecord, start: float) -> list:
    """A sweep trial's HParams session start: its axis values, grouped by configuration (the seed left out)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    group = {name: value for name, value in record.sweep_values.items() if name != "seed"}
    group_name = valid_utf8(f"{record.sweep_id} {json.dumps(group, sort_keys=True)}")
    info = plugin_data_pb2.SessionStartInfo(group_name=group_name, start_time_secs=start)
    for name, value in record.sweep_values.items():
        info.hparams[name].CopyFrom(_hparam_value(value))
    return _hparams_summary(plugin_data_pb2.HParamsPluginData(session_start_info=info))


def hparams_end(record: RunRecord, end: float) -> list:
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

    status = {"finished": api_pb2.STATUS_SUCCESS, "failed": api_pb2.STATUS_FAILURE,
              "diverged": api_pb2.STATUS_FAILURE}.get(str(record.status), api_pb2.STATUS_UNKNOWN)
    return _hparams_summary(plugin_data_pb2.HParamsPluginData(
        session_end_info=plugin_data_pb2.SessionEndInfo(status=status, end_time_secs=end)))


def settings_text(record: RunRecord) -> str:
    """Markdown shown in TensorBoard's Text tab: the run, its engine and status, and the settings as JSON."""
    engine = f"{record.engine or record.settings.backend} {record.engine_version}".strip()
    lines = [f"**{record.name}** (run {record.id})", "",
             f"engine: {engine} · status: {record.status} · steps: {len(record.history)}"]
    if record.dataset_info:
        lines.append(f"dataset: {record.dataset_info}")
    lines += ["", "```json", json.dumps(record.settings.to_dict(), indent=2), "```"]
    if record.lr_changes:
        lines += ["", "learning-rate changes: " + ", ".join(f"step {step}: {rate:g}" for step, rate in
                                                              record.lr_changes)]
    if record.weight_edits:
        lines += ["", "weights edited: " + ", ".join(edit.describe() for edit in record.weight_edits)]
    return "\n".join(lines)


def event_file_bytes(record: RunRecord, layers: LayerStatsHistory | None = None) -> bytes:
    """The run's event file: TFRecords of Event protos (file version, settings text, one event per step, with
    ``layers``' statistics at their steps)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    start = start_time(record)
    writer.write(event_pb2.Event(wall_time=start, file_version="brain.Event:2").SerializeToString())
    sweep_trial = bool(record.sweep_id and record.sweep_values)
    writer.write(event_pb2.Event(wall_time=start, step=0, summary=summary_pb2.Summary(
        value=[_text_value(SETTINGS_TAG, settings_text(record))]
        + (hparams_start(record, start) if sweep_trial else []))).SerializeToString())
    layer_steps = layer_values(layers) if layers is not None and len(layers) else {}
    for step in record.history:
        values = [_scalar_value(tag, getattr(step, field)) for tag, field in TAGS.items()
                  if getattr(step, field) is not None] + layer_steps.get(step.step, [])
        writer.write(event_pb2.Event(wall_time=start + step.elapsed, step=step.step,
                                     summary=summary_pb2.Summary(value=values)).SerializeToString())
    if sweep_trial and record.status.final:
        end = start + (record.history[-1].elapsed if record.history else 0.0)
        writer.write(event_pb2.Event(wall_time=end, step=len(record.history), summary=summary_pb2.Summary(
            value=hparams_end(record, end))).SerializeToString())
    return buffer.getvalue()


def export_run(record: RunRecord, directory, layers: LayerStatsHistory | None = None) -> Path:
    """Write ``record`` (and its ``layers`` statistics) as an event file under ``directory`` (replacing one kgui
    wrote before); the run's folder.

    OSError naming the folder when it cannot be written; ValueError for a run whose run.json is unreadable.
    """
    if not record.readable:
        raise ValueError(f"run {record.id} cannot be exported: {record.message}")
    try:
        start = start_time(record)
    except ValueError as exc:
        raise ValueError(f"run {record.id} cannot be exported: {exc}") from None
    folder = Path(directory) / run_folder_name(record)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"events.out.tfevents.*{SUFFIX}"):
            old.unlink()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {folder}: {exc.strerror}") from None
    name = f"events.out.tfevents.{int(start)}.{socket.gethostname()}{SUFFIX}"
    write_atomic(folder / name, event_file_bytes(record, layers))
    return folder


def export_runs(records, directory, layers=lambda record: None) -> Exported:
    """Write every run of ``records`` that can be exported under ``directory`` (created if needed), with
    ``layers(record)``'s statistics (None: none); the others (unreadable, damaged) are skipped and named.
    OSError when ``directory`` cannot be written."""
    exported = Exported()
    for record in records:
        try:
            exported.folders.append(export_run(record, directory, layers(record)))
        except ValueError as exc:
            exported.skipped[record.id] = str(exc)
    return exported
