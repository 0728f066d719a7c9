"""A cheap global image descriptor for burst grouping when no embedding model is installed.

Three blocks, each L2-normalised, concatenated and normalised again, compared by cosine:

* colour histogram: 8x8x8 RGB bins of a 64x64 thumbnail, square-rooted (Hellinger), which
  survives subject motion and small pans because it ignores where colours are;
* colour layout: a 4x4 thumbnail per channel minus its mean (where the light and dark,
  red and blue areas are), which separates scenes with similar palettes;
* gradient orientations: 8-bin magnitude-weighted histograms on a 4x4 grid of a 64x64 grey
  thumbnail (HOG-like), which captures structure (lines, edges) independent of colour.

On the bursts benchmark (19 scenes, 107 real frames, bench/grouping.py) single-link grouping
on this descriptor reaches ARI >= 0.9 for any cosine threshold in about 0.78..0.97, so the
default sits well inside a wide band. It knows nothing about semantics: two different scenes
with the same palette and layout can look alike, which is why capture time gates grouping
and why a learned embedding replaces it when one is installed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_THUMB = 64
_HIST_BINS = 8
_LAYOUT_SIDE = 4
_GRID = 4
_ORIENTATIONS = 8


def describe(image: Image.Image) -> np.ndarray:
    """Unit-length float32 descriptor (8**3 + 3*4*4 + 4*4*8 = 688 values)."""
    rgb = image.convert("RGB")
    thumb = rgb.resize((_THUMB, _THUMB), Image.Resampling.BOX, reducing_gap=2.0)
    blocks = (_colour_histogram(thumb), _colour_layout(thumb), _gradient_orientations(thumb.convert("L")))
    return _unit(np.concatenate([_unit(b) for b in blocks])).astype(np.float32)


def _colour_histogram(thumb: Image.Image) -> np.ndarray:
    levels = np.asarray(thumb, dtype=np.int64) * _HIST_BINS // 256
    index = (levels[..., 0] * _HIST_BINS + levels[..., 1]) * _HIST_BINS + levels[..., 2]
    counts = np.bincount(index.ravel(), minlength=_HIST_BINS**3).astype(np.float64)
    return np.sqrt(counts / counts.sum())


def _colour_layout(thumb: Image.Image) -> np.ndarray:
    small = np.asarray(thumb.resize((_LAYOUT_SIDE, _LAYOUT_SIDE), Image.Resampling.BOX), dtype=np.float64) / 255.0
    return (small - small.mean(axis=(0, 1))).ravel()


def _gradient_orientations(grey: Image.Image) -> np.ndarray:
    pixels = np.asarray(grey, dtype=np.float64)
    gx = np.zeros_like(pixels)
    gy = np.zeros_like(pixels)
    gx[:, 1:-1] = pixels[:, 2:] - pixels[:, :-2]
    gy[1:-1] = pixels[2:] - pixels[:-2]
    magnitude = np.hypot(gx, gy)
    bins = np.minimum((np.arctan2(gy, gx) % np.pi / np.pi * _ORIENTATIONS).astype(np.int64), _ORIENTATIONS - 1)
    cell = _THUMB // _GRID
    cell_index = (np.arange(_THUMB) // cell)[:, None] * _GRID + (np.arange(_THUMB) // cell)[None, :]
    flat = (cell_index * _ORIENTATIONS + bins).ravel()
    hist = np.bincount(flat, weights=magnitude.ravel(), minlength=_GRID * _GRID * _ORIENTATIONS)
    return np.sqrt(hist / (hist.sum() + 1e-12))


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector
