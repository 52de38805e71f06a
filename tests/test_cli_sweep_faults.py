"""``kgui sweep`` given bad axes or a bad sweep file: one line naming the problem, exit code 1, no run written."""
import json

import pytest

from kgui import cli

SWEEP = ["sweep", "--dataset", "spiral", "--model", "mlp", "--hidden", "8", "--steps", "5", "--workers", "0"]


def sweep(capsys, tmp_path, *args):
    code = cli.main([*SWEEP, *args, "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("args, says", [
    (["--grid", "optimizer=sgd,bogus"], "optimizer must be one of sgd, rmsprop, adagrad, adam, got 'bogus'"),
    (["--grid", "hidden=8/8,abc"], "--grid hidden takes layer widths like 8,8/16 (whole numbers), got '8/8,abc'"),
    (["--tpe", "2", "--range", "lr=0.1:1", "--sample-seed", "-3"],
     "sample_seed must be a whole number from 0 to 2**32 - 1, got -3"),
], ids=["unknown-optimizer", "hidden-not-a-number", "negative-sample-seed"])
def test_a_bad_axis_is_one_line_naming_it(capsys, tmp_path, args, says):
    code, err = sweep(capsys, tmp_path, *args)
    assert code == 1
    assert err.splitlines() == [err] and says in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


@pytest.mark.parametrize("sample_seed", ["x", 2.5, True, 2 ** 40])
def test_a_sweep_file_with_a_bad_sample_seed_is_one_line(capsys, tmp_path, sample_seed):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps({"experiment": {"dataset": "spiral"}, "method": "tpe", "trials": 2,
                                "axes": [{"name": "lr", "low": 0.01, "high": 1}], "sample_seed": sample_seed}))
    code, err = sweep(capsys, tmp_path, "--config", str(path))
    assert code == 1
    assert err.splitlines() == [err] and "sample_seed must be a whole number" in err
