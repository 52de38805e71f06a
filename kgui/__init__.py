"""kgui: train models through a Keras-2-style backend layer on TensorFlow and Theano (PyTensor).

Packages: ``kgui.backend`` (the K API over real engines), ``kgui.core`` (datasets, models,
trainer, saved runs, export; no Qt), ``kgui.cli`` (command line) and ``kgui.ui`` (the window).
"""
