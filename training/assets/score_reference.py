"""Measure a shipped scoring model's reference distribution and store it in its manifest.

``python -m training.assets.score_reference --photos DIR [--manifest assets/models/quality_ranker.json]``

The app shows every score on 0..100 by placing it among these quantiles
(:mod:`engine.inference.score_scale`), so the reference set decides what "50, a typical
photo" means. It is the model's own reference images — the 24 permissive training
photos and the 7 held out (:mod:`training.assets.photo_sets`), never research-only
data — exactly as the builder evaluates the model (:func:`training.assets.quality_eval.evaluate_quality`):
each untouched and with every defect of :mod:`training.distortions` at levels 1..``MAX_LEVEL``
(all five), so the middle of the reference is a photo with one moderate flaw and the ends are
pristine and wrecked photos. The model runs through ONNX Runtime exactly as the app runs it
(:class:`training.assets.quality_eval.OnnxModel`).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from engine.inference.contract import ScoreReference, load_manifest, score_from_output, validate
from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS, load_photos, photo_record
from training.assets.quality_eval import OnnxModel
from training.distortions import DEFECTS, LEVELS, distort

#: Probabilities at which the quantiles are stored (finer in the tails, where photos spread out).
PROBABILITIES: tuple[float, ...] = (0.01, 0.02, *(k / 20 for k in range(1, 20)), 0.98, 0.99)
#: Defects are applied at levels 1..MAX_LEVEL (see the module docstring).
MAX_LEVEL = LEVELS
DEFAULT_MANIFEST = Path("assets/models/quality_ranker.json")


def reference_images(photos: Sequence[np.ndarray], max_level: int = MAX_LEVEL) -> Iterator[np.ndarray]:
    """Every photo untouched, then with each defect at levels 1..``max_level`` (seeded: the same every run)."""
    for index, photo in enumerate(photos):
        yield photo
        for kind in DEFECTS:
            for level in range(1, max_level + 1):
                yield distort(photo, kind, level, seed=index)


def reference_scores(model: OnnxModel, images: Sequence[np.ndarray]) -> np.ndarray:
    """The score the app would store for each image (the manifest's score rule applied to the output)."""
    return score_from_output(model(images), model.manifest.output)


def reference_of(scores: np.ndarray, description: str,
                 probabilities: Sequence[float] = PROBABILITIES) -> ScoreReference:
    quantiles = np.quantile(np.asarray(scores, dtype=np.float64), probabilities)
    return ScoreReference(probabilities=tuple(float(p) for p in probabilities),
                          quantiles=tuple(round(float(q), 4) for q in np.maximum.accumulate(quantiles)),
                          images=int(len(scores)), description=description)


def store_reference(manifest_path: Path, reference: ScoreReference, provenance: dict) -> None:
    """Add ``score_reference`` (and how it was made, under provenance) to the manifest; nothing else changes."""
    raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    raw["score_reference"] = {"probabilities": list(reference.probabilities), "quantiles": list(reference.quantiles),
                              "images": reference.images, "description": reference.description}
    raw.setdefault("provenance", {})["score_reference"] = provenance
    manifest_path.write_text(json.dumps(raw, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    validate(load_manifest(manifest_path))


def build(manifest_path: Path, photo_dir: Path, max_level: int = MAX_LEVEL) -> ScoreReference:
    names = TRAIN_PHOTOS + HELDOUT_PHOTOS
    photos = load_photos(photo_dir, names)
    model = OnnxModel(manifest_path)
    images = list(reference_images([p.pixels for p in photos], max_level))
    scores = reference_scores(model, images)
    description = (f"{len(photos)} permissive reference photos (24 training, 7 held out), each untouched and with "
                   f"each of {len(DEFECTS)} synthetic defects (training.distortions) at levels 1-{max_level}")
    reference = reference_of(scores, description)
    store_reference(manifest_path, reference, {
        "command": f"python -m training.assets.score_reference --photos <photos> --manifest {manifest_path.name}"
                   f" --max-level {max_level}",
        "photos": photo_record(photos), "max_level": max_level, "defects": list(DEFECTS),
        "score_min": round(float(scores.min()), 4), "score_max": round(float(scores.max()), 4),
        "untouched_median": round(float(np.median(scores[:: 1 + len(DEFECTS) * max_level])), 4),
    })
    return reference


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder holding the permissive reference photos")
    parser.add_argument("--manifest", type=Path, action="append", help=f"default: {DEFAULT_MANIFEST}")
    parser.add_argument("--max-level", type=int, default=MAX_LEVEL)
    args = parser.parse_args(argv)
    for manifest in args.manifest or [DEFAULT_MANIFEST]:
        reference = build(manifest, args.photos, args.max_level)
        print(f"{manifest}: {reference.images} images; quantiles "
              + ", ".join(f"{p:g}:{q:.2f}" for p, q in zip(reference.probabilities, reference.quantiles)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
