"""photocull's desktop app (PySide6). It renders and forwards; all logic lives in ``engine``."""

from photocull.none_refcount import immortalize_none

immortalize_none()  # before any Qt call; see photocull.none_refcount (PySide6 6.12 on Python 3.11)
