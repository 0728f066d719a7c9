"""photocull entry point: ``photocull [--open DIR] [--selftest OUT.png]``.

``--selftest OUT.png`` is for packaging checks and screenshots: open the
folder, wait until the background work is done and the first thumbnails are
in, grab the window into OUT.png and exit 0 (1 when it times out, 2 when the
folder could not be opened). It works offscreen (``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from engine.config.settings import load_settings
from photocull.main_window import MainWindow
from photocull.style import apply_theme

GIL_SWITCH_INTERVAL_S = 0.0005


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="photocull", description="Cull photos: thumbnails at once, decisions in XMP.")
    parser.add_argument("folder", type=Path, nargs="?", help="open this folder at start (the same as --open)")
    parser.add_argument("--open", type=Path, metavar="DIR", help="open this folder at start")
    parser.add_argument("--selftest", type=Path, metavar="OUT.png",
                        help="open DIR, wait for thumbnails, save a window grab to OUT.png and exit")
    parser.add_argument("--timeout", type=float, default=120.0, help="self-test time limit in seconds")
    parser.add_argument("--install-desktop", action="store_true",
                        help="add photocull to the desktop's application menu, with its icon, and exit")
    parser.add_argument("--uninstall-desktop", action="store_true", help="remove that menu entry and icon, and exit")
    args = parser.parse_args(argv)
    args.open = args.open or args.folder
    return args


def desktop_entry_command(args: argparse.Namespace) -> int | None:
    """Handle ``--install-desktop`` / ``--uninstall-desktop`` (exit code), or None when neither was asked."""
    from photocull import desktop_entry

    if args.install_desktop:
        written = desktop_entry.install()
        print(f"photocull is in the application menu: {written[0]}" + (f" (and {len(written) - 1} icons)"
                                                                          if len(written) > 1 else ""))
        return 0
    if args.uninstall_desktop:
        removed = desktop_entry.uninstall()
        print(f"removed {len(removed)} files" if removed else "photocull was not in the application menu")
        return 0
    return None


def icon_path() -> Path:
    """assets/icons beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parent.parent
    return root / "assets" / "icons" / "photocull-256.png"


def prefer_the_event_loop() -> None:
    """Hand the GIL over every 0.5 ms instead of 5 ms.

    Qt's drawing calls release the GIL, and each must win it back from worker
    threads (scan, thumbnails, catalog reads); with the default 5 ms interval a
    grid repaint of 40 tiles waits visibly (``bench/ui_stall.py`` measures it).
    Workers lose a little throughput; the window stays smooth.
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


def create_window(args: argparse.Namespace, *, save_settings: bool = True) -> MainWindow:
    prefer_the_event_loop()
    window = MainWindow(load_settings(), save=save_settings)
    if icon_path().exists():
        window.setWindowIcon(QIcon(str(icon_path())))
    if args.open is not None:
        window.open_folder(args.open)
    return window


def rows_on_screen(window: MainWindow) -> range:
    """The grid rows inside its viewport now.

    Thumbnails load lazily, when a row is painted, so these are the only rows whose
    thumbnails can be waited for: a fixed count (it was 24) never settles when fewer
    tiles fit the window, as with 1,103 photos in the default window offscreen.
    """
    grid, model = window.grid, window.model
    viewport = grid.viewport().rect()
    first = grid.indexAt(viewport.topLeft())
    row = first.row() if first.isValid() else 0
    start = row
    while row < model.rowCount() and grid.visualRect(model.index(row)).intersects(viewport):
        row += 1
    return range(start, row)


def ready_for_grab(window: MainWindow) -> bool:
    """Background work done and the thumbnails of the rows on screen settled."""
    if window.session is None or window.working:
        return False
    shown = rows_on_screen(window)
    return window.model.thumbnails_settled_in(shown if len(shown) else range(min(1, window.model.rowCount())))


def run_selftest(app: QApplication, window: MainWindow, out: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    if window.session is None:
        print(f"selftest: could not open the folder: {window.statusBar().currentMessage()}", file=sys.stderr)
        QTimer.singleShot(0, lambda: app.exit(2))
        return

    def poll() -> None:
        if ready_for_grab(window):
            out.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(out))
            print(f"selftest: {window.model.rowCount()} photos shown, "
                  f"{window.model.thumbnails_shown()} thumbnails, grab saved to {out}")
            app.exit(0)
        elif time.monotonic() > deadline:
            print(f"selftest: timed out; status: {window.statusBar().currentMessage()}", file=sys.stderr)
            app.exit(1)
        else:
            QTimer.singleShot(100, poll)

    QTimer.singleShot(100, poll)


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()   # the analysis runs in a spawned child, also in the frozen app
    args = parse_args(sys.argv[1:] if argv is None else argv)
    done = desktop_entry_command(args)
    if done is not None:
        return done
    if args.selftest and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("photocull")
    apply_theme(app)
    window = create_window(args)
    window.show()
    if args.selftest:
        run_selftest(app, window, args.selftest, args.timeout)
    code = app.exec()
    window.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
