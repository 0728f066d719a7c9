"""Framing: is a prominent face cut by the frame edge, and how much of the head is outside?

Works from the face boxes the analysis stores (fractions of the upright photo, clipped to the
frame) and the photo's size, so no pixels and no extra model are needed:

* The face detector's boxes are square in pixels (MediaPipe's full-range detector predicts one
  box per face, eyebrows to chin, about as wide as tall). A box touching an edge was clipped
  there, so the face's full extent is estimated from the other side: a box 0.3 of its height
  wide that touches the left edge is a face 70 % cut off there. A box touching no edge is whole.
* The head reaches above the box by about :data:`HEADROOM` of its side (forehead and hair), so
  a face whose box fits but sits right at the top still has the top of the head cut off.
* Faces that matter: those at least :data:`MIN_FACE_SIDE` of the photo's short side and at
  least :data:`PROMINENT_SIDE` of the largest face's side (a face in the corner of a crowd does
  not decide framing).

:func:`frame_check` gives the visible share of the worst-cut head (1.0 = every head whole) and
the edge where it is cut, which best-shot ranking compares across a burst's frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Head extent above the face box, as a fraction of the box side.
HEADROOM = 0.25
#: Faces smaller than this fraction of the photo's short side are not checked.
MIN_FACE_SIDE = 0.05
#: Faces smaller than this fraction of the largest face's side are not checked.
PROMINENT_SIDE = 0.5
#: A box edge this close (fraction of the photo) to the frame edge touches it.
_TOUCH = 0.002
#: A box clipped by less than this fraction of its side counts as whole: the detector's box runs
#: wider than the face itself (into hair and hat), so a close-up whose box just reaches the
#: edge, a few pixels more or less from frame to frame, is not a face cut off.
MIN_CLIP = 0.1

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class FrameCheck:
    """How complete the prominent heads of one photo are."""

    visible: float = 1.0          # visible share of the worst-cut head, 0..1 (1 = all whole)
    edge: str | None = None       # left | right | top | bottom, where that head is cut most
    faces: int = 0                # prominent faces checked
    largest: float = 0.0          # side of the largest face, as a fraction of the photo's short side

    @property
    def cut(self) -> float:
        return 1.0 - self.visible


def frame_check(boxes: Sequence[Box], width: int | None, height: int | None) -> FrameCheck:
    """Framing of one photo from its face ``boxes`` (x0, y0, x1, y1 as fractions, clipped)."""
    if not boxes or not width or not height:
        return FrameCheck()
    heads = [_head(box, width, height) for box in boxes]
    largest = max(side for _, side in heads)
    short = min(width, height)
    checked = [_visible(head, width, height) for head, side in heads
               if side >= MIN_FACE_SIDE * short and side >= PROMINENT_SIDE * largest]
    if not checked:
        return FrameCheck()
    visible, edge = min(checked, key=lambda found: found[0])
    return FrameCheck(visible, edge, len(checked), largest / short)

def _head(box: Box, width: int, height: int) -> tuple[Box, float]:
    """The head's estimated full box in pixels (face box completed, plus headroom) and the face side."""
    x0, y0, x1, y1 = box[0] * width, box[1] * height, box[2] * width, box[3] * height
    side = max(x1 - x0, y1 - y0)
    clipped_x, clipped_y = side - (x1 - x0) > MIN_CLIP * side, side - (y1 - y0) > MIN_CLIP * side
    if clipped_x and box[0] <= _TOUCH and box[2] < 1.0 - _TOUCH:
        x0 = x1 - side
    elif clipped_x and box[2] >= 1.0 - _TOUCH and box[0] > _TOUCH:
        x1 = x0 + side
    if clipped_y and box[1] <= _TOUCH and box[3] < 1.0 - _TOUCH:
        y0 = y1 - side
    elif clipped_y and box[3] >= 1.0 - _TOUCH and box[1] > _TOUCH:
        y1 = y0 + side
    return (x0, y0 - HEADROOM * side, x1, y1), side


def _visible(head: Box, width: int, height: int) -> tuple[float, str | None]:
    """Share of ``head`` inside the frame and the edge that cuts the most of it."""
    x0, y0, x1, y1 = head
    w, h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    outside = {"left": max(0.0, -x0) / w, "right": max(0.0, x1 - width) / w,
               "top": max(0.0, -y0) / h, "bottom": max(0.0, y1 - height) / h}
    visible = max(0.0, 1.0 - outside["left"] - outside["right"]) * max(0.0, 1.0 - outside["top"] - outside["bottom"])
    edge = max(outside, key=outside.__getitem__)
    return visible, edge if outside[edge] > 0 else None
