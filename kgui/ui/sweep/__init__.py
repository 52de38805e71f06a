"""The Sweep tab: a sweep's trials as a table (:mod:`.table`), parallel coordinates with brushing
(:mod:`.parallel_coordinates`), the metric against a hyper-parameter (:mod:`.scatter`), the curves grouped by seed
(:mod:`.curves`), combined in :class:`SweepView` (:mod:`.view`) and wired to the window by :func:`follow_session`
(:mod:`.session_link`); :mod:`.dialog` starts a sweep from the window, whose running trials :mod:`.live_trials` draws
on the loss plot."""
from .live_trials import LiveTrials
from .session_link import follow_session, with_history
from .view import SweepView

__all__ = ["LiveTrials", "SweepView", "follow_session", "with_history"]
