"""Compare: 2-up (select vs candidate), N-up survey, or a whole burst, zoom and pan synchronised.

All panes share one :class:`~photocull.views.canvas.SharedViewport`. The
*active* pane (outlined) is the one culling keys apply to; clicking a pane makes
it active. In 2-up the left pane is the champion and stays put while the arrow
keys step the candidate (right pane) through the rest — the "champion vs
challenger" burst comparison photographers ask for. Below the panes, the face strip
(:mod:`photocull.views.face_strip`, toggled) shows every face of the compared photos up close.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from engine.culling.cull_photo import CullPhoto
from photocull.views.canvas import ImageCanvas, SharedViewport, caption_for
from photocull.views.face_strip import FaceStrip
from photocull.workers import PreviewLoader


class CompareView(QWidget):
    active_changed = Signal(int)   # photo id

    def __init__(self, previews: PreviewLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.previews = previews
        self.shared = SharedViewport(self)
        self.show_insights = True
        self.mode = "2-up"
        self.photos: list[CullPhoto] = []
        self.active = 0
        self.panes: list[ImageCanvas] = []
        self.face_strip = FaceStrip(previews, self)
        self.face_strip.hide()
        self.face_strip.frame_clicked.connect(lambda pid: self.set_active([p.id for p in self.photos].index(pid)))
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(3)
        outer.addLayout(self.grid, 1)
        outer.addWidget(self.face_strip)

    def show_photos(self, photos: list[CullPhoto], mode: str, active: int = 0) -> None:
        """Show ``photos`` side by side (``mode``: "2-up", "survey" or "burst")."""
        self.mode = mode
        self.photos = list(photos)
        self._ensure_panes(len(self.photos))
        self.set_active(min(active, max(0, len(self.photos) - 1)))

    def refresh(self, by_id: dict[int, CullPhoto]) -> None:
        """Pick up changed decisions (the same photos, new records)."""
        self.photos = [by_id.get(p.id, p) for p in self.photos]
        self._update_captions()

    @property
    def active_photo(self) -> CullPhoto | None:
        return self.photos[self.active] if self.photos else None

    def set_active(self, index: int) -> None:
        self.active = index
        self._update_captions()
        if self.active_photo is not None:
            self.active_changed.emit(self.active_photo.id)

    def set_candidate(self, photo: CullPhoto) -> None:
        """2-up: replace the candidate (right pane), keeping the champion."""
        if len(self.photos) >= 2:
            self.photos[1] = photo
            self.set_active(1)

    def toggle_faces(self) -> None:
        """Show or hide every face of the compared photos up close."""
        self.face_strip.setVisible(not self.face_strip.isVisible())
        self._update_captions()

    def step_active(self, step: int) -> None:
        if self.photos:
            self.set_active((self.active + step) % len(self.photos))

    def _ensure_panes(self, count: int) -> None:
        while len(self.panes) < count:
            pane = ImageCanvas(self.previews, self.shared, self)
            pane.clicked.connect(lambda pane=pane: self.set_active(self.panes.index(pane)))
            self.panes.append(pane)
        for pane in self.panes:
            self.grid.removeWidget(pane)
            pane.hide()
        columns = max(1, math.ceil(math.sqrt(count))) if count > 2 else max(1, count)
        for i in range(count):
            self.grid.addWidget(self.panes[i], i // columns, i % columns)
            self.panes[i].show()

    def _update_captions(self) -> None:
        for i, photo in enumerate(self.photos):
            pane = self.panes[i]
            pane.active = i == self.active
            tag = ("select" if i == 0 else "candidate") if self.mode == "2-up" else ""
            caption = caption_for(photo, self.show_insights)
            pane.set_photo(photo, f"{tag.upper()}  {caption}" if tag else caption)
        if self.face_strip.isVisible():
            self.face_strip.show_frames(self.photos, self.active_photo.id if self.active_photo else None)
