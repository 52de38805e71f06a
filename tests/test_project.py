"""The README's set-up commands are the ones CI runs."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_COMMAND = "bash .ci/install-deps --test && .venv/bin/python -m pytest"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert f"    {TEST_COMMAND}\n" in readme
    assert "    bash .ci/install-deps && .venv/bin/python main.py\n" in readme
    assert (ROOT / ".ci/run").read_text().strip().endswith(TEST_COMMAND)
