"""``kgui runs``: which runs ``runs list --sweep`` lists, and in what order; a --runs-dir that is no folder."""
import pytest

from kgui import cli
from kgui.exit_codes import EXIT_USAGE


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


@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "list", "--sweep", "sweep-1"], ["runs", "show", "a"],
                                     ["runs", "delete", "a"], ["runs", "export", "--tensorboard", "tb"],
                                     ["run", "--steps", "2"], ["sweep", "--grid", "lr=0.1,0.2", "--workers", "0"]])
def test_a_runs_dir_that_is_a_file_is_one_line_saying_so_for_every_command(capsys, tmp_path, command):
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
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]
