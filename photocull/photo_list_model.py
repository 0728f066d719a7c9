"""The Qt item model over :class:`engine.culling.session.CullingSession`'s visible list.

It only adapts: rows are ``session.visible``; thumbnails come from the lazy
:class:`~photocull.workers.ThumbnailLoader` (a row the view never paints never
loads one). Decisions changed by the session are announced with
:meth:`photos_changed` so only those tiles repaint.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt

from engine.culling.cull_photo import CullPhoto
from engine.culling.session import CullingSession
from engine.inference.score_scale import SCORE_MEANING
from photocull.workers import ThumbnailLoader

PhotoRole = Qt.ItemDataRole.UserRole + 1


class PhotoListModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailLoader, parent: QObject | None = None):
        super().__init__(parent)
        self.session: CullingSession | None = None
        self.thumbnails = thumbnails
        self.show_insights = True
        thumbnails.ready.connect(self._thumbnail_ready)

    def set_session(self, session: CullingSession | None) -> None:
        self.beginResetModel()
        self.session = session
        self.endResetModel()

    def reset(self) -> None:
        """The session's visible list changed shape (sort, filter, bursts, reload)."""
        self.beginResetModel()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid() or self.session is None:
            return 0
        return len(self.session.visible)

    def photo_at(self, row: int) -> CullPhoto | None:
        if self.session is None or not 0 <= row < len(self.session.visible):
            return None
        return self.session.visible[row]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        photo = self.photo_at(index.row()) if index.isValid() else None
        if photo is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return photo.name
        if role == PhotoRole:
            return photo
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnails.pixmap(photo)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [photo.record.path, photo.record.capture_time or "no capture time"]
            meaning = [f"\n{SCORE_MEANING}"] if self.show_insights and photo.insight.score is not None else []
            return "\n".join(lines + (photo.insight.summary() if self.show_insights else []) + meaning)
        return None

    def photos_changed(self, photo_ids: Iterable[int]) -> None:
        if self.session is None:
            return
        for pid in photo_ids:
            row = self.session.row_of(pid)
            if row is not None:
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def thumbnails_shown(self) -> int:
        """Rows whose thumbnail is in memory (for tests and the stall bench)."""
        if self.session is None:
            return 0
        return sum(self.thumbnails.is_settled(p) and not self.thumbnails.failed(p) for p in self.session.visible)

    def thumbnails_settled(self, rows: int | None = None) -> bool:
        """Whether the first ``rows`` rows (default all) have a thumbnail or are known unreadable."""
        if self.session is None:
            return False
        return all(self.thumbnails.is_settled(p) for p in self.session.visible[:rows])

    def thumbnails_settled_in(self, rows: range) -> bool:
        """Whether every row of ``rows`` has a thumbnail or is known unreadable."""
        if self.session is None:
            return False
        return all(self.thumbnails.is_settled(p) for p in self.session.visible[rows.start:rows.stop])

    def _thumbnail_ready(self, photo_id: int) -> None:
        self.photos_changed([photo_id])
