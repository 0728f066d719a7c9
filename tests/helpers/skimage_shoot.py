"""A small realistic shoot for GUI tests: scikit-image's sample photos as JPEGs with EXIF times.

Singles are minutes apart; one burst is five frames of the cat photo one second
apart, each shifted a few pixels (a hand-held burst), one of them badly blurred
(missed focus) — so analysis groups them and ranks a sharp frame first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from skimage import data

EXIF_IFD, DATETIME_ORIGINAL = 0x8769, 0x9003
START = datetime(2024, 6, 1, 10, 0, 0)
SINGLES = ("astronaut", "coffee", "rocket", "camera", "coins", "page")
BURST_SOURCE = "chelsea"
BURST_SHIFTS = ((0, 0), (6, 2), (12, 4), (18, 6), (24, 8))
BLURRED_FRAME = 2


def write_photo(path: Path, pixels: np.ndarray, taken: datetime, *, width: int = 640) -> Path:
    image = Image.fromarray(pixels)
    image = image.convert("RGB").resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def make_shoot(root: Path) -> dict[str, list[Path]]:
    """Write the shoot under ``root``; returns {"singles": [...], "burst": [...]} in capture order."""
    singles = [write_photo(root / f"DSC_{i:04d}.jpg", getattr(data, name)(), START + timedelta(minutes=5 * i))
               for i, name in enumerate(SINGLES)]
    cat = getattr(data, BURST_SOURCE)()
    burst_start = START + timedelta(minutes=40)
    burst = []
    for i, (dx, dy) in enumerate(BURST_SHIFTS):
        frame = np.roll(cat, (dy, dx), axis=(0, 1))
        if i == BLURRED_FRAME:
            frame = np.asarray(Image.fromarray(frame).filter(ImageFilter.GaussianBlur(6)))
        burst.append(write_photo(root / f"DSC_{100 + i:04d}.jpg", frame, burst_start + timedelta(seconds=i)))
    return {"singles": singles, "burst": burst}
