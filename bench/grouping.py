"""Burst grouping benchmark: adjusted Rand index and pairwise precision/recall against truth.

    python bench/grouping.py --bursts /work/shared/data/bursts [--sensitivity 0.5] [--sweep]

The folder holds JPEG frames and ``groups.csv`` (file, group_id). Capture times come from
EXIF when present; without them grouping runs on looks alone, and the report says so.
Looks: pHash plus the installed embedding model when the registry has one (task
``embedding``), else :mod:`engine.descriptor`.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter
from math import comb
from pathlib import Path
from typing import Hashable, Sequence

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.bursts import DESCRIPTOR_SCALE, GroupingSettings, PhotoRecord, capture_seconds, group_bursts  # noqa: E402
from engine.descriptor import describe  # noqa: E402
from engine.metadata import read_metadata  # noqa: E402
from engine.phash import phash  # noqa: E402

ANALYSIS_SIDE = 512


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


def load_records(folder: Path, files: list[str]) -> tuple[list[PhotoRecord], int]:
    """One record per frame; returns them and how many had an EXIF capture time."""
    records, timed = [], 0
    for name in files:
        path = folder / name
        meta = read_metadata(path)
        seconds = capture_seconds(meta.capture_time, meta.capture_time_source)
        timed += seconds is not None
        with Image.open(path) as image:
            image.draft("RGB", (ANALYSIS_SIDE, ANALYSIS_SIDE))
            rgb = image.convert("RGB")
        records.append(PhotoRecord(key=name, capture_time=seconds, phash=phash(rgb), embedding=describe(rgb)))
    return records, timed


def evaluate(records: list[PhotoRecord], truth: dict[str, str], sensitivity: float) -> tuple[float, float, float, int]:
    groups = group_bursts(records, GroupingSettings(sensitivity=sensitivity, scale=DESCRIPTOR_SCALE))
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
    args = parser.parse_args(argv)

    with open(args.bursts / "groups.csv", newline="", encoding="utf-8") as handle:
        truth = {row["file"]: row["group_id"] for row in csv.DictReader(handle)}
    started = time.perf_counter()
    records, timed = load_records(args.bursts, sorted(truth))
    features_s = time.perf_counter() - started
    print(f"{len(records)} frames, {len(set(truth.values()))} true groups, features {features_s:.1f} s "
          f"({features_s / len(records) * 1000:.0f} ms/frame, pHash + descriptor at {ANALYSIS_SIDE} px)")
    if timed == 0:
        print("No EXIF capture times: grouping relies on visual similarity alone (all pairs compared).")
    else:
        print(f"{timed}/{len(records)} frames have EXIF capture times.")
    print("looks: pHash first pass + engine.descriptor cosine (no embedding model used)")

    sensitivities = [args.sensitivity] + ([round(0.1 * i, 1) for i in range(11)] if args.sweep else [])
    print(f"{'sensitivity':>11} {'ARI':>6} {'precision':>9} {'recall':>6} {'groups':>6}")
    for s in sensitivities:
        started = time.perf_counter()
        ari, precision, recall, n_groups = evaluate(records, truth, s)
        print(f"{s:>11.2f} {ari:>6.3f} {precision:>9.3f} {recall:>6.3f} {n_groups:>6}  "
              f"({(time.perf_counter() - started) * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
