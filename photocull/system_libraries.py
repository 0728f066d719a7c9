"""The system libraries Qt's window needs on Linux, and the one command that installs them.

PySide6's wheels bundle Qt itself but not the desktop's own libraries (OpenGL, fonts,
and for X11 the xcb helpers). When one is missing, Qt names only the first it trips
over: "xcb-cursor0 or libxcb-cursor0 is needed" was printed on a fresh Debian whose
libxcb-cursor0 was installed and whose libxcb-icccm4 and libxcb-keysyms1 were not.
So before Qt is imported, every library the chosen platform plugin links against is
looked up the way the dynamic loader will (``ctypes.CDLL``), and a missing one gets
a message with a single ``apt-get`` line that installs all of them. This module
imports nothing from Qt: importing QtGui itself fails without libEGL or libGL.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

#: Needed by QtGui and QtWidgets whatever the platform plugin (soname -> Debian/Ubuntu package).
COMMON: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libpng16.so.16": "libpng16-16",
}
#: The X11 plugin (libqxcb.so and libQt6XcbQpa), as ``ldd`` lists them for PySide6 6.x.
XCB: dict[str, str] = {
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
#: The Wayland plugin.
WAYLAND: dict[str, str] = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
#: Not a library, but without any font every label is a row of boxes.
FONTS = ("fonts-dejavu-core",)
#: Platforms that draw into memory or a file and need no display libraries.
HEADLESS = ("offscreen", "minimal", "vnc")

Loader = Callable[[str], bool]


def loadable(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (the search Qt's own loading will do)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def platforms(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The platform plugins Qt will try, in order: ``QT_QPA_PLATFORM`` when set, else by the session."""
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return tuple(name.split(":")[0] for name in chosen.split(";") if name)
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        return ("wayland", "xcb")
    return ("xcb",)


def needed(platform: str) -> dict[str, str]:
    """The libraries (soname -> package) one platform plugin needs, Qt's common ones included."""
    if platform in HEADLESS:
        return dict(COMMON)
    return {**COMMON, **(WAYLAND if platform.startswith("wayland") else XCB)}


def missing(environ: Mapping[str, str] | None = None, *, loader: Loader | None = None) -> list[str]:
    """Sonames that keep every platform Qt would try from starting ([] when one of them can start)."""
    environ = os.environ if environ is None else environ
    loader = loader or loadable
    gaps = []
    for platform in platforms(environ):
        gap = [soname for soname in needed(platform) if not loader(soname)]
        if not gap:
            return []
        gaps.append(gap)
    return gaps[-1] if len(gaps) == 1 else sorted({soname for gap in gaps for soname in gap})


def install_command() -> str:
    """One command that installs everything Qt needs on Debian or Ubuntu, for X11 and Wayland."""
    packages = sorted({*COMMON.values(), *XCB.values(), *WAYLAND.values(), *FONTS})
    return "sudo apt-get install -y " + " ".join(packages)


def message(sonames: list[str]) -> str:
    packages = sorted({({**COMMON, **XCB, **WAYLAND})[name] for name in sonames})
    return (f"photocull cannot open its window: the system lacks {', '.join(sonames)} "
            f"(package{'s' if len(packages) > 1 else ''} {', '.join(packages)}).\n"
            f"Install everything its window needs with:\n\n    {install_command()}\n")


def check(environ: Mapping[str, str] | None = None, *, loader: Loader | None = None) -> str | None:
    """The message to print when Qt's window cannot start here; None on other systems or when all is there."""
    if not sys.platform.startswith("linux"):
        return None
    gaps = missing(environ, loader=loader)
    return message(gaps) if gaps else None
