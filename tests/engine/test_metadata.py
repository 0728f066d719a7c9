"""Capture time, camera and exposure facts from EXIF (raster), the TIFF header (RAW), or the file's mtime."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from engine.library.metadata import read_metadata
from tests.helpers.corpus import build_bad_input_corpus, exif_bytes, sample_photos


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):
    return build_bad_input_corpus(tmp_path_factory.mktemp("corpus"))


def jpeg_with(path: Path, exif: bytes, size: tuple[int, int] = (60, 40)) -> Path:
    Image.new("RGB", size, (10, 20, 30)).save(path, exif=exif)
    return path


def test_full_exif_with_subseconds_and_offset(tmp_path):
    path = jpeg_with(tmp_path / "a.jpg", exif_bytes(
        orientation=6, make="Canon\0", model=" EOS R5 ", taken="2023:05:01 14:03:22", subsec="045", offset="+02:00",
        exposure=(1, 250), f_number=2.8, iso=400, focal_length=50.0, lens="RF50mm F1.8 STM",
    ))  # fmt: skip
    meta = read_metadata(path)
    assert meta.capture_time == "2023-05-01T14:03:22.045+02:00"
    assert datetime.fromisoformat(meta.capture_time).utcoffset().total_seconds() == 7200
    assert meta.capture_time_source == "exif"
    assert (meta.make, meta.model, meta.lens) == ("Canon", "EOS R5", "RF50mm F1.8 STM")
    assert meta.shutter == pytest.approx(1 / 250) and meta.aperture == pytest.approx(2.8)
    assert (meta.iso, meta.focal_length, meta.orientation) == (400, 50.0, 6)
    assert (meta.width, meta.height) == (40, 60)  # as displayed: orientation 6 turns it portrait


def test_time_without_subseconds_or_offset_stays_naive(tmp_path):
    meta = read_metadata(jpeg_with(tmp_path / "b.jpg", exif_bytes(taken="2021:12:31 23:59:59")))
    assert meta.capture_time == "2021-12-31T23:59:59"
    assert datetime.fromisoformat(meta.capture_time).tzinfo is None


@pytest.mark.parametrize("taken", [None, "0000:00:00 00:00:00", "    :  :     :  :  ", "garbage"])
def test_missing_or_invalid_exif_time_falls_back_to_mtime(tmp_path, taken):
    path = jpeg_with(tmp_path / "c.jpg", exif_bytes(taken=taken))
    stamp = 1_700_000_000
    os.utime(path, (stamp, stamp))
    meta = read_metadata(path)
    assert meta.capture_time_source == "mtime"
    assert datetime.fromisoformat(meta.capture_time).timestamp() == stamp


def test_no_exif_at_all_gives_defaults(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (30, 20)).save(path)
    meta = read_metadata(path)
    assert (meta.orientation, meta.make, meta.iso, meta.shutter) == (1, None, None, None)
    assert (meta.width, meta.height, meta.capture_time_source) == (30, 20, "mtime")


def test_apex_values_used_when_fnumber_and_exposure_time_are_absent(tmp_path):
    exif = Image.Exif()
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    sub[ExifTags.Base.ApertureValue] = 3.0  # f/2.8
    sub[ExifTags.Base.ShutterSpeedValue] = 7.0  # 1/128 s
    sub[ExifTags.Base.ISOSpeedRatings] = (640, 0)
    meta = read_metadata(jpeg_with(tmp_path / "apex.jpg", exif.tobytes()))
    assert meta.aperture == pytest.approx(2.8)
    assert meta.shutter == pytest.approx(1 / 128)
    assert meta.iso == 640


@pytest.mark.parametrize("name", ["heic", "tiff_orientation_8", "avif", "webp", "orientation_5", "png_orientation_6"])
def test_displayed_size_and_original_orientation_per_format(corpus, name):
    meta = read_metadata(corpus.good[name].path)
    assert (meta.width, meta.height) == corpus.good[name].size
    assert meta.orientation != 1  # the file's own value, even where the decoder already applied it
    assert meta.capture_time == "2024-03-09T08:07:06" and meta.make == "Testcam"


def test_dng_metadata_from_tiff_header_and_libraw(corpus):
    meta = read_metadata(corpus.good["dng"].path)
    assert (meta.make, meta.model) == ("Testcam", "T1")
    assert meta.capture_time == "2022-02-02T12:00:00" and meta.capture_time_source == "exif"
    assert meta.orientation == 6
    assert (meta.width, meta.height) == (200, 300)  # full sensor output, upright; not the preview's size
    assert (meta.iso, meta.focal_length) == (800, 85.0)
    assert meta.aperture == pytest.approx(5.6) and meta.shutter == pytest.approx(1 / 125)


def test_sample_photos_are_real_photos_with_exif(tmp_path):
    paths = sample_photos(tmp_path, 3)
    times = [read_metadata(path).capture_time for path in paths]
    assert times == sorted(times) and len(set(times)) == 3
    assert all(t.endswith(".120+01:00") for t in times)
    assert np.asarray(Image.open(paths[0])).std() > 20  # real content, not a flat fill
