"""An engine's big native libraries, loaded without holding the GIL before the engine is imported.

Python imports an extension module with ``dlopen()``, which also loads (maps, relocates, initialises) the
libraries it links, and holds the GIL all that time: TensorFlow's 850 MB of C++ libraries froze every other
Python thread, the window's too, for 5-7 s on a loaded machine (load 15). ``dlopen()`` called through
ctypes runs with the GIL released; the import's own ``dlopen()`` then finds the libraries loaded and only
counts a reference. Only libraries that do not call into Python while they load are preloaded this way.
"""
from __future__ import annotations

import atexit
import ctypes
import importlib.util
import sys
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
