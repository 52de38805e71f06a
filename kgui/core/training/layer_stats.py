"""Inside the network, per weight matrix and per hidden layer, computed through the K API between two steps.

Per parameter (``W1``, ``b1``, …): the gradient of the loss on the probe's training rows and its norm, the update
to weight ratio ‖Δw‖/‖w‖ of the step just taken, and the weight percentiles 0/7/16/50/84/93/100 (TensorBoard's
distribution bands). Per hidden layer, over the probe's validation rows: the activations' mean, std and the share
of dead units (output zero on every row), a histogram of the activations (fastai's ``ActivationStats``, whose
histograms stacked over the steps make the "colorful dimension" image), and each neuron's mean and histogram. For a
2-feature dataset, each hidden neuron's activation over the decision-boundary grid (TensorFlow Playground's node
thumbnails), and the model's inputs there (the plane's own coordinates, or the features computed from them); for a
1-feature dataset, each hidden neuron's activation along the feature (a curve).

The probe is at most ``PROBE_ROWS`` rows of each split, drawn once with a fixed seed, so that a sample costs
the same on every dataset. A :class:`LayerStatsSampler` runs on the training thread: it arms itself one step
before a sample (it keeps the weights then, to measure the next step's update) and computes the sample after that
step. Every sample is a :class:`LayerStats` (plain NumPy arrays, picklable) that a :class:`LayerStatsHistory`
keeps as series; the history is saved as ``layer_stats.npz`` beside history.csv (:func:`save`, :func:`load_saved`,
never pickled).
"""
from __future__ import annotations

import io
import math
import weakref
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import numpy as np

from . import surface
from ..files import read_npz, write_atomic, write_output

PERCENTILES = (0, 7, 16, 50, 84, 93, 100)
HISTOGRAM_BINS = 40
PROBE_ROWS = 1024          # of each split, drawn once (seed 0)
DEFAULT_INTERVAL_S = 0.3   # a live run's sampling period in the window
LAYER_STATS_FILE = "layer_stats.npz"
MAX_LAYER_STATS_FILE_BYTES = 200_000_000
MAX_KEPT_WEIGHTS = 400     # weight snapshots a history keeps (every other one is dropped beyond it)
HISTOGRAM_RANGES = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "relu": (0.0, 10.0), "linear": (-10.0, 10.0)}


@dataclass(frozen=True, eq=False)
class LayerStats:
    """One sample, after step ``step``. Arrays are float64 unless said; per-parameter arrays follow
    ``parameter_names``, per-layer ones the hidden layers."""

    step: int
    parameter_names: tuple[str, ...]       # "W1", "b1", "W2", … ("W", "b" for one layer)
    weights: tuple[np.ndarray, ...]        # float32, the parameters' values
    gradients: tuple[np.ndarray, ...]      # float32, d loss / d parameter on the probe's training rows
    gradient_norms: np.ndarray             # (parameters,)
    update_ratios: np.ndarray              # (parameters,) ‖Δw‖/‖w‖ of step ``step``; NaN when not measured
    weight_percentiles: np.ndarray         # (parameters, len(PERCENTILES))
    activation_mean: np.ndarray            # (hidden layers,)
    activation_std: np.ndarray             # (hidden layers,)
    dead_fraction: np.ndarray              # (hidden layers,) share of units zero on every probe row
    histograms: np.ndarray                 # (hidden layers, HISTOGRAM_BINS) int64 counts of the activations
    histogram_range: tuple[float, float]   # the bins' span; values outside it count in the end bins
    neuron_means: tuple[np.ndarray, ...]   # per hidden layer (width,)
    neuron_histograms: tuple[np.ndarray, ...]   # per hidden layer (width, HISTOGRAM_BINS) int64
    neuron_grids: tuple[np.ndarray, ...] = ()   # per hidden layer, 2 features: (resolution, resolution, width) over
                                                # the decision boundary's grid; 1 feature: (resolution, width)
    grid_xs: np.ndarray | None = None      # the grid of ``neuron_grids``
    grid_ys: np.ndarray | None = None      # (None for 1 feature)
    input_grid: np.ndarray | None = None   # (…grid, inputs): the model's inputs over that grid

    @property
    def layer_widths(self) -> tuple[int, ...]:
        """Inputs, hidden layers, outputs."""
        matrices = self.weights[::2]
        return (matrices[0].shape[0], *(matrix.shape[1] for matrix in matrices))


@dataclass(frozen=True)
class WeightSnapshot:
    step: int
    weights: tuple[np.ndarray, ...]


def histogram_range(activation: str) -> tuple[float, float]:
    return HISTOGRAM_RANGES.get(activation, HISTOGRAM_RANGES["linear"])


def histogram(values: np.ndarray, value_range: tuple[float, float], axis_rows: bool = False) -> np.ndarray:
    """Counts of ``values`` in ``HISTOGRAM_BINS`` equal bins over ``value_range``, values outside counted in the
    end bins (infinities too) and NaNs (a diverged run's) in none; ``axis_rows``: one histogram per column of a
    (rows, columns) array, shape (columns, bins)."""
    low, high = value_range
    scaled = (np.asarray(values, np.float64) - low) / (high - low) * HISTOGRAM_BINS
    counted = ~np.isnan(scaled)
    bins = np.clip(np.where(counted, scaled, 0.0), 0, HISTOGRAM_BINS - 1).astype(np.int64)
    if not axis_rows:
        return np.bincount(bins[counted], minlength=HISTOGRAM_BINS).astype(np.int64)
    columns = bins.shape[1]
    flat = (bins + np.arange(columns) * HISTOGRAM_BINS)[counted]
    return np.bincount(flat, minlength=columns * HISTOGRAM_BINS).reshape(columns, HISTOGRAM_BINS).astype(np.int64)


def probe_rows(n_rows: int, limit: int = PROBE_ROWS) -> np.ndarray:
    """The rows of a split the statistics use: all, or ``limit`` drawn once with seed 0, in order."""
    if n_rows <= limit:
        return np.arange(n_rows)
    return np.sort(np.random.RandomState(0).choice(n_rows, limit, replace=False))


class LayerProbe:
    """A model's compiled statistics functions: the hidden layers' activations of rows ``X``, and the loss's
    gradient with respect to every parameter (``K.gradients``). Compiled on first use, kept with the model."""

    _probes: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

    def __init__(self, model):
        K = model.K
        self.model = model
        self._activations = K.function([model.X], list(model.hidden), name="hidden") if model.hidden else None
        self._gradients = K.function([model.X, model.Y], K.gradients(model.loss, model.params), name="gradients")

    @classmethod
    def of(cls, model) -> "LayerProbe":
        probe = cls._probes.get(model)
        if probe is None:
            probe = cls._probes[model] = cls(model)
        return probe

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        if self._activations is None:
            return []
        return [np.asarray(values, np.float32) for values in self._activations([x])]

    def gradients(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        return [np.asarray(values, np.float32) for values in self._gradients([x, y])]


def _norm(values: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(values, np.float64)))


def compute(model, dataset, step: int, previous: list[np.ndarray] | None = None,
            with_grids: bool = True) -> LayerStats:
    """The statistics of ``model`` now (after step ``step``), on ``dataset``'s probe rows; ``previous``: the
    parameters before that step (the update ratios are NaN without them). Call it on the training thread."""
    probe = LayerProbe.of(model)
    names = tuple(variable.name for variable in model.params)
    weights = tuple(np.asarray(values, np.float32) for values in model.K.batch_get_value(model.params))
    train = probe_rows(len(dataset.x_train))
    gradients = tuple(probe.gradients(dataset.x_train[train], dataset.y_train[train]))
    if previous is None:
        ratios = np.full(len(names), np.nan)
    else:
        ratios = np.array([_norm(now - before) / norm if (norm := _norm(now)) > 0 else np.nan
                           for now, before in zip(weights, previous)])
    x_probe = dataset.x_val if len(dataset.x_val) else dataset.x_train
    activations = probe.activations(x_probe[probe_rows(len(x_probe))])
    value_range = histogram_range(model.architecture.activation)
    grids, xs, ys, input_grid = (), None, None, None
    if with_grids and activations and surface.has_surface(dataset):
        x_min, x_max, y_min, y_max = surface.plane_bounds(dataset)
        xs = np.linspace(x_min, x_max, surface.DEFAULT_RESOLUTION)
        ys = np.linspace(y_min, y_max, surface.DEFAULT_RESOLUTION)
        plane = np.ascontiguousarray(np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2), dtype=np.float32)
        shape = (len(ys), len(xs))
        rows = dataset.plane_rows(plane)      # the model's inputs there: the plane, or features computed from it
        input_grid = np.asarray(rows, np.float32).reshape(*shape, rows.shape[1])
        grids = tuple(values.reshape(*shape, values.shape[1]) for values in probe.activations(rows))
    elif with_grids and activations and dataset.n_features == 1:   # the linear exercise: curves over the line
        points = np.concatenate([dataset.x_train[:, 0], dataset.x_val[:, 0]]).astype(np.float64)
        pad = max((points.max() - points.min()) * surface.MARGIN, 1e-3)
        xs = np.linspace(points.min() - pad, points.max() + pad, surface.DEFAULT_RESOLUTION)
        input_grid = xs.astype(np.float32)[:, None]
        grids = tuple(probe.activations(input_grid))
    with np.errstate(invalid="ignore"):   # a diverged run's infinite values: NaN statistics, not a warning
        return LayerStats(
            step, names, weights, gradients,
            gradient_norms=np.array([_norm(gradient) for gradient in gradients]),
            update_ratios=ratios,
            weight_percentiles=np.array([np.percentile(np.asarray(w, np.float64), PERCENTILES) for w in weights]),
            activation_mean=np.array([float(np.mean(values, dtype=np.float64)) for values in activations]),
            activation_std=np.array([float(np.std(values, dtype=np.float64)) for values in activations]),
            dead_fraction=np.array([float(np.mean(np.all(values == 0, axis=0))) for values in activations]),
            histograms=np.array([histogram(values, value_range) for values in activations],
                                dtype=np.int64).reshape(len(activations), HISTOGRAM_BINS),
            histogram_range=value_range,
            neuron_means=tuple(values.mean(axis=0, dtype=np.float64) for values in activations),
            neuron_histograms=tuple(histogram(values, value_range, axis_rows=True) for values in activations),
            neuron_grids=grids, grid_xs=xs, grid_ys=ys, input_grid=input_grid)


class LayerStatsHistory:
    """A run's samples as series over the steps (what the Layers dock draws and ``layer_stats.npz`` holds), the
    latest sample whole (what the Network dock draws), and weight snapshots thinned to ``MAX_KEPT_WEIGHTS``."""

    def __init__(self):
        self.latest: LayerStats | None = None
        self.steps: list[int] = []
        self.gradient_norms: list[np.ndarray] = []
        self.update_ratios: list[np.ndarray] = []
        self.weight_percentiles: list[np.ndarray] = []
        self.activation_mean: list[np.ndarray] = []
        self.activation_std: list[np.ndarray] = []
        self.dead_fraction: list[np.ndarray] = []
        self.histograms: list[np.ndarray] = []
        self.snapshots: list[WeightSnapshot] = []
        self._snapshot_every = 1

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return self.latest.parameter_names if self.latest is not None else ()

    def add(self, stats: LayerStats) -> None:
        self.latest = stats
        self.steps.append(stats.step)
        self.gradient_norms.append(stats.gradient_norms)
        self.update_ratios.append(stats.update_ratios)
        self.weight_percentiles.append(stats.weight_percentiles)
        self.activation_mean.append(stats.activation_mean)
        self.activation_std.append(stats.activation_std)
        self.dead_fraction.append(stats.dead_fraction)
        self.histograms.append(stats.histograms)
        if (len(self.steps) - 1) % self._snapshot_every == 0:
            self.snapshots.append(WeightSnapshot(stats.step, stats.weights))
            if len(self.snapshots) > MAX_KEPT_WEIGHTS:
                self.snapshots = self.snapshots[::2]
                self._snapshot_every *= 2

    def series(self, name: str) -> np.ndarray:
        """One statistic over the samples as an array (samples first): ``gradient_norms``, ``update_ratios``,
        ``weight_percentiles``, ``activation_mean``, ``activation_std``, ``dead_fraction``, ``histograms``."""
        rows = getattr(self, name)
        if not rows:
            return np.zeros((0,))
        return np.stack(rows)

    def weight_history(self, parameter: int, index: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Steps and values of one weight over the kept snapshots."""
        steps = np.array([snapshot.step for snapshot in self.snapshots], np.int64)
        values = np.array([float(snapshot.weights[parameter][index]) for snapshot in self.snapshots])
        return steps, values


class LayerStatsSampler:
    """Samples a training run's statistics on its training thread: every ``every`` steps (and the last), or at
    most every ``interval_s`` seconds. Each sample is also added to :attr:`history`."""

    def __init__(self, interval_s: float | None = DEFAULT_INTERVAL_S, every: int | None = None):
        if every is not None and every < 1:
            raise ValueError(f"layer statistics every N steps needs N ≥ 1, got {every}")
        self.interval_s, self.every = interval_s, every
        self.history = LayerStatsHistory()
        self._previous: list[np.ndarray] | None = None
        self._last = -math.inf

    def start(self, trainer) -> None:
        """A run begins: its initial weights are the previous weights of step 1 (sampled too)."""
        self.history = LayerStatsHistory()
        self._previous = self._weights(trainer)
        self._last = -math.inf

    @staticmethod
    def _weights(trainer) -> list[np.ndarray]:
        model = trainer.model
        return [np.asarray(values, np.float32) for values in model.K.batch_get_value(model.params)]

    def _due(self, step: int, steps: int) -> bool:
        if step == 1 or step >= steps:
            return True
        if self.every is not None:
            return step % self.every == 0
        return perf_counter() - self._last >= self.interval_s

    def after_step(self, trainer, force: bool = False) -> LayerStats | None:
        """A sample after the step just taken when one is due (``force``: now), else None; arms the next."""
        step, steps = trainer.steps_done, trainer.settings.steps
        stats = None
        if force or (self._previous is not None and self._due(step, steps)):
            stats = compute(trainer.model, trainer.dataset, step, self._previous)
            self.history.add(stats)
            self._last = perf_counter()
            self._previous = None
        if step < steps and self._due(step + 1, steps):   # the next step is sampled: keep the weights now
            self._previous = self._weights(trainer)
        return stats


    def sample_now(self, trainer) -> LayerStats | None:
        """A sample of the weights as they are after the last step (a paused run), unless that step has one."""
        step = trainer.steps_done
        if step == 0 or (self.history.steps and self.history.steps[-1] == step):
            return None
        return self.after_step(trainer, force=True)


# -- the run folder's file ------------------------------------------------------------------------------------------

def save(folder, history: LayerStatsHistory) -> None:
    """Write ``history`` (its series and its latest sample's weights, gradients and neuron statistics) to the
    run folder ``folder`` as ``layer_stats.npz``, atomically; OSError naming the file. Nothing without samples."""
    latest = history.latest
    if latest is None:
        return
    arrays = {"names": np.array(latest.parameter_names, dtype=np.str_), "steps": np.array(history.steps, np.int64),
              "histogram_range": np.array(latest.histogram_range, np.float64)}
    for name in ("gradient_norms", "update_ratios", "weight_percentiles", "activation_mean", "activation_std",
                 "dead_fraction", "histograms"):
        arrays[name] = history.series(name)
    for i, (weight, gradient) in enumerate(zip(latest.weights, latest.gradients)):
        arrays[f"weight_{i}"], arrays[f"gradient_{i}"] = weight, gradient
    for i, (means, counts) in enumerate(zip(latest.neuron_means, latest.neuron_histograms)):
        arrays[f"neuron_means_{i}"], arrays[f"neuron_histograms_{i}"] = means, counts
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomic(Path(folder) / LAYER_STATS_FILE, buffer.getvalue())


def load_saved(folder) -> LayerStatsHistory:
    """The history :func:`save` wrote to run folder ``folder``; ValueError in one line when there is none or it
    cannot be read."""
    path = Path(folder) / LAYER_STATS_FILE
    if not path.is_file():
        raise ValueError("no layer statistics were saved with this run")
    return read_npz(path, MAX_LAYER_STATS_FILE_BYTES, _history)


def _history(data: dict) -> LayerStatsHistory:
    names = tuple(str(name) for name in data["names"])
    steps = np.asarray(data["steps"], np.int64)
    n, n_params = len(steps), len(names)
    if n < 1 or n_params < 2 or n_params % 2:
        raise ValueError(f"{n} samples of {n_params} parameters")
    series = {name: np.asarray(data[name]) for name in (
        "gradient_norms", "update_ratios", "weight_percentiles", "activation_mean", "activation_std",
        "dead_fraction", "histograms")}
    n_hidden = n_params // 2 - 1
    expected = {"gradient_norms": (n, n_params), "update_ratios": (n, n_params),
                "weight_percentiles": (n, n_params, len(PERCENTILES)), "activation_mean": (n, n_hidden),
                "activation_std": (n, n_hidden), "dead_fraction": (n, n_hidden),
                "histograms": (n, n_hidden, HISTOGRAM_BINS)}
    for name, shape in expected.items():
        if series[name].shape != shape and not (n_hidden == 0 and series[name].size == 0):
            raise ValueError(f"{name} has shape {series[name].shape}, not {shape}")
        series[name] = series[name].reshape(shape)
    weights = tuple(np.asarray(data[f"weight_{i}"], np.float32) for i in range(n_params))
    gradients = tuple(np.asarray(data[f"gradient_{i}"], np.float32) for i in range(n_params))
    if any(w.shape != g.shape for w, g in zip(weights, gradients)):
        raise ValueError("its gradients do not fit its weights")
    low, high = (float(value) for value in data["histogram_range"])
    history = LayerStatsHistory()
    for row in range(n):
        last = row == n - 1
        history.add(LayerStats(
            int(steps[row]), names, weights if last else (), gradients if last else (),
            series["gradient_norms"][row], series["update_ratios"][row], series["weight_percentiles"][row],
            series["activation_mean"][row], series["activation_std"][row], series["dead_fraction"][row],
            series["histograms"][row], (low, high),
            tuple(np.asarray(data[f"neuron_means_{i}"], np.float64) for i in range(n_hidden)) if last else (),
            tuple(np.asarray(data[f"neuron_histograms_{i}"], np.int64) for i in range(n_hidden)) if last else ()))
    history.snapshots = [WeightSnapshot(int(steps[-1]), weights)]
    return history


def load_if_saved(folder) -> LayerStatsHistory | None:
    """The statistics saved in run folder ``folder``, or None when there are none or they cannot be read."""
    try:
        return load_saved(folder)
    except ValueError:
        return None


# -- text and tables ------------------------------------------------------------------------------------------------

def columns(history: LayerStatsHistory) -> list[str]:
    """The names of :func:`rows`' columns."""
    names = history.parameter_names
    layers = [f"layer{i + 1}" for i in range(len(history.activation_mean[0]) if len(history) else 0)]
    return (["step"] + [f"gradient_norm/{name}" for name in names] + [f"update_ratio/{name}" for name in names]
            + [f"weight_p{p}/{name}" for name in names for p in PERCENTILES]
            + [f"{stat}/{layer}" for stat in ("activation_mean", "activation_std", "dead_fraction") for layer in layers])


def rows(history: LayerStatsHistory) -> list[list[float]]:
    """One row of numbers per sample, in :func:`columns`' order (NaN: not measured)."""
    return [[step, *history.gradient_norms[i], *history.update_ratios[i], *history.weight_percentiles[i].ravel(),
             *history.activation_mean[i], *history.activation_std[i], *history.dead_fraction[i]]
            for i, step in enumerate(history.steps)]


def export(history: LayerStatsHistory, path) -> Path:
    """Write the series as CSV (one row per sample) or JSON (one list per column), by ``path``'s extension;
    ValueError for another extension or no samples, OSError naming the file."""
    path = Path(path)
    if not len(history):
        raise ValueError("there are no layer statistics to export yet")
    header, table = columns(history), rows(history)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        lines = [",".join(header)] + [",".join(f"{int(row[0])}" if i == 0 else ("" if math.isnan(value) else
                                                                                 f"{value:.9g}")
                                               for i, value in enumerate(row)) for row in table]
        write_output(path, "\n".join(lines) + "\n")
    elif suffix == ".json":
        import json
        data = {name: [None if math.isnan(value) else (int(value) if i == 0 else value) for value in column]
                for i, (name, column) in enumerate(zip(header, zip(*table)))}
        write_output(path, json.dumps(data, indent=1))
    else:
        raise ValueError(f"layer statistics are written as .csv or .json, not {path.suffix or path.name!r}")
    return path


def summary_line(history: LayerStatsHistory, row: int = -1) -> str:
    """"step 10  ‖g‖ W1 1.2e-02 W2 3.4e-03 W3 8.1e-02  dead layer1 0% layer2 3%" for sample ``row``."""
    names = history.parameter_names
    norms = " ".join(f"{name} {history.gradient_norms[row][i]:.2e}" for i, name in enumerate(names)
                     if name.startswith("W"))
    dead = " ".join(f"layer{i + 1} {share:.0%}" for i, share in enumerate(history.dead_fraction[row]))
    return f"step {history.steps[row]}  ‖grad‖ {norms}" + (f"  dead {dead}" if dead else "")
