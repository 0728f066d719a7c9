"""Which files photocull treats as photos, and what their first bytes say they are.

The extension decides whether the scanner looks at a file at all (cheap, no I/O).
The content decides how it is decoded: a JPEG named ``.png`` is still a JPEG, so
decoders never trust the extension. ``sniff`` exists only to tell two failures
apart for the user: "this is not an image at all" versus "this is an image file
that is damaged" (Pillow reports both as "cannot identify image file").
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

RASTER_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".bmp", ".heic", ".heif", ".avif"}
)
RAW_EXTENSIONS: frozenset[str] = frozenset(
    {".cr2", ".cr3", ".nef", ".nrw", ".arw", ".dng", ".raf", ".orf", ".rw2", ".pef", ".srw"}
)

Kind = Literal["raster", "raw"]

# ISO-BMFF brands used by HEIF/AVIF stills and Canon CR3.
_FTYP_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"crx "}


def kind_of(path: Path) -> Kind | None:
    """``"raster"`` or ``"raw"`` by extension (case-insensitive), ``None`` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in RASTER_EXTENSIONS:
        return "raster"
    if suffix in RAW_EXTENSIONS:
        return "raw"
    return None


def sniff(head: bytes) -> str | None:
    """Name the container from a file's first 16+ bytes, or ``None`` when no photo format matches.

    TIFF-structured RAWs (CR2, NEF, ARW, DNG, PEF, SRW...) report ``"tiff"``.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR", b"IIU\x00"):
        return "raw"  # Olympus ORF and Panasonic RW2: TIFF-like with their own magic
    if head.startswith(b"FUJIFILM"):
        return "raw"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"BM"):
        return "bmp"
    if head[4:8] == b"ftyp" and head[8:12] in _FTYP_BRANDS:
        return "isobmff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None
