"""Starting a sweep from the window: a dialog built from the current experiment (pick axes and their values, grid or
random, seeds, workers), and :class:`SweepRun`, which runs it in worker processes off the GUI thread and reports
its trials to the Sweep tab (progress, Stop)."""
from __future__ import annotations

import os
import threading

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGridLayout, QLabel, QLineEdit,
                             QSpinBox, QVBoxLayout, QWidget)

from kgui.core.files import one_line
from kgui.core.runs import RunStore
from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.session import Phase, RunStarted, StepsTaken
from kgui.core.training.trainer import Stage
from kgui.core.sweeps.runner import SweepResult, SweepRunner, TrialEnded, TrialEvent, TrialStarted
from kgui.core.runs.names import default_name
from kgui.core.workers.launch import MAX_WORKERS
from kgui.core.sweeps.spec import (AXIS_FIELDS, MAX_TRIALS, Axis, Metric, SweepMethod, SweepSpec,
                                   canonical_axis_name, format_value, parse_values)

from ..names import column_title
from ..worker import WORKER_NICE

AXIS_ROWS = 4
MAX_VALUES_TEXT = 2_000_000   # characters of one axis's values (more than 10,000 trials' worth)
CHECKED_AS_TYPED = 200    # up to this many trials are each checked as typed (~70 µs a trial); more, on Start, off
                          # the GUI thread (10,000 trials: ~0.7 s)
STEPS_BATCH_S = 0.5      # a window sweep's steps come back this seldom (the tab shows trials as they end; the loss
                         # plot, those it shows as they train)
SUGGESTED = ("learning_rate", "optimizer", "batch_size", "hidden", "activation", "l2", "momentum", "seed", "backend")
NO_AXIS = "Pick an axis and type its values (0.001,0.01,0.1), or 2 seeds or more."


class TrialCheck(QObject):
    """Every trial of a sweep checked on a background thread (plain core work, no widget touched there), the GUI
    thread free meanwhile; ``done(spec, error)`` comes back on the GUI thread (``error`` "" when every trial is
    valid, else the first invalid one named, in one line)."""

    done = pyqtSignal(object, str)

    def start(self, spec: SweepSpec) -> None:
        threading.Thread(target=self._check, args=(spec,), name="kgui-sweep-check", daemon=True).start()

    def _check(self, spec: SweepSpec) -> None:
        try:
            spec.expand()
            error = ""
        except (ValueError, LookupError) as exc:
            error = str(exc)
        try:
            self.done.emit(spec, error)
        except RuntimeError:      # its dialog was deleted meanwhile: nobody waits for the answer
            pass


class SweepDialog(QDialog):
    """Axes over ``experiment``: each row an axis name and its values (``0.001,0.01`` for a grid; ``1e-4:1`` for a
    range drawn by a random sweep); the count of trials, or the first problem, shows as it is typed."""

    def __init__(self, experiment: ExperimentSettings, parent=None, fixed: frozenset[str] = frozenset()):
        """``fixed``: settings not offered as axes (a classroom's hidden and locked controls' fields;
        "dataset_options": the dataset's options)."""
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.experiment = experiment
        self.spec: SweepSpec | None = None
        self.checking: SweepSpec | None = None   # the sweep Start is having checked, trial by trial (None: none)
        self.trial_check = TrialCheck(self)
        self.trial_check.done.connect(self._checked)
        names = [name for name in (*SUGGESTED, *sorted(AXIS_FIELDS - set(SUGGESTED))) if name not in fixed]
        if "dataset_options" not in fixed:
            names += sorted(SweepSpec(experiment).experiment_dataset_options())
        grid = QGridLayout()
        grid.addWidget(QLabel("Axis"), 0, 0)
        grid.addWidget(QLabel("Values (a,b,c) or range (low:high)"), 0, 1)
        self.axis_rows: list[tuple[QComboBox, QLineEdit]] = []   # each name item's text its title, its data the name
        for row in range(AXIS_ROWS):
            name = QComboBox()
            name.addItem("", "")
            for axis in names:
                name.addItem(column_title(axis), axis)
            values = QLineEdit()
            values.setMaxLength(MAX_VALUES_TEXT)   # Qt's 32,767 would cut a long pasted list without a word
            grid.addWidget(name, row + 1, 0)
            grid.addWidget(values, row + 1, 1)
            name.currentIndexChanged.connect(lambda _, name=name, values=values: self._show_current(name, values))
            name.currentIndexChanged.connect(self._check)
            values.textChanged.connect(self._check)
            self.axis_rows.append((name, values))
            self._show_current(name, values)
        self.method = QComboBox()
        self.method.addItems([str(SweepMethod.GRID), str(SweepMethod.RANDOM)])
        self.trials = QSpinBox()
        self.trials.setRange(1, MAX_TRIALS)
        self.trials.setValue(20)
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 100)
        self.workers = QSpinBox()
        self.workers.setRange(1, MAX_WORKERS)
        self.workers.setValue(os.cpu_count() or 1)
        self.metric = QComboBox()
        for metric in Metric:                  # the labels; each item's data is its Metric
            self.metric.addItem(metric.label, metric)
        form = QFormLayout()
        form.addRow("Method", self.method)
        form.addRow("Random trials", self.trials)
        form.addRow("Seeds per configuration", self.seeds)
        form.addRow("Workers", self.workers)
        form.addRow("Rank by", self.metric)
        for widget in (self.method, self.trials, self.seeds):
            (widget.currentIndexChanged if isinstance(widget, QComboBox) else widget.valueChanged).connect(self._check)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start sweep")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        heading = QLabel(f"Sweep over the current experiment, {default_name(experiment)}:")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        holder = QWidget()
        holder.setLayout(grid)
        layout.addWidget(holder)
        layout.addLayout(form)
        layout.addWidget(self.verdict)
        layout.addWidget(self.buttons)
        self.set_axis(0, names[0] if names else "")
        self._check()

    def set_axis(self, row: int, name: str) -> None:
        """Pick the setting ``name`` (``learning_rate``, a dataset option…) as the axis of row ``row``."""
        box = self.axis_rows[row][0]
        box.setCurrentIndex(box.findData(canonical_axis_name(name)))

    def _show_current(self, name_box: QComboBox, values: QLineEdit) -> None:
        """The experiment's own value of the picked setting, greyed in its empty values box."""
        name = name_box.currentData()
        if not name:
            values.setPlaceholderText("")
            return
        current = getattr(self.experiment, name) if name in AXIS_FIELDS else \
            self.experiment.dataset_options.get(name)
        values.setPlaceholderText("values, e.g. 0.001,0.01,0.1" if current is None else
                                  f"now {format_value(current)}")

    def build(self) -> SweepSpec:
        """The sweep the dialog shows; ValueError (one line) for the first problem. Each trial's settings are checked
        too when there are at most ``CHECKED_AS_TYPED`` of them (more: :meth:`accept` has them checked)."""
        axes = []
        method = SweepMethod(self.method.currentText())
        for name_box, values_box in self.axis_rows:
            name, text = name_box.currentData() or "", values_box.text().strip()
            if not name or not text:
                continue
            if ":" in text and name != "hidden":
                if method is SweepMethod.GRID:    # the command line's "(or use --random N)" means nothing here
                    raise ValueError(f"{column_title(name)}: a grid needs values, not a range: type values "
                                     f"(0.001,0.01,0.1), or pick the random method to draw from {text}")
                low, _, high = text.partition(":")
                try:
                    axes.append(Axis(name, low=float(low), high=float(high)))
                except ValueError:
                    raise ValueError(f"{name}: a range looks like 1e-4:1, got {text!r}") from None
            else:
                axes.append(Axis(name, parse_values(name, text)))
        spec = SweepSpec(self.experiment, tuple(axes), method,
                         self.trials.value() if method is SweepMethod.RANDOM else None, self.seeds.value(),
                         self.metric.currentData())
        spec.validate()
        if spec.count() <= CHECKED_AS_TYPED:
            spec.expand()   # the first invalid trial, named, before anything starts (a random one's draws are seeded)
        return spec

    def accept(self) -> None:
        """Start the sweep once every trial is checked (more than ``CHECKED_AS_TYPED``: off the GUI thread, the
        dialog saying so meanwhile); else the dialog stays, naming the first invalid one."""
        try:
            spec = self.build()
        except (ValueError, LookupError) as exc:
            self._refuse(str(exc))
            return
        if spec.count() <= CHECKED_AS_TYPED:     # build() checked every trial
            self.spec = spec
            super().accept()
            return
        self.checking = spec
        self.verdict.setText(f"Checking {spec.count():,} trials…")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.trial_check.start(spec)

    def _checked(self, spec: SweepSpec, error: str) -> None:
        if spec is not self.checking:    # an answer for a sweep since edited, or a dialog since closed
            return
        self.checking = None
        if error:
            self._refuse(error)
        else:
            self.spec = spec
            super().accept()

    def _refuse(self, reason: str) -> None:
        self.spec = None
        self.verdict.setText(reason)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    def reject(self) -> None:
        self.checking = None
        super().reject()

    def _check(self) -> None:
        self.checking = None
        self.trials.setEnabled(self.method.currentText() == SweepMethod.RANDOM)
        if self.seeds.value() == 1 and not any(name.currentData() and values.text().strip()
                                               for name, values in self.axis_rows):
            self.spec = None
            self.verdict.setText(NO_AXIS)     # the command line's words (--grid, --seeds) mean nothing here
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return
        try:
            self.spec = self.build()
        except (ValueError, LookupError) as exc:
            self.spec = None
            self.verdict.setText(str(exc))
        else:
            self.verdict.setText(f"{self.spec.count():,} trials, {self.workers.value()} at a time")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.spec is not None)


class SweepRun(QObject):
    """A sweep running in worker processes on a background thread; its events come back on the GUI thread as
    ``event`` (TrialStarted, TrialEnded, and a trial's TrialEvent when what it is doing changes: a :class:`Phase` of
    another stage, its RunStarted), ``steps`` (a trial's StepsTaken, a batch every ``STEPS_BATCH_S``) and
    ``finished(SweepResult)``. :meth:`stop` ends every trial. A sweep that fails (its store cannot be written) ends
    as stopped, with the trials that ended and ``error`` saying why."""

    event = pyqtSignal(object)
    steps = pyqtSignal(object)
    finished = pyqtSignal(object)

    def __init__(self, spec: SweepSpec, store: RunStore, workers: int, executor=None, parent=None):
        super().__init__(parent)
        if executor is None:
            from kgui.core.sweeps.pool_executor import PoolExecutor

            # the window first: its workers nicer, also as sessions (two busy workers on two cores left the GUI
            # thread's timer 30-60 ms late at the 99th percentile, against 14 ms), and its threads woken twice a
            # second per trial, not 60 times
            executor = PoolExecutor(min(workers, spec.count()), nice=WORKER_NICE, batch_s=STEPS_BATCH_S,
                                    group_nice=WORKER_NICE)
        self.executor = executor
        self.runner = SweepRunner(spec, store, executor, on_event=self._forward, lazy=True)   # trials built off the GUI thread
        self.result: SweepResult | None = None
        self.error = ""     # why the sweep ended early, one line for people ("" when it ran out or was stopped)
        self._stages: dict[int, Stage] = {}   # trial index -> the stage last sent on (training once its run started)
        self._thread = threading.Thread(target=self._run, name="kgui-sweep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _forward(self, event) -> None:
        if isinstance(event, (TrialStarted, TrialEnded)):
            self.event.emit(event)
        elif isinstance(event, TrialEvent) and isinstance(event.event, (Phase, RunStarted)):
            stage = event.event.stage if isinstance(event.event, Phase) else Stage.TRAINING
            if self._stages.get(event.trial_index) != stage:   # not each of a dataset's loading progress events
                self._stages[event.trial_index] = stage
                self.event.emit(event)
        elif isinstance(event, TrialEvent) and isinstance(event.event, StepsTaken):
            self.steps.emit(event.event)

    def _run(self) -> None:
        try:
            self.result = self.runner.run()
        except Exception as exc:  # noqa: BLE001 - named on the tab, not a traceback on stderr
            self.error = one_line(exc)
            runner = self.runner     # the trials that ended are kept (saved, and in the result)
            self.result = SweepResult(runner.sweep_id, runner.spec,
                                      sorted(runner.outcomes, key=lambda outcome: outcome.trial.index), stopped=True)
        finally:
            self.executor.shutdown()
            self.finished.emit(self.result)

    def stop(self) -> None:
        self.runner.stop()

    def wait(self, timeout_s: float) -> bool:
        """Wait for the sweep's thread (its trials stopped and its workers gone); True when it has ended."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()
