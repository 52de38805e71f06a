"""Runs leaving kgui: CSV/JSON/PNG exports, TensorBoard event files, and pandas tables."""
