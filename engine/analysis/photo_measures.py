"""Everything about one photo that needs its pixels, from a single reduced decode.

:func:`prepare_photo` runs on a decoding thread: it opens the file once at
:data:`engine.library.thumbnails.ANALYSIS_SIZE` (JPEG DCT scaling, RAW embedded preview;
the grid thumbnail is rebuilt on the way if the cache lost it), then derives from
that one image: faces and eyes, quality cues (sharpness measured on the eyes or
faces when there are any), the perceptual hash, the fallback look descriptor and
one input tensor per distinct model input spec (models sharing a spec share it; a
``frame_score`` burst ranker is one of those models), and, only for a two-input burst
ranker, its resized input image for grouping. The batched model runs happen later, on the
pipeline's inference thread; the decoded image is dropped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from engine.analysis.cues import Box, CueReport, measure_cues
from engine.analysis.descriptor import describe
from engine.analysis.faces import FaceReport
from engine.analysis.modelset import DESCRIPTOR_MODEL, ModelSet
from engine.analysis.phash import phash
from engine.inference.preprocess import InputSpec, resize_for_model, to_array
from engine.library.decode import DecodeError
from engine.library.thumbnails import ThumbnailCache, analysis_image


@dataclass(frozen=True)
class PhotoJob:
    """A catalogued photo to analyse, with the identity of its primary file."""

    photo_id: int
    path: str  # library-relative
    abspath: Path
    size: int
    mtime_ns: int


@dataclass
class PreparedPhoto:
    job: PhotoJob
    image_size: tuple[int, int] = (0, 0)  # of the analysis image: face boxes are fractions of it
    inputs: dict[InputSpec, np.ndarray] = field(default_factory=dict)  # one tensor per distinct model input
    #: A two-input burst ranker's input image, resized but not normalised (uint8, a quarter of the
    #: tensor's size): the pipeline keeps it for grouping so burst members need not be decoded again.
    #: None with a frame_score ranker (scored in the batch like any image model) or no ranker.
    ranker_image: Image.Image | None = None
    cues: CueReport | None = None
    faces: FaceReport | None = None
    phash: int | None = None
    descriptor: np.ndarray | None = None
    error_reason: str | None = None
    error_message: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_reason is not None


def prepare_photo(job: PhotoJob, models: ModelSet, cache: ThumbnailCache) -> PreparedPhoto:
    """Decode once and measure everything pixel-based; a bad file becomes an error, never an exception."""
    prepared = PreparedPhoto(job)
    try:
        image = analysis_image(job.abspath, cache)
        _measure(prepared, image, models)
    except DecodeError as exc:
        prepared.error_reason, prepared.error_message = exc.reason, exc.message
    except Exception as exc:  # a bug or a model failure must not end the run: record it on the photo
        prepared.error_reason = "analysis_failed"
        prepared.error_message = f"Could not be analysed ({type(exc).__name__}: {exc})."
    return prepared


def _measure(prepared: PreparedPhoto, image: Image.Image, models: ModelSet) -> None:
    prepared.image_size = image.size
    if models.face_factory is not None:
        prepared.faces = models.face_factory().analyze(image)
    face_boxes, eye_boxes = sharpness_regions(prepared.faces)
    prepared.cues = measure_cues(image, faces=face_boxes, eyes=eye_boxes)
    prepared.phash = phash(image)
    if models.looks.model == DESCRIPTOR_MODEL:  # only grouping reads it, and only without a calibrated embedding
        prepared.descriptor = describe(image).astype(np.float32)
    ranker_spec = models.pairwise.spec if models.pairwise else None
    specs = dict.fromkeys([*models.input_specs, *([ranker_spec] if ranker_spec else [])])
    resized = {spec: resize_for_model(image, spec) for spec in specs}  # preprocess(), split in its two steps
    prepared.inputs = {spec: to_array(resized[spec], spec) for spec in models.input_specs}
    prepared.ranker_image = resized[ranker_spec] if ranker_spec else None


#: Narrowest eye (analysis-image pixels) whose own sharpness is measured. The measure compares
#: each pixel step with an 11-pixel box blur (engine.analysis.cues); across fewer pixels it reads
#: resampling noise: a 5-pixel eye went from "sharp" to "focus missed" when only the resize
#: filter changed. Smaller eyes are left out and their face is judged instead.
MIN_EYE_WIDTH = 12


def sharpness_regions(report: FaceReport | None) -> tuple[list[Box], list[Box]]:
    """Boxes of the prominent faces and of their eyes wide enough to measure (image pixels)."""
    if report is None:
        return [], []
    prominent = [report.faces[i] for i in report.prominent]
    faces = [face.box for face in prominent]
    eyes = [box for face in prominent for eye in face.eyes if _width(box := _eye_box(eye.contour)) >= MIN_EYE_WIDTH]
    return faces, eyes


def _width(box: Box) -> float:
    return box[2] - box[0]


def _eye_box(contour: np.ndarray) -> Box:
    """The lid contour's bounds, at least half as tall as wide: a closed eye's lids meet, but the
    lashes and lid skin around them still show whether focus is on the eye."""
    (x0, y0), (x1, y1) = contour.min(axis=0), contour.max(axis=0)
    middle, half = (y0 + y1) / 2, max(y1 - y0, (x1 - x0) / 2) / 2
    return float(x0), float(middle - half), float(x1), float(middle + half)
