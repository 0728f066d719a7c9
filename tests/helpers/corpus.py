"""Builders of awkward photo files for tests: every format, mode, orientation and failure we handle.

``build_bad_input_corpus(root)`` writes the files and says what each should decode to
(``GoodFile``: upright size and colours at probe points) or why it must fail
(``BadFile``: the ``DecodeError.reason``). Content is generated here or taken from
scikit-image's bundled photos; nothing is downloaded.

Orientation test pattern: four coloured quadrants (red, green / blue, yellow) in a
landscape frame. The stored pixels are derived from the EXIF definition of each
orientation value (where row 0 and column 0 of the stored image end up), written
with numpy independently of the decoder's transpose table, so a wrong table fails.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, TiffImagePlugin

PATTERN_SIZE = (96, 64)  # width, height of the upright pattern
RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 220, 30)
GREY = (128, 128, 128)  # engine.library.decode.BACKGROUND_GREY, restated so a change is a conscious one
QUADRANT_PROBES = ((0.25, 0.25, RED), (0.75, 0.25, GREEN), (0.25, 0.75, BLUE), (0.75, 0.75, YELLOW))
P3_SAMPLE = (220, 60, 60)  # a red inside the sRGB gamut, so the correct answer isn't clipped

Probe = tuple[float, float, tuple[int, int, int]]  # x, y as fractions of the upright image; expected RGB


@dataclass(frozen=True)
class GoodFile:
    path: Path
    size: tuple[int, int]  # upright (width, height) of a full-size decode
    probes: tuple[Probe, ...] = ()  # colours expected at points of the upright image
    tolerance: int = 40  # per channel; lossy codecs and chroma subsampling blur quadrant colours
    note: str = ""


@dataclass(frozen=True)
class BadFile:
    path: Path
    reason: str
    note: str = ""


@dataclass
class Corpus:
    root: Path
    good: dict[str, GoodFile] = field(default_factory=dict)
    bad: dict[str, BadFile] = field(default_factory=dict)
    folders: dict[str, Path] = field(default_factory=dict)  # empty folder, symlink loop: for scan tests

    def all_paths(self) -> list[Path]:
        return [entry.path for entry in (*self.good.values(), *self.bad.values())]


def corpus_names(group: str) -> list[str]:
    """Names of the ``"good"`` or ``"bad"`` entries, for pytest parametrisation at collection time."""
    with tempfile.TemporaryDirectory() as scratch:
        return sorted(getattr(build_bad_input_corpus(Path(scratch)), group))


def upright_pattern(size: tuple[int, int] = PATTERN_SIZE) -> np.ndarray:
    """H x W x 3 uint8: red | green over blue | yellow."""
    width, height = size
    pattern = np.empty((height, width, 3), np.uint8)
    pattern[: height // 2, : width // 2] = RED
    pattern[: height // 2, width // 2 :] = GREEN
    pattern[height // 2 :, : width // 2] = BLUE
    pattern[height // 2 :, width // 2 :] = YELLOW
    return pattern


def stored_for_orientation(upright: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels a camera would store so that EXIF ``orientation`` displays ``upright``.

    From the EXIF 2.3 table: the value says where stored row 0 / column 0 are shown,
    e.g. 6 = "row 0 is the right side, column 0 the top".
    """
    storing = {
        1: lambda a: a,
        2: np.fliplr,  # row 0 top, column 0 right
        3: lambda a: np.rot90(a, 2),  # row 0 bottom, column 0 right
        4: np.flipud,  # row 0 bottom, column 0 left
        5: lambda a: a.transpose(1, 0, 2),  # row 0 left, column 0 top
        6: lambda a: np.rot90(a, 1),  # row 0 right, column 0 top
        7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),  # row 0 right, column 0 bottom
        8: lambda a: np.rot90(a, -1),  # row 0 left, column 0 bottom
    }[orientation]
    return np.ascontiguousarray(storing(upright))


def exif_bytes(
    *,
    orientation: int | None = None,
    make: str | None = "Testcam",
    model: str | None = "T1",
    taken: str | None = None,
    subsec: str | None = None,
    offset: str | None = None,
    exposure: tuple[int, int] | None = None,
    f_number: float | None = None,
    iso: int | None = None,
    focal_length: float | None = None,
    lens: str | None = None,
) -> bytes:
    """EXIF block with the given tags (``None`` leaves a tag out)."""
    exif = Image.Exif()
    base = ExifTags.Base
    for tag, value in ((base.Orientation, orientation), (base.Make, make), (base.Model, model)):
        if value is not None:
            exif[tag] = value
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    rational = TiffImagePlugin.IFDRational
    for tag, value in (
        (base.DateTimeOriginal, taken),
        (base.SubsecTimeOriginal, subsec),
        (base.OffsetTimeOriginal, offset),
        (base.ExposureTime, rational(*exposure) if exposure else None),
        (base.FNumber, rational(f_number) if f_number else None),
        (base.ISOSpeedRatings, iso),
        (base.FocalLength, rational(focal_length) if focal_length else None),
        (base.LensModel, lens),
    ):
        if value is not None:
            sub[tag] = value
    return exif.tobytes()


def save_pattern(path: Path, orientation: int = 1, fmt: str | None = None, **save_args) -> GoodFile:
    """The quadrant pattern stored for ``orientation``, saved by Pillow (format from ``fmt`` or suffix)."""
    stored = stored_for_orientation(upright_pattern(), orientation)
    exif = exif_bytes(orientation=orientation, taken="2024:03:09 08:07:06")
    Image.fromarray(stored).save(path, fmt, exif=exif, **save_args)
    return GoodFile(path, PATTERN_SIZE, QUADRANT_PROBES, note=f"pattern, orientation {orientation}")


# ---------------------------------------------------------------- ICC


def display_p3_icc() -> bytes:
    """An ICC v2 RGB display profile with Display P3 primaries (D65, sRGB tone curve)."""
    return rgb_matrix_icc(((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), "Display P3 (photocull test)")


def rgb_matrix_icc(primaries: tuple[tuple[float, float], ...], description: str) -> bytes:
    """A matrix/TRC ICC profile from xy primaries, D65 white and the sRGB transfer curve.

    Pillow's ImageCms can only *create* sRGB/Lab/XYZ profiles, so the bytes are packed
    here following ICC.1:2001-04: header, tag table, desc/wtpt/rXYZ../rTRC.. tags.
    The colourants are Bradford-adapted to the D50 connection space, as ICC requires.
    """
    columns = (_bradford_d65_to_d50() @ rgb_to_xyz_matrix(primaries)).T
    srgb_curve = _parametric_curve(2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)
    d50 = (0.9642, 1.0, 0.8249)
    tags = [
        (b"desc", _text_description(description)),
        (b"wtpt", _xyz_type(d50)),
        (b"rXYZ", _xyz_type(columns[0])),
        (b"gXYZ", _xyz_type(columns[1])),
        (b"bXYZ", _xyz_type(columns[2])),
        (b"rTRC", srgb_curve),
        (b"gTRC", srgb_curve),
        (b"bTRC", srgb_curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, payload in tags:
        payload += b"\0" * (-len(payload) % 4)
        table += struct.pack(">4sII", signature, offset + len(data), len(payload))
        data += payload
    body = struct.pack(">I", len(tags)) + table + data
    header = struct.pack(
        ">I4sI4s4s4s12s4s4sI4s4s8sI12s4s16s28s",
        128 + len(body), b"\0" * 4, 0x02100000, b"mntr", b"RGB ", b"XYZ ", b"\0" * 12, b"acsp",
        b"\0" * 4, 0, b"\0" * 4, b"\0" * 4, b"\0" * 8, 0, _s15(d50), b"\0" * 4, b"\0" * 16, b"\0" * 28,
    )  # fmt: skip
    return header + body


def rgb_to_xyz_matrix(primaries: tuple[tuple[float, float], ...], white: tuple[float, float] = (0.3127, 0.3290)) -> np.ndarray:
    """Linear RGB -> XYZ for the given xy primaries and white point (standard derivation)."""
    xyz = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in primaries]).T
    white_xyz = np.array([white[0] / white[1], 1.0, (1 - white[0] - white[1]) / white[1]])
    return xyz * np.linalg.solve(xyz, white_xyz)


def _bradford_d65_to_d50() -> np.ndarray:
    bradford = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    d65, d50 = np.array([0.95047, 1.0, 1.08883]), np.array([0.96422, 1.0, 0.82521])
    gain = np.diag((bradford @ d50) / (bradford @ d65))
    return np.linalg.inv(bradford) @ gain @ bradford


def _s15(values) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _xyz_type(xyz) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(xyz)


def _parametric_curve(g: float, a: float, b: float, c: float, d: float) -> bytes:
    return b"para\0\0\0\0" + struct.pack(">HH", 3, 0) + _s15((g, a, b, c, d))


def _text_description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + struct.pack(">II", 0, 0) + b"\0\0\0" + b"\0" * 67


# ---------------------------------------------------------------- RAW


DNG_EXIF_TAGS = {
    "Make": (271, "s"), "Model": (272, "s"), "DateTimeOriginal": (36867, "s"), "ExposureTime": (33434, "2I"),
    "FNumber": (33437, "2I"), "FocalLength": (37386, "2I"), "ISOSpeedRatings": (34855, "H"),
}  # fmt: skip


def write_dng(path: Path, bayer: np.ndarray, preview: np.ndarray | None, orientation: int = 1, **exif: object) -> None:
    """A minimal DNG LibRaw reads: optional RGB preview in IFD0, 12-bit RGGB Bayer data in a SubIFD.

    ``exif`` (keys of ``DNG_EXIF_TAGS``) goes into IFD0, as TIFF/EP allows; rationals as (num, den).
    """
    import tifffile  # test-only dependency

    dng_tags = [(50706, "B", 4, (1, 4, 0, 0), True), (50708, "s", 0, "photocull synthetic", True), (274, "H", 1, orientation, True)]
    for name, value in exif.items():
        code, dtype = DNG_EXIF_TAGS[name]
        dng_tags.append((code, dtype, 1 if dtype != "s" else 0, value, True))
    identity = (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1)
    cfa_tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern RGGB
        (50717, "H", 1, 4095, True),  # WhiteLevel
        (50721, "2i", 9, identity, True),  # ColorMatrix1
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
    ]
    with tifffile.TiffWriter(path) as tif:
        if preview is None:
            tif.write(bayer, photometric=32803, subfiletype=0, metadata=None, extratags=dng_tags + cfa_tags)
            return
        tif.write(preview, photometric="rgb", subfiletype=1, subifds=1, metadata=None, extratags=dng_tags)
        tif.write(bayer, photometric=32803, subfiletype=0, metadata=None, extratags=cfa_tags)


def bright_corner_bayer(upright_size: tuple[int, int], orientation: int) -> np.ndarray:
    """Sensor data whose *upright* top-left quadrant is bright, stored for ``orientation``."""
    width, height = upright_size
    luminance = np.full((height, width), 300, np.uint16)
    luminance[: height // 2, : width // 2] = 3500
    return np.ascontiguousarray(stored_for_orientation(luminance[..., None], orientation)[..., 0])


# ---------------------------------------------------------------- real photos


def sample_photos(root: Path, n: int = 4) -> list[Path]:
    """Up to 6 real photos from scikit-image as JPEGs with camera-like EXIF, one second apart."""
    from skimage import data

    loaders = (data.astronaut, data.chelsea, data.coffee, data.rocket, data.immunohistochemistry, data.cat)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, load in enumerate(loaders[:n]):
        path = root / f"IMG_{index + 1:04d}.jpg"
        exif = exif_bytes(
            taken=f"2024:07:14 10:30:{index:02d}", subsec="120", offset="+01:00",
            exposure=(1, 500), f_number=4.0, iso=200, focal_length=35.0, lens="Test 35mm F2",
        )  # fmt: skip
        Image.fromarray(load()).convert("RGB").save(path, quality=90, exif=exif)
        paths.append(path)
    return paths


# ---------------------------------------------------------------- the corpus


def build_bad_input_corpus(root: Path) -> Corpus:
    """Write every awkward file kind under ``root`` and return what each should decode to."""
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(root)
    _add_orientations(corpus)
    _add_modes(corpus)
    _add_formats(corpus)
    _add_names(corpus)
    _add_raws(corpus)
    _add_broken(corpus)
    _add_filesystem_oddities(corpus)
    return corpus


def _add_orientations(corpus: Corpus) -> None:
    for orientation in range(1, 9):
        corpus.good[f"orientation_{orientation}"] = save_pattern(corpus.root / f"orientation_{orientation}.jpg", orientation, quality=95)
    corpus.good["png_orientation_6"] = save_pattern(corpus.root / "rotated.png", 6)
    corpus.good["progressive_jpeg"] = save_pattern(corpus.root / "progressive.jpg", 3, quality=95, progressive=True)


def _add_modes(corpus: Corpus) -> None:
    root, width, height = corpus.root, *PATTERN_SIZE
    pattern = upright_pattern()
    path = root / "cmyk.jpg"  # Pillow writes Adobe-style (inverted) CMYK with an APP14 marker
    Image.fromarray(pattern).convert("CMYK").save(path, quality=95)
    corpus.good["cmyk_jpeg"] = GoodFile(path, PATTERN_SIZE, QUADRANT_PROBES, note="Adobe CMYK JPEG")

    ramp = np.tile(np.linspace(0, 65535, width).astype(np.uint16), (height, 1))
    ramp_probes = ((0.02, 0.5, (0, 0, 0)), (0.5, 0.5, (128, 128, 128)), (0.98, 0.5, (255, 255, 255)))
    path = root / "grey16.png"
    Image.fromarray(ramp).save(path)
    corpus.good["png_16bit_grey"] = GoodFile(path, PATTERN_SIZE, ramp_probes, tolerance=8, note="I;16 PNG")

    path = root / "float.tif"
    Image.fromarray((ramp / 65535).astype(np.float32)).save(path)
    corpus.good["tiff_float"] = GoodFile(path, PATTERN_SIZE, ramp_probes, tolerance=8, note="mode F TIFF")

    path = root / "rgb16.tif"
    _write_tiff16(path, pattern.astype(np.uint16) * 257)
    corpus.good["tiff_16bit_rgb"] = GoodFile(path, PATTERN_SIZE, QUADRANT_PROBES, tolerance=4, note="16-bit RGB TIFF")

    half_clear = ((0.25, 0.5, GREY), (0.75, 0.5, RED))
    palette = Image.new("P", PATTERN_SIZE, 0)
    palette.putpalette([0, 0, 0, *RED] + [0] * 762)
    palette.paste(1, (width // 2, 0, width, height))
    path = root / "palette_transparent.png"
    palette.save(path, transparency=0)
    corpus.good["png_palette_transparency"] = GoodFile(path, PATTERN_SIZE, half_clear, tolerance=4, note="P + tRNS")

    grey_alpha = np.zeros((height, width, 2), np.uint8)
    grey_alpha[:, width // 2 :] = (255, 255)
    path = root / "grey_alpha.png"
    Image.fromarray(grey_alpha, "LA").save(path)
    corpus.good["png_la"] = GoodFile(path, PATTERN_SIZE, ((0.25, 0.5, GREY), (0.75, 0.5, (255, 255, 255))), tolerance=4)

    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[:, width // 2 :] = (*RED, 255)
    path = root / "rgba.png"
    Image.fromarray(rgba, "RGBA").save(path)
    corpus.good["png_rgba"] = GoodFile(path, PATTERN_SIZE, half_clear, tolerance=4)

    path = root / "grey.jpg"
    Image.fromarray(pattern).convert("L").save(path, quality=95)
    grey_probes = tuple((x, y, (round(_luma(colour)),) * 3) for x, y, colour in QUADRANT_PROBES)
    corpus.good["jpeg_greyscale"] = GoodFile(path, PATTERN_SIZE, grey_probes, tolerance=10)

    path = root / "display_p3.jpg"
    Image.new("RGB", PATTERN_SIZE, P3_SAMPLE).save(path, quality=95, icc_profile=display_p3_icc())
    corpus.good["display_p3"] = GoodFile(path, PATTERN_SIZE, note="Display P3 profile; colours checked by a dedicated test")


def _write_tiff16(path: Path, rgb16: np.ndarray) -> None:
    import tifffile  # Pillow can read 16-bit RGB TIFF but not write it

    tifffile.imwrite(path, rgb16, photometric="rgb")


def _luma(colour: tuple[int, int, int]) -> float:
    red, green, blue = colour
    return red * 299 / 1000 + green * 587 / 1000 + blue * 114 / 1000


def _add_formats(corpus: Corpus) -> None:
    root = corpus.root
    corpus.good["webp"] = save_pattern(root / "pattern.webp", 6, quality=95)
    corpus.good["bmp"] = save_pattern(root / "pattern.bmp")
    corpus.good["avif"] = save_pattern(root / "pattern.avif", 8, quality=95)
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        corpus.good["heic"] = save_pattern(root / "pattern.heic", 6, quality=95)
    except ImportError:  # pragma: no cover - the [test] extra installs it
        pass
    corpus.good["jpeg_named_png"] = save_pattern(root / "really_a_jpeg.png", 6, fmt="JPEG", quality=95)
    corpus.good["tiff_orientation_8"] = save_pattern(root / "rotated.tif", 8)


def _add_names(corpus: Corpus) -> None:
    corpus.good["unicode_name"] = save_pattern(corpus.root / "фото 🌅 café.jpg", quality=95)
    corpus.good["spaces_name"] = save_pattern(corpus.root / "my photo (1) .jpg", quality=95)


def _add_raws(corpus: Corpus) -> None:
    root = corpus.root
    sensor_upright = (200, 300)  # even sizes; a portrait photo on a landscape sensor
    half = (sensor_upright[0] // 2, sensor_upright[1] // 2)
    preview = stored_for_orientation(upright_pattern(), 6)
    exif = {"Make": "Testcam", "Model": "T1", "DateTimeOriginal": "2022:02:02 12:00:00", "ExposureTime": (1, 125),
            "FNumber": (56, 10), "FocalLength": (85, 1), "ISOSpeedRatings": 800}  # fmt: skip
    bayer = bright_corner_bayer(sensor_upright, 6)
    for name, stem in (("dng", "synthetic"), ("raw_jpeg_pair_raw", "pair")):
        write_dng(root / f"{stem}.dng", bayer, preview, orientation=6, **exif)
        corpus.good[name] = GoodFile(root / f"{stem}.dng", half, note="full size = half-size demosaic; preview is the pattern")
    corpus.good["raw_jpeg_pair_jpeg"] = save_pattern(root / "pair.jpg", quality=95)
    write_dng(root / "no_preview.dng", bayer, None, orientation=6, **exif)
    corpus.good["dng_without_preview"] = GoodFile(root / "no_preview.dng", half, note="demosaic only")


def _add_broken(corpus: Corpus) -> None:
    root = corpus.root
    photo = _photo_jpeg()

    def bad(name: str, filename: str, content: bytes, reason: str) -> None:
        (root / filename).write_bytes(content)
        corpus.bad[name] = BadFile(root / filename, reason)

    random_bytes = b"\0" + np.random.default_rng(7).integers(0, 256, 4095, dtype=np.uint8).tobytes()
    png = _png_bytes()
    bad("zero_bytes", "empty.jpg", b"", "empty_file")
    bad("truncated_jpeg", "truncated.jpg", photo[: len(photo) * 6 // 10], "truncated")
    bad("truncated_png", "truncated.png", png[: len(png) * 6 // 10], "truncated")
    bad("random_bytes_jpg", "random.jpg", random_bytes, "not_an_image")
    bad("text_png", "notes.png", b"Shopping list: eggs, milk.\n" * 20, "not_an_image")
    bad("text_heic", "notes.heic", b"hello " * 100, "not_an_image")
    bad("random_bytes_raw", "random.nef", random_bytes, "not_an_image")
    bad("png_bad_header_crc", "bad_crc.png", _with_bad_ihdr_crc(png), "corrupt")
    bad("png_damaged_data", "damaged_data.png", _with_damaged_idat(png), "corrupt")
    bad("png_claims_10g_pixels", "huge_header.png", _png_header_only(100_000, 100_000), "too_large")
    bad("jpeg_claims_4g_pixels", "huge_header.jpg", _with_jpeg_size(photo, 65000, 65000), "too_large")


def _add_filesystem_oddities(corpus: Corpus) -> None:
    root = corpus.root
    (root / "broken_link.jpg").symlink_to(root / "does_not_exist.jpg")
    corpus.bad["broken_symlink"] = BadFile(root / "broken_link.jpg", "missing")
    (root / "self_loop.jpg").symlink_to(root / "self_loop.jpg")
    corpus.bad["symlink_self_loop"] = BadFile(root / "self_loop.jpg", "missing")
    (root / "folder.jpg").mkdir()
    corpus.bad["folder_named_jpg"] = BadFile(root / "folder.jpg", "not_an_image")

    entry = save_pattern(root / "unreadable.jpg", quality=95)
    os.chmod(entry.path, 0)
    if os.access(entry.path, os.R_OK):  # root (common in CI containers) reads anyway
        corpus.good["unreadable_but_root"] = GoodFile(entry.path, entry.size, entry.probes, note="chmod 000, but running as root")
    else:
        corpus.bad["no_read_permission"] = BadFile(entry.path, "permission_denied")

    corpus.folders["empty"] = root / "empty_folder"
    corpus.folders["empty"].mkdir()
    loop = root / "loop_folder"
    loop.mkdir()
    (loop / "parent").symlink_to(root, target_is_directory=True)
    corpus.folders["symlink_loop"] = loop


def _photo_jpeg() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _png_bytes() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).save(buffer, "PNG")
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    import zlib

    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_header_only(width: int, height: int) -> bytes:
    """A well-formed PNG start whose IHDR claims ``width`` x ``height`` RGB pixels."""
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b"")


def _with_bad_ihdr_crc(png: bytes) -> bytes:
    data = bytearray(png)
    crc_at = 8 + 8 + 13  # signature, IHDR length+type, IHDR payload
    data[crc_at : crc_at + 4] = bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4])
    return bytes(data)


def _with_damaged_idat(png: bytes) -> bytes:
    data = bytearray(png)
    start = png.index(b"IDAT") + 200
    data[start : start + 64] = bytes(b ^ 0x5A for b in data[start : start + 64])
    return bytes(data)


def _with_jpeg_size(jpeg: bytes, width: int, height: int) -> bytes:
    """Rewrite the baseline SOF0 frame header to claim another size."""
    data = bytearray(jpeg)
    sof = jpeg.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)
