"""Faces and eyes: the shipped MediaPipe conversions, detection, eye openness, the closed-eyes flag.

Photos come from scikit-image (``skimage.data``: astronaut is a public-domain NASA
portrait); the synthetic cases are derived from it in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw
from skimage import data

from engine.analysis import faces
from engine.inference.contract import load_manifest, sha256_of
from engine.inference.registry import inspect_model, shipped_models_dir

MODELS = (faces.DETECTOR_MODEL, faces.LANDMARK_MODEL, faces.IRIS_MODEL)
#: Where the astronaut's face is in skimage's 512×512 photo (forehead to chin, ear to ear), by eye.
ASTRONAUT_FACE = (170, 60, 285, 185)


@pytest.fixture(scope="module")
def analyzer() -> faces.FaceAnalyzer:
    return faces.FaceAnalyzer(settings=faces.RuntimeSettings(device="cpu", threads=1))


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


@pytest.mark.parametrize("name", MODELS)
def test_shipped_manifest_matches_its_file_and_graph(name):
    folder = shipped_models_dir()
    manifest = load_manifest(folder / f"{name}.json")  # checks the committed file's sha256
    assert manifest.onnx_sha256 == sha256_of(folder / manifest.onnx_file)
    assert manifest.output.kind == "raw" and manifest.licence == "Apache-2.0"
    assert manifest.weight_sources and all(len(w.sha256) == 64 for w in manifest.weight_sources)
    assert "build-assets" in manifest.provenance["build_command"]
    parity = [m for m in manifest.metrics if m.name == "parity_max_abs_diff_vs_tflite"]
    assert parity and parity[0].value < 1e-2
    inspect_model(folder / f"{name}.json", "shipped")  # the graph's input size agrees with the manifest


def test_faces_and_eyes_stay_small():
    total = sum((shipped_models_dir() / f"{name}.onnx").stat().st_size for name in MODELS)
    assert total < 10_000_000


def test_astronaut_face_is_found_where_it_is(analyzer, astronaut):
    found = analyzer.detect(astronaut)
    assert len(found) == 1
    x0, y0, x1, y1 = found[0].box
    ex0, ey0, ex1, ey1 = ASTRONAUT_FACE
    assert ex0 <= x0 < x1 <= ex1 and ey0 <= y0 < y1 <= ey1
    assert (x1 - x0) > 0.7 * (ex1 - ex0)
    right_eye, left_eye = found[0].keypoints[:2]
    assert right_eye[0] < left_eye[0]  # the subject's right eye is on the image's left
    assert abs(right_eye[1] - left_eye[1]) < 10


def test_astronaut_eyes_are_open(analyzer, astronaut):
    report = analyzer.analyze(astronaut)
    (face,) = report.faces
    assert {eye.side for eye in face.eyes} == {"right", "left"}
    for eye in face.eyes:
        assert eye.openness > faces.EYE_CLOSED_THRESHOLD + 0.05
        assert eye.contour.shape == (16, 2)
        x0, y0, x1, y1 = face.box
        assert ((eye.contour >= (x0, y0)) & (eye.contour <= (x1, y1))).all()
    assert report.prominent == (0,)
    assert not report.eyes_closed and report.confidence > 0.9


def test_rotated_photo_gives_the_same_openness(analyzer, astronaut):
    """The crops are rotated to level the eyes, so a tilted camera changes little."""
    upright = analyzer.analyze(astronaut).faces[0]
    tilted = analyzer.analyze(astronaut.rotate(30, resample=Image.Resampling.BICUBIC, expand=True)).faces
    assert len(tilted) == 1
    for before, after in zip(upright.eyes, tilted[0].eyes):
        assert after.openness == pytest.approx(before.openness, abs=0.06)


def test_painted_shut_eyes_are_flagged(analyzer, astronaut):
    """Cover each eye opening with skin colour and draw a lid crease along the corners.

    A crude stand-in for a blink: it shows that when no eye opening is visible the
    iris model's lids close up, openness falls below the threshold and the photo is
    flagged. It says nothing about accuracy on real blinks (bench/eyes.py measures that).
    """
    face = analyzer.analyze(astronaut).faces[0]
    shut = astronaut.copy()
    draw = ImageDraw.Draw(shut)
    pixels = np.asarray(astronaut)
    for eye in face.eyes:
        (x0, y0), (x1, y1) = eye.contour.min(axis=0), eye.contour.max(axis=0)
        width = x1 - x0
        skin = tuple(int(v) for v in pixels[int(y1 + 0.35 * width), int(eye.contour[:, 0].mean())])
        draw.ellipse((x0 - 0.15 * width, y0 - 0.25 * width, x1 + 0.15 * width, y1 + 0.2 * width), fill=skin)
        draw.line([tuple(eye.contour[0]), tuple(eye.contour[8])], fill=(70, 45, 40), width=2)
    report = analyzer.analyze(shut)
    assert all(eye.closed for eye in report.faces[0].eyes)
    assert report.eyes_closed and report.confidence > 0.5


def test_tiles_find_the_small_faces_of_a_group(analyzer, astronaut):
    """Six heads 90 px tall on an 1800×1200 photo: too small for the whole-photo pass alone."""
    head = astronaut.crop((140, 20, 320, 220)).resize((90, 100))
    group = Image.new("RGB", (1800, 1200), (90, 110, 130))
    places = [(200, 300), (600, 320), (1000, 280), (1400, 330), (800, 800), (590, 590)]
    for place in places:
        group.paste(head, place)
    assert analyzer.detect(group, tiles=False) == []
    found = analyzer.detect(group)
    assert len(found) == len(places)
    for x, y in places:  # one box on each head, around its face
        assert sum(x <= f.box[0] < f.box[2] <= x + 90 and y <= f.box[1] < f.box[3] <= y + 100 for f in found) == 1


def test_tile_grid_covers_the_photo_with_overlap():
    grid = faces.tile_grid(1800, 1200)
    assert len(grid) == 12 and grid[0][:2] == (0, 0) and grid[-1][2:] == (1800, 1200)
    assert faces.tile_grid(500, 400) == []


def test_photo_without_people_has_no_faces(analyzer):
    report = analyzer.analyze(Image.fromarray(data.coffee()))
    assert report.faces == () and not report.eyes_closed and report.confidence == 0.0


def _lids(upper_height: float, lower_depth: float) -> np.ndarray:
    """16 lid points of a 40-px eye: lower lid ``lower_depth`` below the corner line, upper lid ``upper_height`` above."""
    xs = np.linspace(0, 1, 9)
    lower = np.stack([xs, lower_depth * np.sin(np.pi * xs)], axis=1)  # image y grows downwards
    upper = np.stack([xs[1:8], -upper_height * np.sin(np.pi * xs[1:8])], axis=1)
    return np.concatenate([lower, upper]) * 40 + (10, 20)


def test_lid_openness_is_upper_lid_rise_over_width():
    xs = np.linspace(0, 1, 9)
    lids = _lids(0.15, 0.15)
    expected = np.mean(0.15 * np.sin(np.pi * xs[3:6]))
    assert faces.lid_openness(lids) == pytest.approx(expected)
    mirrored = lids * (-1, 1)
    assert faces.lid_openness(mirrored) == pytest.approx(expected)
    flat = lids * (1, 0)
    assert faces.lid_openness(flat) == pytest.approx(0.0)


def test_a_smile_raising_the_lower_lid_is_not_a_blink():
    """A squint or a laugh pushes the lower lid up; the eye is closed only when the upper lid comes down."""
    open_eye = faces.lid_openness(_lids(0.2, 0.1))
    squint = faces.lid_openness(_lids(0.2, -0.12))  # lower lid above the corner line, narrow gap
    blink = faces.lid_openness(_lids(0.02, 0.05))
    assert squint == pytest.approx(open_eye) and squint > faces.EYE_CLOSED_THRESHOLD
    assert blink < faces.EYE_CLOSED_THRESHOLD


def test_weighted_nms_merges_overlaps_and_keeps_separate_faces():
    def det(x0, y0, x1, y1):
        return np.array([[x0, y0], [x1, y1]] + [[0.0, 0.0]] * 6)

    points = np.stack([det(0, 0, 10, 10), det(2, 0, 12, 10), det(50, 50, 60, 60)])
    scores = np.array([0.9, 0.6, 0.8])
    merged = faces.weighted_nms(points, scores)
    assert [score for _, score in merged] == [0.9, 0.8]
    first_x0 = merged[0][0][0, 0]
    assert first_x0 == pytest.approx((0 * 0.9 + 2 * 0.6) / 1.5)


def test_decode_places_boxes_on_their_anchors():
    anchors = faces._grid_anchors(192, stride=4)
    assert anchors.shape == (2304, 2) and anchors[0] == pytest.approx((0.5 / 48, 0.5 / 48))
    raw = np.zeros((2304, 16), np.float32)
    raw[100, 2:4] = 19.2  # a 0.1 × 0.1 box on anchor 100
    logits = np.full(2304, -10.0, np.float32)
    logits[100] = 3.0
    points, scores = faces.decode_detections(raw, logits, anchors, 192)
    assert scores == pytest.approx([1 / (1 + np.exp(-3.0))])
    centre = anchors[100]
    assert points[0, 0] == pytest.approx(centre - 0.05) and points[0, 1] == pytest.approx(centre + 0.05)


def _face(side: float, openness: float) -> faces.Face:
    eye = faces.Eye("right", openness, faces.closed_probability(openness), np.zeros((16, 2)))
    return faces.Face(box=(0.0, 0.0, side, side), score=0.9, keypoints=np.zeros((6, 2)), eyes=(eye,))


def test_only_prominent_faces_flag_the_photo():
    background_blink = faces.summarize((_face(400, 0.3), _face(100, 0.02)))
    assert background_blink.prominent == (0,) and not background_blink.eyes_closed
    group_blink = faces.summarize((_face(400, 0.3), _face(300, 0.02)))
    assert group_blink.prominent == (0, 1) and group_blink.eyes_closed
    assert group_blink.confidence > 0.9


def _eye(side: str, openness: float, width: float) -> faces.Eye:
    """An eye whose lid contour runs corner to corner over ``width`` photo pixels."""
    contour = np.zeros((16, 2))
    contour[:9, 0] = np.linspace(100, 100 + width, 9)
    return faces.Eye(side, openness, faces.closed_probability(openness), contour)


def test_eye_width_is_its_corner_distance():
    assert _eye("right", 0.3, 37.5).width == pytest.approx(37.5)


def test_frontal_face_openness_is_the_plain_mean():
    eyes = (_eye("right", 0.1, 30), _eye("left", 0.3, 30))
    assert faces.face_openness(eyes) == pytest.approx(0.2)


def test_turned_face_trusts_its_nearer_eye():
    """Head turned: the far eye is foreshortened to half the width, so it weighs a quarter as much.

    A blink seen clearly on the near eye is not outvoted by the far eye's inflated ratio,
    and the opposite case stays open.
    """
    blink = (_eye("right", 0.02, 40), _eye("left", 0.22, 20))
    assert faces.face_openness(blink) == pytest.approx((16 * 0.02 + 4 * 0.22) / 20)
    assert np.mean([eye.openness for eye in blink]) == pytest.approx(faces.EYE_CLOSED_THRESHOLD)
    face = faces.Face(box=(0.0, 0.0, 200.0, 200.0), score=0.9, keypoints=np.zeros((6, 2)), eyes=blink)
    assert face.eyes_closed
    awake = (_eye("right", 0.22, 40), _eye("left", 0.02, 20))
    assert faces.face_openness(awake) > faces.EYE_CLOSED_THRESHOLD


def test_degenerate_eye_widths_fall_back_to_the_plain_mean():
    eyes = (_eye("right", 0.1, 0), _eye("left", 0.3, 0))
    assert faces.face_openness(eyes) == pytest.approx(0.2)


def test_faces_too_small_to_be_prominent_are_not_measured(analyzer, astronaut, monkeypatch):
    """A big face and a crowd: eyes are measured on the faces that can be prominent, and the flag
    and prominent set are what measuring every face gives."""
    head = astronaut.crop((140, 20, 320, 220))
    photo = Image.new("RGB", (1800, 1200), (90, 110, 130))
    photo.paste(head.resize((360, 400)), (100, 100))
    for x in (700, 900, 1100, 1300):
        photo.paste(head.resize((90, 100)), (x, 800))
    measured = []
    real_measure = analyzer.measure_eyes
    monkeypatch.setattr(analyzer, "measure_eyes", lambda image, face: measured.append(face) or real_measure(image, face))
    report = analyzer.analyze(photo)
    assert len(report.faces) == 5 and len(measured) == 1 and measured[0].area == max(f.area for f in report.faces)
    everything = faces.summarize(tuple(real_measure(photo, face) for face in report.faces))
    assert (report.prominent, report.eyes_closed) == (everything.prominent, everything.eyes_closed)
    assert report.confidence == pytest.approx(everything.confidence)


def test_weak_detections_count_only_when_the_face_mesh_confirms_them(analyzer, astronaut, monkeypatch):
    """Raise the confident-detection bar above the astronaut's score: her face becomes a weak
    detection, kept because the face mesh is sure of it, dropped when the mesh must be surer than sure."""
    score = analyzer.detect(astronaut)[0].score
    monkeypatch.setattr(faces, "MIN_DETECTION_SCORE", min(1.0, score + 0.01))
    assert analyzer.detect(astronaut) == []
    assert len(analyzer.detect(astronaut, weak=True)) == 1
    confirmed = analyzer.analyze(astronaut)
    assert len(confirmed.faces) == 1 and confirmed.faces[0].eyes and not confirmed.eyes_closed
    monkeypatch.setattr(faces, "CONFIRM_PRESENCE", 1.01)
    assert analyzer.analyze(astronaut).faces == ()


def test_zoomed_squares_see_a_small_face_larger(analyzer, astronaut):
    """A 56-px head in a 512×341 frame (the app's analysis image): the squares see it 1.5× larger,
    and the detector is much surer of it than from the whole pass alone."""
    head = astronaut.crop((140, 20, 320, 220)).resize((56, 62))
    photo = Image.new("RGB", (512, 341), (90, 110, 130))
    photo.paste(head, (330, 120))
    zooming = faces.FaceAnalyzer(settings=faces.RuntimeSettings(device="cpu", threads=1), zoom=True)
    alone = zooming.detect(photo, tiles=False)
    assert [f.score for f in analyzer.detect(photo)] == [f.score for f in alone]  # the app's default: no zoom
    zoomed = zooming.detect(photo)
    assert len(alone) == len(zoomed) == 1
    assert zoomed[0].score > alone[0].score + 0.2
    x0, y0, x1, y1 = zoomed[0].box
    assert 325 <= x0 < x1 <= 391 and 115 <= y0 < y1 <= 187


def test_zoom_squares_cover_the_long_side_and_are_skipped_for_a_big_face():
    assert faces.zoom_squares(512, 341) == [(0, 0, 341, 341), (171, 0, 512, 341)]
    assert faces.zoom_squares(341, 512) == [(0, 0, 341, 341), (0, 171, 341, 512)]
    assert faces.zoom_squares(400, 380) == []
    big = np.array([[[100.0, 50.0], [260.0, 210.0]]])  # a confident face 160 px wide, under which no missed face is prominent
    assert faces.more_views(512, 341, big, np.array([0.9])) == []
    assert faces.more_views(512, 341, big, np.array([0.3])) == faces.zoom_squares(512, 341)


def test_a_weak_face_is_looked_at_again_up_close(analyzer, astronaut):
    """A small head whose whole-pass box is loose (what the face mesh rejects): the second look
    detects it again in a square around the box, where it is larger, and measures its eyes."""
    head = astronaut.crop((140, 20, 320, 220)).resize((56, 62))
    photo = Image.new("RGB", (512, 341), (90, 110, 130))
    photo.paste(head, (330, 120))
    found = analyzer.detect(photo, tiles=False)[0]
    loose = faces.Face(box=(310.0, 100.0, 400.0, 200.0), score=0.2, keypoints=found.keypoints)
    again = analyzer.second_look(photo, loose)
    assert again.eyes and not again.eyes_closed
    x0, y0, x1, y1 = again.box
    assert 325 <= x0 < x1 <= 391 and 115 <= y0 < y1 <= 187
    assert analyzer.second_look(photo, loose, others=[again.box]) is loose, "a face already found is not found twice"
    assert analyzer.second_look(Image.new("RGB", (512, 341), (90, 110, 130)), loose) is loose, "nothing there"


def test_the_second_look_square_is_centred_and_cut_to_the_photo():
    assert faces._square_around((100, 100, 140, 120), 2.5, (512, 341)) == (70, 60, 170, 160)
    assert faces._square_around((0, 300, 40, 341), 2.5, (512, 341)) == (0, 269, 72, 341)
