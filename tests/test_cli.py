"""The command line: the notebooks reproduced on both engines, exports, saved runs, one-line errors."""
import io
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from engine_support import INSTALLED
from kgui import backend, cli
from kgui.cli.console import Console
from kgui.core.experiment import experiment_strings
from kgui.core.experiment.classroom import Classroom
from kgui.core.runs import RunStore
from kgui.exit_codes import EXIT_DIVERGED, EXIT_ERROR, EXIT_USAGE
from kgui.core.experiment.settings import ExperimentSettings

ROOT = Path(__file__).resolve().parents[1]
OTTO = Path(os.environ.get("KGUI_OTTO_DIR", ROOT.parent / "shared/data/kaggle_ottogroup"))
ENGINES = ["tensorflow", "theano"]
ALL_INSTALLED = [name for name in backend.engine_ids() if name in INSTALLED]


def run(capsys, *args):
    """``kgui`` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def loss_lines(out):
    return [line for line in out.splitlines() if line.startswith("Loss: ")]


def test_otto_logistic_regression_prints_the_same_losses_on_both_engines(capsys, tmp_path):
    if not (OTTO / "train.csv.gz").is_file():
        pytest.skip(f"real Otto data not found in {OTTO} (set KGUI_OTTO_DIR)")
    printed = {}
    for engine in ENGINES:
        code, out, err = run(capsys, "run", "--dataset", "otto", "--data-path", str(OTTO), "--steps", "25",
                             "--backend", engine, "--runs-dir", str(tmp_path))
        assert code == 0, err
        printed[engine] = loss_lines(out)
        assert f"{engine} " in out and "otto (49502 train / 12376 validation rows, 93 features) · softmax" in out
    assert len(printed["tensorflow"]) == 3  # steps 1 and 21 like the notebook, and the last one
    losses = [float(line.split()[1]) for line in printed["tensorflow"]]
    assert [float(line.split()[1]) for line in printed["theano"]] == pytest.approx(losses, rel=1e-5)
    assert all(re.fullmatch(r"Loss: \d\.\d{1,5}", line) for line in printed["tensorflow"])   # 6 significant digits
    assert losses[0] > losses[1] > losses[2]
    assert len(RunStore(tmp_path).list()) == 2


@pytest.mark.parametrize("engine", ALL_INSTALLED)
def test_linear_exercise_converges_to_the_notebook_values(capsys, tmp_path, engine):
    code, out, err = run(capsys, "run", "--dataset", "linear", "--lr", "0.5", "--steps", "200", "--backend", engine,
                         "--runs-dir", str(tmp_path))
    assert code == 0, err
    lines = loss_lines(out)
    assert len(lines) == 11
    assert re.fullmatch(r"Loss: 0\.0\d{6}, w, b: \[\d\.\d\d, \d\.\d\d\]", lines[0])
    assert lines[0] != lines[-1]
    assert re.fullmatch(r"Loss: \d(\.\d+)?e-\d\d, w, b: \[0\.96, 0\.24\]", lines[-1])   # 6 significant digits
    assert re.search(r"^finished: 200 steps in \S+ s · train loss \d(\.\d+)?e-\d\d · val loss \d(\.\d+)?e-\d\d$", out,
                     re.MULTILINE)      # not 0.0000
    assert err == ""  # no progress bar when stderr is not a terminal


def test_all_engines_compare_losses_and_export(capsys, tmp_path):
    exports = [tmp_path / name for name in ("h.csv", "h.json", "loss.png", "loss.svg")]
    code, out, err = run(capsys, "run", "--dataset", "iris", "--steps", "5", "--backend", "all", "--lr", "0.3",
                         "--runs-dir", str(tmp_path / "runs"), *[f"--export={path}" for path in exports])
    assert code == 0, err
    match = re.search(r"largest loss difference between engines: (\S+) \((\w+) vs (\w+), step \d+\)", out)
    assert match and float(match.group(1)) < 1e-4 and {match.group(2), match.group(3)} <= set(ALL_INSTALLED)
    assert re.search(r"^parity: same within float32 tolerance \(max \|Δloss\| = \S+\)$", out, re.MULTILINE)
    runs = RunStore(tmp_path / "runs").list()
    assert sorted(r.engine for r in runs) == sorted(ALL_INSTALLED)
    for path in exports:
        assert f"wrote {path}" in out and path.stat().st_size > 0
    assert (tmp_path / "h.csv").read_text().count("\n") == 1 + len(ALL_INSTALLED) * 5


@pytest.mark.skipif(len(ALL_INSTALLED) < 3, reason="needs three installed engines")
def test_all_engines_names_an_engine_whose_install_is_broken_and_compares_the_others(tmp_path):
    """A real broken install: a ``pytensor`` package whose import raises, first on the subprocess's path."""
    broken = tmp_path / "site" / "pytensor"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise RuntimeError("simulated broken install")\n')
    env = {**os.environ, "PYTHONPATH": f"{broken.parent}{os.pathsep}{ROOT}"}
    result = subprocess.run([sys.executable, "-m", "kgui", "run", "--dataset", "iris", "--steps", "3",
                             "--backend", "all", "--runs-dir", str(tmp_path / "runs"),
                             f"--export={tmp_path / 'h.csv'}"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("kgui")] == [
        "kgui: error: Theano (PyTensor) is installed but cannot be imported (RuntimeError: simulated broken "
        "install); reinstall it with: pip install pytensor==3.0.7"]
    others = sorted(set(ALL_INSTALLED) - {"theano"})
    assert sorted(record.engine for record in RunStore(tmp_path / "runs").list()) == others
    assert re.search(r"^parity: same within float32 tolerance \(max \|Δloss\| = \S+\); Theano \(PyTensor\) is "
                     r"installed but cannot be imported", result.stdout, re.MULTILINE)
    assert (tmp_path / "h.csv").read_text().count("\n") == 1 + len(others) * 3


def test_lr_find_suggests_a_rate_the_linear_exercise_trains_with(capsys, tmp_path):
    exports = [tmp_path / name for name in ("sweep.csv", "sweep.json", "sweep.png")]
    code, out, err = run(capsys, "lr-find", "--dataset", "linear", "--backend", "theano",
                         *[f"--export={path}" for path in exports])
    assert code == 0, err
    assert out.startswith("learning-rate range test · theano · linear · lr 1e-06 to 10 over 100 steps\n")
    four = r"\(valley \S+, steep \S+, minimum \S+, slide \S+\)"   # every rule's rate is printed
    suggestion = float(re.search(r"^suggested learning rate (\S+) " + four, out, re.MULTILINE).group(1))
    assert 0.19 <= suggestion <= 0.787  # the band of tests/test_core_lr_finder.py
    assert "the loss blew up" in out
    for path in exports:
        assert f"wrote {path}" in out and path.stat().st_size > 0
    rows = (tmp_path / "sweep.csv").read_text().splitlines()
    assert rows[0] == "step,learning_rate,loss,smoothed_loss" and rows[1].startswith("1,1e-06,")


@pytest.mark.parametrize("args, message", [
    (["--start", "1", "--end", "0.1"], "the range test needs 0 < start < end, got start 1.0 and end 0.1"),
    (["--steps", "3"], "the range test needs at least 10 steps, got 3"),
    (["--export", "sweep.gif"], "cannot export to sweep.gif: unknown extension '.gif'"),
    (["--dataset", "mnist"], "unknown dataset 'mnist'"),
])
def test_lr_find_bad_input_is_one_line(capsys, args, message):
    code, out, err = run(capsys, "lr-find", *args)
    assert (code, out) == (EXIT_ERROR, "")
    assert err == f"kgui: error: {message}\n" or (err.count("\n") == 1 and message in err)


def test_config_file_with_flag_overrides(capsys, tmp_path):
    config = tmp_path / "exp.json"
    config.write_text(ExperimentSettings(dataset="linear", dataset_options={"n": 100}, learning_rate=0.5,
                                         steps=3).to_json())
    code, out, err = run(capsys, "run", "--config", str(config), "--steps", "4", "--runs-dir", str(tmp_path),
                         "--name", "from config")
    assert code == 0, err
    [saved] = RunStore(tmp_path).list(with_history=True)
    assert (saved.name, len(saved.history), saved.settings.dataset_options) == ("from config", 4, {"n": 100})
    assert "linear (80 train / 20 validation rows, 1 feature)" in out


def test_diverging_run_exits_3_and_is_saved(capsys, tmp_path):
    code, out, err = run(capsys, "run", "--dataset", "linear", "--lr", "1e6", "--steps", "50",
                         "--runs-dir", str(tmp_path))
    assert code == EXIT_DIVERGED
    assert out.splitlines()[-2].startswith("diverged: 2 steps")
    assert err.startswith("kgui: diverged at step 2 with learning rate 1e+06")
    assert RunStore(tmp_path).list()[0].status == "diverged"


@pytest.mark.parametrize("args, message", [
    (["--lr", "0"], "learning_rate must be a positive number, got 0.0"),
    (["--lr", "-1"], "learning_rate must be a positive number, got -1.0"),
    (["--steps", "0"], "steps must be at least 1, got 0"),
    (["--dataset", "mnist"], "unknown dataset 'mnist'"),
    (["--backend", "cntk"], "unknown backend 'cntk'"),
    (["--dataset", "NOWHERE/x.csv"], "NOWHERE/x.csv: no such file"),
    (["--config", "NOWHERE.json"], "cannot read NOWHERE.json"),
    (["--option", "n=1"], "dataset option n must be at least 2, got 1"),
    (["--export", "loss.gif"], "cannot export to loss.gif: unknown extension '.gif'; use .csv, .json, .png, .svg, "
                               ".py"),
    (["--batch-size", "5000"], "batch_size 5000 is larger than the 800 training rows of linear"),
])
def test_bad_input_gives_one_line_and_exit_1(capsys, tmp_path, args, message):
    code, out, err = run(capsys, "run", "--runs-dir", str(tmp_path), *args)
    assert code == EXIT_ERROR
    assert err.count("\n") == 1 and err.startswith("kgui: error: ") and message in err
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []  # nothing half-written


def test_bad_csv_names_the_line(capsys, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,x\n3,oops,y\n")
    code, _, err = run(capsys, "run", "--dataset", str(path), "--runs-dir", str(tmp_path / "runs"))
    assert code == 1 and err == f"kgui: error: {path}: column 'b' is not numeric: line 3 has 'oops'\n"
    assert not (tmp_path / "runs").exists()


def test_usage_errors_are_one_line_with_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["run", "--steps", "many"])
    assert caught.value.code == EXIT_USAGE
    assert capsys.readouterr().err == "kgui: error: argument --steps: invalid int value: 'many'\n"


def test_runs_list_and_delete(capsys, tmp_path):
    assert run(capsys, "run", "--steps", "3", "--lr", "0.5", "--runs-dir", str(tmp_path))[0] == 0
    code, out, _ = run(capsys, "runs", "list", "--runs-dir", str(tmp_path))
    [record] = RunStore(tmp_path).list()
    run_id = record.id
    assert code == 0 and out.startswith(run_id) and "finished" in out and "3 steps" in out
    assert f" loss {record.summary.last.train_loss:.5g} " in out     # 5 significant digits: 4e-14 is not 0.0000
    code, out, _ = run(capsys, "runs", "show", run_id, "--runs-dir", str(tmp_path))
    line, summary, again = out.splitlines()
    assert code == 0 and line.startswith(run_id) and summary.startswith("  finished: 3 steps in ")
    assert again.startswith("  again: kgui run --config 'kgui:1.")      # the experiment, to train it again
    assert experiment_strings.decode(again.split("'")[1])[0] == RunStore(tmp_path).load(run_id).settings
    code, out, _ = run(capsys, "runs", "delete", run_id, "--runs-dir", str(tmp_path))
    assert (code, out) == (0, f"deleted run {run_id}\n")
    assert run(capsys, "runs", "list", "--runs-dir", str(tmp_path))[1] == f"no runs in {tmp_path}\n"
    code, _, err = run(capsys, "runs", "delete", run_id, "--runs-dir", str(tmp_path))
    assert code == 1 and err == f"kgui: error: no run '{run_id}' in {tmp_path}\n"


def test_progress_bar_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out, err = io.StringIO(), Terminal()
    console = Console(out, err)
    step = types.SimpleNamespace(step=1, train_loss=1.23456, params={})
    console.step(step, total=2)
    assert out.getvalue() == "Loss: 1.23456\n"
    assert err.getvalue().endswith("\r[###############...............] 1/2 loss 1.2346")
    quiet = io.StringIO()
    Console(io.StringIO(), quiet).step(step, total=2)
    assert quiet.getvalue() == ""


def test_no_arguments_opens_the_window_and_open_passes_the_experiment(monkeypatch):
    calls = []
    window = types.SimpleNamespace(main=lambda settings, **options: calls.append((settings, options)) or 0)
    monkeypatch.setitem(sys.modules, "kgui.ui", window)
    assert cli.main([]) == 0 and calls.pop() == (None, {"start": False, "screenshot": None, "classroom": None,
                                                        "show_remembered_runs": True})
    assert cli.main(["open"]) == 0 and calls.pop() == (None, {"start": False, "screenshot": None,
                                                              "classroom": Classroom(), "show_remembered_runs": True})
    assert cli.main(["open", "--dataset", "iris", "--lr", "0.5", "--start", "--screenshot", "w.png"]) == 0
    settings, options = calls.pop()
    assert (settings.dataset, settings.learning_rate) == ("iris", 0.5)
    assert options == {"start": True, "screenshot": "w.png", "classroom": Classroom(),
                       "show_remembered_runs": False}     # experiment flags: the new run alone (issue 21.13)
    assert cli.main(["open", "--dataset", "iris", "--show-runs"]) == 0
    assert calls.pop()[1]["show_remembered_runs"]
    shared = experiment_strings.encode(ExperimentSettings(dataset="xor", steps=7), Classroom(lock={"dataset"}))
    assert cli.main(["open", shared, "--lr", "0.2", "--hide", "optimizer,engine", "--lock", "steps"]) == 0
    settings, options = calls.pop()
    assert (settings.dataset, settings.steps, settings.learning_rate) == ("xor", 7, 0.2)
    assert options["classroom"] == Classroom(hide={"optimizer", "engine"}, lock={"dataset", "steps"})


def test_no_window_available_is_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "kgui.ui", None)
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kgui: error: the window is not available") and err.count("\n") == 1


def test_main_py_is_the_cli_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, "main.py", "run", "--lr", "0", "--runs-dir", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr == "kgui: error: learning_rate must be a positive number, got 0.0\n"
    help_text = subprocess.run([sys.executable, "-m", "kgui", "run", "--help"], capture_output=True, text=True,
                               cwd=ROOT).stdout
    assert "--backend" in help_text and "--export FILE" in help_text


def test_open_explains_what_the_window_cannot_do(capsys):
    assert cli.main(["open", "--backend", "all"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kgui: error: the window trains one engine at a time") and err.count("\n") == 1
    assert cli.main(["open", "--lr", "-1"]) == 1
    assert "learning_rate must be a positive number" in capsys.readouterr().err


def test_open_with_too_large_values_is_one_line_and_nothing_clamps(monkeypatch, capsys, tmp_path):
    calls = []
    monkeypatch.setitem(sys.modules, "kgui.ui", types.SimpleNamespace(
        main=lambda settings, **options: calls.append(settings) or 0))
    for flags in (["--steps", "3000000000"], ["--seed", "4294967296"], ["--batch-size", "2147483648"]):
        assert cli.main(["open", *flags]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert err.startswith(f"kgui: error: {flags[0][2:].replace('-', '_')} must be at most ") and \
            err.count("\n") == 1
    assert calls == []
    assert cli.main(["open", "--steps", "1000001", "--seed", "4294967295"]) == 0
    assert (calls[0].steps, calls[0].seed) == (1_000_001, 4_294_967_295)


def test_mlp_flags_train_and_the_header_names_model_and_optimizer(capsys, tmp_path):
    code, out, err = run(capsys, "run", "--dataset", "iris", "--model", "mlp", "--hidden", "8,4",
                         "--activation", "tanh", "--optimizer", "sgd", "--momentum", "0.9", "--nesterov",
                         "--l2", "1e-4", "--epochs", "2", "--batch-size", "30", "--lr", "0.05",
                         "--runs-dir", str(tmp_path))
    assert (code, err) == (0, "")
    assert "mlp 8,4 tanh · l2 0.0001 · sgd (momentum 0.9, nesterov) · lr 0.05 · 8 steps (2 epochs)" in out
    assert len(loss_lines(out)) == 2  # steps 1 and 8


def test_a_bad_combination_of_flags_is_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "run", "--dataset", "iris", "--optimizer", "adam", "--momentum", "0.9",
                         "--runs-dir", str(tmp_path))
    assert (code, err) == (1, "kgui: error: momentum applies to the sgd optimizer only, not adam\n")


def test_run_export_py_writes_the_script_that_prints_the_same_losses(capsys, tmp_path):
    script = tmp_path / "experiment.py"
    code, out, err = run(capsys, "run", "--dataset", "linear", "--option", "n=100", "--lr", "0.5", "--steps", "21",
                         "--optimizer", "adam", "--export", str(script), "--runs-dir", str(tmp_path / "runs"))
    assert (code, err) == (0, "") and f"wrote {script}" in out
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KGUI_BACKEND", None)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    history = RunStore(tmp_path / "runs").list(with_history=True)[0].history
    script_losses = [float(line.split()[1].rstrip(",")) for line in loss_lines(result.stdout)]
    assert script_losses == pytest.approx([history[i].train_loss for i in (0, 20)], abs=1e-6)


@pytest.mark.parametrize("floatx", ["float64", "float16"])
def test_a_config_file_floatx_other_than_float32_is_refused_in_one_line(capsys, tmp_path, monkeypatch, floatx):
    from kgui.backend import config

    path = tmp_path / "kgui.json"
    path.write_text(json.dumps({"floatx": floatx}))
    monkeypatch.setenv("KGUI_CONFIG", str(path))
    config.reset()
    try:
        for command in (["run", "--dataset", "iris", "--steps", "2", "--runs-dir", str(tmp_path / "runs")],
                        ["lr-find", "--dataset", "linear"]):
            code, out, err = run(capsys, *command)
            assert code == 1 and err == (f"kgui: error: kgui trains in float32, but floatx is '{floatx}' (set in "
                                         f"{path} or by K.set_floatx): remove it there, or set \"float32\"\n")
    finally:
        monkeypatch.delenv("KGUI_CONFIG")
        config.reset()
    assert not (tmp_path / "runs").exists()


def kgui_process(*args, tmp_path, env=None, timeout=600):
    """``python -m kgui ARGS`` in a fresh process of this tree, with its own data, config and cache folders."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **{name: str(tmp_path / name) for name in
                                                     ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")},
           **(env or {})}
    for name in ("KGUI_ENGINE_LOGS", "PYTENSOR_FLAGS"):   # (kgui sets PYTENSOR_FLAGS in a process that loads Theano)
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "kgui", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_tensorflow_prints_nothing_of_its_own_on_a_command_line_run(tmp_path):
    result = kgui_process("run", "--dataset", "iris", "--steps", "2", "--backend", "tensorflow", tmp_path=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_window_starts_and_trains_without_tensorflows_lines(tmp_path):
    result = kgui_process("open", "--dataset", "linear", "--steps", "3", "--backend", "tensorflow", "--start",
                          "--screenshot", str(tmp_path / "w.png"), tmp_path=tmp_path,
                          env={"QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert "absl::InitializeLog" not in result.stderr and "oneDNN" not in result.stderr, result.stderr


def test_missing_openblas_is_one_kgui_line_not_pytensors_warning(tmp_path):
    """OpenBLAS looked for and not found (ctypes.util.find_library, as kgui and PyTensor's search use it)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import ctypes.util\n_find = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: None if name == 'openblas' else _find(name)\n")
    result = kgui_process("run", "--dataset", "iris", "--steps", "2", "--backend", "theano", "--hidden", "4",
                          "--model", "mlp", tmp_path=tmp_path, env={"PYTHONPATH": f"{site}{os.pathsep}{ROOT}"})
    assert result.returncode == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "BLAS" in line or line.startswith("kgui")]
    assert said == ["kgui: warning: OpenBLAS is not installed, so the Theano engine multiplies matrices without "
                    "BLAS (much slower); install it: sudo apt-get install libopenblas-dev (Debian/Ubuntu)"], \
        result.stderr   # (PyTensor may also say it waits for another process's lock on its compile folder)


def test_the_exit_codes_are_read_from_their_owner_not_from_the_cli():
    """Issue 26: kgui.exit_codes owns them; kgui.cli does not re-export them for tests."""
    assert not [name for name in vars(cli) if name.startswith("EXIT_")]
    assert EXIT_ERROR == 1 and EXIT_USAGE == 2
