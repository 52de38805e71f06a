"""Runs as TensorBoard event files: read back with TensorBoard's own event reader, equal to the run history
(float32, as TensorBoard's data server reads scalars); the command line's ``runs export --tensorboard``."""
import json
import sys

import numpy as np
import pytest

from kgui import cli
from kgui.core.exports import tensorboard
from kgui.core.runs import RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.training.trainer import Trainer
from kgui.core.training.training_control import TrainingControl
from kgui.exit_codes import EXIT_DIVERGED


def train(store, **settings):
    trainer = Trainer(ExperimentSettings(**settings), TrainingControl(), store)
    record = trainer.run(None)
    assert record.status == "finished", record.message
    return record


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    store = RunStore(tmp_path_factory.mktemp("runs"))
    iris = train(store, dataset="iris", learning_rate=0.5, steps=12)
    linear = train(store, dataset="linear", dataset_options={"n": 100}, learning_rate=0.3, steps=8,
                   val_fraction=0.0)
    return store, [store.load(iris.id), store.load(linear.id)]


def read_back(folder):
    """Every tag's (step, wall time, value) and the settings text, through TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    tags = accumulator.Tags()["tensors"]
    values = {tag: [(event.step, event.wall_time, tensor_util.make_ndarray(event.tensor_proto))
                    for event in accumulator.Tensors(tag)] for tag in tags}
    (_, _, text), = values.pop(tensorboard.SETTINGS_TAG)
    plugins = {tag: accumulator.SummaryMetadata(tag).plugin_data.plugin_name for tag in tags}
    return values, text.item().decode("utf-8"), plugins


def test_event_files_hold_the_run_history_exactly(runs, tmp_path):
    store, records = runs
    folders = tensorboard.export_runs(records, tmp_path / "tb").folders
    assert [folder.parent for folder in folders] == [tmp_path / "tb"] * 2
    for record, folder in zip(records, folders):
        assert folder.name.startswith(record.id)
        values, text, plugins = read_back(folder)
        start = tensorboard.start_time(record)
        for tag, field in tensorboard.TAGS.items():
            expected = [(s.step, start + s.elapsed, np.float32(getattr(s, field))) for s in record.history
                        if getattr(s, field) is not None]
            got = [(step, wall_time, value.item()) for step, wall_time, value in values.get(tag, [])]
            assert got == expected, tag
            if expected:    # float32, as tf.summary.scalar: TensorBoard's default data server drops float64 scalars
                assert plugins[tag] == "scalars" and values[tag][0][2].dtype == np.float32
        settings_json = text.split("```json\n")[1].split("\n```")[0]
        assert ExperimentSettings.from_dict(json.loads(settings_json)) == record.settings
        assert record.engine in text and record.status in text
    iris_values, _, _ = read_back(folders[0])
    assert set(iris_values) == set(tensorboard.TAGS)                   # all four scalars for classification
    linear_values, _, _ = read_back(folders[1])
    assert set(linear_values) == {"loss/training", "learning_rate"}    # no validation split, no accuracy


def test_exporting_again_replaces_the_event_file(runs, tmp_path):
    _, records = runs
    tensorboard.export_run(records[1], tmp_path)
    folder = tensorboard.export_run(records[1], tmp_path)
    assert len(list(folder.glob("events.out.tfevents.*"))) == 1


def test_exporting_does_not_import_tensorflow(tmp_path):
    import subprocess

    code = ("import sys; from kgui.core.exports import tensorboard; from kgui.core.runs import RunRecord, StepRecord\n"
            "from kgui.core.experiment.settings import ExperimentSettings\n"
            "r = RunRecord.new(ExperimentSettings()); r.history = [StepRecord(1, 0.5, None, None, 0.1, 0.01, 1.0)]\n"
            "r.sweep_id, r.sweep_values = 's', {'learning_rate': 0.1}\n"
            f"tensorboard.export_run(r, {str(tmp_path)!r}); print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=tensorboard.__file__.rsplit("/kgui/", 1)[0])
    assert result.stdout.strip() == "False", result.stderr


def test_command_line_exports_chosen_or_all_runs(runs, tmp_path, capsys):
    store, records = runs
    code = cli.main(["runs", "export", "--tensorboard", str(tmp_path / "one"), records[1].id,
                     "--runs-dir", str(store.root)])
    out, err = capsys.readouterr()
    assert code == 0, err
    folder, = (tmp_path / "one").iterdir()
    assert out.strip() == f"wrote {folder}" and folder.name.startswith(records[1].id)
    assert cli.main(["runs", "export", "--tensorboard", str(tmp_path / "all"), "--runs-dir", str(store.root)]) == 0
    assert sorted(p.name.split("_")[0] for p in (tmp_path / "all").iterdir()) == sorted(r.id for r in records)
    capsys.readouterr()
    code = cli.main(["runs", "export", "--tensorboard", str(tmp_path / "x"), "no-such-run",
                     "--runs-dir", str(store.root)])
    out, err = capsys.readouterr()
    assert code == 1 and err.startswith("kgui: error: no run 'no-such-run'") and len(err.splitlines()) == 1


def test_export_writes_every_run_it_can_and_names_the_others(runs, tmp_path, capsys):
    store, records = runs
    local = RunStore(tmp_path / "store")
    long_name = train(local, dataset="linear", dataset_options={"n": 50}, learning_rate=0.3, steps=3)
    local.rename(long_name.id, "a run named at length " * 14)   # 308 characters
    damaged = train(local, dataset="linear", dataset_options={"n": 50}, learning_rate=0.1, steps=3)
    path = local.root / damaged.id / "run.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "created": ""}))
    code = cli.main(["runs", "export", "--tensorboard", str(tmp_path / "tb"), "--runs-dir", str(local.root)])
    out, err = capsys.readouterr()
    assert code == 1
    assert err == f"kgui: error: run {damaged.id} cannot be exported: its creation time '' is not a date\n"
    folder, = (tmp_path / "tb").iterdir()
    assert out == f"wrote {folder}\n"
    assert folder.name.startswith(f"{long_name.id}_a_run_named_at_length") and len(folder.name) <= 120
    values, text, _ = read_back(folder)
    assert [value for _, _, value in values["loss/training"]] == [s.train_loss for s in local.load(long_name.id).history]


def test_a_diverged_run_with_layer_statistics_exports_its_losses_and_its_finite_weights(tmp_path, capsys):
    store = RunStore(tmp_path / "runs")
    for rate in ("1e10", "1e30"):   # weights that end huge and all equal, or not finite at all
        assert cli.main(["run", "--dataset", "linear", "--steps", "5", "--lr", rate, "--layer-stats", "every=1",
                         "--runs-dir", str(store.root)]) == EXIT_DIVERGED
    capsys.readouterr()
    assert cli.main(["runs", "export", "--tensorboard", str(tmp_path / "tb"), "--runs-dir", str(store.root)]) == 0
    assert capsys.readouterr().err == ""
    for record in store.list():
        folder, = (tmp_path / "tb").glob(f"{record.id}_*")
        values, _, _ = read_back(folder)
        assert len(values["loss/training"]) == len(store.load(record.id).history)


def test_a_sweeps_trials_export_hparams_sessions_read_back_by_tensorboard(tmp_path):
    """Issue 25: the HParams plugin's session start (axis values, grouped by configuration without the seed) and
    end (status) for each trial, read back with TensorBoard's EventAccumulator and the plugin's own parser."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import api_pb2, metadata

    store = RunStore(tmp_path / "runs")
    records = []
    for rate, seed in ((0.1, 0), (0.1, 1), (0.5, 0)):
        record = train(store, dataset="iris", learning_rate=rate, steps=4, seed=seed, optimizer="adam")
        record.sweep_id, record.sweep_values = "sweep-x", {"learning_rate": rate, "optimizer": "adam", "seed": seed,
                                                           "hidden": [8, 8]}
        records.append(record)
    exported = tensorboard.export_runs(records, tmp_path / "tb")
    starts, ends = [], []
    for folder in exported.folders:
        accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
        accumulator.Reload()
        content = accumulator.PluginTagToContent(metadata.PLUGIN_NAME)
        starts.append(metadata.parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG]))
        ends.append(metadata.parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG]))
        assert "loss/validation" in accumulator.Tags()["tensors"]     # the metric beside it
    assert [dict((name, value.number_value) for name, value in start.hparams.items()
                 if name in ("learning_rate", "seed")) for start in starts] == [
        {"learning_rate": 0.1, "seed": 0.0}, {"learning_rate": 0.1, "seed": 1.0}, {"learning_rate": 0.5, "seed": 0.0}]
    assert {start.hparams["optimizer"].string_value for start in starts} == {"adam"}
    assert starts[0].hparams["hidden"].string_value == "8,8"
    assert starts[0].group_name == starts[1].group_name != starts[2].group_name   # seeds of one configuration
    assert [end.status for end in ends] == [api_pb2.STATUS_SUCCESS] * 3
    plain = tensorboard.event_file_bytes(train(store, dataset="iris", steps=2))   # a run on its own: no session
    assert metadata.SESSION_START_INFO_TAG.encode() not in plain


def test_a_scheduled_runs_learning_rate_is_each_steps_effective_rate(tmp_path):
    store = RunStore(tmp_path / "runs")
    record = store.load(train(store, dataset="linear", dataset_options={"n": 60}, learning_rate=0.4, steps=12,
                              schedule="step", drop=0.5, every=4).id)
    values, _, _ = read_back(tensorboard.export_runs([record], tmp_path / "tb").folders[0])
    assert [value.item() for _, _, value in values["learning_rate"]] == list(np.float32([0.4] * 4 + [0.2] * 4 + [0.1] * 4))


def test_a_run_on_a_file_whose_name_is_not_utf8_exports_with_the_byte_replaced(tmp_path):
    """A CSV named with a byte that is not UTF-8 (kept by Python as a surrogate) stopped the export: "'utf-8' codec
    can't encode character '\\udcff' … surrogates not allowed"."""
    import os

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata

    path = tmp_path / os.fsdecode(b"bad\xffname.csv")
    path.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    record = train(RunStore(tmp_path / "runs"), dataset=str(path), steps=2)
    record.sweep_id, record.sweep_values = "sweep-x", {"dataset": str(path)}
    folder, = tensorboard.export_runs([record], tmp_path / "tb").folders
    _, text, _ = read_back(folder)
    assert "bad\ufffdname.csv" in text
    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    start = metadata.parse_session_start_info_plugin_data(
        accumulator.PluginTagToContent(metadata.PLUGIN_NAME)[metadata.SESSION_START_INFO_TAG])
    assert start.hparams["dataset"].string_value.endswith("bad\ufffdname.csv")
