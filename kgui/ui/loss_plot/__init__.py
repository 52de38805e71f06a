"""Live loss plot of many runs: points accumulate in NumPy buffers and are drawn on a ~30 Hz timer, never per step.

Each run has a number, its own buffer, style (colour, then dash patterns after 12 runs), legend entry
("#3 TensorFlow · Otto Group · lr 0.5 → 0.1") and pair of curves (training solid, validation dashed).
Each dataset has its own panel (axes); panels are stacked. View options:
smoothing (TensorBoard's debiased EMA from core.smoothing), x axis as step, epoch (passes over the training
rows: each run's steps divided by its steps per epoch; a run saved without them stays on steps, and the
axis note says which) or wall time, log-y. The selected run is highlighted by fading the others.

While it follows the data (until the user zooms or pans; Auto Range resumes it) the view moves in
a few jumps rather than at every frame: a live run's x axis spans its planned steps from the
start, and an axis is re-fitted only when the data leaves it or fills less than half of it. Each
change of the view re-generates the ticks and the grid in Python (~10 ms), so a view that stays
put keeps each frame's paint cheap while the engine trains.

The package: ``series`` (the data buffer), ``view_maths`` (the view following the data, x positions), ``styles``,
``curves`` (Panel, RunCurves), ``markers`` (learning-rate markers: the changes it is given, never read back from
step rates), ``rate_label`` (a marker's label, dodging the legend and stacked under close neighbours), ``readout``
(the hover text), ``timed_widget`` and ``widget`` (LossPlot). The names other modules use are here too.
"""
from .curves import X_AXES, Panel, RunCurves
from .rate_label import RateLabel
from .series import SeriesBuffer
from .styles import DASHES, FADED_ALPHA, PALETTE, RunStyle, line_key
from .timed_widget import TimedLayoutWidget
from .view_maths import FOLLOW_FILL, follow_range
from .widget import MIN_PANEL_HEIGHT, REDRAW_MS, LossPlot

__all__ = ["DASHES", "FADED_ALPHA", "FOLLOW_FILL", "MIN_PANEL_HEIGHT", "PALETTE", "REDRAW_MS", "X_AXES", "LossPlot",
           "Panel", "RateLabel", "RunCurves", "RunStyle", "SeriesBuffer", "TimedLayoutWidget", "follow_range",
           "line_key"]
