"""Every face up close: the prominent faces of each frame, with eye state and focus in plain words.

The face strip (``photocull/views/face_strip.py``) shows, for each frame of a burst (or each
photo being compared), its prominent faces cropped large, left to right, so a photographer
sees at once which frame has everyone's eyes open and in focus. This module decides what
goes in it, from what the analysis stored (:mod:`engine.analysis.storage`): which faces,
the crop round each, and the words under it. Focus is measured here, on the frame's own
pixels, with the same sharpness measure and threshold as the photo's blur verdict
(:mod:`engine.analysis.cues`) at the analysis image's size, because the analysis stores one
sharpness per photo, not one per face.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine.analysis.cues import SHARP_ENOUGH, luma_of, sharpness
from engine.analysis.faces import PROMINENT_FACE_FRACTION
from engine.analysis.storage import FaceRow, PhotoAnalysis
from engine.library.decode import ANALYSIS_RESAMPLE, render
from engine.library.thumbnails import ANALYSIS_SIZE

Box = tuple[float, float, float, float]

#: The crop round a face: this many face widths, square, so hair and chin frame the eyes.
CROP_SCALE = 1.6


@dataclass(frozen=True)
class FaceTile:
    """One face of one frame, ready to show."""

    #: The face as stored (fractions 0..1 of the upright photo).
    face: Box
    #: The square crop to show round it, in the same fractions, clipped to the photo.
    crop: Box
    #: True: eyes closed; False: open; None: the eyes could not be read.
    eyes_closed: bool | None
    #: Face sharpness 0..1 (None without pixels).
    sharpness: float | None

    @property
    def eyes_words(self) -> str:
        return {True: "eyes closed", False: "eyes open", None: "eyes unclear"}[self.eyes_closed]

    @property
    def focus_words(self) -> str:
        if self.sharpness is None:
            return "focus unknown"
        return "sharp" if self.sharpness >= SHARP_ENOUGH else "soft"

    @property
    def caption(self) -> str:
        return f"{self.eyes_words}, {self.focus_words}"

    @property
    def fine(self) -> bool:
        """Eyes open and face in focus: nothing to worry about in this face."""
        return self.eyes_closed is False and self.sharpness is not None and self.sharpness >= SHARP_ENOUGH


def prominent_faces(analysis: PhotoAnalysis | None) -> list[FaceRow]:
    """The faces that decide the photo's eye verdict, left to right.

    When no face could be read (all too small), the largest faces are shown anyway, at least
    :data:`PROMINENT_FACE_FRACTION` of the largest's area, so the strip says "eyes unclear"
    rather than "no faces".
    """
    if analysis is None or not analysis.faces:
        return []
    faces = [face for face in analysis.faces if face.prominent]
    if not faces:
        largest = max(_area(face.box) for face in analysis.faces)
        faces = [face for face in analysis.faces if _area(face.box) >= PROMINENT_FACE_FRACTION * largest]
    return sorted(faces, key=lambda face: (face.box[0] + face.box[2]) / 2)


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def crop_box(face: Box, aspect: float) -> Box:
    """A square crop (in photo pixels) :data:`CROP_SCALE` times the face, clipped to the photo.

    ``aspect`` is the photo's width / height, needed because the box is in fractions.
    """
    x0, y0, x1, y1 = face
    side = CROP_SCALE * max((x1 - x0) * aspect, y1 - y0)  # in heights
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = side / aspect / 2, side / 2
    return (max(0.0, cx - half_w), max(0.0, cy - half_h), min(1.0, cx + half_w), min(1.0, cy + half_h))


def face_tiles(analysis: PhotoAnalysis | None, image: Image.Image | None, aspect: float) -> list[FaceTile]:
    """The strip's tiles for one frame: its prominent faces, left to right.

    ``image`` (any size, upright) gives the focus words; without it focus is unknown.
    """
    faces = prominent_faces(analysis)
    luma = _analysis_luma(image) if image is not None and faces else None
    return [
        FaceTile(face=face.box, crop=crop_box(face.box, aspect), eyes_closed=face.eyes_closed,
                 sharpness=None if luma is None else face_sharpness(luma, face.box))
        for face in faces
    ]


def face_sharpness(luma: np.ndarray, face: Box) -> float:
    """The face's sharpness (0..1) on a luma image, measured as the blur verdict measures a face."""
    height, width = luma.shape
    box = (face[0] * width, face[1] * height, face[2] * width, face[3] * height)
    return float(sharpness(luma, faces=[box]).subject)


def align_people(frames: list[list[FaceTile]]) -> list[list[FaceTile | None]]:
    """The frames' faces lined up by person: one list per frame, one slot per person, left to right.

    Frames of a burst are taken from one place, so a person's face stays near the same spot:
    each face joins the person whose latest face is nearest, when its centre lies within
    that face's width; otherwise it starts a new person. A slot is None where a frame has
    no face for that person (turned away, hidden, or not found).
    """
    people: list[dict[int, FaceTile]] = []
    for index, tiles in enumerate(frames):
        free = list(range(len(people)))
        for tile in sorted(tiles, key=lambda t: -_area(t.face)):
            match = _nearest(tile, [(k, _latest(people[k])) for k in free])
            if match is None:
                people.append({index: tile})
            else:
                people[match][index] = tile
                free.remove(match)
    people.sort(key=lambda person: np.mean([_centre(t.face)[0] for t in person.values()]))
    return [[person.get(index) for person in people] for index in range(len(frames))]


def _latest(person: dict[int, FaceTile]) -> FaceTile:
    return person[max(person)]


def _nearest(tile: FaceTile, candidates: list[tuple[int, FaceTile]]) -> int | None:
    """The candidate person whose face centre is nearest ``tile``'s, within that face's width."""
    x, y = _centre(tile.face)
    best, best_distance = None, float("inf")
    for key, other in candidates:
        ox, oy = _centre(other.face)
        distance = float(np.hypot(x - ox, y - oy))
        if distance <= other.face[2] - other.face[0] and distance < best_distance:
            best, best_distance = key, distance
    return best


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def frame_summary(tiles: list[FaceTile]) -> str:
    """One line for the frame: how many faces have their eyes closed or are soft."""
    if not tiles:
        return "no faces"
    closed = sum(tile.eyes_closed is True for tile in tiles)
    soft = sum(tile.sharpness is not None and tile.sharpness < SHARP_ENOUGH for tile in tiles)
    if not closed and not soft and all(tile.fine for tile in tiles):
        return "everyone's eyes open and sharp" if len(tiles) > 1 else "eyes open and sharp"
    parts = []
    if closed:
        parts.append(f"{closed} with eyes closed" if len(tiles) > 1 else "eyes closed")
    if soft:
        parts.append(f"{soft} soft" if len(tiles) > 1 else "face soft")
    return ", ".join(parts) or "eyes unclear"


def _analysis_luma(image: Image.Image) -> np.ndarray:
    """Luma at the analysis image's size, where the sharpness threshold was calibrated."""
    small = render(image, ANALYSIS_SIZE, resample=ANALYSIS_RESAMPLE)
    return luma_of(np.asarray(small.convert("RGB")))
