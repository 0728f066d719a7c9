"""The loupe's overlay of where a photo loses image quality: drawing only (words: engine.culling.map_words).

Each cell of the photo's map (:attr:`engine.culling.insights.PhotoInsight.quality_map`) below
the photo's own average is tinted warm, more opaque the more it pulls the score down (the
lowest cell gets :data:`STRONGEST` alpha); cells at or above the average stay clear. The cells
become one tiny image, drawn smoothly scaled onto the displayed image rect, so the tint
follows letterboxing, zoom and pan like the photo under it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from photocull import style

#: Alpha of the cell that loses the most (0..255): the photo stays visible under the tint.
STRONGEST = 150


def loss_image(cells: Sequence[Sequence[float]]) -> QImage:
    """One pixel per cell: the warm tint, its alpha growing with how far the cell is below the average."""
    values = np.asarray(cells, dtype=np.float64)
    deficit = np.clip(values.mean() - values, 0.0, None)
    worst = float(deficit.max())
    strength = deficit / worst if worst > 0 else deficit
    rows, cols = values.shape
    image = QImage(cols, rows, QImage.Format.Format_ARGB32)
    tint = style.QUALITY_LOSS
    for row in range(rows):
        for col in range(cols):
            image.setPixelColor(col, row, QColor(tint.red(), tint.green(), tint.blue(),
                                                 round(STRONGEST * float(strength[row, col]))))
    return image


def paint_loss(painter: QPainter, target: QRectF, cells: Sequence[Sequence[float]]) -> None:
    """The tint over ``target``, the displayed image rect (widget coordinates, possibly larger than the widget)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawImage(target, loss_image(cells))
    painter.restore()


def paint_legend(painter: QPainter, font: QFont, lines: Sequence[str], width: float) -> QRectF:
    """The legend in the top-left corner: the first line bold, then the others, wrapped to the pane; returns its box."""
    painter.save()
    bold = QFont(font)
    bold.setBold(True)
    fonts = [bold, *([font] * (len(lines) - 1))]
    flags = Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap
    widest = max((_advance(painter, f, line) for f, line in zip(fonts, lines)), default=0)
    text_width = min(max(width - 60, 80), widest + 2)   # the +2: rounding must not wrap a line that fits
    heights = [_height(painter, f, line, text_width, flags) for f, line in zip(fonts, lines)]
    box = QRectF(10, 10, text_width + 20, sum(heights) + 16)
    painter.fillRect(box, QColor(20, 20, 20, 190))
    top = box.top() + 8
    for i, (f, line, height) in enumerate(zip(fonts, lines, heights)):
        painter.setFont(f)
        painter.setPen(style.TEXT if i == 0 else style.MUTED)
        painter.drawText(QRectF(box.left() + 10, top, text_width, height), flags, line)
        top += height
    if len(lines) > 1:   # a swatch of the tint beside the line that names it
        painter.fillRect(QRectF(box.left() + 2, box.top() + 8 + heights[0], 4, heights[1]), style.QUALITY_LOSS)
    painter.restore()
    return box


def _advance(painter: QPainter, font: QFont, line: str) -> int:
    painter.setFont(font)
    return painter.fontMetrics().horizontalAdvance(line)


def _height(painter: QPainter, font: QFont, line: str, width: float, flags) -> int:
    painter.setFont(font)
    return painter.fontMetrics().boundingRect(0, 0, int(width), 10_000, int(flags), line).height()
