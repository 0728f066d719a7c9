"""The synthetic distortion generator: every defect gets measurably worse level by level."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from skimage import data

from training.distortions import (
    ALL_KINDS,
    BACKGROUND_BLUR,
    DEFECTS,
    LEVELS,
    LOCAL_DEFECTS,
    Ellipse,
    distort,
    distort_regions,
    quadrant_boxes,
    subject_mask,
)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A real photo (scikit-image's astronaut, public domain) at the generator's reference size."""
    return np.asarray(Image.fromarray(data.astronaut()).resize((480, 480), Image.Resampling.LANCZOS))


def _grey(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64).mean(axis=2)


def laplacian_variance(image: np.ndarray) -> float:
    return float(ndimage.laplace(_grey(image)).var())


def noise_residual_std(image: np.ndarray) -> float:
    grey = _grey(image)
    return float((grey - ndimage.median_filter(grey, size=3)).std())


def png_size(image: np.ndarray) -> int:
    """Lossless size: JPEG's blocking flattens detail, so the PNG of a heavier JPEG is smaller."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.tell()


def channel_spread(image: np.ndarray) -> float:
    means = image.reshape(-1, 3).astype(np.float64).mean(axis=0)
    return float(means.max() - means.min())


# (statistic, +1 if it must rise with the level, -1 if it must fall)
MONOTONE = {
    "gaussian_blur": (laplacian_variance, -1),
    "motion_blur": (laplacian_variance, -1),
    "defocus_blur": (laplacian_variance, -1),
    "gaussian_noise": (noise_residual_std, +1),
    "poisson_noise": (noise_residual_std, +1),
    "jpeg": (png_size, -1),
    "underexposure": (lambda im: float(im.mean()), -1),
    "overexposure": (lambda im: float(im.mean()), +1),
    "low_contrast": (lambda im: float(im.astype(np.float64).std()), -1),
    "colour_cast": (channel_spread, +1),
}


def test_every_defect_has_a_check():
    assert set(MONOTONE) == set(DEFECTS)


@pytest.mark.parametrize("kind", DEFECTS)
def test_each_level_is_worse_than_the_one_before(photo, kind):
    statistic, direction = MONOTONE[kind]
    values = [statistic(distort(photo, kind, level, seed=3)) for level in range(LEVELS + 1)]
    steps = direction * np.diff(values)
    assert np.all(steps > 0), f"{kind}: {values}"


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_output_shape_dtype_and_level_zero(photo, kind):
    assert np.array_equal(distort(photo, kind, 0), photo)
    out = distort(photo, kind, 3, seed=1)
    assert out.shape == photo.shape and out.dtype == np.uint8
    assert not np.array_equal(out, photo)


def test_same_seed_same_output_and_other_seed_differs(photo):
    first = distort(photo, "gaussian_noise", 2, seed=7)
    assert np.array_equal(first, distort(photo, "gaussian_noise", 2, seed=7))
    assert not np.array_equal(first, distort(photo, "gaussian_noise", 2, seed=8))


def test_strength_scales_with_photo_size(photo):
    """A level means the same visible blur at any decode size: it is defined relative to the long side."""
    small = np.asarray(Image.fromarray(photo).resize((240, 240), Image.Resampling.LANCZOS))
    big_blurred = distort(photo, "gaussian_blur", 4)
    big_then_small = np.asarray(Image.fromarray(big_blurred).resize((240, 240), Image.Resampling.LANCZOS))
    small_blurred = distort(small, "gaussian_blur", 4)
    assert np.abs(big_then_small.astype(int) - small_blurred.astype(int)).mean() < 3.0


def test_background_blur_keeps_the_subject_and_blurs_the_rest(photo):
    subject = Ellipse(cx=0.45, cy=0.4, rx=0.25, ry=0.3)
    mask = subject_mask(*photo.shape[:2], subject)
    out = distort(photo, BACKGROUND_BLUR, 5, subject=subject)
    inside, outside = mask >= 1.0, mask <= 0.0
    assert inside.sum() > 0.1 * mask.size and outside.sum() > 0.3 * mask.size
    assert np.array_equal(out[inside], photo[inside])
    before = ndimage.laplace(_grey(photo))[outside].var()
    after = ndimage.laplace(_grey(out))[outside].var()
    assert after < 0.2 * before


def test_subject_mask_is_one_at_centre_zero_at_corners_and_feathered():
    mask = subject_mask(100, 150)
    assert mask[50, 75] == 1.0 and mask[0, 0] == 0.0 and mask[-1, -1] == 0.0
    assert ((mask > 0) & (mask < 1)).any()


def test_rejects_bad_arguments(photo):
    with pytest.raises(ValueError):
        distort(photo, "sepia", 1)
    with pytest.raises(ValueError):
        distort(photo, "jpeg", 6)
    with pytest.raises(ValueError):
        distort(photo.astype(np.float32), "jpeg", 1)


@pytest.mark.parametrize("kind", LOCAL_DEFECTS)
def test_a_local_defect_changes_its_quadrant_only(photo, kind):
    boxes = quadrant_boxes(*photo.shape[:2])
    copies = distort_regions(photo, kind, 4, boxes, seed=3)
    assert len(copies) == 4
    for copy, (top, left, bottom, right) in zip(copies, boxes):
        inside = np.zeros(photo.shape[:2], bool)
        inside[top:bottom, left:right] = True
        changed = np.abs(copy.astype(int) - photo.astype(int)).max(axis=2) > 0
        assert changed[inside].mean() > 0.2, f"{kind} did not visibly change its quadrant"
        assert not changed[~inside].any(), f"{kind} leaked outside its quadrant"


def test_quadrants_tile_the_frame_and_frame_wide_defects_are_not_local(photo):
    boxes = quadrant_boxes(7, 9)
    assert sum((b - t) * (r - le) for t, le, b, r in boxes) == 63
    with pytest.raises(ValueError, match="not a local defect"):
        distort_regions(photo, "underexposure", 2, boxes)
