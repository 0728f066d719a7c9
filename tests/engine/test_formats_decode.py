"""Decoding every supported kind of file to upright 8-bit sRGB, at reduced size when asked."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from engine.library.decode import open_image, render
from engine.library.formats import kind_of, sniff
from tests.helpers.corpus import (
    P3_SAMPLE,
    PATTERN_SIZE,
    QUADRANT_PROBES,
    build_bad_input_corpus,
    corpus_names,
    display_p3_icc,
    exif_bytes,
    rgb_matrix_icc,
    rgb_to_xyz_matrix,
    upright_pattern,
)  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return build_bad_input_corpus(tmp_path_factory.mktemp("corpus"))


def assert_probes(image: Image.Image, probes, tolerance: int) -> None:
    pixels = np.asarray(image).astype(int)
    for x, y, expected in probes:
        found = pixels[int(y * image.height), int(x * image.width)]
        assert np.abs(found - expected).max() <= tolerance, f"at ({x}, {y}): {found.tolist()} != {expected}"


def test_kind_of_is_by_extension_case_insensitive():
    assert kind_of(Path("a/IMG_1.JPG")) == "raster"
    assert kind_of(Path("x.heic")) == "raster"
    assert kind_of(Path("x.CR3")) == "raw"
    assert kind_of(Path("notes.txt")) is None
    assert kind_of(Path("noext")) is None


def test_sniff_tells_photo_containers_from_other_bytes():
    assert sniff(b"\xff\xd8\xff\xe0" + b"\0" * 12) == "jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\n" + b"\0" * 8) == "png"
    assert sniff(b"II*\x00\x08\x00\x00\x00CR" + b"\0" * 6) == "tiff"
    assert sniff(b"\0\0\0\x18ftypheic" + b"\0" * 4) == "isobmff"
    assert sniff(b"Shopping list: eggs") is None


@pytest.mark.parametrize("name", corpus_names("good"))
def test_every_good_corpus_file_decodes_upright_rgb(corpus, name):
    entry = corpus.good[name]
    image = open_image(entry.path)
    assert image.mode == "RGB"
    assert image.size == entry.size
    assert_probes(image, entry.probes, entry.tolerance)


@pytest.mark.parametrize("name", [f"orientation_{n}" for n in range(1, 9)] + ["webp", "heic", "avif", "tiff_orientation_8"])
def test_reduced_decode_keeps_orientation_and_bounds_long_side(corpus, name):
    entry = corpus.good[name]
    image = open_image(entry.path, max_side=48)
    assert image.mode == "RGB" and max(image.size) == 48
    assert image.size == (48, 32)
    assert_probes(image, entry.probes, entry.tolerance)


def test_jpeg_draft_request_has_the_photo_aspect_so_dct_scaling_goes_as_far_as_allowed(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (2400, 1600), (90, 120, 150)).save(path, quality=80)
    for max_side, decoded in ((300, (300, 200)), (600, (600, 400)), (700, (1200, 800))):
        image = Image.open(path)
        result = render(image, max_side)
        # render drafts the opened image itself: its size is what libjpeg actually decoded.
        assert image.size == decoded, max_side
        assert max(result.size) == min(max_side, 2400)


def test_raw_orientation_applies_to_a_preview_without_its_own_exif_orientation(tmp_path):
    stored = np.ascontiguousarray(np.rot90(upright_pattern(), 1))  # stored for orientation 6
    bare, tagged = tmp_path / "bare.jpg", tmp_path / "tagged.jpg"
    Image.fromarray(stored).save(bare, quality=95)
    Image.fromarray(stored).save(tagged, quality=95, exif=exif_bytes(orientation=1))
    assert_probes(render(Image.open(bare), default_orientation=6), QUADRANT_PROBES, 40)
    assert render(Image.open(tagged), default_orientation=6).size == PATTERN_SIZE[::-1]  # its own tag wins


def test_raw_embedded_preview_used_when_big_enough_with_raw_orientation(corpus):
    image = open_image(corpus.good["dng"].path, max_side=90)
    # The preview is the 96x64 quadrant pattern stored sideways (LibRaw flip 6); the sensor data is not.
    assert image.size == (90, 60)
    assert_probes(image, QUADRANT_PROBES, 40)


@pytest.mark.parametrize("name", ["dng", "dng_without_preview"])
def test_raw_falls_back_to_half_size_demosaic_upright(corpus, name):
    image = np.asarray(open_image(corpus.good[name].path, max_side=1600)).mean(axis=2)
    height, width = image.shape
    assert (width, height) == corpus.good[name].size
    top_left = image[: height // 2, : width // 2].mean()
    others = [image[: height // 2, width // 2 :].mean(), image[height // 2 :, : width // 2].mean(),
              image[height // 2 :, width // 2 :].mean()]
    assert top_left > 2 * max(others)


def srgb_decode(values: np.ndarray) -> np.ndarray:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    linear = np.clip(linear, 0, 1)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


def test_icc_builder_with_srgb_primaries_matches_littlecms_srgb():
    # Validates the test's own profile builder before trusting it for Display P3.
    ours = ImageCms.ImageCmsProfile(io.BytesIO(rgb_matrix_icc(((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), "sRGB-like")))
    srgb = ImageCms.createProfile("sRGB")
    sample = Image.fromarray(np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8))
    converted = ImageCms.profileToProfile(sample, ours, srgb, outputMode="RGB")
    assert np.abs(np.asarray(converted).astype(int) - np.asarray(sample)).max() <= 2


def test_display_p3_photo_is_converted_not_washed_out(corpus):
    decoded = np.asarray(open_image(corpus.good["display_p3"].path))[32, 48].astype(int)
    p3_to_srgb = np.linalg.solve(
        rgb_to_xyz_matrix(((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))), rgb_to_xyz_matrix(((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)))
    )
    expected = np.rint(255 * srgb_encode(p3_to_srgb @ srgb_decode(np.array(P3_SAMPLE) / 255))).astype(int)
    assert np.abs(decoded - expected).max() <= 3, (decoded, expected)  # ~ (240, 35, 50)
    naive_saturation = max(P3_SAMPLE) - min(P3_SAMPLE)  # what ignoring the profile would show
    assert decoded.max() - decoded.min() > naive_saturation + 20


def test_icc_profile_survives_reduced_decode(tmp_path):
    path = tmp_path / "p3_big.jpg"
    Image.new("RGB", (1200, 800), P3_SAMPLE).save(path, quality=95, icc_profile=display_p3_icc())
    decoded = np.asarray(open_image(path, max_side=100))[30, 50].astype(int)
    assert decoded[0] - decoded[1] > (P3_SAMPLE[0] - P3_SAMPLE[1]) + 20
