"""Loupe and compare geometry: fit / 100 % zoom that keeps its spot while you step through a burst.

The view state is a zoom factor (screen pixels per *full-resolution* pixel, or
"fit") and a centre in normalised image coordinates (0..1). Because the centre is
normalised and the zoom refers to full-size pixels, the same state means "the same
spot at the same magnification" on every frame of a burst, whichever resolution is
loaded at the moment (a 1600-px preview, then the full image) — the fix for the
darktable complaint that zoom resets when advancing. Compare panes share one state,
which is all "synchronised zoom and pan" needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Size = tuple[float, float]                 # width, height
Rect = tuple[float, float, float, float]   # x, y, width, height
Region = tuple[float, float, float, float]  # x0, y0, x1, y1 normalised

MAX_ZOOM = 8.0


@dataclass(frozen=True)
class Viewport:
    zoom: float | None = None              # None = fit the window
    center: tuple[float, float] = (0.5, 0.5)

    @property
    def is_fit(self) -> bool:
        return self.zoom is None

    def scale(self, image: Size, widget: Size) -> float:
        """Screen pixels per full-resolution pixel."""
        return fit_scale(image, widget) if self.zoom is None else self.zoom

    def target_rect(self, image: Size, widget: Size) -> Rect:
        """Where the whole image lands on the widget (may extend past its edges when zoomed)."""
        scale = self.scale(image, widget)
        width, height = image[0] * scale, image[1] * scale
        x = _place(width, widget[0], self.center[0])
        y = _place(height, widget[1], self.center[1])
        return (x, y, width, height)

    def toggled(self, image: Size, widget: Size, at: tuple[float, float] | None = None) -> Viewport:
        """Fit <-> 100 %; zooming in centres on ``at`` (normalised) when given."""
        if self.zoom is not None:
            return Viewport()
        return Viewport(1.0, _clamp_point(at or self.center))

    def panned(self, dx: float, dy: float, image: Size, widget: Size) -> Viewport:
        """Move the picture by (dx, dy) screen pixels (drag direction)."""
        _, _, width, height = self.target_rect(image, widget)
        cx = self.center[0] - dx / width if width else self.center[0]
        cy = self.center[1] - dy / height if height else self.center[1]
        return replace(self, center=_clamp_point((cx, cy)))

    def zoomed(self, factor: float, image: Size, widget: Size) -> Viewport:
        scale = self.scale(image, widget) * factor
        if scale <= fit_scale(image, widget):
            return Viewport(None, self.center)
        return replace(self, zoom=min(MAX_ZOOM, scale))

    def focused_on(self, region: Region, image: Size, widget: Size) -> Viewport:
        """Centre on ``region``: at 100 %, or less when the region would not fit at 100 %."""
        x0, y0, x1, y1 = region
        region_w, region_h = max(1.0, (x1 - x0) * image[0]), max(1.0, (y1 - y0) * image[1])
        fits = min(widget[0] / region_w, widget[1] / region_h) * 0.8
        zoom = max(fit_scale(image, widget), min(1.0, fits))
        return Viewport(zoom, _clamp_point(((x0 + x1) / 2, (y0 + y1) / 2)))

    def to_image(self, point: tuple[float, float], image: Size, widget: Size) -> tuple[float, float]:
        """A widget point as normalised image coordinates."""
        x, y, width, height = self.target_rect(image, widget)
        return _clamp_point(((point[0] - x) / width if width else 0.5, (point[1] - y) / height if height else 0.5))


def fit_scale(image: Size, widget: Size) -> float:
    """The scale that shows the whole image, never enlarging past 100 %."""
    if image[0] <= 0 or image[1] <= 0:
        return 1.0
    return min(1.0, widget[0] / image[0], widget[1] / image[1])


def _place(extent: float, room: float, center: float) -> float:
    """Offset of an image side: centred when it fits, else following ``center`` without leaving gaps."""
    if extent <= room:
        return (room - extent) / 2
    return min(0.0, max(room - extent, room / 2 - center * extent))


def _clamp_point(point: tuple[float, float]) -> tuple[float, float]:
    return (min(1.0, max(0.0, point[0])), min(1.0, max(0.0, point[1])))
