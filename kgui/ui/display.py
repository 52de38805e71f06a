"""Whether Qt will find a display, checked before a QApplication exists (Qt aborts the process when it finds none)."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from pathlib import Path

WINDOWLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
ADVICE = ("run it on a desktop, under xvfb-run (xvfb-run -a python main.py ...), or with QT_QPA_PLATFORM=offscreen "
          "(no window to see)")


def x_display_connects(display: str) -> bool:
    """Whether an X server answers at ``display`` (through libxcb, as Qt's xcb platform does)."""
    name = ctypes.util.find_library("xcb") or "libxcb.so.1"
    try:
        xcb = ctypes.CDLL(name)
    except OSError:
        return False
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def platform_plugins(environ=None) -> set[str]:
    """The Qt platforms whose plugin is installed ("xcb", "offscreen", …): Qt's own plugin folder and the folders
    QT_PLUGIN_PATH and QT_QPA_PLATFORM_PLUGIN_PATH add."""
    from PyQt6.QtCore import QLibraryInfo

    environ = os.environ if environ is None else environ
    folders = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"]
    folders += [Path(entry) / "platforms" for entry in environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if entry]
    folders += [Path(entry) for entry in environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if entry]
    return {plugin.name.removeprefix("libq").split(".")[0] for folder in folders if folder.is_dir()
            for plugin in folder.glob("libq*.so*")}


def display_problem(environ=None) -> str | None:
    """Why Qt could not open a window here (one line with what to do), or None when it can (or we cannot tell)."""
    if not sys.platform.startswith("linux"):
        return None
    environ = os.environ if environ is None else environ
    requested = environ.get("QT_QPA_PLATFORM", "")
    wayland, display = environ.get("WAYLAND_DISPLAY", ""), environ.get("DISPLAY", "")
    platforms = [entry.split(":")[0].strip() for entry in requested.split(";") if entry.strip()]
    if not platforms:
        platforms = ["wayland", "xcb"] if wayland else ["xcb"]
    elif requested:
        installed = platform_plugins(environ)
        if installed and not any(platform in installed for platform in platforms):
            return (f"cannot open the window: QT_QPA_PLATFORM={requested} names no installed Qt platform "
                    f"(installed: {', '.join(sorted(installed))}); unset it, or {ADVICE}")
    for platform in platforms:
        if platform in WINDOWLESS_PLATFORMS or platform.startswith("wayland") and wayland:
            return None
        if platform == "xcb" and display and x_display_connects(display):
            return None
        if platform not in ("xcb", "wayland") and not platform.startswith("wayland"):
            return None   # a platform we do not know: let Qt try it
    if display:
        return f"cannot open the window: no X display answers at DISPLAY={display}; {ADVICE}"
    return f"cannot open the window: there is no display (DISPLAY is not set); {ADVICE}"
