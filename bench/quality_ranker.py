"""Measure the shipped quality ranker: SRCC vs distortion level per defect, bokeh rule, CPU speed.

Usage::

    python bench/quality_ranker.py --photos DATA/photos [--research 150] [--json out.json]

Two test sets, neither used in training: the 7 held-out permissive photos, and
an evenly spread sample of the folder's research-only photos (evaluation only,
as docs/data.md allows). Targets (issue 4): mean SRCC >= 0.9; bokeh rule on >= 90 %.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.assets.photo_sets import HELDOUT_PHOTOS, load_image  # noqa: E402
from training.assets.quality_eval import OnnxModel, QualityReport, evaluate_quality  # noqa: E402


def research_sample(photos_dir: Path, count: int) -> list[str]:
    """``count`` research-only files, evenly spread over the sorted MANIFEST (all prefixes represented)."""
    if count <= 0:
        return []
    with open(photos_dir / "MANIFEST.csv", newline="", encoding="utf-8") as handle:
        names = sorted(row["file"] for row in csv.DictReader(handle) if "RESEARCH-ONLY" in row["notes"])
    step = max(1, len(names) // count)
    return names[::step][:count]


def ms_per_image(model: OnnxModel, photo: np.ndarray, runs: int = 10) -> float:
    model([photo])
    start = time.perf_counter()
    for _ in range(runs):
        model([photo])
    return (time.perf_counter() - start) * 1000.0 / runs


def print_report(title: str, report: QualityReport) -> None:
    print(f"\n{title} ({report.photos} photos)")
    for kind, value in report.srcc.items():
        print(f"  SRCC {kind:<16} {value:6.3f}")
    print(f"  SRCC mean             {report.mean_srcc:6.3f}   (target >= 0.9)")
    print(f"  bokeh >= original     {report.bokeh_rate:6.1%} of (photo, level)   "
          f"{report.bokeh_photo_rate:6.1%} of photos at every level   (target >= 90%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder laid out like data/photos (with MANIFEST.csv)")
    parser.add_argument("--model", type=Path, default=ROOT / "assets/models/quality_ranker.json")
    parser.add_argument("--research", type=int, default=150, help="research-only photos to sample (0: none)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)

    model = OnnxModel(args.model, threads=args.threads)
    results = {}
    sets = {"held-out permissive": list(HELDOUT_PHOTOS), "research-only sample": research_sample(args.photos, args.research)}
    for title, names in sets.items():
        if not names:
            continue
        photos = [load_image(args.photos / name) for name in tqdm(names, desc=f"decode {title}", leave=False)]
        started = time.perf_counter()
        report = evaluate_quality(model, photos)
        print_report(title, report)
        print(f"  ({time.perf_counter() - started:.0f} s)")
        results[title] = {**asdict(report), "mean_srcc": report.mean_srcc, "files": names}
    speed = ms_per_image(model, load_image(args.photos / HELDOUT_PHOTOS[0]))
    print(f"\nONNX CPU, {args.threads} threads, preprocessing included: {speed:.1f} ms/image")
    results["ms_per_image"] = speed
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
