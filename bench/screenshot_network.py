"""Screenshots of the Network and Layers docks: ``xvfb-run -a -s "-screen 0 1920x1080x24" python
bench/screenshot_network.py``.

With a fresh run store and fresh preferences, trains in the real window and saves, side by side, the Decision
boundary (for 2-feature data), the Network and the Layers docks, each at a readable size:

- docs/screenshot-network-spiral.png: a tanh MLP 8,8,8 with Adam (batches of 32) on the spiral, a hidden neuron hovered (its
  heatmap large in the Decision boundary dock) and a link picked;
- docs/screenshot-network-otto.png: a ReLU MLP 64,32 with Adam on Otto (iris when Otto is not found).
"""
from __future__ import annotations

import sys
from pathlib import Path

from bench_support import screenshot_window  # first: this checkout's kgui, the shared Otto data

from PyQt6.QtGui import QColor, QPainter, QPixmap  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402

from kgui.core.experiment.settings import ExperimentSettings  # noqa: E402

SPIRAL = ExperimentSettings(backend="tensorflow", dataset="spiral", model="mlp", hidden=(8, 8, 8), activation="tanh",
                            optimizer="adam", learning_rate=0.01, steps=3000, batch_size=32)
OTTO = ExperimentSettings(backend="tensorflow", dataset="otto", model="mlp", hidden=(64, 32), activation="relu",
                          optimizer="adam", learning_rate=0.001, steps=300)
PANEL = (640, 760)      # each dock's size in the picture


def train(window, settings: ExperimentSettings) -> None:
    window.apply_settings(settings)
    window.start()
    QTest.qWait(100)
    while window.jobs.running:
        QTest.qWait(50)
    QTest.qWait(500)


def grab(dock) -> QPixmap:
    """The dock's contents at ``PANEL`` size (floated for the picture, then put back)."""
    dock.setFloating(True)
    dock.resize(*PANEL)
    dock.show()
    dock.raise_()
    QTest.qWait(600)
    picture = dock.widget().grab()
    dock.setFloating(False)
    return picture


def side_by_side(pictures: list[QPixmap], path: Path) -> None:
    width = sum(picture.width() for picture in pictures) + 8 * (len(pictures) - 1)
    height = max(picture.height() for picture in pictures)
    canvas = QPixmap(width, height)
    canvas.fill(QColor("white"))
    painter = QPainter(canvas)
    x = 0
    for picture in pictures:
        painter.drawPixmap(x, 0, picture)
        x += picture.width() + 8
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(str(path))
    print(f"saved {path}")


def main() -> int:
    app, window, out = screenshot_window(__doc__.splitlines()[0], (1800, 1000))
    network = window.network_docks.network

    train(window, SPIRAL)
    layers = grab(window.layers_dock)
    window.network_dock.setFloating(True)
    window.network_dock.resize(*PANEL)
    window.network_dock.raise_()
    QTest.qWait(600)
    network.links[(1, 2, 5)].mousePressEvent(None)
    network.hover_node(2, 3)
    QTest.qWait(300)
    boundary = grab(window.surface_dock)
    picture = window.network_dock.widget().grab()
    network.hover_node(None, None)
    window.network_dock.setFloating(False)
    side_by_side([boundary, picture, layers], out / "screenshot-network-spiral.png")

    otto_found = window.form.dataset_picker.find_otto({})[0] is not None
    train(window, OTTO if otto_found else OTTO.replace(dataset="iris"))
    side_by_side([grab(window.network_dock), grab(window.layers_dock)], out / "screenshot-network-otto.png")
    window.close()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
