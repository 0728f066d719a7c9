"""Model input preprocessing, defined once for the app and the training package.

A model's manifest (see ``engine.inference.contract``) names an input size, a
resize policy and a normalisation. This module turns a decoded 8-bit RGB
photo into the float tensor the model expects. The training package's
evaluation transform calls these same functions, so what a model saw when it
was measured is exactly what it sees in the app (a test checks this).

Resize uses Pillow's bilinear filter, which low-pass filters when shrinking
(like torchvision's ``Resize(antialias=True)`` on PIL images).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

#: Resize policies a manifest may name.
#: ``squash``: resize to exactly H×W, ignoring aspect ratio (TANet, NIMA, RankIQA at test time).
#: ``shorter_center_crop``: scale the shorter side to the target, then centre-crop H×W.
#: ``letterbox``: fit inside H×W keeping aspect ratio, pad with the mean colour (face detectors).
RESIZE_POLICIES = ("squash", "shorter_center_crop", "letterbox")


@dataclass(frozen=True)
class InputSpec:
    """What a model wants as input. Mirrors the manifest's ``input`` block."""

    height: int
    width: int
    resize: str = "squash"
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    #: Pixel values are divided by this before mean/std is applied: 255 gives 0..1 inputs
    #: (torch models); 1 keeps raw 0..255; scale=127.5 with mean=(1,1,1), std=(1,1,1) gives -1..1.
    scale: float = 255.0
    #: "NCHW" (torch exports) or "NHWC" (TFLite conversions).
    layout: str = "NCHW"

    def __post_init__(self) -> None:
        if self.resize not in RESIZE_POLICIES:
            raise ValueError(f"unknown resize policy {self.resize!r}; expected one of {RESIZE_POLICIES}")
        if self.layout not in ("NCHW", "NHWC"):
            raise ValueError(f"unknown layout {self.layout!r}; expected NCHW or NHWC")
        if self.height <= 0 or self.width <= 0:
            raise ValueError("input size must be positive")


def resize_for_model(image: Image.Image, spec: InputSpec) -> Image.Image:
    """Resize an RGB image to the model's input size under its resize policy."""
    image = image.convert("RGB") if image.mode != "RGB" else image
    target = (spec.width, spec.height)
    if spec.resize == "squash":
        return image.resize(target, Image.Resampling.BILINEAR)
    if spec.resize == "shorter_center_crop":
        return _shorter_side_center_crop(image, spec.width, spec.height)
    return _letterbox(image, spec)


def to_array(image: Image.Image, spec: InputSpec) -> np.ndarray:
    """Normalise a model-sized RGB image to float32 in the model's layout (no batch axis).

    ``(value / scale - mean) / std`` per channel, read from a 256-entry table per channel
    (:func:`_normalised_levels`): the same float32 operations in the same order as computing
    it pixel by pixel, so bit for bit the same, at about a third of the cost.
    """
    pixels = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    levels = _normalised_levels(spec.scale, tuple(spec.mean), tuple(spec.std))
    channels = [levels[c][pixels[..., c]] for c in range(3)]
    return np.stack(channels, axis=0 if spec.layout == "NCHW" else 2)


@functools.lru_cache(maxsize=16)
def _normalised_levels(scale: float, mean: tuple[float, ...], std: tuple[float, ...]) -> np.ndarray:
    """(3, 256) float32: the model input value of each 8-bit level, per channel."""
    levels = np.arange(256, dtype=np.float32) / np.float32(scale)
    table = (levels[None, :] - np.asarray(mean, np.float32)[:, None]) / np.asarray(std, np.float32)[:, None]
    table.flags.writeable = False  # shared between threads and calls
    return table


def preprocess(image: Image.Image, spec: InputSpec) -> np.ndarray:
    """Decoded photo → one model input (C,H,W or H,W,C float32)."""
    return to_array(resize_for_model(image, spec), spec)


def preprocess_batch(images: Sequence[Image.Image], spec: InputSpec) -> np.ndarray:
    """Several photos → one batch array, ready for ``session.run``."""
    return np.stack([preprocess(im, spec) for im in images])


def _shorter_side_center_crop(image: Image.Image, width: int, height: int) -> Image.Image:
    w, h = image.size
    scale = max(width / w, height / h)
    new_w, new_h = max(width, round(w * scale)), max(height, round(h * scale))
    resized = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
    left, top = (new_w - width) // 2, (new_h - height) // 2
    return resized.crop((left, top, left + width, top + height))


def letterbox_geometry(width: int, height: int, spec: InputSpec) -> tuple[float, int, int, int, int]:
    """Where a ``width``×``height`` photo lands inside a letterboxed model input.

    Returns ``(scale, left, top, new_width, new_height)``: a photo pixel (x, y) is at
    (x * scale + left, y * scale + top) in the model input. Detectors use it to map
    their boxes back to the photo.
    """
    scale = min(spec.width / width, spec.height / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    return scale, (spec.width - new_w) // 2, (spec.height - new_h) // 2, new_w, new_h


def _letterbox(image: Image.Image, spec: InputSpec) -> Image.Image:
    _, left, top, new_w, new_h = letterbox_geometry(image.width, image.height, spec)
    resized = image.resize((new_w, new_h), Image.Resampling.BILINEAR)
    fill = tuple(int(round(m * 255)) for m in spec.mean) if spec.scale == 255.0 else (0, 0, 0)
    canvas = Image.new("RGB", (spec.width, spec.height), fill)
    canvas.paste(resized, (left, top))
    return canvas
