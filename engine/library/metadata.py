"""Capture facts a culler sorts and filters by: time, camera, lens, exposure, displayed size.

Raster files (JPEG, PNG, TIFF, WebP, HEIC, AVIF) are read with Pillow's EXIF support
(``getexif`` for IFD0, ``get_ifd(ExifIFD)`` for exposure tags): header-only, no pixel decode.

RAW files, what is and isn't available:

* TIFF-structured RAWs (CR2, NEF, NRW, ARW, DNG, PEF, SRW) carry standard EXIF, read
  straight from the file's TIFF header with Pillow: everything below is available.
* Other RAWs (CR3, RAF, ORF, RW2) use the embedded preview JPEG's EXIF when the
  camera wrote one (Fujifilm and Panasonic do; Canon CR3 previews usually don't).
* LibRaw (via rawpy ``other``/``lens``/``sizes``) then fills gaps: ISO, shutter,
  aperture, focal length, lens name, capture time (camera-local, without offset or
  sub-seconds), sensor output size and orientation. rawpy does not expose make/model,
  so those come from EXIF only.
* A RAW's width/height is the full developed size LibRaw reports, not the preview's.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image

from engine.library.decode import Source, open_source, translated_errors
from engine.library.formats import sniff

Tag = ExifTags.Base
_EXIF_DATETIME = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")
# (date tag, sub-second tag, offset tag), most to least trusted as "when the shutter fired".
_TIME_TAGS = (
    (Tag.DateTimeOriginal, Tag.SubsecTimeOriginal, Tag.OffsetTimeOriginal),
    (Tag.DateTimeDigitized, Tag.SubsecTimeDigitized, Tag.OffsetTimeDigitized),
)


@dataclass(frozen=True)
class PhotoMetadata:
    capture_time: str | None  # ISO 8601, with offset when known, sub-seconds when known
    capture_time_source: str  # "exif" | "mtime"  (RAW capture time from LibRaw counts as "exif")
    orientation: int  # EXIF 1..8 (1 when absent)
    make: str | None
    model: str | None
    lens: str | None
    focal_length: float | None  # mm
    aperture: float | None  # f-number
    shutter: float | None  # seconds
    iso: int | None
    width: int  # as displayed (after orientation)
    height: int


def read_metadata(path: Path) -> PhotoMetadata:
    """Metadata of one photo file; raises ``DecodeError`` when it can't be opened as a photo."""
    with open_source(path) as source:
        return metadata_of(source)


def metadata_of(source: Source) -> PhotoMetadata:
    """Metadata from an already opened ``Source`` (so ``ingest`` opens each file once)."""
    with translated_errors(source.head):  # PNG's getexif may have to read past damaged pixel data
        return _raw_metadata(source) if source.raw is not None else _raster_metadata(source)


def _raster_metadata(source: Source) -> PhotoMetadata:
    image = source.image
    assert image is not None
    exif = image.getexif()
    # pillow-heif rotates while decoding and resets the tag, keeping the original here.
    orientation = _orientation(image.info.get("original_orientation") or exif.get(Tag.Orientation))
    width, height = _displayed_size(image, orientation)
    return _from_exif(exif, source, orientation, width, height)


def _from_exif(exif: Image.Exif, source: Source, orientation: int, width: int, height: int, **fallback: Any) -> PhotoMetadata:
    tags = _merged(exif)
    capture_time = _exif_capture_time(tags) or fallback.get("capture_time")
    source_name = "exif"
    if capture_time is None:
        capture_time, source_name = _mtime_iso(source.stat.st_mtime), "mtime"
    return PhotoMetadata(
        capture_time=capture_time,
        capture_time_source=source_name,
        orientation=orientation,
        make=_text(tags.get(Tag.Make)),
        model=_text(tags.get(Tag.Model)),
        lens=_text(tags.get(Tag.LensModel)) or fallback.get("lens"),
        focal_length=_positive(tags.get(Tag.FocalLength)) or fallback.get("focal_length"),
        aperture=_aperture(tags) or fallback.get("aperture"),
        shutter=_shutter(tags) or fallback.get("shutter"),
        iso=_iso(tags.get(Tag.ISOSpeedRatings)) or fallback.get("iso"),
        width=width,
        height=height,
    )


def _merged(exif: Image.Exif) -> dict[int, Any]:
    """IFD0 plus the Exif sub-IFD (TIFF/EP files may put exposure tags in IFD0 itself)."""
    tags = dict(exif)
    try:
        tags.update(exif.get_ifd(ExifTags.IFD.Exif))
    except (OSError, ValueError, KeyError, SyntaxError):
        pass  # a broken Exif pointer: keep what IFD0 gave
    return tags


def _displayed_size(image: Image.Image, orientation: int) -> tuple[int, int]:
    """Size after orientation. pillow-heif and Pillow's TIFF reader already report the rotated size."""
    width, height = image.size
    if image.format == "HEIF":
        return width, height
    if image.format == "TIFF" and (width, height) != (image.tag_v2.get(256), image.tag_v2.get(257)):
        return width, height
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _raw_metadata(source: Source) -> PhotoMetadata:
    raw = source.raw
    exif = _raw_exif(source)
    other, lens, sizes = raw.other, raw.lens, raw.sizes
    orientation = source.raw_orientation
    width, height = sizes.width, sizes.height
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    libraw_time = other.timestamp if other.timestamp and other.timestamp.year > 1970 else None
    return _from_exif(
        exif,
        source,
        orientation,
        width,
        height,
        capture_time=libraw_time.isoformat() if libraw_time else None,
        lens=_text(lens.model),
        focal_length=_positive(other.focal_length),
        aperture=_positive(other.aperture),
        shutter=_positive(other.shutter_speed),
        iso=int(other.iso_speed) if other.iso_speed and other.iso_speed > 0 else None,
    )


def _raw_exif(source: Source) -> Image.Exif:
    """EXIF from a TIFF-structured RAW's own header, else from its embedded preview JPEG."""
    if sniff(source.head) == "tiff":
        exif = Image.Exif()
        try:
            source.file.seek(0)
            exif.load_from_fp(source.file)
            _merged(exif)  # reads the sub-IFD while the file is still open
            if Tag.Make in exif or Tag.Model in exif or ExifTags.IFD.Exif in exif:
                return exif
        except (OSError, SyntaxError, ValueError, KeyError):
            pass
    preview = source.raw_preview
    if preview is not None and preview.is_jpeg:
        return preview.image.getexif()
    return Image.Exif()


def _exif_capture_time(tags: dict[int, Any]) -> str | None:
    for date_tag, subsec_tag, offset_tag in _TIME_TAGS:
        stamp = _parse_exif_datetime(tags.get(date_tag))
        if stamp is not None:
            return stamp + _subseconds(tags.get(subsec_tag)) + _offset(tags.get(offset_tag))
    return None


def _parse_exif_datetime(value: Any) -> str | None:
    """``"2023:05:01 14:03:22"`` -> ``"2023-05-01T14:03:22"``; blank or impossible dates -> None."""
    match = _EXIF_DATETIME.match(_text(value) or "")
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups())).isoformat()
    except ValueError:  # "0000:00:00 00:00:00" and friends
        return None


def _subseconds(value: Any) -> str:
    digits = (_text(value) or "").strip()
    return f".{digits}" if digits.isdigit() else ""


def _offset(value: Any) -> str:
    match = _OFFSET.match(_text(value) or "")
    return f"{match[1]}{match[2]}:{match[3]}" if match else ""


def _mtime_iso(mtime: float) -> str:
    return datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="seconds")


def _orientation(value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return number if 1 <= number <= 8 else 1


def _aperture(tags: dict[int, Any]) -> float | None:
    f_number = _positive(tags.get(Tag.FNumber))
    if f_number:
        return f_number
    apex = _finite(tags.get(Tag.ApertureValue))  # APEX Av: f = 2^(Av/2)
    return round(2 ** (apex / 2), 1) if apex is not None else None


def _shutter(tags: dict[int, Any]) -> float | None:
    exposure = _positive(tags.get(Tag.ExposureTime))
    if exposure:
        return exposure
    apex = _finite(tags.get(Tag.ShutterSpeedValue))  # APEX Tv: t = 2^-Tv
    return 2 ** (-apex) if apex is not None else None


def _iso(value: Any) -> int | None:
    if isinstance(value, tuple):
        value = value[0] if value else None
    number = _positive(value)
    return int(number) if number else None


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _positive(value: Any) -> float | None:
    number = _finite(value)
    return number if number is not None and number > 0 else None


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None
