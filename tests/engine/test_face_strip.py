"""The face strip's data: which faces, their crops, and eye state and focus in plain words."""

from __future__ import annotations

import pytest
from PIL import Image, ImageFilter
from skimage import data

from engine.analysis.storage import FaceRow, PhotoAnalysis
from engine.culling import face_strip

#: The astronaut's face in skimage's 512×512 photo, as fractions.
ASTRONAUT_FACE = (175 / 512, 70 / 512, 280 / 512, 180 / 512)


def _face(box, prominent=True, closed: bool | None = False) -> FaceRow:
    openness = None if closed is None else (0.02 if closed else 0.2)
    return FaceRow(box=box, score=0.9, prominent=prominent, right_eye_openness=openness, left_eye_openness=openness,
                   eyes_closed=closed, closed_probability=None if closed is None else float(closed))


def _analysis(*faces: FaceRow) -> PhotoAnalysis:
    return PhotoAnalysis(photo_id=1, status="ok", error_reason=None, error_message=None, model_set="", sort_score=None,
                         sort_task=None, scores=(), cues=None, blurry=None, blur_reason=None, sharpness_region=None,
                         faces=faces, eyes_closed=None, eyes_closed_confidence=None, burst=None, provider=None,
                         analysed_at=0.0)


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def test_prominent_faces_left_to_right_and_background_faces_left_out():
    right, left = _face((0.6, 0.2, 0.8, 0.5)), _face((0.1, 0.2, 0.3, 0.5), closed=True)
    background = _face((0.45, 0.1, 0.5, 0.15), prominent=False)
    tiles = face_strip.face_tiles(_analysis(right, background, left), None, 1.5)
    assert [t.face for t in tiles] == [left.box, right.box]
    assert [t.eyes_words for t in tiles] == ["eyes closed", "eyes open"]
    assert all(t.focus_words == "focus unknown" for t in tiles)
    assert face_strip.face_tiles(None, None, 1.5) == []


def test_faces_too_small_to_read_still_show_as_unclear():
    crowd = [_face((0.1 * i, 0.5, 0.1 * i + 0.02, 0.53), prominent=False, closed=None) for i in range(1, 4)]
    tiny = _face((0.9, 0.9, 0.905, 0.905), prominent=False, closed=None)
    tiles = face_strip.face_tiles(_analysis(tiny, *crowd[::-1]), None, 1.5)
    assert [t.face for t in tiles] == [f.box for f in crowd]
    assert {t.eyes_words for t in tiles} == {"eyes unclear"}


def test_crop_is_square_in_pixels_round_the_face_and_inside_the_photo():
    x0, y0, x1, y1 = face_strip.crop_box((0.4, 0.4, 0.5, 0.55), aspect=1.5)
    assert (x1 - x0) * 1.5 == pytest.approx(y1 - y0)  # square in pixels
    assert x0 < 0.4 and y0 < 0.4 and x1 > 0.5 and y1 > 0.55
    corner = face_strip.crop_box((0.0, 0.0, 0.1, 0.1), aspect=1.0)
    assert corner[:2] == (0.0, 0.0) and corner[2] > 0.1


def test_focus_words_tell_a_sharp_face_from_a_blurred_one(astronaut):
    analysis = _analysis(_face(ASTRONAUT_FACE))
    (sharp,) = face_strip.face_tiles(analysis, astronaut, 1.0)
    (soft,) = face_strip.face_tiles(analysis, astronaut.filter(ImageFilter.GaussianBlur(4)), 1.0)
    assert sharp.focus_words == "sharp" and sharp.fine
    assert soft.focus_words == "soft" and not soft.fine
    assert sharp.caption == "eyes open, sharp"


def test_frame_summary_counts_the_faces_that_spoil_the_frame(astronaut):
    open_sharp = face_strip.FaceTile(ASTRONAUT_FACE, ASTRONAUT_FACE, eyes_closed=False, sharpness=0.9)
    closed = face_strip.FaceTile(ASTRONAUT_FACE, ASTRONAUT_FACE, eyes_closed=True, sharpness=0.9)
    soft = face_strip.FaceTile(ASTRONAUT_FACE, ASTRONAUT_FACE, eyes_closed=False, sharpness=0.1)
    assert face_strip.frame_summary([open_sharp, open_sharp]) == "everyone's eyes open and sharp"
    assert face_strip.frame_summary([open_sharp, closed, soft]) == "1 with eyes closed, 1 soft"
    assert face_strip.frame_summary([closed]) == "eyes closed"
    assert face_strip.frame_summary([]) == "no faces"


def _tile(x: float, closed: bool = False) -> face_strip.FaceTile:
    box = (x, 0.3, x + 0.1, 0.45)
    return face_strip.FaceTile(box, box, eyes_closed=closed, sharpness=0.9)


def test_faces_line_up_by_person_across_the_frames_of_a_burst():
    """Three people; the middle one is missed in frame 2 and the camera drifts right a little."""
    frames = [[_tile(0.1), _tile(0.4), _tile(0.7)], [_tile(0.73), _tile(0.13, closed=True)], [_tile(0.45), _tile(0.16), _tile(0.76)]]
    rows = face_strip.align_people(frames)
    assert [len(row) for row in rows] == [3, 3, 3]
    assert [t.face[0] if t else None for t in rows[1]] == [0.13, None, 0.73]
    assert rows[1][0].eyes_closed and [t.face[0] for t in rows[2]] == [0.16, 0.45, 0.76]
    assert face_strip.align_people([[], []]) == [[], []]
