"""Every face up close: one column per frame, its prominent faces cropped large, eyes and focus in words.

Shown under the loupe (the current photo's burst) and under compare (the photos compared),
toggled with the faces-strip key. The column of the photo on screen is outlined; each face
is framed green when its eyes are open and it is sharp, red when its eyes are closed, amber
when it is soft or its eyes could not be read. Faces are placed left to right as they stand
in the frame, so one row is, in a burst, one person. Which faces, their crops and their words
come from :mod:`engine.culling.face_strip`; this widget only draws them on the previews.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from PIL import Image
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from engine.analysis.storage import PhotoAnalysis
from engine.culling.cull_photo import CullPhoto
from engine.culling.face_strip import FaceTile, face_tiles, frame_summary
from photocull import style
from photocull.workers import PreviewLoader

#: Faces shown per frame (the rest are counted under the column).
MAX_FACES = 4
TILE_MAX = 150
TILE_MIN = 56
HEADER = 34
CAPTION = 30
GAP = 8

FINE = QColor(90, 170, 90)
CLOSED = style.REJECT
DOUBT = QColor(215, 170, 60)

AnalysesSource = Callable[[list[int]], Mapping[int, PhotoAnalysis]]


class FaceStrip(QWidget):
    """The strip; ``show_frames`` fills it, ``frame_clicked`` says which column was clicked."""

    frame_clicked = Signal(int)   # photo id

    def __init__(self, previews: PreviewLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.previews = previews
        self.analyses: AnalysesSource = lambda ids: {}
        self.frames: list[CullPhoto] = []
        self.current: int | None = None
        self._tiles: dict[int, list[FaceTile]] = {}
        self._measured: set[int] = set()   # photos whose focus was measured on their preview
        self._analysis: dict[int, PhotoAnalysis] = {}
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumHeight(HEADER + TILE_MIN + CAPTION + GAP)
        previews.ready.connect(self._preview_ready)
        self.font_small = QFont()
        self.font_small.setPointSizeF(8.5)
        self.font_bold = QFont(self.font_small)
        self.font_bold.setBold(True)

    def show_frames(self, frames: list[CullPhoto], current: int | None) -> None:
        """Show ``frames`` (one column each), outlining the one with id ``current``."""
        ids = [photo.id for photo in frames]
        if ids != [photo.id for photo in self.frames]:
            self._analysis = dict(self.analyses(ids))
            self._tiles = {}
            self._measured = set()
        self.frames = list(frames)
        self.current = current
        for photo in frames:
            self._ensure_tiles(photo)
        self.setMinimumHeight(self._wanted_height())
        self.update()

    def tiles_of(self, photo_id: int) -> list[FaceTile]:
        return self._tiles.get(photo_id, [])

    def _ensure_tiles(self, photo: CullPhoto) -> None:
        """Tiles from the stored faces; focus is measured once the frame's preview is at hand."""
        if photo.id in self._measured:
            return
        pixmap = self.previews.best(photo)
        image = _pil_image(pixmap) if pixmap is not None else None
        record = photo.record
        aspect = (record.width / record.height) if record.width and record.height else (
            pixmap.width() / pixmap.height() if pixmap is not None and pixmap.height() else 1.5)
        self._tiles[photo.id] = face_tiles(self._analysis.get(photo.id), image, aspect)
        if image is not None:
            self._measured.add(photo.id)

    def _preview_ready(self, photo_id: int) -> None:
        photo = next((p for p in self.frames if p.id == photo_id), None)
        if photo is not None and photo_id not in self._measured:
            self._ensure_tiles(photo)
            self.update()

    def _people(self) -> int:
        return min(MAX_FACES, max((len(t) for t in self._tiles.values()), default=0)) or 1

    def _wanted_height(self) -> int:
        return HEADER + self._people() * (TILE_MIN + CAPTION) + GAP

    def _tile_side(self) -> float:
        """As large as the width (one column per frame) and the height (one row per person) allow."""
        columns = max(1, len(self.frames))
        by_width = (self.width() - GAP) / columns - GAP
        by_height = (self.height() - HEADER - GAP) / self._people() - CAPTION
        return max(TILE_MIN, min(TILE_MAX, by_width, by_height))

    def _column_rect(self, index: int, side: float) -> QRectF:
        width = side + GAP
        left = (self.width() - width * len(self.frames)) / 2 + index * width
        return QRectF(left, 0, width, self.height())

    def mousePressEvent(self, event) -> None:
        side = self._tile_side()
        for index, photo in enumerate(self.frames):
            if self._column_rect(index, side).contains(event.position()):
                self.frame_clicked.emit(photo.id)
                return

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), style.PANEL)
        if not self.frames:
            return
        side = self._tile_side()
        for index, photo in enumerate(self.frames):
            self._paint_column(painter, self._column_rect(index, side), photo, index, side)
        painter.end()

    def _paint_column(self, painter: QPainter, column: QRectF, photo: CullPhoto, index: int, side: float) -> None:
        tiles = self._tiles.get(photo.id, [])
        if photo.id == self.current:
            painter.fillRect(column.adjusted(1, 1, -1, -1), style.TILE)
            painter.setPen(QPen(style.ACCENT, 2))
            painter.drawRect(column.adjusted(1, 1, -1, -1))
        painter.setFont(self.font_bold)
        painter.setPen(style.TEXT)
        header = QRectF(column.left() + 4, 2, column.width() - 8, 15)
        title = f"#{index + 1}  ★ best" if photo.insight.is_burst_best else f"#{index + 1}"
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(self.font_small)
        summary = frame_summary(tiles)
        bad = any(tile.eyes_closed for tile in tiles)
        painter.setPen(CLOSED if bad else (FINE if tiles and all(t.fine for t in tiles) else style.MUTED))
        painter.drawText(QRectF(column.left() + 4, 17, column.width() - 8, 15),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(summary, Qt.TextElideMode.ElideRight, int(column.width() - 8)))
        pixmap = self.previews.best(photo)
        for row, tile in enumerate(tiles[:MAX_FACES]):
            top = HEADER + row * (side + CAPTION)
            self._paint_tile(painter, QRectF(column.left() + GAP / 2, top, side, side), tile, pixmap)
        if len(tiles) > MAX_FACES:
            painter.setPen(style.MUTED)
            painter.drawText(QRectF(column.left(), self.height() - 14, column.width(), 14),
                             Qt.AlignmentFlag.AlignCenter, f"+{len(tiles) - MAX_FACES} more faces")

    def _paint_tile(self, painter: QPainter, target: QRectF, tile: FaceTile, pixmap: QPixmap | None) -> None:
        if pixmap is not None:
            x0, y0, x1, y1 = tile.crop
            source = QRectF(x0 * pixmap.width(), y0 * pixmap.height(), (x1 - x0) * pixmap.width(), (y1 - y0) * pixmap.height())
            fitted = _fit(source, target)
            painter.drawPixmap(fitted, pixmap, source)
        else:
            painter.fillRect(target, style.TILE)
        colour = CLOSED if tile.eyes_closed else FINE if tile.fine else DOUBT
        painter.setPen(QPen(colour, 2))
        painter.drawRect(target.adjusted(1, 1, -1, -1))
        painter.setPen(colour if tile.eyes_closed else style.TEXT)
        text = painter.fontMetrics().elidedText(tile.eyes_words, Qt.TextElideMode.ElideRight, int(target.width()))
        painter.drawText(QRectF(target.left(), target.bottom() + 1, target.width(), 14), Qt.AlignmentFlag.AlignCenter, text)
        painter.setPen(DOUBT if tile.focus_words == "soft" else style.MUTED)
        painter.drawText(QRectF(target.left(), target.bottom() + 14, target.width(), 14), Qt.AlignmentFlag.AlignCenter,
                         tile.focus_words)


def _fit(source: QRectF, target: QRectF) -> QRectF:
    """The part of ``target`` that shows ``source`` at its own aspect ratio, centred."""
    if source.width() <= 0 or source.height() <= 0:
        return target
    scale = min(target.width() / source.width(), target.height() / source.height())
    width, height = source.width() * scale, source.height() * scale
    return QRectF(target.center().x() - width / 2, target.center().y() - height / 2, width, height)


def _pil_image(pixmap: QPixmap) -> Image.Image:
    """A QPixmap's pixels as an RGB Pillow image (for the engine's focus measure)."""
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    pixels = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height).reshape(height, stride)
    return Image.fromarray(np.ascontiguousarray(pixels[:, : width * 3].reshape(height, width, 3)), "RGB")
