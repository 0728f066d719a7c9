"""A demonstration shoot of public-domain photos, for screenshots: ``python tools/demo_shoot.py PHOTOS OUT``.

PHOTOS is a folder holding the Kodak24 suite (``kodak_kodimNN.jpg``) and the public-domain
photos that scikit-image and matplotlib ship (``pkg_astronaut.jpg``, ...), as in the project's
shared data (docs/data.md). Only those public-domain files are used, so the screenshots made
from OUT can be published. Singles are minutes apart; three bursts are made from portraits:
frames one second apart, each shifted a little as a hand-held burst is, one badly blurred and
one framed so the face is cut by the left edge.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageFilter

PUBLIC_DOMAIN = [f"kodak_kodim{n:02d}.jpg" for n in range(1, 25)] + [
    "pkg_astronaut.jpg", "pkg_chelsea.jpg", "pkg_coffee.jpg", "pkg_grace_hopper.jpg", "pkg_rocket.jpg"]
BURSTS = ("pkg_astronaut.jpg", "kodak_kodim04.jpg", "pkg_grace_hopper.jpg")
START = datetime(2026, 6, 13, 9, 0, 0)
EXIF_IFD, DATETIME_ORIGINAL = 0x8769, 0x9003


def save(image: Image.Image, path: Path, taken: datetime) -> None:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    image.convert("RGB").save(path, "JPEG", quality=92, exif=exif)


def burst_frames(image: Image.Image) -> list[Image.Image]:
    """Five frames: small hand-held shifts, one blurred, one with the subject cut by the left edge."""
    width, height = image.size
    margin = width // 10
    frames = []
    for index, shift in enumerate((0, 4, 8, 12, 16)):
        frame = image.crop((margin - shift, 0, width - margin - shift, height))
        if index == 2:
            frame = frame.filter(ImageFilter.GaussianBlur(6))
        frames.append(frame)
    left = round(width * 0.42)   # a tighter frame (same aspect), its left edge through the subject
    trim = round(height * (1 - (width - left) / (width - 2 * margin)) / 2)
    cut = image.crop((left, trim, width, height - trim)).resize(frames[0].size, Image.Resampling.LANCZOS)
    frames.append(cut)
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    taken = START
    for number, name in enumerate(PUBLIC_DOMAIN):
        with Image.open(args.photos / name) as image:
            save(image, args.out / f"DSC_{number:04d}.jpg", taken)
        taken += timedelta(minutes=3)
        if name in BURSTS:
            with Image.open(args.photos / name) as image:
                for frame_number, frame in enumerate(burst_frames(image.convert("RGB"))):
                    save(frame, args.out / f"DSC_{number:04d}_{frame_number + 1}.jpg", taken)
                    taken += timedelta(seconds=1)
            taken += timedelta(minutes=3)
    print(f"{len(list(args.out.glob('*.jpg')))} photos in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
