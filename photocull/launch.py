"""The ``photocull`` command: make sure Qt's window can start here, then start the app.

Imports no Qt before the check (:mod:`photocull.system_libraries`): on a desktop
that lacks a library Qt needs, importing PySide6 or starting its platform plugin
would fail with a message naming one library at a time. Desktop-entry options
need no window and skip the check.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

SKIP_CHECK = ("--install-desktop", "--uninstall-desktop", "-h", "--help")
MISSING_LIBRARIES_EXIT = 3


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--selftest" in args and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")   # as photocull.app does: a self-test needs no screen
    if not any(flag in args for flag in SKIP_CHECK):
        from photocull.system_libraries import check

        problem = check()
        if problem:
            print(problem, file=sys.stderr)
            return MISSING_LIBRARIES_EXIT
    from photocull.app import main as start

    return start(args)


if __name__ == "__main__":
    sys.exit(main())
