"""Backend settings shared by every engine: default engine, floatx and epsilon.

Resolution order for the default engine: ``KGUI_BACKEND``, then the ``backend`` key of
the JSON config file (``$KGUI_CONFIG`` or ``<user config dir>/kgui/kgui.json``, same keys
as Keras' ``keras.json``), then ``"tensorflow"``.
"""
from __future__ import annotations

import json
import os
import threading
import warnings
from pathlib import Path

DEFAULTS = {"backend": "tensorflow", "floatx": "float32", "epsilon": 1e-7}
FLOAT_TYPES = ("float16", "float32", "float64")
# Threads PyTorch (OpenMP) and PyTensor (OpenBLAS) split one matrix product over. Another count sums in another order
# (1e-7 relative on Otto), so a fixed one keeps a seed's curve bitwise on every machine and path (Dask's workers start
# with one); one was also the fastest for kgui's models on a loaded 2-core machine (docs/bench_threads.md).
ENGINE_THREADS = 1

_lock = threading.Lock()
_state: dict | None = None


def config_path() -> Path:
    """Where the JSON config file is read from."""
    explicit = os.environ.get("KGUI_CONFIG")
    if explicit:
        return Path(explicit)
    from platformdirs import user_config_dir

    return Path(user_config_dir("kgui")) / "kgui.json"


def read_config_file(path: Path) -> dict:
    """Settings from ``path``; defaults with a warning when it is unreadable or not valid JSON."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:   # RecursionError: nested
        warnings.warn(f"kgui config {path} is not valid JSON ({exc}); using defaults", stacklevel=2)  # too deeply
        return {}
    if not isinstance(data, dict):
        warnings.warn(f"kgui config {path} must hold a JSON object; using defaults", stacklevel=2)
        return {}
    settings = {}
    for key, value in data.items():
        if key not in DEFAULTS:
            continue
        try:
            settings[key] = _checked(key, value)
        except ValueError as exc:
            warnings.warn(f"kgui config {path}: {exc}; using the default", stacklevel=2)
    return settings


def _checked(key: str, value):
    if key == "floatx":
        if value not in FLOAT_TYPES:
            raise ValueError(f"floatx must be one of {', '.join(FLOAT_TYPES)}, got {value!r}")
        return value
    if key == "epsilon":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"epsilon must be a number between 0 and 1, got {value!r}")
        return float(value)
    if not isinstance(value, str) or not value:
        raise ValueError(f"backend must be an engine name, got {value!r}")
    return value


def _settings() -> dict:
    global _state
    with _lock:
        if _state is None:
            _state = {**DEFAULTS, **read_config_file(config_path())}
        return _state


def default_backend_name() -> str:
    """Name of the engine that ``import kgui.backend as K`` uses."""
    return os.environ.get("KGUI_BACKEND") or _settings()["backend"]


def floatx() -> str:
    """Default float dtype name, e.g. ``"float32"``."""
    return _settings()["floatx"]


def set_floatx(value: str) -> None:
    """Set the default float dtype for every engine."""
    _settings()["floatx"] = _checked("floatx", str(value))


def epsilon() -> float:
    """Fuzz factor used in numeric expressions (clipping in cross-entropies)."""
    return _settings()["epsilon"]


def set_epsilon(value: float) -> None:
    """Set the fuzz factor for every engine."""
    _settings()["epsilon"] = _checked("epsilon", value)


def reset() -> None:
    """Forget cached settings so the next call re-reads the environment and config file."""
    global _state
    with _lock:
        _state = None
