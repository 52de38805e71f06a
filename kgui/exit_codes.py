"""The command line's exit codes: ``kgui run``, ``kgui sweep`` and ``kgui open --run`` answer with what their runs
came to."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kgui.core.runs import RunRecord, RunStatus

if TYPE_CHECKING:
    from kgui.core.sweeps.runner import SweepResult

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED, EXIT_STOPPED = 0, 1, 2, 3, 130
_EXIT_CODES = {RunStatus.FINISHED: EXIT_OK, RunStatus.STOPPED: EXIT_STOPPED, RunStatus.DIVERGED: EXIT_DIVERGED}


def exit_code(record: RunRecord) -> int:
    """The exit code for a run that ended with ``record.status`` (a failed run: EXIT_ERROR)."""
    return _EXIT_CODES.get(record.status, EXIT_ERROR)


def sweep_exit_code(result: SweepResult) -> int:
    """As a run's: the worst of the sweep's ended trials (a stopped sweep's caller answers with the signal's
    code)."""
    from kgui.core.sweeps.runner import TrialState

    codes = [exit_code(outcome.record) if outcome.record is not None else EXIT_ERROR
             for outcome in result.outcomes if outcome.state is TrialState.ENDED]
    return max(codes, default=EXIT_OK)
