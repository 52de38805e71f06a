"""Sweeps: expansion (grid, random, seeds, TPE), JSON round trip, limits, trials stored as tagged runs, compiled
models reused across trials with the same numbers as fresh ones, and the ``kgui sweep`` command."""
import json
import math

import pytest

from engine_support import INSTALLED
from kgui import cli
from kgui.core.runs import RunRecord, RunStatus, RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.sweeps import (MAX_TRIALS, Axis, Metric, SweepMethod, SweepRunner, SweepSpec, ThreadExecutor,
                              TrialEnded, TrialStarted, TrialState)
from kgui.core.sweeps.runner import SavingUnstarted, retried_message
from kgui.sweep_command import result_table
from kgui.core.sweeps.table import export_rows, ranked_rows, sweep_records
from kgui.core.training.trainer import Trainer
from kgui.exit_codes import sweep_exit_code

ENGINE = "torch" if "torch" in INSTALLED else "tensorflow"
SPIRAL = ExperimentSettings(backend=ENGINE, dataset="spiral", model="mlp", hidden=(8, 8), optimizer="adam",
                            steps=30, batch_size=10, dataset_options={"n": 200})


def test_grid_is_every_combination_times_the_seeds():
    spec = SweepSpec(SPIRAL, (Axis("learning_rate", (0.001, 0.01, 0.1)), Axis("optimizer", ("sgd", "adam"))),
                     seeds=3)
    trials = spec.expand()
    assert len(trials) == spec.count() == 18
    assert [t.index for t in trials] == list(range(18))
    combos = {(t.values["learning_rate"], t.values["optimizer"], t.values["seed"]) for t in trials}
    assert len(combos) == 18
    for trial in trials:
        assert trial.settings.learning_rate == trial.values["learning_rate"]
        assert trial.settings.optimizer == trial.values["optimizer"]
        assert trial.settings.seed == trial.values["seed"]
    assert {t.values["seed"] for t in trials} == {0, 1, 2}


def test_switching_optimizer_drops_hyper_parameters_it_does_not_take():
    base = SPIRAL.replace(optimizer="sgd", momentum=0.9)
    trials = SweepSpec(base, (Axis("optimizer", ("sgd", "adam")),)).expand()
    assert trials[0].settings.momentum == 0.9
    assert trials[1].settings.optimizer == "adam" and trials[1].settings.momentum == 0.0


def test_dataset_options_and_hidden_layers_are_axes():
    spec = SweepSpec(SPIRAL, (Axis("noise", (0.0, 0.2)), Axis("hidden", ((4,), (8, 8)))))
    trials = spec.expand()
    assert [(t.settings.dataset_options["noise"], t.settings.hidden) for t in trials] == [
        (0.0, (4,)), (0.0, (8, 8)), (0.2, (4,)), (0.2, (8, 8))]


def test_random_draws_are_seeded_log_uniform_for_rates_and_within_the_range():
    spec = SweepSpec(SPIRAL, (Axis("learning_rate", low=1e-4, high=1.0), Axis("batch_size", low=5, high=50),
                              Axis("optimizer", ("sgd", "adam"))), SweepMethod.RANDOM, trials=200, seeds=2)
    trials = spec.expand()
    assert len(trials) == 400
    assert trials == spec.expand()                          # the same draws every time
    rates = [t.settings.learning_rate for t in trials[::2]]
    assert all(1e-4 <= rate <= 1.0 for rate in rates)
    below = sum(rate < 1e-2 for rate in rates)             # log-uniform: half the draws below the geometric middle
    assert 70 < below < 130
    assert all(isinstance(t.settings.batch_size, int) and 5 <= t.settings.batch_size <= 50 for t in trials)
    assert {t.settings.optimizer for t in trials} == {"sgd", "adam"}
    other = SweepSpec(SPIRAL, spec.axes, SweepMethod.RANDOM, trials=200, seeds=2, sample_seed=1).expand()
    assert [t.values for t in other] != [t.values for t in trials]


def test_json_round_trip():
    spec = SweepSpec(SPIRAL, (Axis("learning_rate", low=1e-4, high=1.0), Axis("hidden", ((4,), (8, 8))),
                              Axis("l2", low=0.0, high=0.01, log=False)),
                     SweepMethod.RANDOM, trials=5, seeds=2, metric=Metric.BEST_VAL_LOSS, sample_seed=3, name="s")
    again = SweepSpec.from_json(spec.to_json())
    assert again == spec
    assert again.expand() == spec.expand()


@pytest.mark.parametrize("spec, message", [
    (SweepSpec(SPIRAL, (Axis("learning_rate", tuple(10.0 ** -i for i in range(1, 11))),
                        Axis("batch_size", tuple(range(1, 101))),
                        Axis("seed", tuple(range(11))))), "a sweep of 11,000 trials is more than the 10,000 allowed"),
    (SweepSpec(SPIRAL, (Axis("learning_rate", low=1e-4, high=1),), SweepMethod.RANDOM, trials=MAX_TRIALS, seeds=2),
     "a sweep of 20,000 trials"),
    (SweepSpec(SPIRAL, (Axis("colour", (1, 2)),)), "'colour' is neither an experiment setting nor an option"),
    (SweepSpec(SPIRAL, (Axis("learning_rate", (0.1, -1.0)),)), "trial learning_rate=-1: learning_rate must be"),
    (SweepSpec(SPIRAL, (Axis("learning_rate", low=0.0, high=1.0),), SweepMethod.RANDOM, trials=3),
     "a log range needs low > 0"),
    (SweepSpec(SPIRAL, (Axis("learning_rate", low=0.1, high=1.0),)), "a grid needs values, not a range"),
    (SweepSpec(SPIRAL, (Axis("seed", (1, 2)),), seeds=2), "seed is an axis already"),
    (SweepSpec(SPIRAL), "a sweep needs at least one axis"),
])
def test_bad_sweeps_are_one_line(spec, message):
    with pytest.raises(ValueError) as caught:
        spec.expand()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_tpe_asks_and_tells_optuna():
    pytest.importorskip("optuna")
    spec = SweepSpec(SPIRAL.replace(steps=5), (Axis("learning_rate", low=1e-3, high=0.5),
                                               Axis("optimizer", ("sgd", "adam"))), SweepMethod.TPE, trials=4)
    from kgui.core.sweeps.tpe import TpeSource

    source = TpeSource(spec)
    from kgui.core.sweeps.runner import TrialOutcome

    seen = []
    while (trial := source.next()) is not None:
        seen.append(trial)
        record = RunRecord.new(trial.settings)
        record.history = [_step(1, trial.settings.learning_rate)]
        source.tell(TrialOutcome(trial, TrialState.ENDED, record))
    assert len(seen) == 4
    assert all(1e-3 <= t.settings.learning_rate <= 0.5 for t in seen)
    study = source.study
    assert [t.value for t in study.trials] == [t.settings.learning_rate for t in seen]   # told the metric


def _step(number, loss):
    from kgui.core.runs import StepRecord

    return StepRecord(number, loss, loss, None, 0.1, 0.0, 1.0)


def test_a_sweeps_trials_are_tagged_runs_and_a_reused_model_gives_a_fresh_ones_numbers(tmp_path):
    store = RunStore(tmp_path)
    spec = SweepSpec(SPIRAL, (Axis("learning_rate", (0.01, 0.1)),), seeds=2)
    ended = []
    result = SweepRunner(spec, store, ThreadExecutor(1),
                         on_event=lambda e: ended.append(e) if isinstance(e, TrialEnded) else None).run()
    assert len(ended) == 4 and not result.stopped and sweep_exit_code(result) == 0
    records = sweep_records(store, result.sweep_id)
    assert len(records) == 4
    assert sorted((r.sweep_values["learning_rate"], r.sweep_values["seed"]) for r in records) == [
        (0.01, 0), (0.01, 1), (0.1, 0), (0.1, 1)]
    assert all(r.status == RunStatus.FINISHED and r.summary.steps == 30 for r in records)
    assert sum("restart" in r.timings for r in records) == 3          # one compile, three restarts
    for record in records:
        stored = store.load(record.id)
        fresh = Trainer(stored.settings).run()
        assert [s.train_loss for s in stored.history] == [s.train_loss for s in fresh.history]
        assert [s.val_loss for s in stored.history] == [s.val_loss for s in fresh.history]
    ranked = [o.record.id for o in result.ranked()]
    assert ranked == [row.run_id for row in ranked_rows(records, Metric.FINAL_VAL_LOSS)]
    values = [Metric.FINAL_VAL_LOSS.of(store.load(run_id)) for run_id in ranked]
    assert values == sorted(values)
    rows = ranked_rows(records, Metric.FINAL_VAL_LOSS)
    assert json.loads(export_rows(rows, tmp_path / "t.json").read_text())[0]["run_id"] == ranked[0]
    assert export_rows(rows, tmp_path / "t.csv").read_text().splitlines()[0].startswith("run_id,learning_rate,seed")


def test_two_slots_start_on_two_models_rather_than_both_compiling_the_first(tmp_path):
    store = RunStore(tmp_path)
    spec = SweepSpec(SPIRAL, (Axis("optimizer", ("sgd", "adam")), Axis("learning_rate", (0.01, 0.1, 0.2))))
    started = []
    result = SweepRunner(spec, store, ThreadExecutor(2), on_event=lambda event: started.append(
        event.outcome.trial.settings.optimizer) if isinstance(event, TrialStarted) else None).run()
    records = sweep_records(store, result.sweep_id)
    assert len(records) == 6 and all(record.status == RunStatus.FINISHED for record in records)
    assert sorted(started[:2]) == ["adam", "sgd"]
    compiled = [record for record in records if "restart" not in record.timings]
    # each slot compiles its own model; a slot that runs out of its model's trials first helps with the other's
    assert len(compiled) <= 3 and {record.settings.optimizer for record in compiled} == {"adam", "sgd"}


def test_runs_without_sweep_fields_load_with_defaults_and_bad_tags_are_unreadable(tmp_path):
    store = RunStore(tmp_path)
    writer = store.begin(RunRecord.new(SPIRAL))
    writer.close()
    run_id = writer.record.id
    path = tmp_path / run_id / "run.json"
    data = json.loads(path.read_text())
    del data["sweep_id"], data["sweep_values"]
    path.write_text(json.dumps(data))
    record = store.load(run_id)
    assert record.readable and record.sweep_id == "" and record.sweep_values == {}
    data["sweep_values"] = {"lr": {"nested": 1}}
    path.write_text(json.dumps(data))
    assert store.load(run_id).status == RunStatus.UNREADABLE
    assert "sweep_values" in store.load(run_id).message


def run(capsys, *args):
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sweep_command_prints_ranked_table_and_runs_list_filters_by_sweep(capsys, tmp_path):
    config = tmp_path / "sweep.json"
    code, out, err = run(capsys, "sweep", "--backend", ENGINE, "--dataset", "spiral", "--option", "n=200",
                         "--model", "mlp", "--hidden", "8,8", "--steps", "20", "--batch-size", "10",
                         "--grid", "lr=0.01,0.1", "--grid", "optimizer=sgd,adam", "--workers", "2", "--in-process",
                         "--runs-dir", str(tmp_path / "runs"), "--save", str(config))
    assert code == 0, err
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("#"))
    assert lines[header].split()[:4] == ["#", "learning_rate", "optimizer", "final_val_loss"]
    table = lines[header + 1:header + 5]
    losses = [float(line.split()[3]) for line in table]
    assert losses == sorted(losses) and len(table) == 4
    sweep_id = lines[0].split()[1].rstrip(":")
    code, listed, _ = run(capsys, "runs", "list", "--runs-dir", str(tmp_path / "runs"), "--sweep", sweep_id)
    assert code == 0 and len(listed.splitlines()) == 4
    code, listed, _ = run(capsys, "runs", "list", "--runs-dir", str(tmp_path / "runs"), "--sweep", "sweep-none")
    assert "no runs of sweep sweep-none" in listed
    spec = SweepSpec.load(config)                                  # --config takes it back, flags on top
    assert [axis.name for axis in spec.axes] == ["learning_rate", "optimizer"]
    code, out, err = run(capsys, "sweep", "--config", str(config), "--grid", "lr=0.05", "--in-process",
                         "--runs-dir", str(tmp_path / "runs2"))
    assert code == 0, err
    assert len([line for line in out.splitlines() if line.endswith(("finished", "diverged")) or " finished " in line]) == 2


@pytest.mark.parametrize("args, message", [
    (["--grid", "lr"], "--grid must look like NAME=VALUES"),
    (["--range", "lr=1:x", "--random", "3"], "--range learning_rate must look like LOW:HIGH"),
    (["--grid", "lr=0.1,0.2", "--log", "momentum"], "--log momentum: no such axis"),
    (["--random", "20000", "--range", "lr=1e-4:1"], "more than the 10,000 allowed"),
    (["--grid", "lr=0.1", "--export", "x.png"], "--export writes the trial table as .csv or .json"),
    (["--grid", "lr=0.1,0.2", "--grid", "learning_rate=0.5"],      # the second silently replaced the first
     "axis learning_rate is given twice (--grid lr=0.1,0.2 and --grid learning_rate=0.5)"),
    (["--grid", "lr=0.1", "--range", "lr=0.1:1", "--random", "2"], "axis learning_rate is given twice"),
])
def test_sweep_command_bad_input_is_one_line(capsys, tmp_path, args, message):
    code, out, err = run(capsys, "sweep", "--dataset", "spiral", "--runs-dir", str(tmp_path), *args)
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_metric_of_a_diverged_run_is_none_and_ranks_last():
    record = RunRecord.new(SPIRAL)
    record.history = [_step(1, math.nan)]
    assert Metric.FINAL_VAL_LOSS.of(record) is None


def test_a_runs_summary_gives_the_metrics_its_history_gives_without_reading_it(tmp_path):
    """The window reads an ended trial's summary only (not its steps): the best losses are in it."""
    from kgui.core.sweeps.table import metrics_of

    store = RunStore(tmp_path)
    record = RunRecord.new(SPIRAL)
    writer = store.begin(record)
    for number, loss in enumerate([1.0, 0.25, math.nan, 0.5], 1):
        writer.append(_step(number, loss))
    record.status = RunStatus.FINISHED
    writer.save()
    writer.close()
    full = metrics_of(store.load(record.id))
    assert full["best_train_loss"] == full["best_val_loss"] == 0.25 and full["final_val_loss"] == 0.5
    assert metrics_of(store.load(record.id, with_history=False)) == full
    assert metrics_of(store.list()[0]) == full and metrics_of(store.list()[0]) == full   # from files, then the index
    assert Metric.BEST_VAL_LOSS.of(store.list()[0]) == 0.25
    path = tmp_path / record.id / "run.json"                  # written before summaries held the best losses
    data = json.loads(path.read_text())
    del data["summary"]["best_train_loss"], data["summary"]["best_val_loss"]
    path.write_text(json.dumps(data))
    assert metrics_of(store.load(record.id, with_history=False))["best_val_loss"] == 0.5   # its last step's


def test_a_tpe_sweep_runs_its_trials_and_tells_optuna_each_result(tmp_path):
    pytest.importorskip("optuna")
    spec = SweepSpec(SPIRAL.replace(steps=5), (Axis("learning_rate", low=1e-3, high=0.5),), SweepMethod.TPE,
                     trials=3, seeds=2)
    runner = SweepRunner(spec, RunStore(tmp_path), ThreadExecutor(2))
    result = runner.run()
    assert len(result.outcomes) == 6 and {o.status for o in result.outcomes} == {RunStatus.FINISHED}
    assert sorted(o.trial.index for o in result.outcomes) == list(range(6))
    study = runner._source.study
    assert [trial.state.name for trial in study.trials] == ["COMPLETE"] * 3
    for trial in study.trials:   # told the mean over the configuration's two seeds
        seeds = [o for o in result.outcomes if o.trial.settings.learning_rate == trial.params["learning_rate"]]
        assert len(seeds) == 2
        assert trial.value == pytest.approx(sum(Metric.FINAL_VAL_LOSS.of(o.record) for o in seeds) / 2)


def test_a_trial_started_again_keeps_one_run(tmp_path):
    """A Dask task rerun after its worker died sends a second start: the first attempt's partial run is removed."""
    from kgui.core.runs import SweepTag
    from kgui.core.session import RunEnded, RunStarted, StepsTaken
    from kgui.core.sweeps.executors import TrialRequest
    from kgui.core.sweeps.recorder import TrialRecorder

    store = RunStore(tmp_path)
    request = TrialRequest(SPIRAL, "trial", SweepTag("sweep-x", {"learning_rate": 0.1}), store)
    recorder = TrialRecorder(store, request)
    first, second = RunRecord.new(SPIRAL), RunRecord.new(SPIRAL)
    recorder.handle(RunStarted(first, None))
    recorder.handle(StepsTaken(first.id, [_step(1, 0.5)]))
    recorder.handle(RunStarted(second, None))
    recorder.handle(StepsTaken(second.id, [_step(1, 0.4), _step(2, 0.3)]))
    second.status = RunStatus.FINISHED
    second.history = [_step(1, 0.4), _step(2, 0.3)]
    recorder.handle(RunEnded(second))
    records = store.list()
    assert [record.id for record in records] == [second.id]
    assert records[0].status == RunStatus.FINISHED and records[0].summary.steps == 2
    assert records[0].sweep_id == "sweep-x" and records[0].name == "trial"


def test_a_sweep_file_nested_deeply_is_one_line(tmp_path):
    from kgui.core.sweeps.spec import SweepSpec

    path = tmp_path / "sweep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(ValueError, match=r"sweep.json: the sweep: nested too deeply"):
        SweepSpec.load(path)


@pytest.mark.parametrize("data, message", [
    ([1, 2], r"^a sweep must be a JSON object, got list$"),
    ({"experiment": {}, "axis": []}, r"^unknown sweep key\(s\) 'axis'; known: axes, experiment, method, metric, name"),
    ({"experiment": {"learning_rat": 1}}, r"^unknown setting\(s\) 'learning_rat'; known: activation, backend"),
])
def test_a_sweep_file_that_is_not_a_sweep_is_one_line_naming_why(data, message):
    """A sweep and its experiment are checked by one rule (json_files.checked_object): what is wrong, what is known."""
    with pytest.raises(ValueError, match=message):
        SweepSpec.from_dict(data)


def test_a_trial_failed_after_a_retry_says_so_and_names_a_different_first_cause():
    assert retried_message("the engine process crashed: signal 9", "the engine process crashed: signal 9") == \
        "the engine process crashed: signal 9, again after a retry"
    assert retried_message("the Dask task failed: KilledWorker: x", "the engine process crashed: signal 9") == \
        "the Dask task failed: KilledWorker: x, after a retry (the first attempt: the engine process crashed: signal 9)"



def test_seed_groups_of_a_diverged_seed_say_infinity_without_a_warning():
    import warnings

    import numpy as np

    from kgui.core.runs import StepRecord, SweepTag
    from kgui.core.sweeps.seeds import seed_groups

    records = []
    for seed, losses in ((0, (1.0, 0.5)), (1, (1.0, math.inf))):
        record = RunRecord.new(ExperimentSettings(dataset="spiral", seed=seed), f"seed {seed}")
        SweepTag("sweep-x", {"learning_rate": 0.1, "seed": seed}).apply(record)
        record.history = [StepRecord(step, loss, loss, None, 0.1, 0.01 * step, 1.0)
                          for step, loss in enumerate(losses, 1)]
        records.append(record)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # numpy's "invalid value encountered in subtract" on the window's stderr
        group, = seed_groups(records)
    assert group.mean.tolist() == [1.0, math.inf] and group.std[0] == 0.0 and np.isnan(group.std[1])


def test_a_sweep_over_hidden_layers_keeps_readable_runs_listed_and_exported(capsys, tmp_path):
    """README's `--grid hidden=8/8,8`: its trials' run.json held {"hidden": [8, 8]}, which the store then refused
    ("unreadable": `runs list --sweep ID` found none, TensorBoard's export failed on each)."""
    runs = str(tmp_path / "runs")
    code, out, err = run(capsys, "sweep", "--backend", ENGINE, "--dataset", "spiral", "--option", "n=200",
                         "--model", "mlp", "--steps", "3", "--grid", "hidden=8/8,8", "--in-process", "--runs-dir", runs)
    assert code == 0, err
    sweep_id = out.splitlines()[0].split()[1].rstrip(":")
    records = RunStore(tmp_path / "runs").list()
    assert len(records) == 2 and all(record.readable for record in records), [r.message for r in records]
    assert sorted(record.sweep_values["hidden"] for record in records) == [[8], [8, 8]]
    # named by their values first: a name cut short in the runs table still tells them apart
    assert sorted(record.name for record in records) == [f"Hidden layers 8 · {sweep_id} #1",
                                                         f"Hidden layers 8,8 · {sweep_id} #2"]
    code, listed, _ = run(capsys, "runs", "list", "--runs-dir", runs, "--sweep", sweep_id)
    assert code == 0 and len(listed.splitlines()) == 2
    code, _, err = run(capsys, "runs", "export", "--runs-dir", runs, "--tensorboard", str(tmp_path / "tb"))
    assert code == 0 and not err, err


def test_hidden_layer_trials_a_version_2_index_cached_as_unreadable_are_read_again(tmp_path):
    """A store listed by the kgui that refused {"hidden": [8, 8]} kept those runs as unreadable in its listing index
    (run.json unchanged, the cache trusted): the index of that version is rebuilt, and the runs list as trials."""
    import zlib

    from kgui.core.runs.files import INDEX_FILE
    from kgui.core.runs.index import _PLAIN_FIELDS, encoded, file_identity

    store = RunStore(tmp_path)
    record = RunRecord.new(SPIRAL, "trial")
    record.sweep_id, record.sweep_values = "sweep-1", {"hidden": [8, 8]}
    store.begin(record).close()
    run_json = tmp_path / record.id / "run.json"
    cached = RunRecord.unreadable(record.id, "run.json: sweep_values must be a JSON object of plain values")
    body = json.dumps({"settings": [], "runs": {record.id: [file_identity(str(run_json)), None, encoded(cached)]}},
                      separators=(",", ":")).encode()
    header = {"kgui_run_index": 2, "fields": list(_PLAIN_FIELDS), "crc32": zlib.crc32(body)}
    (tmp_path / INDEX_FILE).write_bytes(json.dumps(header).encode() + b"\n" + body)
    [listed] = store.list()
    assert listed.readable and listed.sweep_values == {"hidden": [8, 8]}, listed.message


def test_trials_are_named_in_the_words_the_rest_of_kgui_uses_unique_and_printable(tmp_path):
    """Run names read "learning_rate 0.1 · optimizer adam": the flags' names, not the runs table's words."""
    spec = SweepSpec(SPIRAL.replace(backend="jax"), (
        Axis("learning_rate", (0.1, 0.0123456789)), Axis("optimizer", ("sgd", "adam")), Axis("noise", (0.2,)),
        Axis("backend", ("jax",)), Axis("batch_size", (None,))), seeds=2, name="night \x1b[31mrun")
    runner = SweepRunner(spec, RunStore(tmp_path), ThreadExecutor(1))
    names = [runner.trial_name(trial) for trial in spec.expand()]
    assert names[0] == "Learning rate 0.1 · SGD · Noise 0.2 · JAX · Batch size full · Seed 0 · night \ufffd[31mrun #1"
    assert names[7] == ("Learning rate 0.0123457 · Adam · Noise 0.2 · JAX · Batch size full · Seed 1 · "
                        "night \ufffd[31mrun #8")
    assert len(set(names)) == 8


@pytest.mark.parametrize("stops", [1, 2])
def test_a_stopped_sweep_saves_the_trials_it_had_not_started_as_stopped_runs(tmp_path, stops):
    """"The finished trials are kept, the rest are saved as stopped": those not started yet were not saved at all. A
    second stop (a second Ctrl-C) leaves them unsaved."""
    from kgui.core.session import StepsTaken
    from kgui.core.sweeps.runner import NOT_STARTED

    store = RunStore(tmp_path)
    spec = SweepSpec(SPIRAL.replace(steps=1_000_000), (Axis("learning_rate", (0.01, 0.02, 0.05)),), seeds=2)

    saving = []

    def on_event(event):
        if isinstance(event, SavingUnstarted):
            saving.append(event)
        if isinstance(getattr(event, "event", None), StepsTaken) and not runner.stopped:
            for _ in range(stops):
                runner.stop()
    runner = SweepRunner(spec, store, ThreadExecutor(1), on_event=on_event)
    result = runner.run()
    assert result.stopped and [outcome.state for outcome in result.outcomes] == [TrialState.ENDED] + [
        TrialState.PENDING] * 5
    assert saving == ([SavingUnstarted(result.sweep_id, 5)] if stops == 1 else [])   # the command says so first
    table, rows = result_table(result, store)   # one line for them, under the trials that ran; all in the export
    assert len(rows) == len(store.list()) and not any(outcome.record.id in line for line in table
                                                       for outcome in result.outcomes[1:] if outcome.record)
    assert table[-1] == ("5 trials not started, saved as stopped runs without steps" if stops == 1
                         else table[1]) and result.outcomes[0].record.id in table[1]
    records = {record.id: record for record in store.list()}
    first = result.outcomes[0].record
    assert records[first.id].status == RunStatus.STOPPED and records[first.id].summary.steps > 0
    unstarted = [outcome.record for outcome in result.outcomes[1:] if outcome.record is not None]
    assert len(unstarted) == (5 if stops == 1 else 0) and len(records) == 1 + len(unstarted)
    for outcome in result.outcomes[1:len(unstarted) + 1]:
        record = records[outcome.record.id]
        assert (record.status, record.message, record.summary.steps) == (RunStatus.STOPPED, NOT_STARTED, 0)
        assert (record.sweep_id, record.sweep_values, record.name) == (
            result.sweep_id, outcome.trial.values, runner.trial_name(outcome.trial))
