"""Opening libraries in the real window: drag and drop, and the File ▸ Open recent menu."""

from __future__ import annotations

from pathlib import Path

import PySide6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from engine.config.settings import load_settings
from photocull.app import ready_for_grab
from tests.helpers.gui_window import open_window
from tests.helpers.photo_factory import make_jpeg

#: Where the drag happens: PySide6 6.12 takes a QPointF (QPoint is deprecated), 6.11 (pinned on Python 3.11) a QPoint.
DRAG_AT = QPointF(20, 20) if tuple(int(n) for n in PySide6.__version__.split(".")[:2]) >= (6, 12) else QPoint(20, 20)


def folder_of(tmp_path: Path, name: str, photos: int = 2) -> Path:
    for i in range(photos):
        make_jpeg(tmp_path / name / f"IMG_{i}.jpg", size=(96, 64), seed=i)
    return (tmp_path / name).resolve()


def mime_for(*urls: QUrl) -> QMimeData:
    mime = QMimeData()
    mime.setUrls(list(urls))
    return mime


def drag_enter(win, mime: QMimeData) -> bool:
    event = QDragEnterEvent(DRAG_AT, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    event.setAccepted(False)
    win.dragEnterEvent(event)
    return event.isAccepted()


def drop(win, mime: QMimeData) -> None:
    win.dropEvent(QDropEvent(DRAG_AT, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier))


def test_dropping_a_folder_or_a_photo_opens_its_library(qtbot, tmp_path):
    first, second = folder_of(tmp_path, "first", 3), folder_of(tmp_path, "second")
    win = open_window(qtbot, None)
    assert not drag_enter(win, mime_for(QUrl("https://example.org/photo.jpg"))), "only local files are accepted"
    folder_drop = mime_for(QUrl.fromLocalFile(str(first)))
    assert drag_enter(win, folder_drop)
    drop(win, folder_drop)
    qtbot.waitUntil(lambda: ready_for_grab(win) and len(win.session.photos) == 3, timeout=30_000)
    assert win.session.root == first
    drop(win, mime_for(QUrl("https://example.org/x.jpg"), QUrl.fromLocalFile(str(second / "IMG_1.jpg"))))
    qtbot.waitUntil(lambda: ready_for_grab(win) and len(win.session.photos) == 2, timeout=30_000)
    assert win.session.root == second, "a dropped photo opens the folder it is in"
    win.close()


def test_recent_menu_lists_opened_folders_newest_first_and_reopens_them(qtbot, tmp_path):
    first, second = folder_of(tmp_path, "first", 3), folder_of(tmp_path, "second")
    win = open_window(qtbot, None)
    assert not win.library.recent_menu.isEnabled(), "nothing opened yet"
    for folder in (first, second):
        win.open_folder(folder)
        qtbot.waitUntil(lambda: ready_for_grab(win), timeout=30_000)
    entries = [action.text() for action in win.library.recent_menu.actions()]
    assert entries == [str(second), str(first)]
    assert load_settings().recent_libraries == (str(second), str(first)), "remembered across runs"
    win.library.recent_menu.actions()[1].trigger()
    qtbot.waitUntil(lambda: ready_for_grab(win) and len(win.session.photos) == 3, timeout=30_000)
    assert win.session.root == first
    assert [action.text() for action in win.library.recent_menu.actions()] == [str(first), str(second)]
    win.close()
