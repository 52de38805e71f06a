"""The model and optimizer form: only the rows that apply, valid settings from every choice, round trip."""
import pytest

from kgui.core.experiment.settings import ExperimentSettings
from kgui.ui.model_form import ModelForm


@pytest.fixture
def form(qtbot):
    widget = ModelForm()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def shown(form):
    return {name for name, widget in form.rows.items() if form.form.isRowVisible(widget)}


def test_rows_follow_the_model_and_optimizer(form):
    assert shown(form) == {"model", "optimizer", "epochs"}      # the penalties and momentum folded: their defaults
    assert form.hyper_button.text() == "defaults" and "momentum 0" in form.hyper_button.toolTip()
    form.hyper_button.click()
    assert shown(form) == {"model", "penalties", "optimizer", "momentum", "epochs"}
    form.model_box.setCurrentIndex(form.model_box.findData("mlp"))
    form.momentum_box.setValue(0.9)
    assert {"hidden", "activation", "nesterov"} <= shown(form)
    form.optimizer_box.setCurrentIndex(form.optimizer_box.findData("adam"))
    assert shown(form) == {"model", "hidden", "activation", "penalties", "optimizer", "beta_1", "beta_2", "epsilon",
                           "epochs"}


def test_every_choice_gives_valid_settings_and_loads_back(form, qtbot):
    for model in ("auto", "softmax", "mlp"):
        for optimizer in ("sgd", "rmsprop", "adagrad", "adam"):
            form.model_box.setCurrentIndex(form.model_box.findData(model))
            form.optimizer_box.setCurrentIndex(form.optimizer_box.findData(optimizer))
            form.momentum_box.setValue(0.5)
            form.nesterov_box.setChecked(True)
            form.hidden_field.setText("16, 8")
            settings = ExperimentSettings(dataset="iris").replace(**form.changes())
            settings.validate()
            assert settings.hidden == ((16, 8) if model == "mlp" else ())
            assert settings.momentum == (0.5 if optimizer == "sgd" else 0.0)


def test_load_shows_a_saved_experiment(form, qtbot):
    saved = ExperimentSettings(model="mlp", hidden=(64, 32), activation="tanh", optimizer="adam", beta_2=0.99,
                               l2=1.23456789e-4, l1=3e-5, epsilon=1.0000001e-7, epochs=5)   # every digit kept
    with qtbot.assertNotEmitted(form.changed):
        form.load(saved)
    assert ExperimentSettings().replace(**form.changes()) == saved.replace(dataset="linear")
    assert form.hyper_button.isChecked() and form.hyper_button.text() == "changed"   # other values than the defaults
    assert {"penalties", "beta_1", "beta_2", "epsilon"} <= shown(form)                # are in sight


def test_the_folded_rows_open_with_their_button_and_a_classroom_that_hides_the_optimizer(form):
    form.optimizer_box.setCurrentIndex(form.optimizer_box.findData("adam"))
    assert not {"penalties", "beta_1", "beta_2", "epsilon"} & shown(form)
    assert "beta 2 0.999" in form.hyper_button.toolTip() and "L2 0" in form.hyper_button.toolTip()
    form.hyper_button.click()
    form.beta_2_box.setValue(0.99)
    assert form.hyper_button.text() == "changed" and {"penalties", "beta_1", "beta_2", "epsilon"} <= shown(form)
    form.hyper_button.click()
    assert not {"penalties", "beta_2"} & shown(form) and form.changes()["beta_2"] == 0.99   # folded, still used
    form.set_enabled_for_run(False)
    assert form.hyper_button.isEnabled() and not form.optimizer_box.isEnabled()   # a run's values can be looked at
    form.set_classroom({"optimizer"}, set())                                       # no button: the penalties shown
    assert "penalties" in shown(form) and not {"optimizer", "beta_2"} & shown(form)


def test_picking_an_optimizer_offers_its_keras_learning_rate(form, qtbot):
    with qtbot.waitSignal(form.optimizer_picked) as signal:
        form.optimizer_box.setCurrentIndex(form.optimizer_box.findData("adam"))
    assert signal.args == ["adam", 0.001]


def test_unreadable_hidden_layers_are_one_line(form):
    form.model_box.setCurrentIndex(form.model_box.findData("mlp"))
    form.hidden_field.setText("64;x")
    with pytest.raises(ValueError, match="hidden must be layer widths like 64,32, got '64;x'"):
        form.changes()


def test_schedule_rows_follow_the_schedule_and_round_trip(qtbot):
    from kgui.ui.schedule_form import ScheduleForm

    form = ScheduleForm()
    qtbot.addWidget(form)
    form.show()

    def rows():
        return {name for name, widget in form.rows.items() if form.form.isRowVisible(widget)}

    assert rows() == {"schedule"}     # with Keras' decay on its row
    form.schedule_box.setCurrentIndex(form.schedule_box.findData("step"))
    assert rows() == {"schedule", "drop", "every"}
    form.schedule_box.setCurrentIndex(form.schedule_box.findData("onecycle"))
    assert rows() == {"schedule", "max_lr"}
    with pytest.raises(ValueError, match="^the one-cycle schedule needs its max rate$"):
        form.changes()
    for saved in (ExperimentSettings(schedule="onecycle", max_lr=0.37, decay=1.5e-3),
                  ExperimentSettings(schedule="step", drop=0.25, every=40), ExperimentSettings(schedule="cosine")):
        with qtbot.assertNotEmitted(form.changed):
            form.load(saved)
        assert ExperimentSettings().replace(**form.changes()) == saved


def test_data_rows_follow_the_dataset_and_round_trip(qtbot):
    from kgui.ui.data_form import DataForm

    form = DataForm()
    qtbot.addWidget(form)
    form.show()

    def rows():
        return {name for name, widget in form.rows.items() if form.form.isRowVisible(widget)}

    form.set_dataset("spiral")
    assert rows() == {"val_fraction", "features", "data_seed"}
    form.feature_boxes["x1x2"].setChecked(True)
    form.feature_boxes["sin_x2"].setChecked(True)
    form.ratio.slider.setValue(60)
    changes = form.changes()
    assert changes == {"val_fraction": 0.4, "features": ("x1", "x2", "x1x2", "sin_x2"), "polynomial_degree": 1,
                       "data_seed": None}
    form.regenerate_button.click()
    assert form.changes()["data_seed"] >= 0
    assert not form.polynomial_box.isVisibleTo(form)
    form.set_dataset("iris")
    assert rows() == {"val_fraction"} and form.polynomial_box.isVisibleTo(form)
    form.polynomial_box.setChecked(True)
    assert form.changes() == {"val_fraction": 0.4, "features": (), "polynomial_degree": 2, "data_seed": None}
    for saved in (ExperimentSettings(dataset="xor", features=("x1_squared", "x2_squared"), data_seed=5,
                                     val_fraction=0.125),
                  ExperimentSettings(dataset="wine", polynomial_degree=2, val_fraction=0.0),
                  ExperimentSettings(dataset="circle", val_fraction=0.3)):
        with qtbot.assertNotEmitted(form.changed):
            form.load(saved)
        assert ExperimentSettings(dataset=saved.dataset).replace(**form.changes()) == saved
    form.load(ExperimentSettings(dataset="spiral"))
    for box in form.feature_boxes.values():
        box.setChecked(False)
    with pytest.raises(ValueError, match="^choose at least one input feature$"):
        form.changes()
