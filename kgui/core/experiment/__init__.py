"""The experiment: its settings and their labels, ``kgui:`` strings, classroom mode, and the code behind a run."""
