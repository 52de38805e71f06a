"""Engine parametrisation shared by the backend tests: every engine kgui knows, skipped only when not installed."""
import pytest

import kgui.backend

ENGINES = kgui.backend.engine_ids()
INSTALLED = {info.id for info in kgui.backend.available() if info.installed}


def load_or_skip(name: str):
    """The backend for ``name``; the test is skipped (not failed) when its engine is not installed."""
    if name not in INSTALLED:
        pytest.skip(f"{name} is not installed")
    return kgui.backend.load(name)
