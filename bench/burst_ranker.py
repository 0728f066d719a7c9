"""Measure the shipped burst ranker on real bursts: does it pick the untouched frame? And what its head costs.

Usage::

    python bench/burst_ranker.py --bursts DATA/bursts [--pairs 6] [--json out.json]
    python bench/burst_ranker.py --timing [--runs 20]

In each real burst (``groups.csv``), one frame is degraded (blur, motion blur,
noise, under- or over-exposure at level 2) and compared with another, untouched
frame; accuracy is the share of pairs where the model prefers the untouched one,
asked in both orders. Baseline in the same run: comparing the quality ranker's
scores of the two frames (``P = sigmoid(s_a - s_b)``). The shipped ranker is a
``frame_score`` head (each frame scored alone, P = sigmoid(s_a - s_b)); a two-input
``pair_logit`` model given with ``--model`` is asked with both frames.

``--timing``: CPU ms per photo the burst head adds to the shared file's run, measured
as ``bench/analyze.py``'s stage breakdown measures a model run (process CPU time of one
run over a batch of 8, ONNX Runtime CPU, 1 thread, divided by 8): the shipped file
against the same file cut to its other outputs (``onnx.utils.extract_model``), in one
run, interleaved, median of ``--runs``.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.inference.runtime import RuntimeSettings, create_session  # noqa: E402
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


def head_cost(manifest_path: Path, runs: int, batch: int = 8) -> dict[str, float]:
    """CPU ms per photo of the shared file with and without the manifest's output (see the module docstring)."""
    import onnx.utils

    model = OnnxModel(manifest_path, threads=1)
    onnx_path = manifest_path.parent / model.manifest.onnx_file
    graph = model.session.session
    head = model.manifest.output.output_name
    others = [o.name for o in graph.get_outputs() if o.name != head]
    spec = model.manifest.input
    x = np.random.default_rng(0).standard_normal((batch, 3, spec.height, spec.width), dtype=np.float32)
    with tempfile.TemporaryDirectory() as scratch:
        cut = Path(scratch) / "without_head.onnx"
        onnx.utils.extract_model(str(onnx_path), str(cut), [i.name for i in graph.get_inputs()], others)
        sessions = {"with": create_session(onnx_path, RuntimeSettings(device="cpu", threads=1)),
                    "without": create_session(cut, RuntimeSettings(device="cpu", threads=1))}
        timings: dict[str, list[float]] = {name: [] for name in sessions}
        for session in sessions.values():
            session.run(x)  # warm-up
        for _ in range(runs):
            for name, session in sessions.items():
                started = time.process_time()
                session.run(x)
                timings[name].append(1000.0 * (time.process_time() - started) / batch)
    result = {name: round(statistics.median(values), 2) for name, values in timings.items()}
    result["head"] = round(result["with"] - result["without"], 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=Path, help="folder with groups.csv and the frames")
    parser.add_argument("--timing", action="store_true", help="time the burst head instead (no data needed)")
    parser.add_argument("--runs", type=int, default=20, help="--timing: runs of each file")
    parser.add_argument("--model", type=Path, default=ROOT / "assets/models/burst_ranker.json")
    parser.add_argument("--quality", type=Path, default=ROOT / "assets/models/quality_ranker.json")
    parser.add_argument("--pairs", type=int, default=6, help="ordered frame pairs per burst (evenly spread)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.timing:
        cost = head_cost(args.model, args.runs)
        print(f"CPU ms per photo, ONNX Runtime CPU, 1 thread, batch 8, median of {args.runs}: shared file "
              f"{cost['with']:.2f}, without the burst head {cost['without']:.2f}, burst head {cost['head']:.2f}")
        return 0
    if args.bursts is None:
        parser.error("--bursts is required (or --timing)")

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
