"""Issue 13 in the real window: the model and optimizer controls in the experiment form, the Code dock and
File → Export as Python script, and the live decision boundary. Real engines, offscreen Qt."""
import json

import numpy as np

from PyQt6.QtWidgets import QFileDialog

from kgui.core.experiment.settings import ExperimentSettings
from kgui.core.runs.names import default_name
from ui_support import wait_until_idle, window, messages  # noqa: F401 - fixtures

MLP_ADAM = ExperimentSettings(backend="tensorflow", dataset="spiral", dataset_options={"n": 120, "noise": 0.1},
                              model="mlp", hidden=(8, 8), activation="tanh", optimizer="adam", beta_2=0.99,
                              l2=1e-4, learning_rate=0.03, steps=6, seed=3)


def pick(box, data):
    box.setCurrentIndex(box.findData(data))


def test_model_controls_carry_into_the_experiment(window):
    form = window.form.model_form
    pick(form.model_box, "mlp")
    form.hidden_field.setText("16,4")
    form.activation_box.setCurrentText("relu")
    form.l2_field.setText("0.001")
    pick(form.optimizer_box, "rmsprop")
    form.rho_box.setValue(0.8)
    form.epochs_box.setValue(2)
    settings = window.settings()
    assert (settings.model, settings.hidden, settings.activation, settings.l2) == ("mlp", (16, 4), "relu", 0.001)
    assert (settings.optimizer, settings.rho, settings.epochs) == ("rmsprop", 0.8, 2)
    assert window.form.lr_control.rate == 0.001      # Keras 2's default rate for RMSprop was offered
    settings.validate()


def test_unreadable_hidden_layers_do_not_start_or_save(window, messages, monkeypatch, tmp_path):
    pick(window.form.model_form.model_box, "mlp")
    window.form.model_form.hidden_field.setText("64;x")
    assert window.start() is False
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "e.json"), ""))
    assert window.experiment_files.save_experiment() is None
    assert [(kind, title) for kind, title, _ in messages] == [("warning", "Cannot start"),
                                                              ("critical", "Cannot save the experiment")]
    assert all("hidden must be layer widths" in text for _, _, text in messages)
    assert not (tmp_path / "e.json").exists()


def test_open_experiment_restores_the_model_fields_and_trains_them(qtbot, window, monkeypatch, tmp_path):
    path = tmp_path / "mlp.json"
    path.write_text(MLP_ADAM.to_json())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(path), ""))
    window.commands.open_experiment.trigger()
    form = window.form.model_form
    assert (form.model, form.hidden_field.text(), form.optimizer, form.beta_2_box.value()) == \
           ("mlp", "8,8", "adam", 0.99)
    assert window.settings() == MLP_ADAM
    window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished", window.session.last_ended.message
    assert window.session.last_ended.settings.replace(steps=MLP_ADAM.steps) == MLP_ADAM
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "again.json"), ""))
    window.experiment_files.save_experiment()
    assert json.loads((tmp_path / "again.json").read_text())["hidden"] == [8, 8]


def test_code_dock_follows_the_form_and_exports_the_script(qtbot, window, monkeypatch, tmp_path):
    from kgui.core.experiment.codegen import experiment_script
    from kgui.core.data.datasets import load_dataset

    window.apply_settings(MLP_ADAM)
    window.code_dock.raise_()
    dataset = load_dataset("spiral", MLP_ADAM.dataset_options, MLP_ADAM.val_fraction, MLP_ADAM.seed)
    qtbot.waitUntil(lambda: window.code_view.script == experiment_script(MLP_ADAM, dataset), timeout=10_000)
    assert window.code_view.caption.text().startswith(default_name(MLP_ADAM) + ":")
    pick(window.form.model_form.optimizer_box, "sgd")
    qtbot.waitUntil(lambda: window.code_view.script == experiment_script(window.settings(), dataset),
                    timeout=10_000)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "train"), args[-1]))
    window.commands.export_script.trigger()
    assert (tmp_path / "train.py").read_text() == window.code_view.script
    assert window.commands.export_script in window.menuBar().actions()[0].menu().actions()


def test_code_dock_says_why_there_is_no_script(qtbot, window):
    window.code_dock.raise_()
    pick(window.form.model_form.model_box, "mlp")
    window.form.model_form.hidden_field.setText("8;")
    qtbot.waitUntil(lambda: window.code_view.caption.text().startswith("No script: hidden must be"), timeout=10_000)
    assert window.code_view.script == "" and not window.code_view.save_button.isEnabled()


def test_decision_boundary_dock_draws_the_live_runs_surface(qtbot, window):
    from kgui.core.session import SurfaceComputed

    surfaces = []
    window.session.subscribe(lambda event: isinstance(event, SurfaceComputed) and surfaces.append(event))
    window.apply_settings(MLP_ADAM.replace(steps=40))
    window.start()
    wait_until_idle(qtbot, window)
    record = window.session.last_ended
    assert record.status == "finished", record.message
    assert surfaces and {event.run_id for event in surfaces} == {record.id}
    assert surfaces[-1].step == record.history[-1].step       # the final model's boundary comes last
    view = window.surface_view
    assert view.run_id == record.id and view.surface is surfaces[-1].surface
    assert view.image.image is not None and view.image.image.shape[:2] == view.surface.values.shape[:2]
    assert len(view.train_points.data) + len(view.val_points.data) == 120
    assert window.surface_dock.isVisible()
    assert view.caption.text().startswith("Spiral: decision boundary as it trains")   # the title, not the id

    surfaces.clear()
    window.apply_settings(ExperimentSettings(dataset="iris", steps=5))      # four features: no surface
    window.start()
    wait_until_idle(qtbot, window)
    assert surfaces == [] and view.surface is None and view.image.image is None
    assert view.caption.text().startswith("Iris has 4 features")


# -- epochs on the x axis ---------------------------------------------------------------------------------------------

def test_loss_plot_shows_epochs_and_names_the_runs_it_cannot(qtbot):
    from kgui.core.runs import StepRecord
    from kgui.ui.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    steps = [StepRecord(step, 1.0 / step, None, None, 0.1, step * 0.01, 1.0) for step in range(1, 21)]
    plot.add_run("known", "with rows", steps_per_epoch=4)
    plot.add_steps("known", steps)
    plot.add_run("old", "saved before", steps_per_epoch=None)
    plot.add_steps("old", steps)
    pick(plot.x_axis_box, "epoch")
    plot.redraw()
    assert plot.x_axis == "epoch" and plot.item.getAxis("bottom").labelText == "epoch"
    assert plot.runs["known"].train.xData[-1] == 5.0 and plot.runs["known"].train.xData[0] == 0.25
    assert plot.runs["old"].train.xData[-1] == 20          # unknown steps per epoch: by step, and said so
    assert plot.axis_note.text() == "#2: by step (saved without their training rows)"
    assert "epoch 1.25" in plot.describe_point(4, "known")
    plot.set_run_visible("old", False)
    assert plot.axis_note.text() == ""
    pick(plot.x_axis_box, "step")
    plot.redraw()
    assert plot.runs["known"].train.xData[-1] == 20 and plot.axis_note.text() == ""


def test_epoch_axis_follows_a_trained_run_and_is_remembered(qtbot, tmp_path, messages):
    from PyQt6.QtCore import QSettings

    from kgui.core.runs import RunStore
    from kgui.ui.main_window import MainWindow

    def open_window():
        win = MainWindow(store=RunStore(tmp_path / "runs"),
                         preferences=QSettings(str(tmp_path / "kgui.ini"), QSettings.Format.IniFormat))
        qtbot.addWidget(win)
        win.show()
        return win

    window = open_window()
    window.apply_settings(MLP_ADAM.replace(steps=24, batch_size=16))   # 96 training rows: 6 steps an epoch
    pick(window.plot.x_axis_box, "epoch")
    window.start()
    wait_until_idle(qtbot, window)
    assert window.session.last_ended.status == "finished", window.session.last_ended.message
    window.plot.redraw()
    curves = window.plot.runs[window.session.last_ended.id]
    assert curves.steps_per_epoch == 6 and curves.train.xData[-1] == 4.0
    run_id = window.session.last_ended.id
    window.close()

    again = open_window()       # the axis is remembered, and the saved run is drawn by epoch from its record
    assert again.plot.x_axis == "epoch" and again.plot.x_axis_box.currentData() == "epoch"
    again.plot.redraw()
    assert again.plot.runs[run_id].train.xData[-1] == 4.0 and again.plot.axis_note.text() == ""


# -- the decision boundary of a saved run -----------------------------------------------------------------------------

def test_a_saved_run_picked_in_the_table_shows_its_final_decision_boundary(qtbot, tmp_path, messages):
    from kgui.core.runs import RunStore
    from kgui.core.training.surface import SURFACE_FILE
    from kgui.ui.main_window import MainWindow

    def open_window():
        win = MainWindow(store=RunStore(tmp_path / "runs"))
        qtbot.addWidget(win)
        win.show()
        return win

    window = open_window()
    window.apply_settings(MLP_ADAM.replace(steps=12))
    window.start()
    wait_until_idle(qtbot, window)
    spiral_id, live = window.session.last_ended.id, window.surface_view.surface
    window.apply_settings(ExperimentSettings(dataset="iris", steps=2))
    window.start()
    wait_until_idle(qtbot, window)
    iris_id = window.session.last_ended.id
    window.close()

    again = open_window()       # no model left: the final surface comes from the run's folder
    view = again.surface_dock.raise_() or again.surface_view
    again.runs_table.select(spiral_id)
    assert view.run_id == spiral_id and view.surface is not None
    np.testing.assert_allclose(view.surface.values, live.values, rtol=1e-6)
    assert view.image.image.shape == (64, 64, 4) and len(view.train_points.data) + len(view.val_points.data) == 120
    assert "saved run" in view.caption.text() and "after step 12" in view.caption.text()

    again.runs_table.select(iris_id)
    assert view.surface is None and view.image.image is None and len(view.train_points.data) == 0
    assert "no decision boundary was saved with this run" in view.caption.text()

    (again.session.store.folder(spiral_id) / SURFACE_FILE).write_bytes(b"PK\x03\x04 damaged")
    again.runs_table.select(spiral_id)
    assert view.surface is None and view.image.image is None
    assert "surface.npz is damaged" in view.caption.text() and messages == []
