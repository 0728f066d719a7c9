"""Faces and eyes: find faces, measure how open each eye is, flag closed-eye photos.

Three MediaPipe models, converted once to ONNX by ``python -m training build-assets``
(see ``training/assets/faces.py`` and ``assets/models/PROVENANCE.md``), run here on
onnxruntime. No TFLite or torch is involved at run time.

1. **Face detection** (``face_detection_full_range``, 192×192, letterboxed, -1..1):
   an SSD head over 2304 anchors. The anchor layout is MediaPipe's own config for this
   model (``face_detection_full_range.pbtxt``: one layer, stride 4, one anchor per cell,
   fixed anchor size, offset 0.5), which gives one anchor at the centre of every
   cell of a 48×48 grid. Decoding and weighted NMS follow MediaPipe's
   ``TensorsToDetectionsCalculator`` and ``NonMaxSuppressionCalculator`` (weighted
   mode); they are a few lines of numpy, written here because no library ships them
   without TFLite or MediaPipe itself.
2. **Face landmarks** (``face_landmark``, 192×192, 0..1): 468 points on a square crop
   1.5× the detected box, rotated so that the eyes are level. Used only to place
   the eye crops precisely (eye corners 33/133 and 362/263).
3. **Iris landmarks** (``iris_landmark``, 64×64, 0..1): 71 eye-region points, of which
   the first 16 are the lid contour (0..8 lower lid corner to corner, 9..15 upper
   lid), on a square crop 2.3× the eye-corner distance, rotated level. The model was
   trained on one eye; the other eye's crop is mirrored, as MediaPipe does.

**Openness** of an eye is how far its upper lid rises above the line between the eye
corners, over the eye width, measured on the iris model's lid contour: the mean over the
three central upper-lid points (11, 12, 13) of their distance above the corner-to-corner
line, divided by the corner-to-corner distance. It is about 0.15-0.25 for an open eye and
near 0 for a closed one. A blink is the upper lid coming down; a smile or a squint pushes
the *lower* lid up and leaves the upper one where it was, so the upper lid alone tells a
blink from a laugh better than the gap between the lids (which both close). The numbers
behind this choice are in ``assets/models/PROVENANCE.md``. The 468-point face mesh is not
used for this: its eye points do not follow closed lids.

A face's openness is the mean of its two eyes' (two noisy measurements of what is
usually one blink), each eye weighted by its image area, taken as the square of its
corner-to-corner distance in photo pixels (see :func:`face_openness`). When the head
turns, the far eye is foreshortened and partly hidden by the nose: its lid points are
less reliable, and its gap/width ratio is inflated because only the width shrinks. The
nearer, more frontal eye then counts more. For a frontal face the weights are equal and
this is the plain mean. Combining the eyes by a mean rather than max or min was chosen
on the research-only eyes set (numbers in ``assets/models/PROVENANCE.md``); min would
flag every turned head whose far eye is hidden. A photo is flagged ``eyes_closed`` when any
*prominent* face (area ≥ :data:`PROMINENT_FACE_FRACTION` of the largest face) is closed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from engine.inference.contract import ModelManifest, load_manifest
from engine.inference.preprocess import letterbox_geometry, preprocess, to_array
from engine.inference.registry import shipped_models_dir
from engine.inference.runtime import ModelSession, RuntimeSettings, create_session

DETECTOR_MODEL = "face_detection_full_range"
LANDMARK_MODEL = "face_landmark"
IRIS_MODEL = "iris_landmark"

#: An eye whose openness (upper-lid rise / eye width) is below this is closed. Chosen on the
#: tune half of the research-only eyes set (bench/eyes.py ``--part tune``) so that at most
#: about 1 in 20 flagged faces there was labelled open; the report half was not looked at.
EYE_CLOSED_THRESHOLD = 0.12
#: Width of the logistic that turns openness into a probability of "closed".
OPENNESS_SOFTNESS = 0.02
#: Faces whose area is at least this fraction of the largest face's count for the photo flag.
PROMINENT_FACE_FRACTION = 0.25
#: Detections at or above this confidence are faces (MediaPipe uses 0.5 for its detectors).
MIN_DETECTION_SCORE = 0.5
#: Weaker detections, down to this confidence, are faces only when the face mesh confirms them
#: with a presence of at least :data:`CONFIRM_PRESENCE`. Faces under about an eighth of the
#: analysis image's long side, closed eyes and bowed heads often score 0.1-0.5 in the one
#: whole-photo detector pass; a background pattern rarely convinces the mesh as well. The
#: numbers (found faces, cost) are in assets/models/PROVENANCE.md.
WEAK_DETECTION_SCORE = 0.1
CONFIRM_PRESENCE = 0.9
#: At most this many weak detections (the best) are checked per photo: each costs a face-mesh run
#: (about 5 CPU ms with its crop), and most are not faces.
MAX_WEAK_FACES = 1
#: A weak detection the mesh does not confirm gets a second look: the detector runs again on a
#: square this many times the detection's side around it, where a small face is about twice as
#: large as in the whole-photo pass and its box comes out right (a loose box is what the mesh
#: rejected); the face found there is confirmed by the mesh like any weak one.
SECOND_LOOK_SCALE = 2.5
#: Only detections at most this share of the photo's long side get it: a larger box is not seen much
#: larger up close, and most weak detections the mesh rejects are large patterns, not faces.
SECOND_LOOK_MAX_SIDE = 0.2
#: Detections overlapping more than this (IoU) are merged by weighted NMS (MediaPipe: 0.3).
NMS_IOU = 0.3
#: A face-landmark run whose face-presence probability is below this has no face.
MIN_FACE_PRESENCE = 0.5

#: Eyes narrower than this (corner to corner, photo pixels) cannot be read: an open eye is then
#: under 2 pixels tall, and the iris model sees the region blown up more than 5×. A face whose
#: wider eye is narrower is left without eyes (no verdict) rather than guessed at. In a crowd on
#: the 512-pixel analysis image such eyes are 1.5-4.5 pixels wide, and they were read as closed.
MIN_READABLE_EYE_WIDTH = 5.0

#: Small-face search: tile side as a fraction of the photo's short side, and tile overlap.
TILE_FRACTION = 0.5
TILE_OVERLAP = 0.25
#: Photos whose tiles would be smaller than twice the detector input are not tiled.
MIN_TILE_SIDE = 192
#: Photos not tiled get two zoomed squares (:func:`zoom_squares`) when their long side is at
#: least this many times the short side, unless the whole pass found a confident face at least
#: ZOOM_SKIP_FACE of the long side wide (then no face it missed can be prominent).
ZOOM_MIN_ASPECT = 1.2
ZOOM_SKIP_FACE = 0.25

_FACE_ROI_SCALE = 1.5
_EYE_ROI_SCALE = 2.3
#: Face-mesh indices of each eye's corners, as (image-left corner, image-right corner),
#: and whether that eye's crop is mirrored for the iris model.
_EYE_CORNERS = {"right": (33, 133, False), "left": (362, 263, True)}
#: Indices into the iris model's lid contour.
_UPPER_LID = (11, 12, 13)
_CORNERS = (0, 8)
_LID_CONTOUR = 16


@dataclass(frozen=True)
class Eye:
    """One eye. ``side`` is the subject's ("right" is on the image's left)."""

    side: str
    openness: float
    closed_probability: float
    #: The 16 lid-contour points in photo pixels (x, y): 0..8 lower lid, 9..15 upper lid.
    contour: np.ndarray

    @property
    def closed(self) -> bool:
        return self.openness < EYE_CLOSED_THRESHOLD

    @property
    def width(self) -> float:
        """Corner-to-corner distance in photo pixels (shrinks as the head turns this eye away)."""
        return float(np.hypot(*(self.contour[_CORNERS[1]] - self.contour[_CORNERS[0]])))


@dataclass(frozen=True)
class Face:
    """One detected face, in photo pixel coordinates."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1
    score: float
    #: MediaPipe's 6 keypoints (x, y): right eye, left eye, nose tip, mouth, right ear, left ear.
    keypoints: np.ndarray
    eyes: tuple[Eye, ...] = ()

    @property
    def area(self) -> float:
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    @property
    def openness(self) -> float | None:
        """Area-weighted mean openness of the measured eyes; ``None`` when no eye could be measured."""
        return face_openness(self.eyes) if self.eyes else None

    @property
    def closed_probability(self) -> float | None:
        openness = self.openness
        return None if openness is None else closed_probability(openness)

    @property
    def eyes_closed(self) -> bool:
        return self.openness is not None and self.openness < EYE_CLOSED_THRESHOLD


@dataclass(frozen=True)
class FaceReport:
    """What a photo's faces say about it."""

    faces: tuple[Face, ...]
    #: Indices into ``faces`` of the prominent ones (the faces the flag looks at).
    prominent: tuple[int, ...]
    eyes_closed: bool
    #: Probability that the flag is right: for a flagged photo, the most confident closed
    #: prominent face; for an unflagged one, 1 - the most doubtful prominent face. 0 with no face.
    confidence: float


@dataclass(frozen=True)
class _Roi:
    """A square, rotated region of the photo: centre, side length, rotation (radians)."""

    cx: float
    cy: float
    size: float
    angle: float
    mirror: bool = False

    def to_photo(self, points: np.ndarray, crop_side: int) -> np.ndarray:
        """Map (x, y) points in crop pixels back to photo pixels."""
        unit = (points[:, :2] / crop_side - 0.5) * self.size
        if self.mirror:
            unit[:, 0] = -unit[:, 0]
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        x = self.cx + unit[:, 0] * cos - unit[:, 1] * sin
        y = self.cy + unit[:, 0] * sin + unit[:, 1] * cos
        return np.stack([x, y], axis=1)

    def crop(self, image: Image.Image, side: int) -> Image.Image:
        """Cut the region out as a ``side``×``side`` upright image (mirrored if asked).

        Very large regions are first shrunk with a box filter, because an affine
        transform samples without low-pass filtering and would alias.
        """
        factor = max(1, int(self.size / side / 2))
        source = image.reduce(factor) if factor > 1 else image
        step = self.size / side / factor
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        step_x = -step if self.mirror else step
        # Crop pixel (u, v) → photo point centre + R(angle) · ((u, v) - side/2) · step.
        half = side / 2
        a, b = step_x * cos, -step * sin
        d, e = step_x * sin, step * cos
        c = self.cx / factor - (a * half + b * half)
        f = self.cy / factor - (d * half + e * half)
        return source.transform((side, side), Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.BILINEAR)


class FaceAnalyzer:
    """Runs the three face/eye models on photos. One instance per thread."""

    def __init__(self, models_dir: Path | None = None, settings: RuntimeSettings = RuntimeSettings(),
                 *, zoom: bool = False):
        """Load the three models from ``models_dir`` (default: the shipped ``assets/models``).

        ``zoom``: search photos too small for tiles in two zoomed squares as well
        (:func:`more_views`). It finds faces of an eighth of the long side that the whole pass
        misses, at two more detector passes per photo (and the eyes of the faces it finds);
        the app leaves it off for now (numbers in ``assets/models/PROVENANCE.md``).

        Raises :class:`engine.inference.contract.ContractError` when a manifest is missing,
        broken, or does not match its ONNX file.
        """
        self.zoom = zoom
        folder = Path(models_dir) if models_dir else shipped_models_dir()
        self.detector, self.detector_session = _open_model(folder, DETECTOR_MODEL, settings)
        self.landmarker, self.landmark_session = _open_model(folder, LANDMARK_MODEL, settings)
        self.iris, self.iris_session = _open_model(folder, IRIS_MODEL, settings)
        side = self.detector.input.width
        self._anchors = _grid_anchors(side, stride=4)

    def analyze(self, image: Image.Image) -> FaceReport:
        """Faces, the eyes of those that can be prominent, and the photo's closed-eyes flag.

        Eyes cost two landmark models per face (about 11 CPU ms) and only prominent faces
        decide the flag, so faces are measured largest first and one smaller than
        :data:`PROMINENT_FACE_FRACTION` of the largest *measured* face is left without eyes:
        the flag and the prominent set are exactly what measuring every face gives
        (:func:`summarize`), at one face's cost for a crowd in the background.

        Weak detections (see :data:`WEAK_DETECTION_SCORE`) are kept only when the face mesh
        confirmed them, which is what measuring their eyes does; unconfirmed ones are dropped.
        """
        image = image.convert("RGB") if image.mode != "RGB" else image
        faces = self.detect(image, weak=True)
        measured: dict[int, Face] = {}
        largest = 0.0
        for index in sorted(range(len(faces)), key=lambda i: -faces[i].area):
            if faces[index].area < PROMINENT_FACE_FRACTION * largest:
                break  # this face and every smaller one can no longer be prominent
            measured[index] = self.measure_eyes(image, faces[index])
            if not measured[index].eyes and _worth_a_second_look(faces[index], image.size):
                others = [face.box for j, face in enumerate(faces) if j != index]
                measured[index] = self.second_look(image, faces[index], others)
            if measured[index].eyes:
                largest = max(largest, faces[index].area)
        kept = [measured.get(i, face) for i, face in enumerate(faces)]
        return summarize(tuple(face for face in kept if face.eyes or face.score >= MIN_DETECTION_SCORE))

    def detect(self, image: Image.Image, *, tiles: bool = True, weak: bool = False) -> list[Face]:
        """Faces found by the detector, best first, boxes in photo pixels (no eyes yet).

        One pass sees the whole photo at 192×192, where faces under about a tenth of
        the long side are too small to find. With ``tiles`` (the default) the photo is
        also searched in overlapping square tiles (see :func:`tile_grid`), which finds
        the faces of a group photo, or, when it is too small for tiles and the analyzer
        zooms, in two zoomed squares (:func:`more_views`). Tile detections that touch a tile's inner edge are
        dropped (the face is cut; the whole-photo pass or a neighbouring tile has it),
        then everything is merged by weighted NMS. With ``weak``, detections scoring
        between :data:`WEAK_DETECTION_SCORE` and :data:`MIN_DETECTION_SCORE` follow, merged
        among themselves, unless more than :data:`NMS_IOU` of a weak box lies inside a confident
        face (a second, shifted box on the same head); the caller must confirm them.
        """
        found_points, found_scores = [], []
        view: tuple[int, int, int, int] = (0, 0, image.width, image.height)
        views = [view]
        while views:
            view = views.pop(0)
            points, scores = self._detect_in(image if not found_points else image.crop(view))
            points = points + view[:2]
            keep = _inside_view(points, view, image.size)
            if not found_points and tiles:  # the whole pass decides which views follow
                views = (more_views(image.width, image.height, points[keep], scores[keep]) if self.zoom
                         else tile_grid(image.width, image.height))
            found_points.append(points[keep])
            found_scores.append(scores[keep])
        points, scores = np.concatenate(found_points), np.concatenate(found_scores)
        strong = scores >= MIN_DETECTION_SCORE
        merged = weighted_nms(points[strong], scores[strong])
        if weak:
            boxes = np.array([p[:2].reshape(-1) for p, _ in merged]).reshape(-1, 4)
            clear = [not (_covered(p[:2].reshape(-1), boxes) > NMS_IOU).any() for p in points[~strong]]
            merged += weighted_nms(points[~strong][clear], scores[~strong][clear])[:MAX_WEAK_FACES]
        faces = []
        for points, score in merged:
            (x0, y0), (x1, y1) = points[0], points[1]
            faces.append(Face(box=(float(x0), float(y0), float(x1), float(y1)), score=score, keypoints=points[2:]))
        return faces

    def _detect_in(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """One detector pass: (N, 8, 2) points in this image's pixels and (N,) scores."""
        spec = self.detector.input
        raw_boxes, raw_scores = self.detector_session.run(preprocess(image, spec)[None])
        points, scores = decode_detections(raw_boxes[0], raw_scores[0], self._anchors, spec.width, WEAK_DETECTION_SCORE)
        scale, left, top, _, _ = letterbox_geometry(image.width, image.height, spec)
        return (points * spec.width - (left, top)) / scale, scores

    def measure_eyes(self, image: Image.Image, face: Face) -> Face:
        """The face with both eyes measured; unchanged if the landmark model sees no face there or
        the eyes are too small to read (:data:`MIN_READABLE_EYE_WIDTH`)."""
        confident = face.score >= MIN_DETECTION_SCORE
        mesh = self.face_landmarks(image, face, MIN_FACE_PRESENCE if confident else CONFIRM_PRESENCE)
        if mesh is None or _widest_eye(mesh) < MIN_READABLE_EYE_WIDTH:
            return face
        eyes = tuple(self.eye(image, mesh, side) for side in _EYE_CORNERS)
        return Face(box=face.box, score=face.score, keypoints=face.keypoints, eyes=eyes)

    def second_look(self, image: Image.Image, face: Face, others: Sequence[tuple[float, float, float, float]] = ()
                    ) -> Face:
        """A weak detection the mesh did not confirm, detected again up close (:data:`SECOND_LOOK_SCALE`):
        the best face found there with its eyes measured, or ``face`` unchanged when none is confirmed or
        the one found is a face already detected (it overlaps one of ``others``, the photo's other boxes)."""
        view = _square_around(face.box, SECOND_LOOK_SCALE, image.size)
        points, scores = self._detect_in(image.crop(view))
        if not len(scores):
            return face
        best, score = weighted_nms(points + view[:2], scores)[0]
        box = (float(best[0][0]), float(best[0][1]), float(best[1][0]), float(best[1][1]))
        if others and (_shared(np.array(box), np.array(others, dtype=np.float64)) > NMS_IOU).any():
            return face
        again = self.measure_eyes(image, Face(box=box, score=score, keypoints=best[2:]))
        return again if again.eyes else face

    def face_crop(self, image: Image.Image, face: Face) -> tuple[Image.Image, _Roi]:
        """The landmark model's input crop: 1.5× the box, square, rotated so the eyes are level."""
        x0, y0, x1, y1 = face.box
        roi = _Roi(
            cx=(x0 + x1) / 2,
            cy=(y0 + y1) / 2,
            size=max(x1 - x0, y1 - y0) * _FACE_ROI_SCALE,
            angle=_angle(face.keypoints[0], face.keypoints[1]),
        )
        return roi.crop(image, self.landmarker.input.width), roi

    def face_landmarks(self, image: Image.Image, face: Face, min_presence: float = MIN_FACE_PRESENCE) -> np.ndarray | None:
        """468 face-mesh points (x, y) in photo pixels, or ``None`` when the mesh's face presence is below ``min_presence``."""
        crop, roi = self.face_crop(image, face)
        tensor = to_array(crop, self.landmarker.input)[None]
        mesh, presence = self.landmark_session.run(tensor)
        if _sigmoid(float(presence.reshape(-1)[0])) < min_presence:
            return None
        return roi.to_photo(mesh.reshape(-1, 3), crop.width)

    def eye_crop(self, image: Image.Image, mesh: np.ndarray, side: str) -> tuple[Image.Image, _Roi]:
        """The iris model's input crop for the subject's ``side`` eye, from the mesh's eye corners."""
        first, second, mirror = _EYE_CORNERS[side]
        start, end = mesh[first], mesh[second]
        centre = (start + end) / 2
        roi = _Roi(
            cx=float(centre[0]),
            cy=float(centre[1]),
            size=max(float(np.hypot(*(end - start))), 1.0) * _EYE_ROI_SCALE,
            angle=_angle(start, end),
            mirror=mirror,
        )
        return roi.crop(image, self.iris.input.width), roi

    def eye(self, image: Image.Image, mesh: np.ndarray, side: str) -> Eye:
        """Measure one eye (subject's ``side``)."""
        crop, roi = self.eye_crop(image, mesh, side)
        tensor = to_array(crop, self.iris.input)[None]
        contour, _iris = self.iris_session.run(tensor)
        lids = contour.reshape(-1, 3)[:_LID_CONTOUR, :2]
        openness = lid_openness(lids)
        return Eye(
            side=side,
            openness=openness,
            closed_probability=closed_probability(openness),
            contour=roi.to_photo(lids, crop.width),
        )


def lid_openness(lids: np.ndarray) -> float:
    """Upper-lid rise above the corner line / eye width, from the iris model's 16 lid points.

    See the module docstring for why the upper lid alone.

    Works in any coordinates where the upper lid is above the lower one when the
    eye is upright (mirroring left-right does not change it).
    """
    left, right = lids[_CORNERS[0]], lids[_CORNERS[1]]
    axis = right - left
    width = float(np.hypot(*axis))
    if width <= 1e-6:
        return 0.0
    up = np.array([axis[1], -axis[0]]) / width  # perpendicular, pointing to smaller y
    if axis[0] < 0:
        up = -up
    rise = (lids[list(_UPPER_LID)] - (left + right) / 2) @ up
    return float(rise.mean() / width)


def face_openness(eyes: tuple[Eye, ...]) -> float:
    """Openness of a face: its eyes' openness averaged with weights ∝ eye width².

    Width² stands for the eye's visible area in pixels, i.e. how much evidence each
    measurement rests on (see the module docstring); no weight is fitted to data.
    bench/eyes.py reports the plain mean and width¹ weights beside it (on the research
    eyes set they rank one and zero closed crops lower, well within noise). Eyes without
    a usable width (degenerate contour) fall back to equal weights.
    """
    weights = np.array([eye.width for eye in eyes]) ** 2
    if not np.all(np.isfinite(weights)) or weights.sum() <= 0:
        weights = np.ones(len(eyes))
    return float(np.dot(weights, [eye.openness for eye in eyes]) / weights.sum())


def closed_probability(openness: float) -> float:
    """A soft version of ``openness < EYE_CLOSED_THRESHOLD`` (0.5 at the threshold)."""
    return _sigmoid((EYE_CLOSED_THRESHOLD - openness) / OPENNESS_SOFTNESS)


def summarize(faces: tuple[Face, ...]) -> FaceReport:
    """The photo-level flag from per-face results (prominent faces only)."""
    measured = [i for i, face in enumerate(faces) if face.eyes]
    if not measured:
        return FaceReport(faces=faces, prominent=(), eyes_closed=False, confidence=0.0)
    largest = max(faces[i].area for i in measured)
    prominent = tuple(i for i in measured if faces[i].area >= PROMINENT_FACE_FRACTION * largest)
    probabilities = [faces[i].closed_probability or 0.0 for i in prominent]
    closed = any(faces[i].eyes_closed for i in prominent)
    confidence = max(probabilities) if closed else 1.0 - max(probabilities)
    return FaceReport(faces=faces, prominent=prominent, eyes_closed=closed, confidence=float(confidence))


def decode_detections(
    raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, input_side: int,
    min_score: float = MIN_DETECTION_SCORE,
) -> tuple[np.ndarray, np.ndarray]:
    """SSD outputs → (N, 8, 2) points in 0..1 input coordinates and (N,) scores above threshold.

    Points are [box top-left, box bottom-right, 6 keypoints]. With fixed-size anchors
    the regressor is an offset from the anchor centre in input pixels, and the box
    size is absolute (MediaPipe's ``TensorsToDetectionsCalculator``).
    """
    scores = _sigmoid(np.clip(raw_scores.reshape(-1), -100.0, 100.0))
    keep = scores >= min_score
    raw, centres = raw_boxes[keep] / input_side, anchors[keep]
    cx, cy = raw[:, 0] + centres[:, 0], raw[:, 1] + centres[:, 1]
    half_w, half_h = raw[:, 2] / 2, raw[:, 3] / 2
    corners = np.stack([np.stack([cx - half_w, cy - half_h], 1), np.stack([cx + half_w, cy + half_h], 1)], 1)
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) + centres[:, None, :]
    return np.concatenate([corners, keypoints], axis=1), scores[keep]


def weighted_nms(points: np.ndarray, scores: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted non-maximum suppression.

    Take the best remaining detection; every remaining detection overlapping it by
    more than :data:`NMS_IOU` joins its cluster; the cluster's box and keypoints are
    the score-weighted mean of its members, its score the best member's.
    """
    order = np.argsort(-scores, kind="stable")
    points, scores = points[order], scores[order]
    remaining = np.arange(len(scores))
    merged = []
    while remaining.size:
        best = remaining[0]
        overlaps = _iou(points[best, :2].reshape(-1), points[remaining, :2].reshape(-1, 4))
        cluster = remaining[overlaps > NMS_IOU]
        cluster = cluster if cluster.size else remaining[:1]
        weights = scores[cluster] / scores[cluster].sum()
        merged.append(((points[cluster] * weights[:, None, None]).sum(axis=0), float(scores[best])))
        remaining = np.setdiff1d(remaining, cluster, assume_unique=True)
        remaining = remaining[np.argsort(-scores[remaining], kind="stable")]
    return merged


def tile_grid(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Overlapping square tiles (x0, y0, x1, y1) for the small-face search; none for small photos.

    Tile side: :data:`TILE_FRACTION` of the short side, adjacent tiles overlap by
    :data:`TILE_OVERLAP`. A 3:2 photo gets 4×3 tiles, each seen at 3× the
    whole-photo pass's resolution.
    """
    side = round(TILE_FRACTION * min(width, height))
    if side < 2 * MIN_TILE_SIDE:
        return []
    step = side * (1 - TILE_OVERLAP)
    xs = _tile_starts(width, side, step)
    ys = _tile_starts(height, side, step)
    return [(x, y, x + side, y + side) for y in ys for x in xs]


def more_views(width: int, height: int, points: np.ndarray, scores: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The views searched after the whole photo: tiles of a large photo, else two zoomed squares.

    ``points``/``scores`` are the whole pass's detections. The squares are skipped when it found
    a confident face at least :data:`ZOOM_SKIP_FACE` of the long side wide: a face too small for
    the whole pass is then under a quarter of that face's area and cannot be prominent.
    """
    grid = tile_grid(width, height)
    if grid:
        return grid
    widths = (points[:, 1, 0] - points[:, 0, 0])[scores >= MIN_DETECTION_SCORE]
    if widths.size and widths.max() >= ZOOM_SKIP_FACE * max(width, height):
        return []
    return zoom_squares(width, height)


def zoom_squares(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """Two overlapping squares of the short side, at either end of the long side (none for a square-ish photo).

    A photo too small for tiles (the app's 512-pixel analysis image) is seen by the whole pass
    at 192 / long side; each square is seen at 192 / short side, 1.5× larger for 3:2, which is
    what faces of an eighth of the long side need to be found.
    """
    side = min(width, height)
    if max(width, height) < ZOOM_MIN_ASPECT * side:
        return []
    if width >= height:
        return [(0, 0, side, height), (width - side, 0, width, height)]
    return [(0, 0, width, side), (0, height - side, width, height)]


def _tile_starts(extent: int, side: int, step: float) -> list[int]:
    count = max(1, math.ceil((extent - side) / step) + 1)
    return [round(i * (extent - side) / (count - 1)) if count > 1 else 0 for i in range(count)]


def _inside_view(points: np.ndarray, view: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    """Detections whose box stays off the view's edges, except where the edge is the photo's own."""
    x0, y0, x1, y1 = view
    margin = 0.02 * (x1 - x0)
    left = (x0 == 0) | (points[:, 0, 0] > x0 + margin)
    top = (y0 == 0) | (points[:, 0, 1] > y0 + margin)
    right = (x1 >= size[0]) | (points[:, 1, 0] < x1 - margin)
    bottom = (y1 >= size[1]) | (points[:, 1, 1] < y1 - margin)
    return left & top & right & bottom


def _worth_a_second_look(face: Face, size: tuple[int, int]) -> bool:
    """A weak detection small enough for :data:`SECOND_LOOK_SCALE` to enlarge it (:data:`SECOND_LOOK_MAX_SIDE`)."""
    x0, y0, x1, y1 = face.box
    return face.score < MIN_DETECTION_SCORE and max(x1 - x0, y1 - y0) <= SECOND_LOOK_MAX_SIDE * max(size)


def _square_around(box: tuple[float, float, float, float], scale: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """A square of ``scale`` × the box's longer side, centred on it, cut to the image (integer pixels)."""
    x0, y0, x1, y1 = box
    half = max(x1 - x0, y1 - y0) * scale / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (max(0, int(cx - half)), max(0, int(cy - half)), min(size[0], int(math.ceil(cx + half))),
            min(size[1], int(math.ceil(cy + half))))


def _widest_eye(mesh: np.ndarray) -> float:
    """The wider eye's corner-to-corner distance on the face mesh (photo pixels)."""
    return max(float(np.hypot(*(mesh[b] - mesh[a])[:2])) for a, b, _ in _EYE_CORNERS.values())


def _grid_anchors(input_side: int, stride: int) -> np.ndarray:
    """Anchor centres (x, y) in 0..1, row-major over the feature grid, one per cell."""
    cells = input_side // stride
    centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([xs.reshape(-1), ys.reshape(-1)], axis=1)


def _intersection(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The area ``box`` (x0, y0, x1, y1) shares with each of ``boxes``."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    return np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    inter = _intersection(box, boxes)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def _covered(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The fraction of ``box``'s area inside each of ``boxes``."""
    return _intersection(box, boxes) / max(float((box[2] - box[0]) * (box[3] - box[1])), 1e-12)


def _shared(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """The area ``box`` shares with each of ``boxes``, as a fraction of the smaller of the two."""
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    area = float((box[2] - box[0]) * (box[3] - box[1]))
    return _intersection(box, boxes) / np.maximum(np.minimum(areas, area), 1e-12)


def _angle(start: np.ndarray, end: np.ndarray) -> float:
    """Rotation (radians, image axes) that makes the line start→end horizontal."""
    return math.atan2(float(end[1] - start[1]), float(end[0] - start[0]))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _open_model(models_dir: Path, name: str, settings: RuntimeSettings) -> tuple[ModelManifest, ModelSession]:
    """A model's manifest (checked against its file's sha256) and its inference session."""
    manifest = load_manifest(models_dir / f"{name}.json")
    return manifest, create_session(models_dir / manifest.onnx_file, settings)
