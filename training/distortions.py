"""Synthetic, graded photo defects for RankIQA-style ranking (docs/models.md#rankiqa).

RankIQA learns image quality without human scores: the same photo at five
increasing levels of one distortion gives pairs whose order is known. This
module makes those versions on the fly from a decoded 8-bit RGB photo.

Ten defect types, each at levels 1..5 (level 0 returns the input unchanged):
Gaussian blur, motion blur, defocus (disc) blur, Gaussian noise, Poisson
(photon) noise, JPEG, under-exposure, over-exposure, low contrast, colour cast.
One more type, ``background_blur``, is *not* a defect: the subject stays sharp
and only the background is blurred (shallow depth of field). A quality ranker
must not score it below the original, so it is kept apart from
:data:`DEFECTS`.

Strengths are given in pixels of a :data:`REFERENCE_SIDE`-pixel photo and scale
with the photo's long side, so "level 3 blur" looks the same whatever size the
photo is decoded at. Random choices (noise pattern, motion direction, cast
hue) come from ``seed`` and are shared across levels, so two levels of one
group differ only in strength.

Pillow does the Gaussian blur and JPEG; scipy's FFT convolution does the
motion and disc kernels (Pillow's ``Kernel`` filter stops at 5×5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter
from scipy.signal import fftconvolve

#: Strengths below are for a photo whose long side is this many pixels.
REFERENCE_SIDE = 480
LEVELS = 5

DEFECTS: tuple[str, ...] = (
    "gaussian_blur",
    "motion_blur",
    "defocus_blur",
    "gaussian_noise",
    "poisson_noise",
    "jpeg",
    "underexposure",
    "overexposure",
    "low_contrast",
    "colour_cast",
)
#: Subject sharp, background blurred: bokeh, which must not rank below the original.
BACKGROUND_BLUR = "background_blur"
ALL_KINDS: tuple[str, ...] = DEFECTS + (BACKGROUND_BLUR,)
#: Defects that can hit one part of a frame only (a soft corner, a noisy shadow, a blocky patch).
#: Exposure, contrast and colour act on the whole frame, so a local version would read as content.
LOCAL_DEFECTS: tuple[str, ...] = ("gaussian_blur", "motion_blur", "defocus_blur", "gaussian_noise", "poisson_noise", "jpeg")

# One row per kind: the strength at levels 1..5 (units in each function's docstring).
_STRENGTHS: dict[str, tuple[float, ...]] = {
    "gaussian_blur": (0.8, 1.4, 2.2, 3.2, 4.5),  # sigma, reference pixels
    "motion_blur": (4, 7, 11, 16, 23),  # streak length, reference pixels
    "defocus_blur": (1.2, 2.0, 3.0, 4.5, 6.5),  # disc radius, reference pixels
    "gaussian_noise": (5, 9, 15, 23, 34),  # sigma, 8-bit levels
    "poisson_noise": (600, 250, 100, 40, 15),  # photons at full white
    "jpeg": (50, 30, 18, 10, 5),  # Pillow JPEG quality
    "underexposure": (0.6, 1.1, 1.6, 2.2, 2.8),  # stops darker
    "overexposure": (0.5, 0.9, 1.3, 1.8, 2.4),  # stops brighter (clipped)
    "low_contrast": (0.75, 0.6, 0.46, 0.34, 0.22),  # contrast kept
    "colour_cast": (0.07, 0.13, 0.2, 0.28, 0.38),  # channel gain spread
    BACKGROUND_BLUR: (1.5, 3.0, 5.0, 7.0, 10.0),  # background sigma, reference pixels
}
_DISPLAY_GAMMA = 2.2


@dataclass(frozen=True)
class Ellipse:
    """A subject region in relative coordinates (0..1 of width and height)."""

    cx: float = 0.5
    cy: float = 0.5
    rx: float = 0.28
    ry: float = 0.36
    #: Width of the soft edge, relative to the radii.
    feather: float = 0.25


def distort(image: np.ndarray, kind: str, level: int, *, seed: int = 0, subject: Ellipse | None = None) -> np.ndarray:
    """Return ``image`` (H×W×3 uint8) with defect ``kind`` at ``level`` (0 = unchanged copy)."""
    if kind not in _STRENGTHS:
        raise ValueError(f"unknown distortion {kind!r}; expected one of {ALL_KINDS}")
    if not 0 <= level <= LEVELS:
        raise ValueError(f"level must be 0..{LEVELS}, got {level}")
    image = _as_rgb_uint8(image)
    if level == 0:
        return image.copy()
    strength = _STRENGTHS[kind][level - 1]
    rng = np.random.default_rng(seed)
    if kind == BACKGROUND_BLUR:
        return background_blur(image, strength * _scale(image), subject or Ellipse())
    return _APPLY[kind](image, strength, rng)


def distort_regions(
    image: np.ndarray, kind: str, level: int, boxes: list[tuple[int, int, int, int]], *, seed: int = 0
) -> list[np.ndarray]:
    """One copy of ``image`` per box (top, left, bottom, right) with ``kind`` at ``level`` inside that box only.

    The defect is made once on the whole frame and pasted into each box, so a blur near the
    box's edge draws on the pixels beyond it, as a soft patch of a real photo does.
    """
    if kind not in LOCAL_DEFECTS:
        raise ValueError(f"{kind!r} is not a local defect; expected one of {LOCAL_DEFECTS}")
    image = _as_rgb_uint8(image)
    damaged = distort(image, kind, level, seed=seed)
    copies = []
    for top, left, bottom, right in boxes:
        copy = image.copy()
        copy[top:bottom, left:right] = damaged[top:bottom, left:right]
        copies.append(copy)
    return copies


def quadrant_boxes(height: int, width: int) -> list[tuple[int, int, int, int]]:
    """The four quadrants (top, left, bottom, right): upper left, upper right, lower left, lower right."""
    h, w = height // 2, width // 2
    return [(0, 0, h, w), (0, w, h, width), (h, 0, height, w), (h, w, height, width)]


def strength_of(kind: str, level: int) -> float:
    """The parameter used for ``kind`` at ``level`` (1..5), for manifests and reports."""
    return _STRENGTHS[kind][level - 1]


def subject_mask(height: int, width: int, subject: Ellipse = Ellipse()) -> np.ndarray:
    """Feathered elliptical subject mask, float32 H×W: 1 inside the subject, 0 in the background.

    An honest stand-in for a saliency model: photographers mostly put the
    subject near the centre, and a shallow depth-of-field photo is sharp there.
    The mask is exactly 1 inside the inner ellipse, so those pixels are untouched.
    """
    ys = (np.arange(height, dtype=np.float32) + 0.5) / height
    xs = (np.arange(width, dtype=np.float32) + 0.5) / width
    radius = np.sqrt(((xs[None, :] - subject.cx) / subject.rx) ** 2 + ((ys[:, None] - subject.cy) / subject.ry) ** 2)
    return np.clip((1.0 + subject.feather - radius) / subject.feather, 0.0, 1.0).astype(np.float32)


def background_blur(image: np.ndarray, sigma: float, subject: Ellipse = Ellipse()) -> np.ndarray:
    """Blur everything outside ``subject`` with a Gaussian of ``sigma`` pixels; keep the subject exact."""
    blurred = np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32)
    mask = subject_mask(image.shape[0], image.shape[1], subject)[..., None]
    mixed = mask * image.astype(np.float32) + (1.0 - mask) * blurred
    out = _to_uint8(mixed)
    out[mask[..., 0] >= 1.0] = image[mask[..., 0] >= 1.0]
    return out


def _gaussian_blur(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(sigma * _scale(image))))


def _motion_blur(image: np.ndarray, length: float, rng: np.random.Generator) -> np.ndarray:
    """Camera shake: a straight streak of ``length`` reference pixels in a random direction."""
    length = max(2.0, length * _scale(image))
    angle = rng.uniform(0.0, np.pi)
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    centre = size // 2
    for t in np.linspace(-length / 2, length / 2, 4 * size):
        x, y = centre + t * np.cos(angle), centre + t * np.sin(angle)
        kernel[int(round(y)), int(round(x))] += 1.0
    return _convolve(image, kernel / kernel.sum())


def _defocus_blur(image: np.ndarray, radius: float, rng: np.random.Generator) -> np.ndarray:
    """Out-of-focus lens: a uniform disc (the aperture's image), anti-aliased at its rim."""
    radius = radius * _scale(image)
    half = int(np.ceil(radius)) + 1
    ys, xs = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    kernel = np.clip(radius + 0.5 - np.sqrt(xs**2 + ys**2), 0.0, 1.0)
    return _convolve(image, kernel / kernel.sum())


def _gaussian_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(image.shape).astype(np.float32)
    return _to_uint8(image.astype(np.float32) + sigma * noise)


def _poisson_noise(image: np.ndarray, photons: float, rng: np.random.Generator) -> np.ndarray:
    """Shot noise: each pixel is a photon count whose mean is its brightness × ``photons``."""
    linear = (image.astype(np.float64) / 255.0) ** _DISPLAY_GAMMA
    counts = rng.poisson(linear * photons)
    return _to_uint8(255.0 * (counts / photons) ** (1.0 / _DISPLAY_GAMMA))


def _jpeg(image: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"))


def _exposure(image: np.ndarray, stops: float) -> np.ndarray:
    """Scale linear light by 2**stops (through a display gamma); highlights clip like a sensor."""
    linear = (image.astype(np.float32) / 255.0) ** _DISPLAY_GAMMA * (2.0**stops)
    return _to_uint8(255.0 * np.clip(linear, 0.0, 1.0) ** (1.0 / _DISPLAY_GAMMA))


def _underexposure(image: np.ndarray, stops: float, rng: np.random.Generator) -> np.ndarray:
    return _exposure(image, -stops)


def _overexposure(image: np.ndarray, stops: float, rng: np.random.Generator) -> np.ndarray:
    return _exposure(image, stops)


def _low_contrast(image: np.ndarray, kept: float, rng: np.random.Generator) -> np.ndarray:
    """Haze / flat light: pull every pixel towards the photo's mean grey."""
    pixels = image.astype(np.float32)
    grey = pixels.mean()
    return _to_uint8(grey + kept * (pixels - grey))


def _colour_cast(image: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Wrong white balance: channel gains along a random hue direction, mean brightness kept."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    # Two orthonormal directions perpendicular to grey (1,1,1): any cast hue is a mix of them.
    warm_cool = np.array([1.0, 0.0, -1.0]) / np.sqrt(2.0)
    green_magenta = np.array([-1.0, 2.0, -1.0]) / np.sqrt(6.0)
    gains = 1.0 + spread * (np.cos(angle) * warm_cool + np.sin(angle) * green_magenta)
    return _to_uint8(image.astype(np.float32) * gains.astype(np.float32))


_APPLY = {
    "gaussian_blur": _gaussian_blur,
    "motion_blur": _motion_blur,
    "defocus_blur": _defocus_blur,
    "gaussian_noise": _gaussian_noise,
    "poisson_noise": _poisson_noise,
    "jpeg": _jpeg,
    "underexposure": _underexposure,
    "overexposure": _overexposure,
    "low_contrast": _low_contrast,
    "colour_cast": _colour_cast,
}


def _scale(image: np.ndarray) -> float:
    return max(image.shape[0], image.shape[1]) / REFERENCE_SIDE


def _convolve(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Convolve each channel with ``kernel``, reflecting the border so edges do not darken."""
    pad = max(kernel.shape) // 2 + 1
    padded = np.pad(image.astype(np.float32), ((pad, pad), (pad, pad), (0, 0)), mode="reflect")
    out = fftconvolve(padded, kernel[..., None], mode="same", axes=(0, 1))
    return _to_uint8(out[pad:-pad, pad:-pad])


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an H×W×3 uint8 RGB array, got {image.dtype} {image.shape}")
    return image
