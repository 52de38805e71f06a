"""An engine's big native libraries, loaded without holding the GIL before the engine is imported.

Python imports an extension module with ``dlopen()``, which also loads (maps, relocates, initialises) the
libraries it links, and holds the GIL all that time: TensorFlow's 850 MB of C++ libraries froze every other
Python thread, the window's too, for 5-7 s on a loaded machine (load 15). ``dlopen()`` called through
ctypes runs with the GIL released; the import's own ``dlopen()`` then finds the libraries loaded and only
counts a reference. Only libraries that do not call into Python while they load are preloaded this way.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import re
import sys
import tempfile
import threading
from pathlib import Path

_loading = threading.Lock()   # held while libraries load; the process's exit waits for it (see _wait_for_loading)


@atexit.register
def _wait_for_loading() -> None:
    """Let a load still running finish before the process exits: exiting while another thread runs a library's
    initialisers without the GIL crashes (SIGSEGV, SIGABRT), where the GIL used to make the exit wait."""
    with _loading:
        pass


def _dlopen():
    """libc's ``dlopen`` as a ctypes function (ctypes releases the GIL around the call); None where unavailable."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None).dlopen
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return function


def preload(package: str, libraries: tuple[str, ...]) -> list[str]:
    """Load ``libraries`` (paths inside the installed ``package``, dependencies first) with the GIL released, with
    the flags Python's import uses; returns those loaded. Anything missing is left to the import, which then
    reports it as usual."""
    dlopen = _dlopen()
    spec = importlib.util.find_spec(package) if package not in sys.modules else None
    if dlopen is None or spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(list(spec.submodule_search_locations)[0])
    loaded = []
    with _loading:
        for library in libraries:
            path = folder / library
            if path.is_file() and dlopen(str(path).encode(), sys.getdlopenflags()):
                loaded.append(library)
    return loaded


@contextlib.contextmanager
def dropping_stderr_lines(noise: tuple[re.Pattern, ...]):
    """While the block runs (an engine's import), what anything writes to the process's stderr (file descriptor 2,
    C++ libraries included) is held back; afterwards every line that no pattern of ``noise`` matches is written
    to stderr, in order. For engines whose libraries log while they load whatever their environment says (TensorFlow
    2.21's absl logging ignores TF_CPP_MIN_LOG_LEVEL for them)."""
    if os.environ.get("KGUI_ENGINE_LOGS"):   # the engines' own log lines only when asked for
        yield
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as held:
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not any(pattern.search(line) for pattern in noise)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
