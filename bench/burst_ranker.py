"""Measure the shipped burst ranker on real bursts: does it pick the untouched frame?

Usage::

    python bench/burst_ranker.py --bursts /work/shared/data/bursts [--pairs 6] [--json out.json]

In each real burst (``groups.csv``), one frame is degraded (blur, motion blur,
noise, under- or over-exposure at level 2) and compared with another, untouched
frame; accuracy is the share of pairs where the model prefers the untouched one,
asked in both orders. Baseline in the same run: comparing the quality ranker's
scores of the two frames (``P = sigmoid(s_a - s_b)``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from training.assets.burst_ranker import pair_probability  # noqa: E402
from training.assets.photo_sets import load_image  # noqa: E402
from training.assets.quality_eval import BurstReport, OnnxModel, evaluate_burst  # noqa: E402


def load_groups(bursts_dir: Path) -> list[list[np.ndarray]]:
    groups: dict[str, list[str]] = defaultdict(list)
    with open(bursts_dir / "groups.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            groups[row["group_id"]].append(row["file"])
    return [[load_image(bursts_dir / name) for name in sorted(files)] for _, files in sorted(groups.items())]


def score_difference(model: OnnxModel):
    """Baseline: the quality ranker scores each frame alone; P(first better) = sigmoid(difference)."""

    def prefer_first(firsts: list[np.ndarray], seconds: list[np.ndarray]) -> np.ndarray:
        difference = model(firsts).reshape(-1) - model(seconds).reshape(-1)
        return 1.0 / (1.0 + np.exp(-difference))

    return prefer_first


def print_report(title: str, report: BurstReport) -> None:
    print(f"\n{title} ({report.pairs} pairs per degradation, both orders)")
    for kind, value in report.accuracy.items():
        print(f"  {kind:<16} {value:6.1%}")
    print(f"  mean             {report.mean_accuracy:6.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=Path, required=True, help="folder with groups.csv and the frames")
    parser.add_argument("--model", type=Path, default=ROOT / "assets/models/burst_ranker.json")
    parser.add_argument("--quality", type=Path, default=ROOT / "assets/models/quality_ranker.json")
    parser.add_argument("--pairs", type=int, default=6, help="ordered frame pairs per burst (evenly spread)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    groups = load_groups(args.bursts)
    results = {}
    candidates = {
        "burst ranker": pair_probability(OnnxModel(args.model, threads=args.threads)),
        "baseline: quality score difference": score_difference(OnnxModel(args.quality, threads=args.threads)),
    }
    for title, prefer_first in candidates.items():
        started = time.perf_counter()
        report = evaluate_burst(prefer_first, groups, max_pairs_per_group=args.pairs)
        print_report(title, report)
        print(f"  ({time.perf_counter() - started:.0f} s)")
        results[title] = {"accuracy": report.accuracy, "mean": report.mean_accuracy, "pairs": report.pairs}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
