"""Screenshot of the real window after a short live run: ``xvfb-run -a -s "-screen 0 1400x900x24" python bench/screenshot.py``.

Trains the linear exercise on TensorFlow (or --backend), slides the learning rate twice mid-run,
hovers the plot, and saves the whole window to docs/screenshot.png (or --out).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PyQt6.QtCore import QPoint, QTimer  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402

from kgui.core.runs import RunStore  # noqa: E402
from kgui.ui import create_app  # noqa: E402
from kgui.ui.learning_rate import rate_to_position  # noqa: E402
from kgui.ui.main_window import MainWindow  # noqa: E402

RATE_CHANGES = {150: 0.5, 330: 0.05}  # step seen in the window: new rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="tensorflow")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    args = parser.parse_args()

    app = create_app([])
    window = MainWindow(store=RunStore(tempfile.mkdtemp(prefix="kgui-screenshot-")))
    window.backend_picker.select(args.backend)
    window.dataset_picker.select("linear", {"n": 1000, "noise": 0.05})
    window.steps_box.setValue(500)
    window.lr_control.set_rate(0.1)
    window.log_y_action.setChecked(True)
    window.show()
    pending = dict(RATE_CHANGES)

    def steer():
        for step in [s for s in pending if len(window.history) >= s]:
            window.lr_control.slider.setValue(rate_to_position(pending.pop(step)))
        if window.record is not None and not window.running:
            timer.stop()
            finish()

    def finish():
        window.plot.redraw()
        window.plot.auto_range()
        QTest.qWait(300)
        view = window.plot.widget
        QTest.mouseMove(view.viewport(), QPoint(int(view.width() * 0.62), int(view.height() * 0.5)))
        QTest.qWait(300)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(args.out)
        print(f"saved {args.out} ({window.record.status}, {len(window.history)} steps)")
        window.close()
        app.quit()

    timer = QTimer()
    timer.timeout.connect(steer)
    timer.start(1)
    window.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
