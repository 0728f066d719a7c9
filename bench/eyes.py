"""Closed-eye detection on a labelled set of face crops: AUC, recall at 2% false alarms, speed.

    python bench/eyes.py --eyes DATA/eyes [--models assets/models] [--json out.json]
        [--exclude-open bench/eyes_open_judged_closed.txt]

The set (``MANIFEST.csv`` with ``label=closed|open`` in ``notes``) is research-only:
this script evaluates with it and nothing is trained on it. Its two classes come
from different datasets with different crop sizes and framing, so every crop goes
through the app's full pipeline (detect → face landmarks → iris model on re-aligned
64×64 eye crops); the score is the eye openness that pipeline measures, never the
crop itself. Every crop gets the same neutral border first (``--pad``) because the
crops are cut tight round the face, and a detector needs to see a face's edges.

Crops where the detector finds no face are handed to the landmark model whole (the
crop is known to be a face; the landmark model re-aligns it) and counted. Crops with
no face mesh either are counted and scored "open" (the app would not flag them),
so they count against recall; the AUC is also reported on the measured crops alone.

The shipped score is :func:`engine.analysis.faces.face_openness` (the eyes' mean openness,
weighted by eye width²). Beside it, as an ablation: the plain mean, the width-weighted
mean, and the max and min of the two eyes (mean-vs-max/min was chosen on this set).

The "open" class is not checked one by one. ``--exclude-open`` names open crops that a
person judged to show closed eyes; the numbers without them are reported separately
(``excluding_open_judged_closed``), never in place of the full set's.

Speed: each model's onnxruntime ``run`` calls are timed; ms per call and per image.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy.stats import rankdata
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.analysis import faces  # noqa: E402
from engine.inference.runtime import RuntimeSettings  # noqa: E402

FALSE_ALARM_RATE = 0.02


@dataclass
class Sample:
    file: str
    closed: bool
    eyes: tuple[faces.Eye, ...] = ()
    how: str = ""
    error: str = ""


class TimedSession:
    """Wraps an onnxruntime session and adds up the time spent in ``run``."""

    def __init__(self, session):
        self.session, self.calls, self.seconds = session, 0, 0.0

    def __getattr__(self, name):
        return getattr(self.session, name)

    def run(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.session.run(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def read_manifest(eyes_dir: Path) -> list[Sample]:
    with open(eyes_dir / "MANIFEST.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [Sample(file=row["file"], closed="label=closed" in row["notes"]) for row in rows]


def measure(analyzer: faces.FaceAnalyzer, path: Path, pad: float) -> tuple[tuple[faces.Eye, ...], str]:
    """The measured eyes of the largest measured face in the crop, and how it was found.

    ``how`` is "detected" (the app's own path), "whole_crop" (the detector found no
    face, so the crop itself, known to be a face, is handed to the landmark model,
    which re-aligns it) or "none" (no face mesh either: no eyes).
    """
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
    border = round(pad * max(image.size))
    padded = ImageOps.expand(image, border=border, fill=(128, 128, 128)) if border else image
    measured = [face for face in analyzer.analyze(padded).faces if face.eyes]
    if measured:
        return max(measured, key=lambda face: face.area).eyes, "detected"
    whole = analyzer.measure_eyes(padded, _whole_crop_face(border, image.width, image.height))
    return whole.eyes, ("whole_crop" if whole.eyes else "none")


def _whole_crop_face(border: int, width: int, height: int) -> faces.Face:
    """A face box covering the original crop, eyes assumed level (only their angle is used)."""
    x0, y0, x1, y1 = border, border, border + width, border + height
    eye_y = y0 + 0.4 * height
    keypoints = np.array([[x0 + 0.3 * width, eye_y], [x0 + 0.7 * width, eye_y]] + [[0.0, 0.0]] * 4)
    return faces.Face(box=(x0, y0, x1, y1), score=0.0, keypoints=keypoints)


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U; ties count half)."""
    ranks = rankdata(scores)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def recall_at_false_alarms(scores: np.ndarray, positive: np.ndarray, rate: float) -> tuple[float, float]:
    """Best recall whose false-alarm rate on negatives is ≤ ``rate``; returns (recall, threshold)."""
    negatives = np.sort(scores[~positive])[::-1]
    allowed = int(np.floor(rate * len(negatives)))
    # Flag scores strictly above the (allowed+1)-th highest negative.
    threshold = negatives[allowed] if allowed < len(negatives) else -np.inf
    return float((scores[positive] > threshold).mean()), float(threshold)


def _weighted(eyes: tuple[faces.Eye, ...], power: float) -> float:
    weights = np.array([eye.width for eye in eyes]) ** power
    return float(np.dot(weights, [eye.openness for eye in eyes]) / weights.sum())


#: Ways to turn a face's eyes into one openness: the shipped one first, then the ablation.
FACE_RULES = {
    "shipped": faces.face_openness,
    "mean": lambda eyes: _weighted(eyes, 0),
    "width_weighted": lambda eyes: _weighted(eyes, 1),
    "max": lambda eyes: max(eye.openness for eye in eyes),
    "min": lambda eyes: min(eye.openness for eye in eyes),
}


def evaluate(samples: list[Sample]) -> dict:
    """The shipped rule's numbers, plus AUC and recall for the other ways to combine two eyes."""
    closed = np.array([s.closed for s in samples])
    missed = np.array([not s.eyes for s in samples])
    whole = np.array([s.how == "whole_crop" for s in samples])
    result = {
        "n_closed": int(closed.sum()),
        "n_open": int((~closed).sum()),
        "no_face_closed": int((missed & closed).sum()),
        "no_face_open": int((missed & ~closed).sum()),
        "whole_crop_fallback_closed": int((whole & closed).sum()),
        "whole_crop_fallback_open": int((whole & ~closed).sum()),
    }
    for rule, combine in FACE_RULES.items():
        openness = np.array([combine(s.eyes) if s.eyes else np.inf for s in samples])
        score = -openness  # higher = more closed; crops with no face score lowest ("open")
        recall, threshold = recall_at_false_alarms(score, closed, FALSE_ALARM_RATE)
        prefix = "" if rule == "shipped" else f"{rule}_rule_"
        result[prefix + "auc_all"] = roc_auc(score, closed)
        result[prefix + "auc_measured"] = roc_auc(score[~missed], closed[~missed])
        result[prefix + "recall_at_2pct_false_alarms"] = recall
        result[prefix + "openness_threshold_at_2pct"] = -threshold
        if rule == "shipped":
            flagged = openness < faces.EYE_CLOSED_THRESHOLD
            result["shipped_threshold"] = faces.EYE_CLOSED_THRESHOLD
            result["recall_at_shipped_threshold"] = float(flagged[closed].mean())
            result["false_alarms_at_shipped_threshold"] = float(flagged[~closed].mean())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eyes", type=Path, required=True, help="folder with MANIFEST.csv, closed/, open/")
    parser.add_argument("--models", type=Path, help="default: the shipped assets/models")
    parser.add_argument("--pad", type=float, default=0.25, help="border added round each crop, as a fraction of its long side")
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N of each class (0: all)")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--exclude-open", type=Path, help="file listing open crops judged closed by eye (one path a line, # comments)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (CPU timing)")
    args = parser.parse_args(argv)

    samples = read_manifest(args.eyes)
    if args.limit:
        samples = [s for s in samples if s.closed][: args.limit] + [s for s in samples if not s.closed][: args.limit]
    analyzer = faces.FaceAnalyzer(args.models, RuntimeSettings(device="cpu", threads=args.threads))
    timers = {
        faces.DETECTOR_MODEL: TimedSession(analyzer.detector_session),
        faces.LANDMARK_MODEL: TimedSession(analyzer.landmark_session),
        faces.IRIS_MODEL: TimedSession(analyzer.iris_session),
    }
    analyzer.detector_session, analyzer.landmark_session, analyzer.iris_session = timers.values()

    start = time.perf_counter()
    for sample in tqdm(samples, desc="eyes", unit="crop"):
        try:
            sample.eyes, sample.how = measure(analyzer, args.eyes / sample.file, args.pad)
        except OSError as exc:
            sample.error = str(exc)
    elapsed = time.perf_counter() - start

    result = evaluate(samples)
    if args.exclude_open:
        excluded = _listed_files(args.exclude_open)
        kept = [s for s in samples if s.closed or s.file not in excluded]
        result["excluding_open_judged_closed"] = {"n_excluded": len(samples) - len(kept), **evaluate(kept)}
    result["unreadable"] = [s.file for s in samples if s.error]
    result["pad"] = args.pad
    result["pipeline_ms_per_image"] = 1000 * elapsed / len(samples)
    result["model_ms"] = {
        name: {"calls": t.calls, "ms_per_call": 1000 * t.seconds / max(t.calls, 1), "ms_per_image": 1000 * t.seconds / len(samples)}
        for name, t in timers.items()
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _listed_files(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


if __name__ == "__main__":
    raise SystemExit(main())
