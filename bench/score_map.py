"""Where the quality score comes from: does the map point at the damaged quadrant, what does it cost, do scores move?

Usage::

    python bench/score_map.py --photos DATA/photos [--part tune|report|all] [--limit 200] [--damage blur noise]
                              [--threads 1]

``--part``: the photos (sorted by name, the permissive photos the shipped ranker trains on left
out) are split alternately into a tuning half and a report half; choose recipe settings on
``tune`` and quote ``report``.

For each photo (decoded, long side 480) and each of its four quadrants, that quadrant alone
is damaged (Gaussian blur radius 3 px, or Gaussian noise σ = 25 levels); the shared file with
the ``quality_map`` output (:func:`training.assets.score_map.add_quality_map`, applied here to a
copy when the file has none) is run on it and the 8×8 map summed per quadrant (4×4 cells each).
Printed:

* the share of damaged photos whose lowest quadrant is the damaged one (target ≥ 95 %);
* the same for the map's change from the undamaged photo (needs the original: a diagnosis, not
  the app's case), and how the quality score itself moved (a map cannot point at damage the
  score rewards);
* how often the app's region rule (:func:`engine.analysis.quality_map.weakest_quadrant`, which
  names a quadrant only when the map clearly singles one out) names one on a damaged photo, and how
  often the quadrant it names is the damaged one; and how often it names one on an undamaged photo;
* whether quality, embedding and burst outputs are bit-identical with and without the map, on
  every input (undamaged and damaged);
* extra CPU ms per photo for the map: the file with the map against the same file with the
  map's nodes and output removed (both built here, same run), process CPU time, batch 8, the
  two run alternately, median of the paired differences (target ≤ 1 ms).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.analysis.quality_map import weakest_quadrant  # noqa: E402
from engine.inference.preprocess import InputSpec, preprocess  # noqa: E402
from engine.inference.runtime import RuntimeSettings, create_session  # noqa: E402
from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS  # noqa: E402
from training.assets.score_map import MAP_OUTPUT, add_quality_map, without_quality_map  # noqa: E402

SHARED = ROOT / "assets/models/mobilenetv2_quality_embedding.onnx"
SPEC = InputSpec(height=256, width=256)
QUADRANTS = ("upper left", "upper right", "lower left", "lower right")


def damage(image: Image.Image, quadrant: int, kind: str, rng: np.random.Generator) -> Image.Image:
    """The photo with one quadrant blurred or noised (the rest untouched)."""
    w, h = image.size
    box = ((quadrant % 2) * (w // 2), (quadrant // 2) * (h // 2),
           w // 2 + (quadrant % 2) * (w - w // 2), h // 2 + (quadrant // 2) * (h - h // 2))
    region = image.crop(box)
    if kind == "blur":
        region = region.filter(ImageFilter.GaussianBlur(3))
    else:
        pixels = np.asarray(region, dtype=np.float32) + rng.normal(0, 25, (region.height, region.width, 3))
        region = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    out = image.copy()
    out.paste(region, box[:2])
    return out


def quadrant_sums(maps: np.ndarray) -> np.ndarray:
    """(N, h, w) maps → (N, 4) sums over the four quadrants, in :data:`QUADRANTS` order."""
    h, w = maps.shape[1] // 2, maps.shape[2] // 2
    return np.stack([maps[:, :h, :w].sum((1, 2)), maps[:, :h, w:].sum((1, 2)),
                     maps[:, h:, :w].sum((1, 2)), maps[:, h:, w:].sum((1, 2))], axis=1)


def cpu_ms_per_photo(first, second, batch: np.ndarray, runs: int) -> tuple[float, float, float]:
    """Process CPU ms per photo of two sessions, run alternately: medians of each and of the paired differences."""
    first.run(batch), second.run(batch)
    pairs = []
    for _ in range(runs):
        timings = []
        for session in (first, second):
            start = time.process_time()
            session.run(batch)
            timings.append((time.process_time() - start) * 1000.0 / len(batch))
        pairs.append(timings)
    a, b = zip(*pairs)
    return statistics.median(a), statistics.median(b), statistics.median(x - y for x, y in pairs)


def load(path: Path) -> Image.Image:
    image = Image.open(path).convert("RGB")
    image.thumbnail((480, 480), Image.Resampling.LANCZOS)
    return image


def evaluation_photos(folder: Path, part: str) -> list[Path]:
    """The photos of ``folder`` the ranker never trained on, sorted; every other one for ``tune`` / ``report``."""
    trained = set(TRAIN_PHOTOS) | set(HELDOUT_PHOTOS)
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png") and p.name not in trained)
    return {"tune": photos[0::2], "report": photos[1::2], "all": photos}[part]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--part", choices=("tune", "report", "all"), default="report")
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--damage", nargs="+", choices=("blur", "noise"), default=["blur", "noise"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args(argv)

    paths = evaluation_photos(args.photos, args.part)[: args.limit]
    settings = RuntimeSettings(device="cpu", threads=args.threads)
    with tempfile.TemporaryDirectory() as scratch:
        with_map_path = Path(scratch) / "with_map.onnx"
        shutil.copyfile(args.shared, with_map_path)
        add_quality_map(with_map_path)
        baseline_path = without_quality_map(with_map_path, Path(scratch) / "without_map.onnx")
        shipped, baseline = create_session(with_map_path, settings), create_session(baseline_path, settings)
        map_index = shipped.output_names.index(MAP_OUTPUT)
        rng = np.random.default_rng(0)
        identical, compared = True, 0
        for kind in args.damage:
            hits, relative_hits, total, changes = 0, 0, 0, []
            named, named_right, clean_named = 0, 0, 0
            for path in paths:
                image = load(path)
                versions = [image] + [damage(image, q, kind, rng) for q in range(4)]
                batch = np.stack([preprocess(v, SPEC) for v in versions])
                with_map, without = shipped.run(batch), baseline.run(batch)
                identical &= all(np.array_equal(with_map[i], without[i]) for i in range(len(without)))
                compared += len(batch)
                maps = with_map[map_index]
                hits += int((quadrant_sums(maps[1:]).argmin(axis=1) == np.arange(4)).sum())
                relative_hits += int((quadrant_sums(maps[1:] - maps[:1]).argmin(axis=1) == np.arange(4)).sum())
                changes.extend(with_map[0][1:, 0] - with_map[0][0, 0])
                clean_named += weakest_quadrant(maps[0]) is not None
                for quadrant, named_now in enumerate(weakest_quadrant(m) for m in maps[1:]):
                    named += named_now is not None
                    named_right += named_now == QUADRANTS[quadrant]
                total += 4
            print(f"{kind}: lowest quadrant of the map is the damaged one in {hits}/{total} = "
                  f"{100.0 * hits / total:.1f} % ({len(paths)} photos x 4 quadrants); lowest quadrant of the map's "
                  f"change from the undamaged photo: {100.0 * relative_hits / total:.1f} %; quality score change "
                  f"mean {np.mean(changes):+.3f}, fell in {100.0 * np.mean(np.array(changes) < 0):.1f} %")
            print(f"{kind}: the region rule names a quadrant on {named}/{total} damaged photos, the damaged one "
                  f"{named_right}/{max(named, 1)} = {100.0 * named_right / max(named, 1):.1f} %; on undamaged photos "
                  f"it names one {clean_named}/{len(paths)}")
        print(f"quality, embedding, burst outputs bit-identical with and without the map on {compared} inputs: "
              f"{identical}")
        batch = np.stack([preprocess(load(p), SPEC) for p in paths[:8]])
        with_ms, without_ms, extra = cpu_ms_per_photo(shipped, baseline, batch, args.runs)
        print(f"CPU ms per photo (batch 8, {args.threads} thread(s), {args.runs} alternating runs): with map "
              f"{with_ms:.3f}, without {without_ms:.3f} (medians); extra, median of paired differences {extra:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
