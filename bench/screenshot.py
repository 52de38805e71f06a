"""Screenshots of the real window: ``xvfb-run -a -s "-screen 0 1400x900x24" python bench/screenshot.py``.

With a fresh run store and fresh preferences, drives the window as a user would and saves:

- docs/screenshot.png: three runs overlaid on the linear exercise with noise (TensorFlow at two
  learning rates, one slid mid-run, and PyTensor), the fitted line beside them;
- docs/screenshot-parity.png: Compare backends on Otto (100 steps; iris when Otto is not found), the
  linear runs still shown in a panel of their own;
- docs/screenshot-boundary.png: an MLP (16,16 tanh) trained with Adam on the spiral, the Decision
  boundary dock in front;
- docs/screenshot-lr-range.png: the learning-rate range test on the linear exercise, suggestion used, the
  Code dock in front.

Otto is looked for in ``shared/data`` beside the checkout or a folder above it (``$KGUI_DATA_DIR`` wins).
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench_support import screenshot_window  # first: this checkout's kgui, the shared Otto data

from PyQt6.QtCore import QPoint  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402

from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402
from kgui.ui.learning_rate import rate_to_position  # noqa: E402

LINEAR = {"n": 1000, "noise": 0.05}
SPIRAL_MLP = ExperimentSettings(backend="tensorflow", dataset="spiral", model="mlp", hidden=(16, 16), activation="tanh",
                                optimizer="adam", learning_rate=0.03, steps=400)


def live_steps(window) -> list:
    """The steps the window's session has received of the run being trained (or the last one)."""
    record = window.session.runs.get(window.session.live_run_id)
    return record.history if record is not None else []


def wait_until_idle(window) -> None:
    QTest.qWait(100)
    while window.jobs.running:
        QTest.qWait(50)
    window.plot.redraw()
    QTest.qWait(300)


def train(window, engine: str, rate: float, slide_to: float | None = None) -> None:
    """One run; with ``slide_to`` the slider moves there halfway through."""
    window.form.backend_picker.select(engine)
    window.form.lr_control.set_rate(rate)
    window.start()
    if slide_to is not None:
        while window.jobs.running and len(live_steps(window)) < window.form.steps_box.value() // 2:
            QTest.qWait(5)
        window.form.lr_control.slider.setValue(rate_to_position(slide_to))
    wait_until_idle(window)


def hover(window, x_fraction: float, y_fraction: float) -> None:
    view = window.plot.widget
    QTest.mouseMove(view.viewport(), QPoint(int(view.width() * x_fraction), int(view.height() * y_fraction)))
    QTest.qWait(300)


def save(window, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    print(f"saved {path}")


def main() -> int:
    app, window, out = screenshot_window(__doc__.splitlines()[0], (1400, 900))

    window.form.dataset_picker.select("linear", LINEAR)
    window.form.steps_box.setValue(300)
    window.commands.log_y.setChecked(True)
    train(window, "tensorflow", 0.05)
    train(window, "tensorflow", 0.5, slide_to=0.1)
    train(window, "theano", 0.2)
    window.plot.auto_range()
    hover(window, 0.35, 0.5)
    save(window, out / "screenshot.png")

    otto_found = window.form.dataset_picker.find_otto({})[0] is not None
    window.form.dataset_picker.select("otto" if otto_found else "iris")
    window.form.steps_box.setValue(100)
    window.form.lr_control.set_rate(0.1)
    window.commands.log_y.setChecked(False)
    window.compare_backends()
    wait_until_idle(window)
    window.plot.auto_range()
    QTest.qWait(300)
    save(window, out / "screenshot-parity.png")

    window.commands.reset.trigger()   # the earlier runs stay in the table; the plot shows the spiral's alone
    window.apply_settings(SPIRAL_MLP)
    window.start()
    wait_until_idle(window)
    window.surface_dock.raise_()
    QTest.qWait(500)
    save(window, out / "screenshot-boundary.png")

    window.apply_settings(ExperimentSettings(backend="tensorflow", dataset="linear", dataset_options=LINEAR))
    window.range_test()
    wait_until_idle(window)
    window.lr_range_view.use_button.click()
    window.code_dock.raise_()
    QTest.qWait(800)
    save(window, out / "screenshot-lr-range.png")

    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
