"""The loupe: one photo large, fit or 100 %, with jumps to faces and to the sharpest region.

The zoom state is a normalised centre + a full-resolution zoom factor
(:mod:`engine.culling.viewport`), and it is *kept* when stepping to the next photo: at
100 % on a face, the arrow keys walk the burst with the face under the cursor.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine.culling.cull_photo import CullPhoto
from photocull.views.canvas import ImageCanvas, SharedViewport, caption_for
from photocull.views.face_strip import FaceStrip
from photocull.workers import PreviewLoader


class LoupeView(QWidget):
    def __init__(self, previews: PreviewLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.shared = SharedViewport(self)
        self.canvas = ImageCanvas(previews, self.shared, self)
        self.previews = previews
        self.show_insights = True
        self._face_index = -1
        #: The frames the face strip shows for a photo (its burst); set by the window.
        self.frames_for: Callable[[CullPhoto], list[CullPhoto]] = lambda photo: [photo]
        self.face_strip = FaceStrip(previews, self)
        self.face_strip.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.face_strip)

    @property
    def photo(self) -> CullPhoto | None:
        return self.canvas.photo

    def show_photo(self, photo: CullPhoto | None, neighbours: list[CullPhoto] = ()) -> None:
        if photo is None or self.photo is None or photo.id != self.photo.id:
            self._face_index = -1
        self.canvas.set_photo(photo, caption_for(photo, self.show_insights) if photo else "")
        for other in neighbours:  # the next step is instant
            self.previews.prefetch(other)
        self._update_face_strip()

    def toggle_faces(self) -> None:
        """Show or hide every face of the burst up close."""
        self.face_strip.setVisible(not self.face_strip.isVisible())
        self._update_face_strip()

    def _update_face_strip(self) -> None:
        if self.face_strip.isVisible() and self.photo is not None:
            self.face_strip.show_frames(self.frames_for(self.photo), self.photo.id)

    def toggle_quality_map(self) -> str:
        """Show or hide where the photo loses image quality; the sentence to say when it has no such picture."""
        canvas = self.canvas
        canvas.show_quality_map = not canvas.show_quality_map
        canvas.update()
        words = canvas.quality_words()
        return words[0] if canvas.show_quality_map and self.photo and not self.photo.insight.quality_map else ""

    def toggle_zoom(self) -> None:
        self.shared.set(self.shared.viewport.toggled(self.canvas.image_size(), self.canvas.widget_size()))

    def next_face(self) -> bool:
        """Centre on the next detected face; False when the photo has none."""
        faces = self.photo.insight.faces if self.photo else ()
        if not faces:
            return False
        self._face_index = (self._face_index + 1) % len(faces)
        self.canvas.show_faces = True
        self.shared.set(self.shared.viewport.focused_on(faces[self._face_index], self.canvas.image_size(),
                                                        self.canvas.widget_size()))
        return True

    def focus_on(self, region: tuple[float, float, float, float]) -> None:
        """Centre on a normalised region (the sharpest one), at 100 % when it fits."""
        self.shared.set(self.shared.viewport.focused_on(region, self.canvas.image_size(), self.canvas.widget_size()))
