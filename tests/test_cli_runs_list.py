"""``kgui runs``: which runs ``runs list --sweep`` lists, and in what order; a --runs-dir that is no folder."""
import pytest

from kgui import cli
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs import RunRecord, RunStore, SweepTag
from kgui.exit_codes import EXIT_ERROR, EXIT_USAGE


def run(capsys, *args):
    """``kgui`` in this process: (exit code, stdout, stderr)."""
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("sweep_id", ["", "  "])
def test_an_empty_sweep_id_is_one_line_not_every_run(capsys, tmp_path, sweep_id):
    with pytest.raises(SystemExit) as caught:
        cli.main(["runs", "list", "--runs-dir", str(tmp_path), "--sweep", sweep_id])
    out, err = capsys.readouterr()
    assert caught.value.code == EXIT_USAGE and out == ""
    assert err == "kgui: error: argument --sweep: expected a sweep id (kgui sweep prints it), got an empty one\n"


def test_a_sweep_id_of_control_characters_is_shown_safely(capsys, tmp_path):
    """The id is echoed in 'no runs of sweep ID': an escape sequence in it coloured the terminal."""
    code, out, err = run(capsys, "runs", "list", "--runs-dir", str(tmp_path), "--sweep", "x\x1b[31mred\nline")
    assert (code, err) == (0, "") and out == f"no runs of sweep x\ufffd[31mred\\nline in {tmp_path}\n"


@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "list", "--sweep", "sweep-1"], ["runs", "show", "a"],
                                     ["runs", "delete", "a"], ["runs", "export", "--tensorboard", "tb"],
                                     ["run", "--steps", "2"], ["sweep", "--grid", "lr=0.1,0.2", "--workers", "0"]])
def test_a_runs_dir_that_is_a_file_is_one_line_saying_so_for_every_command(capsys, tmp_path, command,
                                                                             monkeypatch):
    """It said "no runs in FILE" (list, export), or failed only after training had begun (run, sweep)."""
    (tmp_path / "file").write_text("")
    for given, says in [(tmp_path / "file", f"{tmp_path / 'file'} is not a folder"),
                        (tmp_path / "file" / "runs", f"{tmp_path / 'file' / 'runs'} cannot be made: "
                                                     f"{tmp_path / 'file'} is not a folder")]:
        with pytest.raises(SystemExit) as caught:
            cli.main([*command, "--runs-dir", str(given)])
        out, err = capsys.readouterr()
        assert (caught.value.code, out, err) == (EXIT_USAGE, "", f"kgui: error: argument --runs-dir: {says}\n")
    with pytest.raises(SystemExit):
        cli.main([*command, "--runs-dir", ""])
    assert capsys.readouterr().err == "kgui: error: argument --runs-dir: expected a folder, got an empty path\n"
    monkeypatch.setenv("KGUI_RUNS_DIR", str(tmp_path / "file"))     # the folder by default: the same, in one line
    assert cli.main(command) == EXIT_ERROR
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"kgui: error: KGUI_RUNS_DIR: {tmp_path / 'file'} is not a folder\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]


def test_a_sweeps_trials_are_listed_by_their_axis_values_not_by_run_id(capsys, tmp_path):
    """Trials made within one second were listed by their ids' random part: in no order a person can follow."""
    store = RunStore(tmp_path)
    grid = [(rate, hidden, seed) for rate in (0.001, 0.01, 0.1) for hidden in ([8], [8, 8], [16]) for seed in (0, 1)]
    for number, (rate, hidden, seed) in enumerate(reversed(grid)):    # ids sort the other way round
        record = RunRecord(f"20260101-120000-{number:06x}", f"trial {rate} {hidden} {seed}",
                           ExperimentSettings(learning_rate=rate, seed=seed), created="2026-01-01T12:00:00+00:00")
        SweepTag("sweep-1", {"learning_rate": rate, "hidden": hidden, "seed": seed}).apply(record)
        store.begin(record).close()
    store.begin(RunRecord("20250101-120000-000000", "no trial", ExperimentSettings())).close()
    code, out, err = run(capsys, "runs", "list", "--runs-dir", str(tmp_path), "--sweep", "sweep-1")
    assert (code, err) == (0, "")
    assert [line.split("  ")[-1].strip() for line in out.splitlines()] == [
        f"trial {rate} {hidden} {seed}" for rate, hidden, seed in sorted(grid)]   # [8], [8, 8], [16]
