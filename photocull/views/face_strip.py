"""Every face up close: one group per frame, its prominent faces cropped large, eyes and focus in words.

Shown under the loupe (the current photo's burst) and under compare (the photos compared),
toggled with the faces-strip key. The frame on screen is outlined; each face is framed green
when its eyes are open and it is sharp, red when its eyes are closed, amber when it is soft or
its eyes could not be read. Within every frame the same slot holds the same person
(:func:`engine.culling.face_strip.align_people`), so a glance along the strip compares one
person across the burst. Which faces, their crops and their words come from
:mod:`engine.culling.face_strip`; this widget only draws them on the previews.
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
from engine.culling.face_strip import FaceTile, align_people, face_tiles, frame_summary
from photocull import style
from photocull.workers import PreviewLoader

#: People shown per frame (the largest faces' people; the rest are counted in the summary).
MAX_PEOPLE = 6
TILE_MAX = 170
TILE_MIN = 64
HEADER = 34
CAPTION = 30
GAP = 10

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
        self.setFixedHeight(HEADER + TILE_MIN + CAPTION + GAP)
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
        self.setFixedHeight(self._wanted_height())
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

    def _rows(self) -> list[list[FaceTile | None]]:
        """Per frame, one slot per person (the same person in the same slot), at most :data:`MAX_PEOPLE`."""
        rows = align_people([self._tiles.get(photo.id, []) for photo in self.frames])
        return [row[:MAX_PEOPLE] for row in rows]

    def _wanted_height(self) -> int:
        return HEADER + round(self._tile_side(self._rows())) + CAPTION + GAP

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.setFixedHeight(self._wanted_height())

    def _tile_side(self, rows: list[list[FaceTile | None]]) -> float:
        """As large as the width allows, every frame's faces side by side in one strip."""
        slots = sum(max(1, len(row)) for row in rows) or 1
        spare = self.width() - GAP * (len(rows) + 1) - 2 * slots
        return max(TILE_MIN, min(TILE_MAX, spare / slots))

    def _columns(self, rows: list[list[FaceTile | None]], side: float) -> list[QRectF]:
        widths = [max(1, len(row)) * (side + 2) + GAP for row in rows]
        left = max(0.0, (self.width() - sum(widths)) / 2)
        columns = []
        for width in widths:
            columns.append(QRectF(left, 0, width, self.height()))
            left += width
        return columns

    def mousePressEvent(self, event) -> None:
        rows = self._rows()
        for photo, column in zip(self.frames, self._columns(rows, self._tile_side(rows))):
            if column.contains(event.position()):
                self.frame_clicked.emit(photo.id)
                return

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), style.PANEL)
        if not self.frames:
            return
        rows = self._rows()
        side = self._tile_side(rows)
        for index, (photo, column) in enumerate(zip(self.frames, self._columns(rows, side))):
            self._paint_column(painter, column, photo, index, rows[index], side)
        painter.end()

    def _paint_column(self, painter: QPainter, column: QRectF, photo: CullPhoto, index: int,
                      slots: list[FaceTile | None], side: float) -> None:
        tiles = self._tiles.get(photo.id, [])
        inner = column.adjusted(GAP / 2 - 3, 0, -GAP / 2 + 3, -2)
        if photo.id == self.current:
            painter.fillRect(inner, style.TILE)
            painter.setPen(QPen(style.ACCENT, 2))
            painter.drawRect(inner.adjusted(1, 1, -1, -1))
        painter.setFont(self.font_bold)
        painter.setPen(style.TEXT)
        text_box = inner.adjusted(5, 0, -5, 0)
        title = f"#{index + 1}  ★ best" if photo.insight.is_burst_best else f"#{index + 1}"
        painter.drawText(QRectF(text_box.left(), 2, text_box.width(), 15),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(self.font_small)
        bad = any(tile.eyes_closed for tile in tiles)
        painter.setPen(CLOSED if bad else (FINE if tiles and all(t.fine for t in tiles) else style.MUTED))
        summary = painter.fontMetrics().elidedText(frame_summary(tiles), Qt.TextElideMode.ElideRight, int(text_box.width()))
        painter.drawText(QRectF(text_box.left(), 17, text_box.width(), 15),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, summary)
        pixmap = self.previews.best(photo)
        for slot, tile in enumerate(slots):
            target = QRectF(column.left() + GAP / 2 + 1 + slot * (side + 2), HEADER, side, side)
            if tile is None:
                painter.setPen(QPen(style.MUTED, 1, Qt.PenStyle.DashLine))
                painter.drawRect(target.adjusted(4, 4, -4, -4))
                painter.drawText(target, Qt.AlignmentFlag.AlignCenter, "not found")
            else:
                self._paint_tile(painter, target, tile, pixmap)

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
