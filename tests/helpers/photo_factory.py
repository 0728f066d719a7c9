"""Small generated photos for scan, CLI and app tests (no fixtures, no network)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_IFD = 0x8769


def make_jpeg(path: Path, *, size: tuple[int, int] = (64, 48), seed: int = 0, taken: str | None = None) -> Path:
    """Write a noisy JPEG (so no two are alike); ``taken`` is EXIF 'YYYY:MM:DD HH:MM:SS'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    exif = Image.Exif()
    if taken:
        exif.get_ifd(EXIF_IFD)[EXIF_DATETIME_ORIGINAL] = taken
    Image.fromarray(pixels).save(path, "JPEG", quality=80, exif=exif)
    return path


def make_library(root: Path, count: int, *, per_folder: int = 50) -> list[Path]:
    """``count`` small JPEGs spread over sub-folders of ``per_folder`` each."""
    return [make_jpeg(root / f"f{i // per_folder:03d}" / f"IMG_{i:05d}.jpg", seed=i) for i in range(count)]


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``root`` with size, mtime and content: proves nothing was touched."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns, path.read_bytes())
    return found
