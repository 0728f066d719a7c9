"""How large a change in measured sharpness is a real one? The floor behind "sharper than #2".

    python bench/sharpness_steps.py --photos DATA/photos [--every 2] [--threshold 0.03]

A burst's frames differ in framing even when their sharpness does not, so a reason that
names a sharpness difference needs it to stand above what re-framing alone changes. Per
photo, at the analysis size (``analysis_image``), and measured by the app's own
``measure_cues`` (subject sharpness, 0..1):

* **re-framing**: two windows of the photo shifted by 3 % of its width against each other
  (a burst's drift); the absolute difference is noise;
* **blur**: the photo against itself under a Gaussian blur of 0.3, 0.5, 0.8 and 1.2 px
  (at the analysis size; 0.5 px there is several pixels on a camera file, plainly soft
  when zoomed in); the drop is the signal.

Photos are sorted by name; even positions (of those kept by ``--every``) are the *tune*
part the floor is chosen on, odd positions the *report* part. For ``--threshold`` it prints
how often re-framing alone reaches it (a reason said with no real difference) and how often
each blur reaches it (a real difference said), per part.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.analysis.best_shot import VISIBLY_SHARPER  # noqa: E402
from engine.analysis.cues import measure_cues  # noqa: E402
from engine.library.thumbnails import analysis_image  # noqa: E402

SHIFT = 0.03
BLURS = (0.3, 0.5, 0.8, 1.2)
MIN_SIDE = 200


def sharpness_of(image: Image.Image) -> float:
    return measure_cues(image).cues["subject_sharpness"]


def steps(path: Path) -> list[float] | None:
    """[re-framing |difference|, drop under each blur of BLURS], or None for a photo too small."""
    image = analysis_image(path)
    width, height = image.size
    if min(width, height) < MIN_SIDE:
        return None
    shift = round(SHIFT * width)
    reframed = abs(sharpness_of(image.crop((shift, 0, width, height))) - sharpness_of(image.crop((0, 0, width - shift, height))))
    base = sharpness_of(image)
    return [reframed, *(base - sharpness_of(image.filter(ImageFilter.GaussianBlur(radius))) for radius in BLURS)]


def report(name: str, rows: np.ndarray, threshold: float) -> None:
    print(f"{name}: {len(rows)} photos")
    labels = ["re-framing only", *(f"blur {radius} px" for radius in BLURS)]
    for column, label in enumerate(labels):
        values = rows[:, column]
        quantiles = " ".join(f"q{int(q * 100)} {np.quantile(values, q):.3f}" for q in (0.1, 0.5, 0.9, 0.95))
        print(f"  {label:16s} {quantiles}   reaches {threshold}: {np.mean(values >= threshold):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--every", type=int, default=2, help="use every k-th photo (sorted by name)")
    parser.add_argument("--threshold", type=float, default=VISIBLY_SHARPER)
    args = parser.parse_args()
    paths = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg"))[::args.every]
    parts: dict[str, list[list[float]]] = {"tune": [], "report": []}
    for index, path in enumerate(tqdm(paths, desc="photos")):
        found = steps(path)
        if found is not None:
            parts["tune" if index % 2 == 0 else "report"].append(found)
    for name, rows in parts.items():
        report(name, np.asarray(rows), args.threshold)


if __name__ == "__main__":
    main()
