"""The minimal window: open a folder offscreen and see its thumbnails arrive."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from photocull.app import create_window, parse_args
from tests.helpers.photo_factory import make_jpeg


def test_open_folder_scans_and_shows_every_thumbnail(qtbot, tmp_path: Path):
    for i in range(6):
        make_jpeg(tmp_path / "shoot" / f"IMG_{i}.jpg", size=(120, 80), seed=i)
    (tmp_path / "shoot" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    window = create_window(parse_args(["--open", str(tmp_path / "shoot")]))
    qtbot.addWidget(window)
    window.show()
    model = window.model
    qtbot.waitUntil(lambda: model.rowCount() == 6 and model.thumbnails_shown() == 6, timeout=20_000)
    qtbot.waitUntil(lambda: "1 unreadable" in window.statusBar().currentMessage(), timeout=20_000)
    first = model.index(0)
    pixmap = model.data(first, Qt.ItemDataRole.DecorationRole)
    assert (pixmap.width(), pixmap.height()) == (120, 80), "grid thumbnails are never upscaled"
    assert model.data(first, Qt.ItemDataRole.DisplayRole).startswith("IMG_")
    assert window.grid.viewMode() == window.grid.ViewMode.IconMode


def test_opening_something_that_is_not_a_folder_says_so(qtbot, tmp_path: Path):
    window = create_window(parse_args(["--open", str(tmp_path / "missing")]))
    qtbot.addWidget(window)
    assert "is not a folder" in window.statusBar().currentMessage()
    assert window.model.rowCount() == 0
