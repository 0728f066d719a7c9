"""Quality cues of one photo: exposure, contrast, colourfulness, noise, and sharpness where it matters.

All cues are measured on an analysis copy whose long side is at most :data:`WORKING_SIDE`
(so numbers are comparable between cameras), on 8-bit sRGB values. Formulas:

* luma ``Y' = 0.2126 R + 0.7152 G + 0.0722 B`` (Rec. 709 weights on the encoded values).
* exposure: ``highlights_clipped`` = fraction of pixels with ``Y' >= 250``; ``shadows_clipped``
  = fraction with ``Y' <= 5``; ``mean_luminance`` = mean ``Y'`` / 255; ``brightness_stops`` =
  log2 of the mean *linear* luminance (sRGB decoded), usable as the EV of a frame for brackets.
* contrast: RMS contrast, the standard deviation of ``Y'/255`` (Peli 1990).
* colourfulness: Hasler & Süsstrunk (2003), ``rg = R - G``, ``yb = (R + G)/2 - B``,
  ``M = sqrt(sd(rg)^2 + sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)``; 0 for grey,
  about 33 "moderately", 59 "quite", 82+ "highly" colourful.
* noise: Immerkær (1996) fast noise variance estimation, ``sigma = sqrt(pi/2) / 6 * mean|Y' * N|``
  with ``N = [[1,-2,1],[-2,4,-2],[1,-2,1]]``, averaged only over the flattest 90 % of pixels
  (lowest gradient magnitude), as Tai & Yang (2008) do, so edges and texture are not taken for noise.
  Reported in 8-bit levels at the analysis size.
* sharpness: 1 - the Crété-Roffet et al. (2007) blur estimate ("The blur effect: perception and
  estimation with a new no-reference perceptual blur metric"): blur a region with an 11-pixel box
  filter along each axis and measure how much of its neighbour-difference energy survives;
  ``blur = 1 - sum(max(0, |dI| - |dB|)) / sum(|dI|)``, max over both axes. It is contrast-
  independent, 0 for crisp and 1 for flat regions; sharpness = 1 - blur.

Where sharpness is measured (the fix for false blur rejects of shallow depth of field):
eyes when eye boxes are given, else faces, else the *salient subject*: the image is cut into
tiles, each tile's detail (mean absolute gradient) is weighted by a centre prior, and the top
:data:`SUBJECT_FRACTION` of tiles form the subject; the rest are background. A photo is
``blurry`` only when its subject is soft; a soft background next to a sharp subject is bokeh,
not a fault. With faces, a soft face next to a sharp background means focus missed; with eyes
measured (engine.analysis.photo_measures leaves out eyes too small to measure), eyes clearly softer than
the sharpest background region do too, even when they are not soft in absolute terms.

Cost: every formula above is computed exactly, but arranged for numpy. The mean linear
luminance comes from 256-bin channel histograms (the mean
of a per-level lookup is the histogram's dot product with it); the noise kernel ``N`` is the
outer product of ``[1,-2,1]`` with itself, so it is applied as two 1-D second differences; and the
box-blurred difference ``dB`` needs no blurred image, since the difference of a moving average is
``(I[i+size] - I[i]) / size`` on the edge-reflected signal. Energies are kept as four contiguous
planes so tile and box sums are plain reductions. The noise's "flattest 90 %" cut-off is the
exact percentile, found by counting gradients into bins and sorting only the bin that holds it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

WORKING_SIDE = 1024
HIGHLIGHT_LEVEL = 250
SHADOW_LEVEL = 5
#: Subject sharpness below this is soft (calibrated on skimage photos: Gaussian blur sigma >~ 1.5 px).
SHARP_ENOUGH = 0.45
#: Eyes this much softer than the sharpest background region mean the focus missed them.
MISSED_FOCUS_MARGIN = 0.2
SUBJECT_FRACTION = 0.15
_TILES_ACROSS = 12
_BOX = 11
_CENTRE_SIGMA = 0.3
_FLAT_FRACTION = 0.9
#: Mean |neighbour difference| (8-bit levels) a tile needs before its blur is trusted.
_DETAIL_FLOOR = 2.0

_LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])
_ENCODED = np.arange(256) / 255.0
_SRGB_TO_LINEAR = np.where(_ENCODED <= 0.04045, _ENCODED / 12.92, ((_ENCODED + 0.055) / 1.055) ** 2.4)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the image given


@dataclass(frozen=True)
class CueReport:
    cues: dict[str, float]
    blurry: bool
    blur_reason: str
    #: Where sharpness was measured: "eyes", "faces" or "salient tiles".
    sharpness_region: str = "salient tiles"

    def as_dict(self) -> dict[str, object]:
        return {**self.cues, "blurry": self.blurry, "blur_reason": self.blur_reason,
                "sharpness_region": self.sharpness_region}


def measure_cues(image: Image.Image, faces: Sequence[Box] = (), eyes: Sequence[Box] = ()) -> CueReport:
    """All cues for one decoded photo; boxes are in the pixel coordinates of ``image``."""
    rgb, scale = _working_copy(image)
    pixels = np.asarray(rgb)
    luma = luma_of(pixels.astype(np.float32))
    levels = np.asarray(rgb.histogram(), dtype=np.float64).reshape(3, 256)
    cues = {**exposure(pixels, luma, levels), "contrast_rms": contrast_rms(luma),
            "colourfulness": colourfulness(pixels), "noise_sigma": noise_sigma(luma)}
    sharp = sharpness(luma, [_scaled(b, scale) for b in faces], [_scaled(b, scale) for b in eyes])
    cues.update(subject_sharpness=sharp.subject, background_sharpness=sharp.background,
                sharpest_elsewhere=sharp.sharpest_elsewhere)
    blurry, reason = judge_blur(sharp)
    return CueReport(cues, blurry, reason, sharp.region)


def luma_of(pixels: np.ndarray) -> np.ndarray:
    return pixels[..., 0] * 0.2126 + pixels[..., 1] * 0.7152 + pixels[..., 2] * 0.0722


def exposure(pixels: np.ndarray, luma: np.ndarray, levels: np.ndarray | None = None) -> dict[str, float]:
    """Exposure cues of 8-bit RGB ``pixels`` and their ``luma``.

    ``levels``: the (3, 256) per-channel pixel counts when already known (Pillow's
    ``histogram()`` makes them cheaply); counted here otherwise.
    """
    if levels is None:
        levels = np.stack([np.bincount(pixels[..., c].ravel(), minlength=256) for c in range(3)]).astype(np.float64)
    mean_linear = float((levels @ _SRGB_TO_LINEAR) @ _LUMA_WEIGHTS) / max(1, luma.size)
    return {
        "mean_luminance": float(luma.mean() / 255.0),
        "highlights_clipped": float((luma >= HIGHLIGHT_LEVEL).mean()),
        "shadows_clipped": float((luma <= SHADOW_LEVEL).mean()),
        "brightness_stops": math.log2(max(mean_linear, 1e-6)),
    }


def contrast_rms(luma: np.ndarray) -> float:
    return float((luma / 255.0).std())


def colourfulness(pixels: np.ndarray) -> float:
    r, g, b = (pixels[..., c].astype(np.float32) for c in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


def noise_sigma(luma: np.ndarray) -> float:
    """Immerkær's estimate over the flattest pixels (see the module docstring)."""
    if min(luma.shape) < 3:
        return 0.0
    across = luma[:, :-2] - 2 * luma[:, 1:-1] + luma[:, 2:]  # N = [1,-2,1] (outer) [1,-2,1]: separable
    residual = np.abs(across[:-2] - 2 * across[1:-1] + across[2:])
    gradient = np.abs(luma[2:, 1:-1] - luma[:-2, 1:-1])
    gradient += np.abs(luma[1:-1, 2:] - luma[1:-1, :-2])
    flat = gradient <= _quantile(gradient, _FLAT_FRACTION)
    return float(math.sqrt(math.pi / 2) / 6 * residual.sum(where=flat, dtype=np.float64) / flat.sum())


def _quantile(values: np.ndarray, fraction: float) -> float:
    """``np.quantile`` (its default linear interpolation) of non-negative ``values``, exactly.

    It needs only two order statistics. Rather than partially sorting every value, values are
    counted into bins of 1/:data:`_QUANTILE_BINS_PER_LEVEL` level; the cumulative counts name
    the bin holding each wanted rank, and only that bin's values are partitioned, which is
    several times cheaper. The answer is the same order statistic, bit for bit.
    """
    flat = values.ravel()
    position = (flat.size - 1) * fraction
    low = int(math.floor(position))
    high = min(low + 1, flat.size - 1)
    ordered = _order_statistics(flat, (low, high))
    return float(ordered[low] + (position - low) * (ordered[high] - ordered[low]))


_QUANTILE_BINS_PER_LEVEL = 4


def _order_statistics(flat: np.ndarray, ranks: Sequence[int]) -> dict[int, np.generic]:
    """The values at ``ranks`` (0-based) of the sorted non-negative ``flat``, found bin by bin."""
    bins = (flat * _QUANTILE_BINS_PER_LEVEL).astype(np.int64)
    below = np.cumsum(np.bincount(bins))  # below[b]: how many values fall in bins 0..b
    found: dict[int, np.generic] = {}
    members: dict[int, np.ndarray] = {}
    for rank in ranks:
        b = int(np.searchsorted(below, rank, side="right"))
        if b not in members:
            members[b] = flat[bins == b]
        first = int(below[b - 1]) if b else 0
        found[rank] = np.partition(members[b], rank - first)[rank - first]
    return found


@dataclass(frozen=True)
class Sharpness:
    subject: float
    background: float
    sharpest_elsewhere: float
    region: str


def sharpness(luma: np.ndarray, faces: Sequence[Box] = (), eyes: Sequence[Box] = ()) -> Sharpness:
    """Subject and background sharpness (0..1, larger = crisper)."""
    energy = _difference_energy(np.asarray(luma, dtype=np.float32))
    tiles = _tile_sums(energy, _tile_side(luma.shape))
    boxes, region = (eyes, "eyes") if eyes else (faces, "faces") if faces else ((), "salient tiles")
    if boxes:
        subject = 1.0 - _pooled_blur(_box_sums(energy, boxes))
        inside = _tiles_touching(tiles.shape[:2], _tile_side(luma.shape), boxes)
    else:
        inside = _salient_tiles(tiles)
        subject = 1.0 - _pooled_blur(tiles[inside].sum(axis=0))
    outside = tiles[~inside]
    background = 1.0 - _pooled_blur(outside.sum(axis=0)) if len(outside) else subject
    detailed = outside[_has_detail(outside, _tile_side(luma.shape))]
    sharpest = float(1.0 - _tile_blurs(detailed).min()) if len(detailed) else background
    return Sharpness(subject, background, sharpest, region)


def judge_blur(sharp: Sharpness) -> tuple[bool, str]:
    """The blurry verdict and a short reason a photographer can check."""
    what = {"eyes": "eyes", "faces": "face", "salient tiles": "subject"}[sharp.region]
    if sharp.subject < SHARP_ENOUGH:
        if sharp.sharpest_elsewhere >= SHARP_ENOUGH and sharp.region != "salient tiles":
            return True, f"{what} soft while the background is sharp: focus missed"
        if sharp.background < SHARP_ENOUGH:
            return True, "whole frame soft: camera shake, motion blur or missed focus"
        return True, f"{what} soft"
    # The relative test needs eyes: lashes and iris edges are the detail focus is judged on. A whole
    # face box is mostly smooth skin, which reads softer than a crisp background in perfect focus.
    if sharp.region == "eyes" and sharp.sharpest_elsewhere - sharp.subject >= MISSED_FOCUS_MARGIN:
        return True, f"{what} clearly softer than the background: focus missed"
    if sharp.background < SHARP_ENOUGH:
        return False, f"{what} sharp, background soft (shallow depth of field)"
    return False, f"{what} sharp"


def _working_copy(image: Image.Image) -> tuple[Image.Image, float]:
    rgb = image if image.mode == "RGB" else image.convert("RGB")  # convert() copies even an RGB image
    scale = min(1.0, WORKING_SIDE / max(rgb.size))
    if scale < 1.0:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return rgb, scale


def _scaled(box: Box, scale: float) -> Box:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)


def _difference_energy(luma: np.ndarray) -> np.ndarray:
    """Per pixel, for each axis: |dI| and the part of it the box blur removes, as planes (4, H, W).

    Plane order [dI_y, lost_y, dI_x, lost_x]; the last row (y) or column (x) has no difference and is 0.
    """
    out = np.zeros((4, *luma.shape), dtype=np.float32)
    for axis in (0, 1):
        lines = luma if axis == 0 else luma.T
        d_sharp, lost = (out[2 * axis], out[2 * axis + 1]) if axis == 0 else (out[2].T, out[3].T)
        np.abs(lines[1:] - lines[:-1], out=d_sharp[:-1])
        np.subtract(d_sharp[:-1], _blurred_difference(lines, _BOX), out=lost[:-1])
        np.maximum(lost[:-1], 0.0, out=lost[:-1])
    return out


def _blurred_difference(lines: np.ndarray, size: int) -> np.ndarray:
    """|difference along axis 0| of the ``size``-wide moving average with reflected edges.

    The moving average's step from i to i+1 drops one padded sample and adds another, so it
    is ``(P[i + size] - P[i]) / size`` on the padded lines P: no blurred image is needed.
    """
    half, count = size // 2, len(lines)
    padded = np.concatenate([lines[half:0:-1], lines, lines[-2:-half - 2:-1]])
    step = padded[size:size + count - 1] - padded[:count - 1]
    return np.abs(step, out=step) / np.float32(size)


def _pooled_blur(sums: np.ndarray) -> float:
    """Crété-Roffet blur from summed energies [dI_y, lost_y, dI_x, lost_x]; 1.0 for a flat region."""
    return float(_tile_blurs(np.asarray(sums, dtype=np.float64)[None])[0])


def _tile_blurs(sums: np.ndarray) -> np.ndarray:
    """:func:`_pooled_blur` of each row of (N, 4) summed energies."""
    blurs = []
    for axis in (0, 1):
        energy, lost = sums[:, 2 * axis], sums[:, 2 * axis + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            blurs.append(np.where(energy > 1e-9, 1.0 - lost / energy, 1.0))
    return np.maximum(*blurs)


def _tile_side(shape: tuple[int, ...]) -> int:
    return max(8, max(shape) // _TILES_ACROSS)


def _tile_sums(energy: np.ndarray, side: int) -> np.ndarray:
    """(rows, cols, 4) sums of the energy planes over side x side tiles (rows first: contiguous reductions)."""
    rows, cols = max(1, energy.shape[1] // side), max(1, energy.shape[2] // side)
    row_sums = energy[:, : rows * side, : cols * side].reshape(4, rows, side, cols * side).sum(axis=2)
    return row_sums.reshape(4, rows, cols, side).sum(axis=3).transpose(1, 2, 0)


def _salient_tiles(tiles: np.ndarray) -> np.ndarray:
    """Highest-detail tiles, favouring the centre: the cheap saliency behind subject sharpness."""
    rows, cols = tiles.shape[:2]
    detail = tiles[..., 0] + tiles[..., 2]
    y = (np.arange(rows)[:, None] + 0.5) / rows - 0.5
    x = (np.arange(cols)[None, :] + 0.5) / cols - 0.5
    centre = 0.5 + 0.5 * np.exp(-(x**2 + y**2) / (2 * _CENTRE_SIGMA**2))
    weight = detail * centre
    count = max(2, round(SUBJECT_FRACTION * rows * cols))
    cutoff = np.sort(weight.ravel())[::-1][min(count, weight.size) - 1]
    return weight >= cutoff


def _box_sums(energy: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    total = np.zeros(4)
    h, w = energy.shape[1:]
    for x0, y0, x1, y1 in boxes:
        left, right = int(max(0, math.floor(x0))), int(min(w, math.ceil(x1)))
        top, bottom = int(max(0, math.floor(y0))), int(min(h, math.ceil(y1)))
        if right > left and bottom > top:
            total += energy[:, top:bottom, left:right].sum(axis=(1, 2), dtype=np.float64)
    return total


def _tiles_touching(grid: tuple[int, int], side: int, boxes: Sequence[Box]) -> np.ndarray:
    mask = np.zeros(grid, dtype=bool)
    for x0, y0, x1, y1 in boxes:
        mask[int(y0 // side): int(math.ceil(y1 / side)), int(x0 // side): int(math.ceil(x1 / side))] = True
    return mask


def _has_detail(tiles: np.ndarray, side: int) -> np.ndarray:
    """Tiles (N, 4) with enough edge energy for a blur estimate to mean something (not a flat sky or bokeh)."""
    return (tiles[:, 0] + tiles[:, 2]) / (2 * side * side) >= _DETAIL_FLOOR
