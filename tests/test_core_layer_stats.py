"""Per-layer statistics (kgui.core.training.layer_stats) against NumPy references computed from the same weights and rows,
on every engine: a tanh MLP 8,8 on spiral and a ReLU MLP 64,32 on real Otto rows, at steps 1, 10 and 100; their
sampling in a job, the file saved with the run, and weight edits."""
import dataclasses
import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from kgui.core.training import layer_stats
from kgui.core.data.datasets import load_dataset
from kgui.core.runs import RunStore, WeightEdit
from kgui.core.session import JobKind, LayerStatsComputed, Session
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer

from engine_support import ENGINES, load_or_skip

OTTO = Path(os.environ.get("KGUI_OTTO_DIR", Path(__file__).resolve().parents[2] / "shared/data/kaggle_ottogroup"))
SPIRAL = ExperimentSettings(dataset="spiral", model="mlp", hidden=(8, 8), activation="tanh", learning_rate=0.03,
                            steps=100, optimizer="adam")
OTTO_MLP = ExperimentSettings(dataset="otto", model="mlp", hidden=(64, 32), activation="relu", learning_rate=0.01,
                              steps=100, optimizer="adam")
SAMPLED = (1, 10, 100)


def _small(dataset, rows: int):
    """The first ``rows`` training and validation rows (fast tests; the probe draws from them as from all)."""
    return dataclasses.replace(dataset, x_train=dataset.x_train[:rows], y_train=dataset.y_train[:rows],
                               x_val=dataset.x_val[:rows // 2], y_val=dataset.y_val[:rows // 2])


def _dataset(settings):
    if settings.dataset == "otto":
        if not (OTTO / "train.csv.gz").is_file():
            pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
        return _small(load_dataset("otto", {"path": str(OTTO / "train.csv.gz")}), 3000)
    return load_dataset(settings.dataset)


def _activate(z, activation):
    return {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0)}[activation](z)


def _reference(weights, dataset, activation):
    """The statistics by hand in float64: forward pass, backpropagated mean cross-entropy, histograms."""
    weights = [np.asarray(w, np.float64) for w in weights]
    train = layer_stats.probe_rows(len(dataset.x_train))
    x, y = np.asarray(dataset.x_train[train], np.float64), np.asarray(dataset.y_train[train], np.float64)
    pre, hidden, h = [], [], x
    for layer in range(len(weights) // 2):
        z = h @ weights[2 * layer] + weights[2 * layer + 1]
        pre.append(z)
        h = _activate(z, activation) if layer < len(weights) // 2 - 1 else z
        hidden.append(h)
    p = np.exp(h - h.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = (p - y) / len(x)
    grads = [None] * len(weights)
    for layer in reversed(range(len(weights) // 2)):
        below = x if layer == 0 else hidden[layer - 1]
        grads[2 * layer], grads[2 * layer + 1] = below.T @ delta, delta.sum(axis=0)
        if layer:
            dh = delta @ weights[2 * layer].T
            delta = dh * (1 - hidden[layer - 1] ** 2 if activation == "tanh" else (pre[layer - 1] > 0))
    val = dataset.x_val[layer_stats.probe_rows(len(dataset.x_val))].astype(np.float64)
    acts, h = [], val
    for layer in range(len(weights) // 2 - 1):
        h = _activate(h @ weights[2 * layer] + weights[2 * layer + 1], activation)
        acts.append(h)
    low, high = layer_stats.histogram_range(activation)
    edges = np.linspace(low, high, layer_stats.HISTOGRAM_BINS + 1)
    histograms = [np.histogram(np.clip(a, low, high - 1e-9), edges)[0] for a in acts]
    return grads, acts, histograms


def _run_and_check(engine, settings):
    load_or_skip(engine)
    dataset = _dataset(settings)
    trainer = Trainer(settings.replace(backend=engine), dataset=dataset)
    trainer.prepare()
    model = trainer.model
    sampler = layer_stats.LayerStatsSampler(interval_s=None, every=10)
    sampler.start(trainer)
    checked = []
    for step in range(1, settings.steps + 1):
        before = model.parameters()
        trainer.step()
        stats = sampler.after_step(trainer)
        assert (stats is not None) == (step == 1 or step % 10 == 0)
        if step not in SAMPLED:
            continue
        now = [model.parameters()[name] for name in stats.parameter_names]
        grads, acts, histograms = _reference(now, dataset, settings.activation)
        assert stats.step == step and stats.parameter_names == ("W1", "b1", "W2", "b2", "W3", "b3")
        for i, name in enumerate(stats.parameter_names):
            np.testing.assert_array_equal(stats.weights[i], now[i])
            np.testing.assert_allclose(stats.gradients[i], grads[i], rtol=2e-3, atol=2e-6)
            np.testing.assert_allclose(stats.gradient_norms[i], np.linalg.norm(grads[i]), rtol=1e-3)
            ratio = np.linalg.norm(now[i].astype(np.float64) - before[name]) / np.linalg.norm(now[i])
            np.testing.assert_allclose(stats.update_ratios[i], ratio, rtol=1e-5)
            np.testing.assert_allclose(stats.weight_percentiles[i], np.percentile(now[i].astype(np.float64), layer_stats.PERCENTILES),
                                       rtol=1e-6)
        for layer, values in enumerate(acts):
            np.testing.assert_allclose(stats.activation_mean[layer], values.mean(), rtol=1e-3, atol=1e-5)
            np.testing.assert_allclose(stats.activation_std[layer], values.std(), rtol=1e-3)
            assert stats.dead_fraction[layer] == np.mean(np.all(values == 0, axis=0))
            np.testing.assert_allclose(stats.neuron_means[layer], values.mean(axis=0), rtol=1e-3, atol=1e-5)
            assert stats.histograms[layer].sum() == values.size
            assert np.abs(stats.histograms[layer] - histograms[layer]).sum() <= 4   # float32 at a bin's edge
        checked.append(step)
    assert checked == list(SAMPLED)
    return stats


@pytest.mark.parametrize("engine", ENGINES)
def test_spiral_tanh_mlp_statistics_equal_numpy_on_every_engine(engine):
    stats = _run_and_check(engine, SPIRAL)
    assert len(stats.neuron_grids) == 2 and stats.neuron_grids[0].shape == (64, 64, 8)
    assert np.abs(stats.neuron_grids[0]).max() <= 1     # tanh outputs over the decision boundary's grid
    assert pickle.loads(pickle.dumps(stats)).gradient_norms.tolist() == stats.gradient_norms.tolist()


@pytest.mark.parametrize("engine", ENGINES)
def test_otto_relu_mlp_statistics_equal_numpy_on_every_engine(engine):
    stats = _run_and_check(engine, OTTO_MLP)
    assert stats.neuron_grids == () and stats.layer_widths == (93, 64, 32, 9)
    assert [len(means) for means in stats.neuron_means] == [64, 32]


def test_a_job_samples_every_n_steps_saves_them_with_the_run_and_a_session_reads_them_back(tmp_path):
    session = Session(RunStore(tmp_path / "runs"))
    events = []
    session.subscribe(lambda event: events.append(event) if isinstance(event, LayerStatsComputed) else None)
    record = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=25), layer_stats_every=10).run()
    assert [event.stats.step for event in events] == [1, 10, 20, 25]
    assert np.isfinite(events[-1].stats.update_ratios).all()
    folder = session.store.folder(record.id)
    assert (folder / layer_stats.LAYER_STATS_FILE).is_file() and (folder / "history.csv").is_file()

    restarted = Session(RunStore(tmp_path / "runs"))
    restarted.load_saved()
    saved = restarted.layer_history(record.id)
    assert saved.steps == [1, 10, 20, 25] and saved.parameter_names == ("W1", "b1", "W2", "b2", "W3", "b3")
    np.testing.assert_array_equal(saved.series("gradient_norms"), session.layer_history(record.id).series(
        "gradient_norms"))
    np.testing.assert_array_equal(saved.latest.weights[2], events[-1].stats.weights[2])
    assert saved.series("histograms").shape == (4, 2, layer_stats.HISTOGRAM_BINS)


def test_a_run_without_saved_statistics_says_so_in_one_line(tmp_path):
    session = Session(RunStore(tmp_path / "runs"))
    record = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=3)).run()
    with pytest.raises(ValueError, match="no layer statistics were saved"):
        Session(RunStore(tmp_path / "runs")).layer_history(record.id)
    (session.store.folder(record.id) / layer_stats.LAYER_STATS_FILE).write_bytes(b"not a zip")
    fresh = Session(RunStore(tmp_path / "runs"))
    with pytest.raises(ValueError, match="layer_stats.npz is damaged"):
        fresh.layer_history(record.id)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_weight_edit_takes_effect_at_the_next_step_and_is_in_the_history(engine, tmp_path):
    load_or_skip(engine)
    store = RunStore(tmp_path / "runs")
    trainer = Trainer(SPIRAL.replace(backend=engine, steps=3, optimizer="sgd", learning_rate=0.1), store=store)
    trainer.control.pause()
    trainer.control.request_step()
    trainer.control.request_step()
    edited = {}

    def on_step(step):
        if step.step == 2:
            trainer.control.edit_weight("W2", (3, 2), 0.5)
            edited["before"] = trainer.model.parameters()["W2"].copy()
            trainer.control.request_step()

    record = trainer.run(on_step)
    assert record.weight_edits == [WeightEdit(3, "W2", (3, 2), 0.5)]
    assert record.weight_edits[0].describe() == "W2[3,2] set to 0.5 at step 3"
    # step 3 used 0.5: plain SGD moved it from there by lr · gradient, which the model confirms
    after = trainer.model.parameters()["W2"]
    assert after[3, 2] != edited["before"][3, 2] and abs(after[3, 2] - 0.5) < 0.1
    assert store.load(record.id).weight_edits == record.weight_edits


def test_a_weight_edit_for_an_unknown_entry_changes_nothing_and_bad_values_are_refused():
    trainer = Trainer(SPIRAL.replace(steps=1))
    trainer.prepare()
    before = trainer.model.parameters()
    assert trainer.edit_weight("W9", (0, 0), 1.0) is None and trainer.edit_weight("W1", (2, 0), 1.0) is None
    assert all(np.array_equal(before[k], v) for k, v in trainer.model.parameters().items())
    with pytest.raises(ValueError, match="finite"):
        trainer.control.edit_weight("W1", (0, 0), float("nan"))


def test_cli_prints_layer_stats_every_n_steps_saves_them_and_shows_them_again(capsys, tmp_path):
    from kgui import cli

    code = cli.main(["run", "--dataset", "spiral", "--model", "mlp", "--hidden", "8,8", "--activation", "relu",
                     "--steps", "25", "--layer-stats", "every=10", "--runs-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    printed = [line for line in out.splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in printed] == ["1", "10", "20", "25"]
    assert all("‖grad‖ W1 " in line and " W3 " in line and "dead layer1 " in line for line in printed)
    run_id, = [record.id for record in RunStore(tmp_path).list()]
    assert cli.main(["runs", "show", run_id, "--layers", "--runs-dir", str(tmp_path)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert [line.strip() for line in shown if line.startswith("  step ")] == printed
    with pytest.raises(SystemExit):
        cli.main(["run", "--steps", "2", "--layer-stats", "every=0", "--runs-dir", str(tmp_path)])
    assert "expected every=N" in capsys.readouterr().err


def test_tensorboard_export_holds_the_layer_stats_as_scalars_and_histograms(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    from kgui.core.exports import tensorboard

    session = Session(RunStore(tmp_path / "runs"))
    record = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=20), layer_stats_every=10).run()
    layers = layer_stats.load_saved(session.store.folder(record.id))
    folder = tensorboard.export_run(session.store.load(record.id), tmp_path / "tb", layers)
    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0, "histograms": 0})
    accumulator.Reload()
    norms = accumulator.Tensors("gradient_norm/W2")
    assert [event.step for event in norms] == [1, 10, 20]
    assert [float(tensor_util.make_ndarray(event.tensor_proto)) for event in norms] == \
        layers.series("gradient_norms")[:, 2].astype(np.float32).tolist()     # float32, as TensorBoard reads
    assert [event.step for event in accumulator.Histograms("activations/layer1")] == [1, 10, 20]
    assert accumulator.Histograms("activations/layer1")[0].histogram_value.num == min(100, layer_stats.PROBE_ROWS) * 8
    assert [event.step for event in accumulator.Histograms("weights/W1")] == [20]   # a saved run keeps its last


def test_layer_stats_export_as_csv_and_json(tmp_path):
    session = Session(RunStore(tmp_path / "runs"))
    record = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=10), layer_stats_every=5).run()
    history = session.layer_history(record.id)
    csv_lines = layer_stats.export(history, tmp_path / "layers.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[:3] == ["step", "gradient_norm/W1", "gradient_norm/b1"]
    assert [line.split(",")[0] for line in csv_lines[1:]] == ["1", "5", "10"]
    import json
    data = json.loads(layer_stats.export(history, tmp_path / "layers.json").read_text())
    assert data["step"] == [1, 5, 10] and data["dead_fraction/layer2"] == history.series("dead_fraction")[:, 1].tolist()
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        layer_stats.export(history, tmp_path / "layers.xlsx")


def test_only_the_live_runs_samples_stay_in_memory_the_others_are_read_back(tmp_path):
    session = Session(RunStore(tmp_path / "runs"))
    first = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=12), layer_stats_every=4).run()
    live = session.layer_history(first.id)
    assert len(live.snapshots) == 4                       # every sample's weights, for a link's history
    second = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=5), layer_stats_every=4).run()
    again = session.layer_history(first.id)
    assert again is not live and again.steps == [1, 4, 8, 12] and len(again.snapshots) == 1   # from the file
    assert session.layer_history(second.id).steps == [1, 4, 5]


@pytest.mark.parametrize("engine", ENGINES)
def test_dead_relu_units_are_counted_as_numpy_counts_them(engine):
    """Half of the first layer's units get a bias no row can overcome: zero on every validation row."""
    load_or_skip(engine)
    trainer = Trainer(SPIRAL.replace(backend=engine, activation="relu", steps=1))
    trainer.prepare()
    for unit in range(4):
        assert trainer.edit_weight("b1", (unit,), -100.0) is not None
    stats = layer_stats.compute(trainer.model, trainer.dataset, 0)
    weights = [trainer.model.parameters()[name] for name in stats.parameter_names]
    _, activations, _ = _reference(weights, trainer.dataset, "relu")
    expected = [float(np.mean(np.all(values == 0, axis=0))) for values in activations]
    assert stats.dead_fraction.tolist() == expected and expected[0] >= 0.5
    assert (stats.neuron_means[0][:4] == 0).all()


def test_histograms_count_infinities_in_the_end_bins_and_nans_in_none_without_a_warning():
    import warnings

    values = np.array([[np.nan, 0.5], [np.inf, -np.inf], [-0.5, 0.25]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # numpy's "invalid value encountered in cast" on a diverged run's NaNs
        flat = layer_stats.histogram(values, (-1.0, 1.0))
        by_column = layer_stats.histogram(values, (-1.0, 1.0), axis_rows=True)
    bins = layer_stats.HISTOGRAM_BINS
    assert flat.sum() == 5 and flat[-1] == 1 and flat[0] == 1
    assert by_column.shape == (2, bins) and by_column.sum(axis=1).tolist() == [2, 3]
    assert by_column[0, -1] == 1 and by_column[1, 0] == 1
    assert by_column[1, bins * 3 // 4] == 1 and by_column[0, bins // 4] == 1


@pytest.mark.parametrize("dataset, hidden", [("linear", ()), ("spiral", (4,))])
def test_a_diverged_run_samples_its_layers_without_a_numpy_warning(tmp_path, dataset, hidden):
    import warnings

    settings = ExperimentSettings(dataset=dataset, learning_rate=1e30, steps=5,
                                  **({"model": "mlp", "hidden": hidden} if hidden else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)    # on stderr of kgui run --layer-stats and the workers
        record = Session(RunStore(tmp_path)).new_job(JobKind.TRAINING, settings, layer_stats_every=1).run()
    assert record.status == "diverged", record.message


def test_a_paused_run_sends_its_layers_as_they_are_at_the_pause(tmp_path):
    """The Network dock showed the last timed sample while paused (step 1 of a run paused at step 78): the weights
    one may set while paused were not the ones shown."""
    import threading
    from time import perf_counter, sleep

    session = Session(RunStore(tmp_path / "runs"))
    sampled = []
    session.subscribe(lambda event: sampled.append(event.stats.step) if isinstance(event, LayerStatsComputed) else None)
    job = session.new_job(JobKind.TRAINING, SPIRAL.replace(steps=50), paused=True, layer_stats_s=1000.0)
    thread = threading.Thread(target=job.run)
    thread.start()
    try:
        for _ in range(3):
            job.control.request_step()
        deadline = perf_counter() + 60
        while sampled[-1:] != [3] and perf_counter() < deadline:
            sleep(0.02)
        assert sampled == [1, 3]          # step 1 (timed), then step 3 as it paused
    finally:
        job.control.stop()
        thread.join(60)
