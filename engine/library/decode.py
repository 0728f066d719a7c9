"""Turn any supported photo file into an upright 8-bit sRGB Pillow image, as cheaply as the size allows.

Pipeline (``Source.decode``), each step chosen for speed on 24 MP camera JPEGs:

1. Open once. The extension is ignored: Pillow (plus pillow-heif when installed)
   identifies raster content; files with a RAW extension go through rawpy/LibRaw.
2. Reduced decode. For JPEG, ``Image.draft`` makes libjpeg-turbo scale in the DCT
   domain (1/2, 1/4, 1/8). ``draft`` keeps *both* sides >= the request, so the request
   has the photo's own aspect ratio; a square request would decode 4x more pixels.
   RAW files use the camera's embedded preview when it is big enough, else a
   half-size demosaic.
3. Mode normalisation: palette, 1-bit, 16/32-bit integer, float, CMYK (Adobe's
   inverted CMYK is undone by Pillow's JPEG reader) and alpha modes all end as 8-bit
   RGB. Transparent pixels are composited on neutral grey (128): a photo viewer's
   grid is shown on light and dark themes alike, grey reads as "background" on
   both, and it keeps exposure-style scores from treating transparency as
   highlights or shadows.
4. Resize to the requested long side, *before* colour management and rotation so
   those run on few pixels: Lanczos for what people look at, the cheaper box filter
   for analysis images (see :data:`ANALYSIS_RESAMPLE`).
5. Embedded ICC profile -> sRGB with LittleCMS (``PIL.ImageCms``), perceptual intent
   (matrix profiles such as Display P3 fall back to relative colorimetric). Without
   this a Display P3 photo looks washed out.
6. Orientation that the decoder has not already applied (Pillow's TIFF reader and
   pillow-heif rotate during decoding; JPEG/PNG/WebP/AVIF do not) is applied last.

Pillow's decompression-bomb guard stays on (``Image.MAX_IMAGE_PIXELS`` default) and
truncated data stays an error (``ImageFile.LOAD_TRUNCATED_IMAGES`` is left False):
culling must tell the photographer a file is damaged, not show a grey half image.
Every failure becomes a ``DecodeError`` with a stable ``reason`` code.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import ExifTags, Image, ImageCms, UnidentifiedImageError

from engine.library.formats import kind_of, sniff

try:  # optional extra [heif]
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the install
    HEIF_AVAILABLE = False

try:  # optional extra [raw]
    import rawpy
except ImportError:  # pragma: no cover - depends on the install
    rawpy = None

REASONS = ("empty_file", "truncated", "not_an_image", "unsupported", "too_large", "permission_denied", "missing", "corrupt")
BACKGROUND_GREY = (128, 128, 128)
#: Shrinking filter for images people look at (thumbnails, previews): the sharpest Pillow has.
DISPLAY_RESAMPLE = Image.Resampling.LANCZOS
#: Shrinking filter for analysis images: area averaging. After a 1/8 DCT decode of a 24 MP JPEG
#: (itself an 8x8 block average) the step to 512 px is too small for a box pre-reduce; of
#: Lanczos, Hamming and box, box is the cheapest and keeps the cues closest to a full decode,
#: for a small uniform shift of the model scores (numbers: assets/models/PROVENANCE.md,
#: "Analysis speed").
ANALYSIS_RESAMPLE = Image.Resampling.BOX
ORIENTATION_TAG = ExifTags.Base.Orientation
# LibRaw's ``sizes.flip`` as an EXIF orientation (LibRaw documents only these values).
_LIBRAW_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Pillow frees image memory back to the OS after each image by default, so every
# decode in the main thread pays fresh page faults (docs/toolchain.md#decoding:
# a full 24 MP decode 164 -> 110 ms with 16 cached blocks). Honour a
# user's own PILLOW_BLOCKS_MAX, which Pillow reads itself.
if "PILLOW_BLOCKS_MAX" not in os.environ:
    Image.core.set_blocks_max(16)
_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_ICC_SPACE_TO_MODE = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}


class DecodeError(Exception):
    """A file that cannot become an image, with a stable ``reason`` and a sentence for the user."""

    def __init__(self, reason: str, message: str):
        if reason not in REASONS:
            raise ValueError(f"unknown decode error reason {reason!r}")
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"DecodeError({self.reason!r}, {self.message!r})"


def open_image(path: Path, *, max_side: int | None = None, resample: Image.Resampling = DISPLAY_RESAMPLE) -> Image.Image:
    """8-bit RGB, upright, sRGB, long side <= ``max_side`` when given; raises ``DecodeError``."""
    with open_source(path) as source:
        return source.decode(max_side, resample=resample)


@dataclass
class RawPreview:
    """The camera's embedded preview: a lazily decoded JPEG or an RGB bitmap."""

    image: Image.Image
    is_jpeg: bool


class Source:
    """One opened photo file whose pixels are not decoded yet.

    Lets ``ingest`` read metadata and pixels from a single open. Use through
    ``open_source``; attributes are only valid inside that ``with`` block.
    """

    def __init__(self, path: Path, file: IO[bytes], stat: os.stat_result):
        self.path = path
        self.file = file
        self.stat = stat
        self.head = file.read(32)
        file.seek(0)
        self.is_raw = kind_of(path) == "raw"
        self.image: Image.Image | None = None  # raster files: lazily loaded Pillow image
        self.raw: Any = None  # RAW files: an open rawpy.RawPy

    def decode(self, max_side: int | None = None, *, resample: Image.Resampling = DISPLAY_RESAMPLE) -> Image.Image:
        """Pixels as 8-bit upright sRGB RGB, long side <= ``max_side`` when given (shrunk with ``resample``)."""
        with translated_errors(self.head):
            if self.raw is not None:
                return self._decode_raw(max_side, resample)
            assert self.image is not None
            return render(self.image, max_side, resample=resample)

    @property
    def raw_orientation(self) -> int:
        """The RAW's own orientation (LibRaw ``sizes.flip``) as an EXIF value; 1 for raster files."""
        if self.raw is None:
            return 1
        return _LIBRAW_FLIP_TO_ORIENTATION.get(self.raw.sizes.flip, 1)

    @cached_property
    def raw_preview(self) -> RawPreview | None:
        """The embedded preview of a RAW file, or ``None`` when the camera stored none LibRaw can read."""
        if self.raw is None:
            return None
        try:
            thumb = self.raw.extract_thumb()
        except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
            return None
        if thumb.format == rawpy.ThumbFormat.JPEG:
            try:
                return RawPreview(Image.open(io.BytesIO(thumb.data)), is_jpeg=True)
            except (UnidentifiedImageError, OSError):
                return None
        return RawPreview(Image.fromarray(np.ascontiguousarray(thumb.data)), is_jpeg=False)

    def _decode_raw(self, max_side: int | None, resample: Image.Resampling) -> Image.Image:
        preview = self.raw_preview
        sizes = self.raw.sizes
        wanted = max_side or max(sizes.width, sizes.height) // 2
        if preview is not None and max(preview.image.size) >= wanted:
            try:
                return render(preview.image, max_side, default_orientation=self.raw_orientation, resample=resample)
            except (OSError, SyntaxError, ValueError):
                pass  # a damaged preview: the sensor data may still be fine
        # LibRaw applies the RAW's orientation itself and outputs sRGB.
        rgb = self.raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
        return render(Image.fromarray(rgb), max_side, resample=resample)


@contextmanager
def open_source(path: Path) -> Iterator[Source]:
    """Open ``path`` for metadata and decoding; every failure becomes ``DecodeError``."""
    path = Path(path)
    source = None
    try:
        with translated_errors():
            file = open(path, "rb")
        with file:
            stat = os.fstat(file.fileno())
            if stat.st_size == 0:
                raise DecodeError("empty_file", "The file is empty (0 bytes).")
            source = Source(path, file, stat)
            with translated_errors(source.head):
                if source.is_raw:
                    source.raw = _open_raw(path)
                else:
                    source.image = Image.open(file)
            yield source
    finally:
        if source is not None and source.raw is not None:
            source.raw.close()


def _open_raw(path: Path) -> Any:
    if rawpy is None:
        raise DecodeError("unsupported", "RAW files need the optional rawpy package (pip install 'photocull[raw]').")
    return rawpy.imread(str(path))


def render(image: Image.Image, max_side: int | None = None, *, default_orientation: int = 1,
           resample: Image.Resampling = DISPLAY_RESAMPLE) -> Image.Image:
    """Decode an opened (lazy) Pillow image to upright 8-bit sRGB RGB with long side <= ``max_side``.

    ``default_orientation`` applies when the image carries no EXIF orientation of its
    own (a RAW's embedded preview inherits the RAW's orientation).
    """
    if max_side is not None:
        image.draft(None, _draft_request(image.size, max_side))
    image.load()
    pending = image.getexif().get(ORIENTATION_TAG, default_orientation)
    icc = image.info.get("icc_profile")
    pixels = shrink(_to_managed_mode(image), max_side, resample)
    pixels = _to_srgb(pixels, icc)
    transpose = _TRANSPOSE_FOR_ORIENTATION.get(pending)
    return pixels.transpose(transpose) if transpose is not None else pixels


def _draft_request(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """A request with the image's own aspect ratio, so ``draft`` may scale down as far as ``max_side`` allows."""
    width, height = size
    scale = max_side / max(width, height)
    if scale >= 1:
        return size
    return max(1, int(width * scale)), max(1, int(height * scale))


def shrink(image: Image.Image, max_side: int | None, resample: Image.Resampling = DISPLAY_RESAMPLE) -> Image.Image:
    """Long side <= ``max_side`` (never enlarged), fast box reduce then ``resample`` (Lanczos by default)."""
    width, height = image.size
    if max_side is None or max(width, height) <= max_side:
        return image
    scale = max_side / max(width, height)
    target = (max(1, int(width * scale + 0.5)), max(1, int(height * scale + 0.5)))  # half up, not to even
    # reducing_gap=1.0: a box reduce by the integer part of the scale first (e.g. a
    # 1/8-draft 750 px -> 375 px), then Lanczos for the rest. 3-4x cheaper than Lanczos
    # alone at thumbnail ratios, and the box filter is itself an anti-aliasing filter.
    return image.resize(target, resample, reducing_gap=1.0)


def _to_managed_mode(image: Image.Image) -> Image.Image:
    """8-bit RGB, L or CMYK (the modes an ICC transform accepts), transparency composited on grey."""
    mode = image.mode
    if mode in ("RGB", "L", "CMYK"):
        return image
    if mode.startswith("I") or mode == "F":
        return Image.fromarray(_deep_to_8bit(image), "L")
    if mode == "1":
        return image.convert("L")
    if "A" in mode or "a" in mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (*BACKGROUND_GREY, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # P, YCbCr, LAB, HSV


def _deep_to_8bit(image: Image.Image) -> np.ndarray:
    """Scale 16-bit, 32-bit integer and float greyscale to 0..255 (Pillow's convert would clip).

    16-bit data maps its full range; 32-bit integers wider than 16 bits and floats
    above 1.0 are scaled by their maximum (there is no standard white point); floats
    in 0..1 are taken as normalised.
    """
    values = np.asarray(image).astype(np.float64)
    peak = float(values.max()) if values.size else 0.0
    if image.mode == "F":
        white = 1.0 if peak <= 1.0 else peak
    elif image.mode.startswith("I;16") or peak <= 65535:
        white = 65535.0
    else:
        white = peak
    return np.clip(np.rint(values * (255.0 / white)), 0, 255).astype(np.uint8)


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    transform = _transform_to_srgb(icc, image.mode) if icc else None
    if transform is None:
        return image if image.mode == "RGB" else image.convert("RGB")
    return ImageCms.applyTransform(image, transform)


@lru_cache(maxsize=32)
def _transform_to_srgb(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A cached LittleCMS transform (most photos of a shoot share one profile); ``None`` if unusable.

    A damaged or mismatched profile (e.g. an RGB profile on a greyscale image) is
    ignored rather than failing the photo: the pixels are still worth showing.
    """
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if _ICC_SPACE_TO_MODE.get(profile.profile.xcolor_space.strip()) != mode:
            return None
        return ImageCms.buildTransform(
            profile, _SRGB_PROFILE, mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@contextmanager
def translated_errors(head: bytes = b"") -> Iterator[None]:
    """Map library exceptions to ``DecodeError`` with a stable reason and a readable sentence."""
    try:
        yield
    except DecodeError:
        raise
    except Exception as exc:  # noqa: BLE001 - every decoder failure must become a recorded error
        raise _as_decode_error(exc, head) from exc


def _as_decode_error(exc: Exception, head: bytes) -> DecodeError:
    if isinstance(exc, Image.DecompressionBombError):
        limit_mp = 2 * Image.MAX_IMAGE_PIXELS / 1e6
        return DecodeError("too_large", f"Image is too large to decode safely (over {limit_mp:.0f} megapixels).")
    if isinstance(exc, MemoryError):
        return DecodeError("too_large", "Not enough memory to decode this image.")
    if isinstance(exc, FileNotFoundError):
        return DecodeError("missing", "File not found (moved, deleted, or a broken link).")
    if isinstance(exc, PermissionError):
        return DecodeError("permission_denied", "No permission to read this file.")
    if isinstance(exc, IsADirectoryError):
        return DecodeError("not_an_image", "This is a folder, not an image file.")
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return DecodeError("missing", "The file is a symbolic link loop and can't be reached.")
    if rawpy is not None and isinstance(exc, rawpy.LibRawError):
        return _raw_error(exc, head)
    container = sniff(head)
    if isinstance(exc, UnidentifiedImageError):
        if container is None:
            return DecodeError("not_an_image", "Not an image file (its content is not a known photo format).")
        if container == "isobmff" and not HEIF_AVAILABLE:
            return DecodeError("unsupported", "HEIC/HEIF files need the optional pillow-heif package.")
        return DecodeError("corrupt", f"The {container.upper()} file is damaged: its header can't be read.")
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text or "end of file" in text:
        return DecodeError("truncated", "Image data ends early (truncated file).")
    if "decoder" in text and "not available" in text:
        return DecodeError("unsupported", f"This image uses an encoding Pillow can't decode ({exc}).")
    return DecodeError("corrupt", f"The image data is damaged and can't be decoded ({exc}).")


def _raw_error(exc: Exception, head: bytes) -> DecodeError:
    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        if sniff(head) is None:
            return DecodeError("not_an_image", "Not a RAW file LibRaw recognises (content not a known photo format).")
        return DecodeError("unsupported", "This RAW format or camera is not supported by LibRaw.")
    if isinstance(exc, rawpy.LibRawTooBigError):
        return DecodeError("too_large", "RAW image is too large to decode.")
    return DecodeError("corrupt", f"The RAW data is damaged or incomplete ({exc}).")
