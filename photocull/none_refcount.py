"""Work around PySide6 6.12's lost ``None`` references on Python 3.11.

Measured here (PySide6-Essentials 6.12.0, CPython 3.11.7): every call of a
``void`` Qt method — ``QPainter.drawPixmap``, ``setPen``, ``QRect.moveCenter``…
— and every empty ``QVariant`` returned to Python hands back ``None`` without
taking a reference. Python then releases a reference it never had; ``None``
starts with a few thousand, so painting a grid for a minute ends in
``Fatal Python error: none_dealloc`` (``bool_dealloc`` was seen at exit too). Python 3.12 made ``None`` immortal
(PEP 683), which is why the bug does not show there.

The workaround gives ``None`` the same immortality on 3.11: it raises its
reference count by 2**40 once at start-up, by writing ``ob_refcnt`` (the first
field of every CPython object) through ctypes. It costs nothing, allocates
nothing, and is skipped on 3.12+ and on other interpreters.
"""

from __future__ import annotations

import ctypes
import platform
import sys

BOOST = 1 << 40


def needed() -> bool:
    return sys.version_info < (3, 12) and platform.python_implementation() == "CPython"


def immortalize_none() -> bool:
    """Make ``None`` (and ``True``/``False``, seen failing the same way at interpreter exit)
    practically immortal on CPython < 3.12; True when applied."""
    if not needed():
        return False
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < BOOST:
            refcount.value += BOOST
    return True
