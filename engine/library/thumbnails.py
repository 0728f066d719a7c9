"""Thumbnail cache and the scan's one-open, one-decode ``ingest``.

Cache layout: ``<root>/<size>/<2 hex>/<40 hex>.jpg``, the name being a SHA-1 of the
file's identity (absolute path, byte size, mtime in ns). Editing or replacing a
photo changes its identity, so a stale thumbnail is never served; sharding keeps
folders small for libraries of 100k photos.

Format: JPEG quality 85. It encodes a 256 px thumbnail in well under a millisecond
with libjpeg-turbo, decodes just as fast in the GUI (Qt reads it natively), and is
~10x smaller than PNG for photographic content; at this size q85 artefacts are not
visible. Thumbnails are always 8-bit sRGB RGB, so nothing JPEG can't hold is lost.

Writes are atomic (temporary file in the same folder, then ``os.replace``): a
killed process leaves either no thumbnail or a whole one, never half. Grid
thumbnails (256) are made during scan; previews (1600) only on demand by ``ensure``,
because decoding at 1/2 scale would halve scan speed.

Grid thumbnails are shrunk with the Hamming filter, previews with Lanczos. The
grid draws tiles at most 200 px (so Qt shrinks the 256-px image once more), and
after the DCT-scaled decode the last step is a small one (a 1,600-px JPEG decodes
at 1/4 to 400 px, then 400 -> 256): there Lanczos cost about half as much CPU as
the decode itself, Hamming about a third, with no difference visible at tile size.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PIL.Image import Resampling

from engine.config import paths
from engine.library.decode import ANALYSIS_RESAMPLE, DISPLAY_RESAMPLE, open_image, open_source, shrink
from engine.library.metadata import PhotoMetadata, metadata_of

GRID_SIZE = 256
PREVIEW_SIZE = 1600
ANALYSIS_SIZE = 512  # long side of the image handed to analysis models by ``ingest``
JPEG_QUALITY = 85
GRID_RESAMPLE = Resampling.HAMMING   # see the module docstring


def resample_for(size: int) -> Resampling:
    """The shrinking filter for a cached image of long side ``size``: cheap for grid tiles, sharpest above."""
    return GRID_RESAMPLE if size <= GRID_SIZE else DISPLAY_RESAMPLE


@dataclass(frozen=True)
class FileIdentity:
    path: str  # absolute path
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path, stat: os.stat_result | None = None) -> FileIdentity:
        """Identity of ``path`` now (or from a ``stat`` already taken of it)."""
        stat = stat or os.stat(path)
        return cls(os.path.abspath(path), stat.st_size, stat.st_mtime_ns)

    def key(self) -> str:
        text = f"{self.path}\0{self.size}\0{self.mtime_ns}"
        return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()


class ThumbnailCache:
    """Thumbnails on disk, keyed by file identity and long-side size."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root) if root is not None else paths.cache_dir() / "thumbnails"

    def path_for(self, ident: FileIdentity, size: int) -> Path:
        key = ident.key()
        return self.root / str(size) / key[:2] / f"{key}.jpg"

    def get(self, ident: FileIdentity, size: int) -> Path | None:
        """The cached thumbnail, or ``None`` when missing (writes are atomic, so present means whole)."""
        path = self.path_for(ident, size)
        try:
            return path if path.stat().st_size > 0 else None
        except OSError:
            return None

    def put(self, ident: FileIdentity, size: int, image: Image.Image) -> Path:
        """Store ``image`` (shrunk to ``size`` if larger) atomically and return its path."""
        target = self.path_for(ident, size)
        picture = shrink(image if image.mode == "RGB" else image.convert("RGB"), size, resample_for(size))
        encoded = io.BytesIO()
        picture.save(encoded, "JPEG", quality=JPEG_QUALITY)
        _write_atomically(target, encoded.getbuffer())
        return target

    def ensure(self, ident: FileIdentity, size: int, source: Path | None = None) -> Path:
        """The cached thumbnail, decoding ``source`` (default: ``ident.path``) when absent.

        Raises ``DecodeError`` when the photo can't be decoded.
        """
        cached = self.get(ident, size)
        if cached is not None:
            return cached
        image = open_image(Path(source) if source is not None else Path(ident.path), max_side=size,
                           resample=resample_for(size))
        return self.put(ident, size, image)


def _write_atomically(target: Path, data: memoryview) -> None:
    """``data`` into ``target`` through a temporary file beside it (one per process and thread, so writers
    never share one), then ``os.replace``. The shard folder is made only when the first write misses it."""
    temp = target.parent / f".tmp-{os.getpid()}-{threading.get_ident()}-{target.name}"
    try:
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(handle, "wb") as temp_file:
            temp_file.write(data)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@dataclass
class PendingThumbnail:
    """A grid thumbnail made but not written yet (``ingest(..., store=False)``).

    The scan stores a batch of them back to back: encoding and creating files one
    after another, rather than each between two decodes, keeps the encoder's and
    the file system's code warm and costs markedly less CPU per photo.
    """

    cache: ThumbnailCache
    ident: FileIdentity
    image: Image.Image

    def store(self) -> Path:
        return self.cache.put(self.ident, GRID_SIZE, self.image)


@dataclass
class ScannedImage:
    metadata: PhotoMetadata
    #: Where the grid thumbnail is, or will be once ``pending`` is stored.
    grid_thumbnail: Path
    #: False only when the open showed there is no embedded XMP (a JPEG parses every
    #: marker before its pixels at open): the scan then skips reading the file again for it.
    may_embed_xmp: bool = True
    pending: PendingThumbnail | None = None


def ingest(path: Path, cache: ThumbnailCache, *, store: bool = True) -> ScannedImage:
    """The scan's one open of ``path``: metadata, and the grid thumbnail from one reduced decode.

    Pixels are not decoded at all when the grid thumbnail is cached: a rescan of an
    unchanged library reads headers only. With ``store=False`` the new thumbnail is
    left in ``pending`` for the caller to store. Raises ``DecodeError``.
    """
    with open_source(path) as source:
        ident = FileIdentity.of(path, source.stat)
        metadata = metadata_of(source)
        may_embed_xmp = _may_embed_xmp(source.image)
        cached = cache.get(ident, GRID_SIZE)
        if cached is not None:
            return ScannedImage(metadata, cached, may_embed_xmp)
        pending = PendingThumbnail(cache, ident, source.decode(GRID_SIZE, resample=GRID_RESAMPLE))
    if store:
        return ScannedImage(metadata, pending.store(), may_embed_xmp)
    return ScannedImage(metadata, cache.path_for(ident, GRID_SIZE), may_embed_xmp, pending)


def _may_embed_xmp(image: Image.Image | None) -> bool:
    if image is None or image.format != "JPEG":
        return True   # RAW, or a format whose XMP may sit after the header: let the importer look
    return bool(image.info.get("xmp"))


def analysis_image(path: Path, cache: ThumbnailCache | None = None) -> Image.Image:
    """The analysis's one decode of ``path``: RGB, long side <= ``ANALYSIS_SIZE``. Raises ``DecodeError``.

    Shrunk with the analysis filter (:data:`engine.library.decode.ANALYSIS_RESAMPLE`). Metadata is
    not read (the scan stored it). With a ``cache``, the grid thumbnail is rebuilt from this
    image on the way when the cache lost it, so the grid never waits for a second decode.
    """
    with open_source(path) as source:
        ident = FileIdentity.of(path, source.stat)
        image = source.decode(ANALYSIS_SIZE, resample=ANALYSIS_RESAMPLE)
    if cache is not None and cache.get(ident, GRID_SIZE) is None:
        cache.put(ident, GRID_SIZE, image)
    return image
