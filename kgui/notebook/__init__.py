"""kgui in Jupyter: the window's own views (pyqtgraph plot items) drawn in a cell's output through
``pyqtgraph.jupyter`` / jupyter_rfb, with ipywidgets controls. Needs the ``notebook`` extra.

- :func:`explore`: train an experiment (the command line's keywords, or an ExperimentSettings) with the live loss
  plot, the decision boundary of 2-D data, Start / Pause / Stop and a learning-rate slider that acts mid-run; the
  run is saved in the window's store.
- :class:`LivePlot`: kgui's loss plot for your own K-API loop, ``plot.update(step, loss)``.
- ``%load_ext kgui``, then ``%kgui open [flags]``: the desktop window from the kernel (:mod:`kgui.notebook.magics`).
"""
from .explorer import Explorer, explore
from .live_plot import LivePlot

__all__ = ["Explorer", "LivePlot", "explore"]
