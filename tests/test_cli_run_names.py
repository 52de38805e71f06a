"""Names and messages from outside (``--name``, a sweep file's name, a hand-edited run.json) are shown safely:
no terminal escape sequence, NUL or line break reaches the terminal, and a huge name is cut, not copied into every
trial's run.json."""
import json

from kgui import cli
from kgui.core.runs import RunStore

HOSTILE = "evil\x1b[2J\x1b[31mred\x07\x00\u202e\nsecond line"


def printed(capsys, *args) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def assert_safe(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\x07\x00\u202e"), repr(text)


def test_a_run_name_with_escape_sequences_is_listed_without_them(capsys, tmp_path):
    printed(capsys, "run", "--dataset", "spiral", "--steps", "2", "--name", HOSTILE, "--runs-dir", str(tmp_path))
    listing = printed(capsys, "runs", "list", "--runs-dir", str(tmp_path))
    assert_safe(listing)
    assert len(listing.strip().splitlines()) == 1 and "evil" in listing and "second line" in listing


def test_a_hand_edited_run_json_name_and_message_are_listed_without_escape_sequences(capsys, tmp_path):
    printed(capsys, "run", "--dataset", "spiral", "--steps", "2", "--runs-dir", str(tmp_path))
    [record] = RunStore(tmp_path).list()
    path = tmp_path / record.id / "run.json"
    data = json.loads(path.read_text())
    data.update(name=HOSTILE, message=HOSTILE)
    path.write_text(json.dumps(data))
    assert_safe(printed(capsys, "runs", "list", "--runs-dir", str(tmp_path)))
    assert_safe(printed(capsys, "runs", "show", record.id, "--runs-dir", str(tmp_path)))


def test_a_huge_sweep_name_is_cut_in_its_runs(capsys, tmp_path):
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps({"experiment": {"dataset": "spiral", "steps": 2},
                                 "axes": [{"name": "lr", "values": [0.1]}], "name": "x" * 1_000_000}))
    printed(capsys, "sweep", "--config", str(sweep), "--workers", "0", "--runs-dir", str(tmp_path / "runs"))
    [record] = RunStore(tmp_path / "runs").list()
    assert len(record.name) <= 200
    assert (tmp_path / "runs" / record.id / "run.json").stat().st_size < 20_000
