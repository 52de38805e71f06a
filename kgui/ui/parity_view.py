"""The backend-parity panel: one verdict line, |Δloss| per step against the float32 tolerance, and a row per engine
that fills as each engine finishes.

The engines' loss curves lie on top of each other on the loss plot (that is the point); the difference
plot shows what the eye cannot: how far apart they are at each step, on a log axis, under the tolerance.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                             QVBoxLayout, QWidget)

from kgui.core.training.engines import engine_title
from kgui.core.training.parity import LOSS_TOLERANCE, ParityResult, export_parity, step_differences, tolerance_for
from kgui.core.session import JobKind, RunEnded, RunStarted, Session

from .exporting import ExportTarget
from .names import dataset_title, engine_label, run_engine_label
from .plot_style import SpacedLabelsAxis, style_plot

SAME_COLOR = "#1a7f37"
DIFFERENT_COLOR = "#b42318"
DIFFERENCE_COLOR = "#1f77b4"
TOLERANCE_COLOR = "#b42318"
COLUMNS = ("Engine", "Steps", "Final loss", "Status")
LEGEND_TITLE = (f"<span style='color:{DIFFERENCE_COLOR}'>|Δloss|</span> · "
                f"<span style='color:{TOLERANCE_COLOR}'>float32 tolerance</span>")
PLOT_TITLE = "largest |Δloss| between engines (blue), float32 tolerance (red, dashed)"
INTRO = ("Compare Backends trains the current experiment on every installed engine with the same initial weights "
         "and data order, and checks that the losses agree.")


def verdict_line(result: ParityResult) -> str:
    """The comparison's answer in one line, engines named for people."""
    failed = next((r for r in result.records if r.status == "failed"), None)
    if failed is not None:
        return f"{engine_title(failed.engine or failed.settings.backend)} failed: {failed.message}"
    if result.initial_weights_match is False:
        return "Initial weights differ between engines: the runs cannot be compared"
    largest = result.largest
    if largest is None:
        return "Nothing to compare: fewer than two engines trained"
    partial = " so far" if result.cut_short else ""
    if result.parting is not None:
        parting = result.parting
        return (f"Engines part at step {parting.step}{partial}: |Δloss| = {parting.value:.2g} "
                f"({engine_title(parting.first)} vs {engine_title(parting.second)})")
    return (f"Same within float32 tolerance{partial}: max |Δloss| = {largest.value:.2g} at step {largest.step} "
            f"({engine_title(largest.first)} vs {engine_title(largest.second)})")


ADAPTIVE_OPTIMIZERS = {"adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def verdict_explanation(result: ParityResult) -> str:
    """Why engines that agree at first part later, when the experiment is of the kind that amplifies float32
    rounding (mini-batches and an adaptive optimizer); "" otherwise."""
    settings = result.settings
    if result.parting is None or not settings.batch_size or settings.optimizer not in ADAPTIVE_OPTIMIZERS:
        return ""
    return (f"Expected here, not a fault: each engine rounds float32 sums in its own order, and with mini-batches "
            f"of {settings.batch_size} and {ADAPTIVE_OPTIMIZERS[settings.optimizer]} (which divides by the gradients' "
            "running size) those last-digit differences grow step by step until the runs part. Full-batch SGD "
            "keeps them within float32 tolerance.")


def export_title(result: ParityResult) -> str:
    """What the exported plot says above the differences: the verdict, the dataset and the engines compared."""
    engines = ", ".join(engine_title(record.engine or record.settings.backend) for record in result.records)
    return f"{verdict_line(result)} — {dataset_title(result.settings.dataset)}, {engines}"


class ParityView(QWidget):
    """Fed by the window: :meth:`show_running` when a comparison starts, :meth:`run_started` and
    :meth:`run_ended` for each engine's run, :meth:`show_result` at the end."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.verdict = QLabel(INTRO)
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.setToolTip(f"Tolerance: {LOSS_TOLERANCE:g} × max(1, |loss|), about a thousand float32 "
                                "rounding steps of a loss near 1")
        # a plot this small has room for a few decades only: labels that would overlap give way, decades last
        self.plot = pg.PlotWidget(background="w", axisItems={"left": SpacedLabelsAxis("left")})
        self.item = self.plot.getPlotItem()
        self.item.setLogMode(y=True)
        self.item.setLabel("bottom", "step")
        self.item.setLabel("left", "|Δloss| (log scale)")
        self.item.showGrid(x=True, y=True, alpha=0.2)
        style_plot(self.item)
        # a title instead of a legend: a legend box would hide points of a plot this small
        self.item.setTitle(LEGEND_TITLE, size="9pt")   # with the verdict above it once there is one
        self.difference_curve = self.item.plot([], [], pen=pg.mkPen(DIFFERENCE_COLOR, width=1))
        self.tolerance_curve = self.item.plot([], [], pen=pg.mkPen(TOLERANCE_COLOR, width=1,
                                                                   style=Qt.PenStyle.DashLine))
        self.plot.setToolTip("At each step, the largest difference between two engines' training losses; a step "
                             "where the engines give exactly the same loss has no point on the log axis")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)    # one line a row: four engines' rows fit where two wrapped ones did
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)   # "Theano (PyTensor) 3…": the name before the version
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setToolTip("Each engine's run; they are in the runs table and on the plot like any run")
        self.export_button = QPushButton("Export comparison…")
        self.export_button.setToolTip("The difference plot as PNG or SVG, the comparison as CSV (step, each "
                                      "engine's loss, difference) or JSON (verdict and runs)")
        self.export_button.setEnabled(False)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setStyleSheet("color: #555;")
        self.explanation.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.explanation)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.export_button)
        self.result: ParityResult | None = None
        self.engines: list[str] = []
        self.records: dict[str, object] = {}    # engine -> its RunRecord, as each one ends

    # -- while the comparison runs ------------------------------------------------------------------------------------

    def show_running(self, engines: list[str]) -> None:
        """A comparison on ``engines`` starts: a waiting row for each, an empty plot."""
        self.result = None
        self.engines = list(engines)
        self.records = {}
        self.export_button.setEnabled(False)
        self.verdict.setStyleSheet("")
        self.verdict.setText(f"Training on {', '.join(engine_title(e) for e in engines)} in turn…")
        self.explanation.setVisible(False)
        self.difference_curve.setData([], [])
        self.tolerance_curve.setData([], [])
        self.table.setRowCount(len(self.engines))
        for row, engine in enumerate(self.engines):
            self._set_row(row, (engine_label(engine), "—", "—", "waiting"))

    def _set_row(self, row: int, cells) -> None:
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)     # the whole engine name where the column elides it
            self.table.setItem(row, column, item)

    def _row(self, record) -> int:
        engine = record.engine or record.settings.backend
        if engine not in self.engines:
            self.engines.append(engine)
            self.table.setRowCount(len(self.engines))
        return self.engines.index(engine)

    def follow(self, session: Session) -> None:
        """Fill a row as each engine's run of ``session``'s backend comparison starts and ends (other jobs' runs are
        not compared)."""
        def comparing() -> bool:
            return session.job is not None and session.job.kind is JobKind.PARITY

        session.on(RunStarted, lambda event: self.run_started(event.run) if comparing() else None)
        session.on(RunEnded, lambda event: self.run_ended(event.run) if comparing() else None)

    def run_started(self, record) -> None:
        """An engine's run has started training."""
        self._set_row(self._row(record), (run_engine_label(record), "—", "—", "training"))

    def run_ended(self, record) -> None:
        """An engine's run ended: its row is filled, and the differences so far are drawn."""
        last = record.history[-1].train_loss if record.history else None
        self._set_row(self._row(record), (run_engine_label(record), str(len(record.history)),
                                          "—" if last is None else f"{last:.7g}", record.status))
        self.records[record.engine or record.settings.backend] = record
        self._draw(step_differences(list(self.records.values())))

    def _draw(self, differences) -> None:
        steps = np.array([d.step for d in differences], dtype=float)
        values = np.array([d.value if d.value > 0 and math.isfinite(d.value) else np.nan for d in differences])
        self.difference_curve.setData(steps, values, connect="finite")
        self.tolerance_curve.setData(steps, np.array([tolerance_for(d.loss) or np.nan for d in differences]),
                                     connect="finite")
        finite = values[np.isfinite(values)]
        if len(steps):
            low = min(float(finite.min()) if len(finite) else LOSS_TOLERANCE, LOSS_TOLERANCE)
            high = max(float(finite.max()) if len(finite) else LOSS_TOLERANCE, LOSS_TOLERANCE)
            self.item.setRange(xRange=(steps[0], steps[-1]), yRange=(math.log10(low) - 0.5, math.log10(high) + 0.5))

    # -- the answer ---------------------------------------------------------------------------------------------------

    def show_result(self, result: ParityResult) -> None:
        """The comparison ended: one verdict line, every row, the whole difference plot."""
        self.result = result
        for record in result.records:
            self.records[record.engine or record.settings.backend] = record
            self.run_ended(record)
        self._draw(result.differences)
        same = result.parting is None and result.largest is not None and not result.cut_short
        self.verdict.setStyleSheet(f"font-weight: bold; color: {SAME_COLOR if same else DIFFERENT_COLOR};")
        self.verdict.setText(verdict_line(result))
        self.explanation.setText(verdict_explanation(result))
        self.explanation.setVisible(bool(self.explanation.text()))
        self.export_button.setEnabled(True)

    def export_target(self) -> ExportTarget:
        """The comparison as an export: the difference plot as on screen (PNG/SVG), CSV or JSON (core.training.parity)."""
        result = self.result
        title = PLOT_TITLE if result is None else f"{export_title(result)}\n{PLOT_TITLE}"
        return ExportTarget("backend parity comparison", "kgui-parity", self.item, lambda: [(self.item, title)],
                            lambda path: export_parity(result, path),
                            "" if result is not None else "Compare backends first: there is nothing to export yet.",
                            "" if result is None else f"{html.escape(export_title(result))}<br>{LEGEND_TITLE}")
