"""The grid: a virtualised icon list (uniform tiles, batched layout) and a quiet tile painter.

A tile shows the thumbnail, then one thin line under it: flag, stars, colour
label and — only when insights are on and there is something to say — the
0..100 score of the active sort (the personal score, marked ♥, under the personal
sort) and a small warning for closed eyes or a soft subject. A collapsed burst
shows its frame count in the corner. Rejected photos are dimmed, as in
Lightroom, so what is left to judge stands out.

Each tile is drawn once into a pixmap and then reused (:class:`TileDelegate`
keeps a small LRU keyed by everything the tile shows): drawing a tile afresh is a
scaled thumbnail blit plus some twenty Python → Qt calls, and the grid repaints on
every scroll step and every arriving thumbnail (``bench/ui_stall.py`` shows the
stalls that caused). A cached tile is one unscaled blit.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from engine.culling.cull_photo import CullPhoto
from engine.culling.insights import PhotoInsight
from engine.culling.session import CullingSession
from photocull import style
from photocull.workers import THUMB_SIDE

_STRIP = 22    # the line under the thumbnail
_PAD = 6       # thumbnail inset inside the tile
_MARGIN = 3    # between the tile and its grid cell
# The thumbnail box is exactly THUMB_SIDE square, so a loaded thumbnail is drawn unscaled.
TILE_W, TILE_H = THUMB_SIDE + 2 * (_PAD + _MARGIN), THUMB_SIDE + 2 * (_PAD + _MARGIN) + _STRIP
TILE_CACHE_ITEMS = 400   # a dozen screens of tiles, about 75 MB


class GridView(QListView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(TILE_W, TILE_H))
        self.setSpacing(0)
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(40)
        self.setItemDelegate(TileDelegate(self))

    def keyboardSearch(self, search: str) -> None:
        """Letters are culling keys here, never type-to-find."""


class TileDelegate(QStyledItemDelegate):
    def __init__(self, view: GridView):
        super().__init__(view)
        self.view = view
        self.small = QFont()
        self.small.setPointSizeF(8.5)
        self._tiles: OrderedDict[int, tuple[CullPhoto, tuple, QPixmap]] = OrderedDict()   # photo id -> tile

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        return QSize(TILE_W, TILE_H)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        # Python objects are read from the model directly, not through index.data(): PySide 6.12
        # on Python 3.11 drops a reference to None each time an empty QVariant comes back.
        model = self.view.model()
        photo = model.photo_at(index.row())
        if photo is None:
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        cell = option.rect.adjusted(_MARGIN, _MARGIN, -_MARGIN, -_MARGIN)
        painter.drawPixmap(cell.topLeft(), self._tile(photo, model.thumbnails.pixmap(photo), cell.size(), selected))
        if selected or option.state & QStyle.StateFlag.State_HasFocus:
            painter.save()
            painter.setPen(QPen(style.ACCENT if selected else style.MUTED, 2))
            painter.drawRect(cell.adjusted(1, 1, -1, -1))
            painter.restore()

    def _tile(self, photo: CullPhoto, pixmap: QPixmap | None, size: QSize, selected: bool) -> QPixmap:
        """The tile's pixmap from the cache, drawn when anything it shows has changed.

        Photos are immutable (a change makes a new object), so "the same photo" is an identity
        test, not a hash of its twenty-odd fields; the rest of the state is a short tuple.
        """
        model = self.view.model()
        state = (None if pixmap is None else pixmap.cacheKey(), pixmap is None and model.thumbnails.failed(photo),
                 size.width(), size.height(), selected, self._insight_text(photo), self._burst_badge_text(photo))
        cached = self._tiles.get(photo.id)
        if cached is not None and cached[0] is photo and cached[1] == state:
            self._tiles.move_to_end(photo.id)
            return cached[2]
        ratio = self.view.devicePixelRatioF()   # sharp on HiDPI screens
        canvas = QImage(size * ratio, QImage.Format.Format_RGB32)   # opaque: blitted without blending
        canvas.setDevicePixelRatio(ratio)
        canvas.fill(QColor(58, 58, 58) if selected else style.TILE)
        painter = QPainter(canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        image_box = QRect(_PAD, _PAD, size.width() - 2 * _PAD, size.height() - 2 * _PAD - _STRIP)
        self._paint_thumbnail(painter, image_box, pixmap, photo)
        self._paint_strip(painter, QRect(_PAD, image_box.bottom() + 4, size.width() - 2 * _PAD, _STRIP - 4), photo)
        self._paint_burst_badge(painter, image_box, photo)
        painter.end()
        tile = QPixmap.fromImage(canvas)
        self._tiles[photo.id] = (photo, state, tile)
        while len(self._tiles) > TILE_CACHE_ITEMS:
            self._tiles.popitem(last=False)
        return tile

    def _paint_thumbnail(self, painter: QPainter, box: QRect, pixmap: QPixmap | None, photo: CullPhoto) -> None:
        if pixmap is None:
            painter.setPen(style.MUTED)
            painter.setFont(self.small)
            failed = self.view.model().thumbnails.failed(photo)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "unreadable" if failed else "")
            return
        size = pixmap.size().scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio)
        if size.width() > pixmap.width():  # never upscale
            size = pixmap.size()
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(box.center())
        if photo.record.flag == -1:
            painter.setOpacity(0.35)
        painter.drawPixmap(target, pixmap)
        painter.setOpacity(1.0)

    def _paint_strip(self, painter: QPainter, strip: QRect, photo: CullPhoto) -> None:
        painter.setFont(self.small)
        x = strip.left()
        record = photo.record
        if record.flag:
            painter.setPen(style.PICK if record.flag == 1 else style.REJECT)
            painter.drawText(QRect(x, strip.top(), 14, strip.height()), Qt.AlignmentFlag.AlignVCenter,
                             "⚑" if record.flag == 1 else "✕")
            x += 16
        if record.rating:
            painter.setPen(style.STAR)
            painter.drawText(QRect(x, strip.top(), 60, strip.height()), Qt.AlignmentFlag.AlignVCenter, "★" * record.rating)
            x += 9 * record.rating + 4
        if record.label:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.LABEL_COLOURS.get(record.label, style.MUTED))
            painter.drawEllipse(QRectF(x + 1, strip.center().y() - 4, 8, 8))
            x += 14
        right = self._insight_text(photo)
        painter.setPen(style.MUTED)
        name_room = QRect(x + 2, strip.top(), strip.right() - x - 2 - 8 * len(right), strip.height())
        painter.drawText(name_room, Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(photo.name, Qt.TextElideMode.ElideMiddle, name_room.width()))
        if right:
            painter.setPen(QColor(200, 150, 90) if ("eyes" in right or "soft" in right) else style.MUTED)
            painter.drawText(strip, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right)

    def _insight_text(self, photo: CullPhoto) -> str:
        if not self.view.model().show_insights:
            return ""
        insight = photo.insight
        parts = []
        if insight.eyes_closed:
            parts.append("eyes")
        if insight.blurry:
            parts.append("soft")
        score = _shown_score(insight, self.view.model().session)
        if score:
            parts.append(score)
        return " · ".join(parts)

    def _burst_badge_text(self, photo: CullPhoto) -> str:
        insight = photo.insight
        session = self.view.model().session
        if insight.burst_id is None or session is None:
            return ""
        collapsed = session.state.collapse_bursts and insight.burst_id not in session.state.expanded
        return f"▣ {insight.burst_size}" if collapsed else ("best" if insight.is_burst_best else f"#{insight.burst_rank}")

    def _paint_burst_badge(self, painter: QPainter, box: QRect, photo: CullPhoto) -> None:
        text = self._burst_badge_text(photo)
        if not text:
            return
        painter.setFont(self.small)
        width = painter.fontMetrics().horizontalAdvance(text) + 10
        badge = QRect(box.left() + 4, box.top() + 4, width, 16)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 20, 190))
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(style.TEXT)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)


def _shown_score(insight: PhotoInsight, session: CullingSession | None) -> str:
    """The tile's number: the score of the active sort (the personal score, marked ♥, under the personal
    sort), on 0..100; "" when the photo has none."""
    if session is not None and session.state.sort == "personal":
        return "" if insight.personal_score is None else f"♥ {insight.personal_score:.0f}"
    return "" if insight.score is None else f"{insight.score:.0f}"
