"""The app as launched: a bad Qt platform, About, open with experiment flags, the loss plot's line-style note,
the Decision boundary dock's damaged saved surface, the parity verdict, dataset panels at 1366x768."""
import numpy as np
import pytest

from ui_support import messages, wait_for_job, window  # noqa: F401 - fixtures


def test_line_style_note_is_true_for_every_run_shown():
    from kgui.ui.loss_plot import RunStyle, line_key
    assert line_key({0: [1, 2]}) == "solid: training · dashed: validation"
    assert RunStyle.nth(12).round == 1
    note = line_key({0: [1], 1: [13, 14]})
    assert "#1: solid training, dashed validation" in note and "#13, #14: dash-dotted training, dotted validation" \
        in note


def test_line_style_note_follows_the_plot(qtbot, window):
    for index in range(13):
        window.plot.add_run(f"run-{index}", f"run {index}")
    assert "#13: dash-dotted training" in window.plot.line_key.text()
    window.plot.set_run_visible("run-12", False)
    assert window.plot.line_key.text() == "solid: training · dashed: validation"




def test_a_bogus_qt_platform_gives_one_kgui_line(tmp_path):
    import os
    import subprocess
    import sys
    from ui_support import ROOT
    env = {**os.environ, "QT_QPA_PLATFORM": "bogus", "KGUI_RUNS_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgui: error: ") and "QT_QPA_PLATFORM=bogus" in lines[0], lines


def test_about_names_the_four_engines_and_start_is_f5(window):
    from kgui.ui.dialogs import ABOUT
    assert all(name in ABOUT for name in ("TensorFlow", "PyTensor", "JAX", "PyTorch"))
    assert window.commands.start.shortcut().toString() == "F5"
    assert window.commands.start.toolTip().endswith("(F5 or Ctrl+R)")


@pytest.mark.parametrize("array", ["xs", "values", "x_train"])
def test_a_saved_surface_with_nan_or_inf_is_one_line_in_the_dock(qtbot, window, array):
    import numpy as np
    from kgui.core.training.surface import SURFACE_FILE
    window.form.dataset_picker.select("xor", {})
    window.form.steps_box.setValue(5)
    assert window.start()
    wait_for_job(qtbot, window)
    record = window.session.last_ended
    path = window.session.store.folder(record.id) / SURFACE_FILE
    with np.load(path) as data:
        arrays = dict(data)
    arrays[array] = arrays[array].astype(np.float64)
    arrays[array].flat[0] = np.nan
    arrays[array].flat[-1] = np.inf
    np.savez(path, **arrays)
    window.surface_view.live_run_id = None      # as after a restart: the run is a saved one
    window.runs_table.select(record.id)
    caption = window.surface_view.caption.text()
    assert "\n" not in caption
    if array == "values":     # a diverged model's surface: drawn, white where it is not finite
        assert window.surface_view.surface is not None
    else:
        assert "NaN or infinite" in caption, caption




# -- open with experiment flags shows the new run alone ----------------------------------------------------------

def remembered_shown(config_home) -> str:
    return "".join(path.read_text() for path in config_home.rglob("*.conf"))


def test_open_with_experiment_flags_shows_the_new_run_alone(tmp_path):
    import os
    import subprocess
    import sys
    from kgui.core.runs import RunStore
    from ui_support import ROOT
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "KGUI_RUNS_DIR": str(tmp_path / "runs")}

    def open_window(*flags):
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), "open", "--dataset", "linear", "--steps", "5",
                               "--start", "--screenshot", str(tmp_path / "shot.png"), *flags],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return [record.id for record in RunStore(tmp_path / "runs").list()]

    first = open_window()[0]
    assert first in remembered_shown(tmp_path / "config")
    runs = open_window()
    second = runs[-1]
    shown = remembered_shown(tmp_path / "config")
    assert second in shown and first not in shown        # the new run alone was on the plot
    third = open_window("--show-runs")[-1]
    shown = remembered_shown(tmp_path / "config")
    assert second in shown and third in shown            # asked for: the remembered runs come back


# -- the parity verdict explains itself, and the exported chart carries it -----------------------------------------

def test_parity_verdict_explains_adaptive_mini_batch_parting_and_the_png_carries_it(qtbot, window, tmp_path):
    import dataclasses

    from kgui.core.training.parity import LossDifference
    from kgui.ui.parity_view import LEGEND_TITLE, export_title, verdict_explanation
    window.form.dataset_picker.select("spiral", {})
    form = window.form.model_form
    form.optimizer_box.setCurrentIndex(form.optimizer_box.findData("adam"))
    window.form.batch_box.setValue(10)
    window.form.steps_box.setValue(5)
    window.form.lr_control.set_rate(0.01)
    assert window.compare_backends()
    wait_for_job(qtbot, window)
    result = window.parity_view.result
    view = window.parity_view
    title = export_title(result)
    assert title.startswith(view.verdict.text()) and "Spiral" in title
    assert all(name in title for name in ("TensorFlow", "JAX"))
    target = view.export_target()
    assert title in target.png_title.replace("&amp;", "&")     # the PNG shows it above the plot
    from PyQt6.QtGui import QImage
    plain_png = view.export_target()
    plain_png.png_title = ""
    plain_png.export(tmp_path / "plain.png")
    target.export(tmp_path / "parity.png")
    assert QImage(str(tmp_path / "parity.png")).height() > QImage(str(tmp_path / "plain.png")).height() or \
        (tmp_path / "parity.png").read_bytes() != (tmp_path / "plain.png").read_bytes()
    assert view.item.titleLabel.text == LEGEND_TITLE             # the screen keeps its own title
    target.export(tmp_path / "parity.svg")
    assert "Spiral" in (tmp_path / "parity.svg").read_text()
    # the engines part, as they did at step 518 in issue 21 (a 600-step MLP comparison is too slow for a test)
    first, second = (record.engine for record in result.records[:2])
    parted = dataclasses.replace(result, differences=[LossDifference(0.5, 3, first, second, 1.0)])
    view.show_result(parted)
    assert "Adam" in view.explanation.text() and "mini-batches of 10" in view.explanation.text()
    assert view.explanation.isVisible()
    assert verdict_explanation(dataclasses.replace(parted, settings=parted.settings.replace(batch_size=None))) == ""
    assert verdict_explanation(dataclasses.replace(parted, settings=parted.settings.replace(optimizer="sgd"))) == ""


# -- panels keep a useful height ---------------------------------------------------------------------------------

def test_four_dataset_panels_at_1366x768_keep_a_useful_height_and_scroll(qtbot, window):
    from kgui.ui.loss_plot import MIN_PANEL_HEIGHT
    window.resize(1366, 768)
    for index, dataset in enumerate(("linear", "xor", "circle", "iris")):
        window.plot.add_run(f"run-{index}", dataset, dataset=dataset, dataset_title=dataset)
    qtbot.wait(50)
    assert len(window.plot.shown_panels) == 4
    heights = [panel.item.sceneBoundingRect().height() for panel in window.plot.shown_panels]
    assert min(heights) >= MIN_PANEL_HEIGHT * 0.9, heights
    assert window.plot.scroller.verticalScrollBar().maximum() > 0      # the rest is a scroll away
    for index in range(1, 4):
        window.plot.set_run_visible(f"run-{index}", False)
    qtbot.wait(50)
    assert window.plot.scroller.verticalScrollBar().maximum() == 0     # one panel fills the plot area again


# -- the screenshot's file: one line naming the problem, never a hang -------------------------------------------------

def test_a_screenshot_into_a_pipe_nobody_reads_or_of_an_unknown_format_is_one_line(tmp_path):
    """A FIFO hung `open --screenshot` for good, and a bad path said only "cannot write the screenshot"; offscreen Qt's
    "This plugin does not support propagateSizeHints()" came beside it."""
    import os
    import subprocess
    import sys
    from ui_support import ROOT
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "KGUI_RUNS_DIR": str(tmp_path / "runs")}
    fifo = tmp_path / "shot.png"
    os.mkfifo(fifo)
    for path, says in [(fifo, f"cannot write {fifo}: a pipe nobody reads"),
                       (tmp_path / "shot.xyz", f"cannot write the screenshot {tmp_path / 'shot.xyz'}: unknown image "
                                               "format '.xyz'; use .png"),
                       (tmp_path / "two\nlines.xyz", f"cannot write the screenshot {tmp_path}/two\\nlines.xyz: unknown "
                                                      "image format '.xyz'; use .png")]:   # one line, whatever the path
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), "open", "--dataset", "linear", "--screenshot",
                               str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert (done.returncode, done.stderr) == (1, f"kgui: error: {says}\n")


def test_open_start_screenshot_of_a_failed_run_says_why_on_one_line(tmp_path):
    """It exited 1 saying nothing: the reason was in a message box nobody sees when the window only takes a
    screenshot."""
    import os
    import subprocess
    import sys
    from ui_support import ROOT
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,nan,0\n3,4,1\n5,6,0\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "KGUI_RUNS_DIR": str(tmp_path / "runs")}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "open", "--dataset", str(bad), "--start",
                           "--screenshot", str(tmp_path / "shot.png")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert (done.returncode, done.stderr) == (1, f"kgui: error: {bad}: column 'b', line 2: a missing value\n")
