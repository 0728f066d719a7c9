"""One photo drawn with a :class:`engine.culling.viewport.Viewport` (fit / 100 %, pan, zoom).

Several canvases may share one :class:`SharedViewport` — that is the whole of
"synchronised zoom and pan" in compare. The canvas draws whatever the
:class:`~photocull.workers.PreviewLoader` has (preview first, full size once
zoomed past what the preview can show) and asks for the rest.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QWidget

from engine.culling.cull_photo import CullPhoto
from engine.culling.map_words import legend_lines
from engine.culling.viewport import Viewport
from engine.inference.score_scale import SCORE_MEANING
from photocull import style
from photocull.views.quality_overlay import paint_legend, paint_loss
from photocull.workers import PreviewLoader


class SharedViewport(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.viewport = Viewport()

    def set(self, viewport: Viewport) -> None:
        if viewport != self.viewport:
            self.viewport = viewport
            self.changed.emit()


#: Non-breaking before the dot, so a wrapped caption breaks after it and no line starts with one.
CAPTION_SEPARATOR = "\u00a0\u00a0\u00a0·   "


def caption_for(photo: CullPhoto, show_insights: bool) -> str:
    """Name, decision and — with insights on — every line of the analysis summary, reasons included
    (the caption wraps, and its hover text lists them one per line, so nothing is cut off)."""
    record = photo.record
    parts = [photo.name]
    if record.flag:
        parts.append("⚑ pick" if record.flag == 1 else "✕ reject")
    if record.rating:
        parts.append("★" * record.rating)
    if record.label:
        parts.append(record.label)
    if show_insights:
        parts.extend(photo.insight.summary())
    return CAPTION_SEPARATOR.join(_kept_together(part) for part in parts)


def _kept_together(part: str, short: int = 28) -> str:
    """A short item on one line (non-breaking spaces); a long reason may wrap inside."""
    return part.replace(" ", "\u00a0") if len(part) <= short else part


class ImageCanvas(QWidget):
    clicked = Signal()

    def __init__(self, previews: PreviewLoader, shared: SharedViewport, parent: QWidget | None = None):
        super().__init__(parent)
        self.previews = previews
        self.shared = shared
        self.photo: CullPhoto | None = None
        self.caption = ""
        self.active = False
        self.show_faces = False
        #: Tint where the photo loses image quality, with its legend (the loupe's Q).
        self.show_quality_map = False
        self._drag_from: QPointF | None = None
        self.setMinimumSize(120, 90)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        shared.changed.connect(self.update)
        previews.ready.connect(self._preview_ready)
        self.font_small = QFont()
        self.font_small.setPointSizeF(9)

    def set_photo(self, photo: CullPhoto | None, caption: str = "") -> None:
        self.photo = photo
        self.caption = caption
        lines = caption.split(CAPTION_SEPARATOR)
        has_score = photo is not None and photo.insight.score is not None
        self.setToolTip("\n".join(line.replace("\u00a0", " ").strip() for line in lines if line.strip())
                        + (f"\n\n{SCORE_MEANING}" if has_score else ""))
        self.update()

    def image_size(self) -> tuple[float, float]:
        """Full-resolution size (from the catalog), else what is loaded."""
        if self.photo is None:
            return (1.0, 1.0)
        record = self.photo.record
        if record.width and record.height:
            return (float(record.width), float(record.height))
        pixmap = self.previews.best(self.photo)
        return (float(pixmap.width()), float(pixmap.height())) if pixmap else (1.0, 1.0)

    def widget_size(self) -> tuple[float, float]:
        return (float(self.width()), float(self.height()))

    def _preview_ready(self, photo_id: int) -> None:
        if self.photo is not None and self.photo.id == photo_id:
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.BACKGROUND)
        if self.photo is not None:
            self._paint_photo(painter)
        if self.caption:
            self._paint_caption(painter)
        if self.show_quality_map and self.photo is not None:
            paint_legend(painter, self.font_small, self.quality_words(), self.width())
        if self.active:
            painter.setPen(QPen(style.ACCENT, 2))
            painter.drawRect(self.rect().adjusted(1, 1, -1, -1))
        painter.end()

    def _paint_photo(self, painter: QPainter) -> None:
        viewport = self.shared.viewport
        image, widget = self.image_size(), self.widget_size()
        x, y, w, h = viewport.target_rect(image, widget)
        needs_full = not viewport.is_fit and viewport.scale(image, widget) * image[0] > 1700
        pixmap = self.previews.best(self.photo, want_full=needs_full)
        if pixmap is None:
            painter.setPen(style.MUTED)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "loading…")
            return
        target = QRectF(x, y, w, h)
        visible = target.intersected(QRectF(self.rect()))
        if visible.isEmpty():
            return
        sx, sy = pixmap.width() / w, pixmap.height() / h
        source = QRectF((visible.left() - x) * sx, (visible.top() - y) * sy, visible.width() * sx, visible.height() * sy)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, sx > 1.0)
        painter.drawPixmap(visible, pixmap, source)
        if self.show_quality_map and self.photo.insight.quality_map:
            paint_loss(painter, target, self.photo.insight.quality_map)
        if self.show_faces:
            painter.setPen(QPen(QColor(255, 255, 255, 110), 1))
            for x0, y0, x1, y1 in self.photo.insight.faces:
                painter.drawRect(QRectF(x + x0 * w, y + y0 * h, (x1 - x0) * w, (y1 - y0) * h))

    def quality_words(self) -> list[str]:
        """The overlay's legend for the photo shown, or why it has none."""
        insight = self.photo.insight if self.photo else None
        if insight is None:
            return []
        analysed = insight.score is not None or insight.blurry is not None
        return legend_lines(has_map=insight.quality_map is not None, analysed=analysed,
                            score_task=insight.score_task, score_model=insight.score_model)

    def _paint_caption(self, painter: QPainter) -> None:
        """The caption in a band along the bottom, wrapped onto as many lines as it needs (at most half
        the pane; the hover text has it all whatever the pane's size)."""
        painter.setFont(self.font_small)
        flags = Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap
        room = QRect(0, 0, max(self.width() - 20, 40), self.height())
        needed = painter.fontMetrics().boundingRect(room, flags, self.caption).height() + 10
        height = min(max(needed, 24), self.height() / 2)
        band = QRectF(0, self.height() - height, self.width(), height)
        painter.fillRect(band, QColor(20, 20, 20, 170))
        painter.setPen(style.TEXT)
        painter.drawText(band.adjusted(10, 0, -10, 0), flags, self.caption)

    # -- mouse: drag pans, double-click toggles fit/100 % at the point, wheel zooms ------------

    def mousePressEvent(self, event) -> None:
        self._drag_from = event.position()
        self.clicked.emit()

    def mouseMoveEvent(self, event) -> None:
        if self._drag_from is None or self.shared.viewport.is_fit:
            return
        delta = event.position() - self._drag_from
        self._drag_from = event.position()
        self.shared.set(self.shared.viewport.panned(delta.x(), delta.y(), self.image_size(), self.widget_size()))

    def mouseReleaseEvent(self, event) -> None:
        self._drag_from = None

    def mouseDoubleClickEvent(self, event) -> None:
        point = (event.position().x(), event.position().y())
        at = self.shared.viewport.to_image(point, self.image_size(), self.widget_size())
        self.shared.set(self.shared.viewport.toggled(self.image_size(), self.widget_size(), at))

    def wheelEvent(self, event) -> None:
        factor = 1.25 if event.angleDelta().y() > 0 else 0.8
        self.shared.set(self.shared.viewport.zoomed(factor, self.image_size(), self.widget_size()))
