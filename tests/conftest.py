"""Shared test set-up: Qt runs offscreen; PyTensor compiles into a shared per-user cache."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
