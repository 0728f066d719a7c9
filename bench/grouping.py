"""Burst grouping benchmark: adjusted Rand index and pairwise precision/recall against truth.

    python bench/grouping.py --bursts DATA/bursts [--sensitivity 0.5] [--sweep] [--model] [--calibrate]

The folder holds JPEG frames and ``groups.csv`` (file, group_id). Capture times come from
EXIF when present; without them grouping runs on looks alone, and the report says so.
Looks: pHash plus :mod:`engine.analysis.descriptor`, or with ``--model`` the registry's installed
embedding model (task ``embedding``); ``--cosine STRICT LOOSE`` tries thresholds for it, and
``--calibrate`` prints the band of single cosine thresholds that reach ARI >= 0.9 (pHash pass at the
default sensitivity) and how far apart same-group and other-group similarities lie, from which a
:class:`engine.analysis.bursts.SimilarityScale` is chosen (its strict/loose ends inside that band).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from math import comb
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.analysis.bursts import (  # noqa: E402
    DESCRIPTOR_SCALE,
    GroupingSettings,
    PhotoRecord,
    SimilarityScale,
    capture_seconds,
    group_bursts,
)
from engine.analysis.descriptor import describe  # noqa: E402
from engine.analysis.modelset import look_space  # noqa: E402
from engine.analysis.phash import phash  # noqa: E402
from engine.inference.preprocess import preprocess  # noqa: E402
from engine.inference.registry import discover, output_index  # noqa: E402
from engine.inference.runtime import create_session  # noqa: E402
from engine.library.metadata import read_metadata  # noqa: E402
from engine.library.thumbnails import ANALYSIS_SIZE, analysis_image  # noqa: E402


def adjusted_rand_index(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Hubert & Arabie (1985) ARI from the contingency table: 1 = same partition, ~0 = chance."""
    pairs = Counter(zip(truth, predicted))
    together = sum(comb(c, 2) for c in pairs.values())
    truth_pairs = sum(comb(c, 2) for c in Counter(truth).values())
    pred_pairs = sum(comb(c, 2) for c in Counter(predicted).values())
    expected = truth_pairs * pred_pairs / comb(len(truth), 2)
    best = (truth_pairs + pred_pairs) / 2
    return 1.0 if best == expected else (together - expected) / (best - expected)


def pairwise_precision_recall(truth: Sequence[Hashable], predicted: Sequence[Hashable]) -> tuple[float, float]:
    """Over all photo pairs: of the pairs grouped together, how many truly belong together, and vice versa."""
    together = sum(comb(c, 2) for c in Counter(zip(truth, predicted)).values())
    pred_pairs = sum(comb(c, 2) for c in Counter(predicted).values())
    truth_pairs = sum(comb(c, 2) for c in Counter(truth).values())
    return (together / pred_pairs if pred_pairs else 1.0), (together / truth_pairs if truth_pairs else 1.0)


def embedder(use_model: bool) -> tuple[Callable[[Image.Image], np.ndarray], str, SimilarityScale]:
    """The registry's embedding model when asked for and installed, else engine.analysis.descriptor; with the
    thresholds the app would use for it (the descriptor's when the model is not calibrated yet)."""
    model = discover().for_task("embedding") if use_model else None
    if model is None:
        note = " (no embedding model is installed)" if use_model else ""
        return describe, f"engine.analysis.descriptor{note}", DESCRIPTOR_SCALE
    session = create_session(model.onnx_path)
    output = output_index(model.manifest, session.output_names, model.onnx_path.name)

    def embed(image: Image.Image) -> np.ndarray:
        (vector,) = session.run(preprocess(image, model.manifest.input)[None])[output]
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    return embed, f"{model.name} on {session.device_label}", look_space(model).scale


def load_records(folder: Path, files: list[str], embed: Callable[[Image.Image], np.ndarray]) -> tuple[list[PhotoRecord], int]:
    """One record per frame; returns them and how many had an EXIF capture time."""
    records, timed = [], 0
    for name in files:
        path = folder / name
        meta = read_metadata(path)
        seconds = capture_seconds(meta.capture_time, meta.capture_time_source)
        timed += seconds is not None
        rgb = analysis_image(path)  # what the analysis sees
        records.append(PhotoRecord(key=name, capture_time=seconds, phash=phash(rgb), embedding=embed(rgb)))
    return records, timed


def evaluate(records: list[PhotoRecord], truth: dict[str, str], settings: GroupingSettings) -> tuple[float, float, float, int]:
    groups = group_bursts(records, settings)
    predicted = {key: n for n, group in enumerate(groups) for key in group.members}
    keys = sorted(truth)
    ari = adjusted_rand_index([truth[k] for k in keys], [predicted[k] for k in keys])
    precision, recall = pairwise_precision_recall([truth[k] for k in keys], [predicted[k] for k in keys])
    return ari, precision, recall, len(groups)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=Path, required=True, help="folder with frames and groups.csv")
    parser.add_argument("--sensitivity", type=float, default=GroupingSettings().sensitivity)
    parser.add_argument("--sweep", action="store_true", help="also report sensitivities 0, 0.1, ..., 1")
    parser.add_argument("--scaling", action="store_true", help="also time grouping of large synthetic timed libraries")
    parser.add_argument("--model", action="store_true",
                        help="use the installed embedding model (task 'embedding') instead of engine.analysis.descriptor")
    parser.add_argument("--calibrate", action="store_true",
                        help="report ARI for single cosine thresholds 0.30..0.99 and the same/other-group gap")
    parser.add_argument("--cosine", type=float, nargs=2, metavar=("STRICT", "LOOSE"),
                        help="cosine thresholds at sensitivity 0 and 1 (to calibrate a new embedding)")
    args = parser.parse_args(argv)
    embed, looks, scale = embedder(args.model)
    if args.cosine:
        scale = SimilarityScale("custom", *args.cosine, rapid_bonus=0.05)

    with open(args.bursts / "groups.csv", newline="", encoding="utf-8") as handle:
        truth = {row["file"]: row["group_id"] for row in csv.DictReader(handle)}
    started = time.perf_counter()
    records, timed = load_records(args.bursts, sorted(truth), embed)
    features_s = time.perf_counter() - started
    print(f"{len(records)} frames, {len(set(truth.values()))} true groups, features {features_s:.1f} s "
          f"({features_s / len(records) * 1000:.0f} ms/frame at {ANALYSIS_SIZE} px)")
    if timed == 0:
        print("No EXIF capture times: grouping relies on visual similarity alone (all pairs compared).")
    else:
        print(f"{timed}/{len(records)} frames have EXIF capture times.")
    print(f"looks: pHash first pass + cosine of {looks} embeddings; thresholds {scale}")

    sensitivities = [args.sensitivity] + ([round(0.1 * i, 1) for i in range(11)] if args.sweep else [])
    print(f"{'sensitivity':>11} {'ARI':>6} {'precision':>9} {'recall':>6} {'groups':>6}")
    for s in sensitivities:
        started = time.perf_counter()
        ari, precision, recall, n_groups = evaluate(records, truth, GroupingSettings(sensitivity=s, scale=scale))
        print(f"{s:>11.2f} {ari:>6.3f} {precision:>9.3f} {recall:>6.3f} {n_groups:>6}  "
              f"({(time.perf_counter() - started) * 1000:.0f} ms)")
    if args.calibrate:
        report_calibration(records, truth)
    if args.scaling:
        report_scaling()
    return 0


def report_calibration(records: list[PhotoRecord], truth: dict[str, str], target: float = 0.9) -> None:
    """ARI over single cosine thresholds, and the similarity gap between same-group and other-group pairs."""
    keys = [r.key for r in records]
    vectors = np.stack([r.embedding for r in records])
    cosines = vectors @ vectors.T
    same = np.array([[truth[a] == truth[b] for b in keys] for a in keys])
    upper = np.triu(np.ones_like(same), k=1).astype(bool)
    print(f"calibration: same-group cosine min {cosines[same & upper].min():.3f} "
          f"(5th percentile {np.percentile(cosines[same & upper], 5):.3f}); "
          f"other-group max {cosines[~same & upper].max():.3f} "
          f"(99.9th percentile {np.percentile(cosines[~same & upper], 99.9):.3f})")
    passing = []
    for threshold in np.round(np.arange(0.30, 0.995, 0.01), 2):
        scale = SimilarityScale("calibration", threshold, threshold, rapid_bonus=0.0)
        ari, precision, recall, _ = evaluate(records, truth, GroupingSettings(scale=scale))
        if ari >= target:
            passing.append(threshold)
        print(f"calibration: cosine {threshold:.2f}  ARI {ari:.3f}  precision {precision:.3f}  recall {recall:.3f}")
    band = f"{min(passing):.2f}..{max(passing):.2f}" if passing else "none"
    print(f"calibration: single thresholds reaching ARI >= {target}: {band}")


def report_scaling(sizes: tuple[int, ...] = (5_000, 50_000)) -> None:
    """Grouping time for synthetic timed libraries (one frame every 2 s, unrelated looks): ~linear in n."""
    rng = np.random.default_rng(0)
    timings = []
    for n in sizes:
        vectors = rng.normal(size=(n, 64)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        records = [PhotoRecord(i, capture_time=2.0 * i, phash=int(rng.integers(0, 2**63)), embedding=vectors[i])
                   for i in range(n)]
        started = time.perf_counter()
        group_bursts(records)
        timings.append(time.perf_counter() - started)
        print(f"scaling: {n:>7} timed photos grouped in {timings[-1]:.2f} s")
    growth, size_ratio = timings[-1] / timings[0], sizes[-1] / sizes[0]
    print(f"scaling: time grew {growth:.1f}x for {size_ratio:.0f}x photos (all-pairs would be {size_ratio**2:.0f}x)")


if __name__ == "__main__":
    raise SystemExit(main())
