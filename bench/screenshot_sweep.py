"""Screenshot of the Sweep tab: ``xvfb-run -a -s "-screen 0 1920x1080x24" python bench/screenshot_sweep.py``.

With a fresh run store and fresh preferences, runs a real sweep from the window's Sweep tab (spiral, MLP 16,16 tanh,
full batch, 300 steps; learning rate 0.001…0.3 × SGD, Adam × 2 seeds: 24 trials in 2 workers), then brushes the
largest rates on the parallel coordinates and shows the curves by seed coloured by learning rate; then shows those
trials on the Loss tab (Show on Loss plot), coloured by learning rate with their seeds averaged:

- docs/screenshot-sweep.png
- docs/screenshot-sweep-loss.png
"""
from __future__ import annotations

import sys

from bench_support import screenshot_window, wait_until  # first: this checkout's kgui, the shared Otto data

from PyQt6.QtTest import QTest  # noqa: E402

from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.core.sweeps.spec import Axis, SweepSpec  # noqa: E402
from kgui.ui.sweep.dialog import SweepRun  # noqa: E402

EXPERIMENT = ExperimentSettings(backend="tensorflow", dataset="spiral", model="mlp", hidden=(16, 16), activation="tanh",
                                steps=300)
AXES = (Axis("learning_rate", (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)), Axis("optimizer", ("sgd", "adam")))


def main() -> int:
    app, window, out = screenshot_window(__doc__.splitlines()[0], (1600, 1000))
    view = window.sweep_view
    window.tabs.setCurrentWidget(view)
    run = SweepRun(SweepSpec(EXPERIMENT, AXES, seeds=2), window.session.store, 2)
    ended = []
    run.finished.connect(ended.append)
    view.start(run)
    wait_until(app, lambda: ended, "the sweep's end", 900, 0.05)
    QTest.qWait(500)
    view.views.setCurrentIndex(1)                       # curves by seed
    view.colour_picker.setCurrentText("learning_rate")
    rates = view.coordinates.scales[0]
    view.coordinates.set_brush(0, rates.position(0.01) - 0.03, 1.0)   # the three largest rates
    QTest.qWait(1500)
    path = out / "screenshot-sweep.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    print(f"saved {path}")
    view.show_button.click()                            # the brushed trials alone on the Loss tab
    window.plot.look.controls.set_colour_by("learning_rate")
    window.plot.look.controls.seeds_box.setChecked(True)
    QTest.qWait(1500)
    path = out / "screenshot-sweep-loss.png"
    window.grab().save(str(path))
    print(f"saved {path}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
