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
