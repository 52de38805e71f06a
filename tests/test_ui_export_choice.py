"""What File → Export writes: the view the user is looking at, and the SVG as the plot on screen."""
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QTabBar

from ui_support import configure, messages, train, wait_for_job, window  # noqa: F401 - fixtures


# -- export writes what the user is looking at ---------------------------------------------------------------------

@pytest.fixture
def compared(qtbot, window):
    """A window after Compare Backends on a short linear run: the parity panel came forward by itself."""
    configure(window, steps=10, rate=0.1, n=100)
    assert window.compare_backends()
    wait_for_job(qtbot, window)
    assert window.parity_view.result is not None and window.export_choice.parity_in_front()
    return window


def dock_tab_bar(win):
    """The tab bar of the right-hand docks (Fit, Parity, Code, Decision boundary)."""
    return next(bar for bar in win.findChildren(QTabBar) if bar.parent() is win
                and win.parity_dock.windowTitle() in [bar.tabText(i) for i in range(bar.count())])


def click_tab(qtbot, bar, title: str) -> None:
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_export_after_compare_with_the_parity_dock_behind_writes_the_loss_plot(qtbot, compared):
    click_tab(qtbot, dock_tab_bar(compared), "Fit")
    assert not compared.export_choice.parity_in_front()
    target = compared.export_choice.target()
    assert (target.name, target.stem) == ("loss plot", "kgui-loss")
    click_tab(qtbot, dock_tab_bar(compared), "Code")
    assert compared.export_choice.target().stem == "kgui-loss"


def test_export_writes_the_view_last_clicked(qtbot, compared):
    plot_view = compared.plot.widget.viewport()
    qtbot.mouseClick(plot_view, Qt.MouseButton.LeftButton, pos=plot_view.rect().center())
    assert compared.export_choice.target().stem == "kgui-loss"
    parity_view = compared.parity_view.plot.viewport()
    qtbot.mouseClick(parity_view, Qt.MouseButton.LeftButton, pos=parity_view.rect().center())
    target = compared.export_choice.target()
    assert (target.name, target.stem) == ("backend parity comparison", "kgui-parity")
    click_tab(qtbot, dock_tab_bar(compared), "Fit")
    click_tab(qtbot, dock_tab_bar(compared), "Parity")    # the user brings it back: they look at it
    assert compared.export_choice.target().stem == "kgui-parity"


def test_export_asks_which_view_when_both_are_in_front_and_neither_was_looked_at(qtbot, compared, monkeypatch):
    asked = []

    def answer(choice):
        def get_item(parent, title, label, items, current, editable):
            asked.append(list(items))
            return (items[choice], True) if choice is not None else ("", False)
        monkeypatch.setattr(QInputDialog, "getItem", get_item)

    answer(None)
    assert compared.export_choice.target() is None       # cancelled: nothing is written
    assert asked[-1] == ["Loss plot", "Backend parity comparison"]
    answer(1)
    assert compared.export_choice.target().stem == "kgui-parity"
    assert compared.export_choice.target().stem == "kgui-parity" and len(asked) == 2   # asked once, remembered




# -- the SVG is the plot on screen, names plain text --------------------------------------------------------

def test_svg_panels_keep_their_own_x_range_and_ticks(qtbot, window, tmp_path, monkeypatch):
    import matplotlib

    from kgui.ui.exporting import SVG_STYLE, panel_state, svg_figure
    long = train(qtbot, window, steps=200, rate=0.1, n=100)
    window.form.dataset_picker.select("xor", {})
    window.form.steps_box.setValue(20)
    assert window.start()
    wait_for_job(qtbot, window)
    window.plot.redraw()
    panels = [panel_state(panel.item, panel.title) for panel in window.plot.shown_panels]
    assert len(panels) == 2 and panels[0].x_range != panels[1].x_range
    with matplotlib.rc_context(SVG_STYLE):
        figure = svg_figure(panels, (800, 600))
        figure.draw_without_rendering()
        for axes, panel in zip(figure.axes, panels):
            assert axes.get_xlim() == pytest.approx(panel.x_range)
            assert axes.get_xlabel() == "step"
            assert [tick.get_text() for tick in axes.get_xticklabels() if tick.get_text()]  # labelled ticks
    assert long.id in window.plot.runs


def test_run_names_are_plain_text_in_the_svg_the_legend_and_the_docks(qtbot, window, tmp_path, monkeypatch):
    from PyQt6.QtWidgets import QFileDialog
    record = train(qtbot, window, steps=5, n=100)
    window.runs_table.rename(record.id, r"$\evil{x}$ <b>bold</b>")
    name = window.session.runs[record.id].name
    assert name == r"$\evil{x}$ <b>bold</b>"
    assert any(label.startswith(f"#1 {name}") for label in window.plot.labels())
    legend_html = [text.text for _, text in window.plot.legend.items][0]
    assert "<b>" not in legend_html and "&lt;b&gt;" in legend_html
    target = tmp_path / "plot.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), "SVG image (*.svg)"))
    window.commands.export_formats["svg"].trigger()
    svg = target.read_text()
    assert r"$\evil{x}$ &lt;b&gt;bold&lt;/b&gt;" in svg
    from kgui.core.exports.export import plot_bytes
    assert rb"$\evil{x}$" in plot_bytes([window.session.runs[record.id]], "svg")     # the command line's export too
    assert plot_bytes([window.session.runs[record.id]], "png").startswith(b"\x89PNG")
    window.runs_table.select(record.id)
    assert window.surface_view.caption.textFormat() == Qt.TextFormat.PlainText
    assert window.fit_view.hint.textFormat() == Qt.TextFormat.PlainText
