"""Closed eyes on a labelled set of face crops: AUC, recall and flagged-but-open rate, per-face CPU time.

    python bench/eyes.py --eyes DATA/eyes [--part report|tune|all] [--mode both|photos|crops]
        [--models assets/models] [--json out.json] [--exclude-open bench/eyes_open_judged_closed.txt]

The set (``MANIFEST.csv`` with ``label=closed|open`` in ``notes``) is research-only: this
script evaluates with it and nothing is trained on it.

**Split.** Every crop belongs to one of two fixed halves (:func:`part_of`): the sha256 of its
*source key* (the CEW source picture ``closed_eye_NNNN`` for closed crops, so two faces of
one picture stay together; the manifest path ``open/face_N.jpg`` for the UTKFace open crops),
its first 8 hex digits read as a number:
even is ``tune``, odd is ``report``. Thresholds and choices are made with ``--part tune``;
the numbers that are reported come from ``--part report`` (the default).

**Two ways in.** ``photos`` is how the app meets a face: each crop is placed at its own size
in the middle of a plain grey backdrop three times its width and height, shrunk as the app
shrinks every photo for analysis (:data:`engine.library.thumbnails.ANALYSIS_SIZE`, the same
filter), and handed to :meth:`FaceAnalyzer.analyze` (detection included). ``--face-px N``
instead makes every face N pixels tall in a frame the analysis image's size: small faces. The photo's score
is its highest per-face closed-eye probability, 0 when no face is found; a photo is flagged
as the app flags it. ``crops`` gives each crop a neutral border (``--pad``) at full
resolution; crops the detector misses are handed to the landmark model whole, and the score
is the largest measured face's.

Reported per way: AUC, closed-eye recall at the shipped threshold, the flagged-but-open rate
(of the flagged faces, the share labelled open), the false-alarm rate, faces not found, and
the AUC of the former lid-gap measure on the same eyes (an ablation). ``--sweep`` adds recall
and flagged-but-open rate for other openness thresholds (use it on the tune half only).

The "open" class is not checked one by one. ``--exclude-open`` names open crops that a person
judged to show closed eyes; the numbers without them are reported separately, never instead.

Speed (one onnxruntime thread): the process CPU time spent in ``analyze`` per measured face,
detection included (one face per image here; CPU time, because wall time on a shared machine
grows with the load), and each model's wall ms per call: a face beyond the first costs one
landmark and two iris calls.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy.stats import rankdata
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.analysis import faces  # noqa: E402
from engine.inference.runtime import RuntimeSettings  # noqa: E402
from engine.library.decode import ANALYSIS_RESAMPLE, render  # noqa: E402
from engine.library.thumbnails import ANALYSIS_SIZE  # noqa: E402

BACKDROP = (128, 128, 128)
SWEEP = (0.08, 0.09, 0.10, 0.11, 0.12, 0.13, 0.14, 0.15)


@dataclass
class Sample:
    file: str
    closed: bool
    #: Per way: the faces that decide the score (measured faces only).
    found: dict[str, list[faces.Face]] = field(default_factory=dict)
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


def part_of(file: str) -> str:
    """``tune`` or ``report``: the fixed half a crop belongs to (see the module docstring)."""
    match = re.search(r"closed_eye_\d+", file)
    key = match.group(0) if match else file
    return "tune" if int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 2 == 0 else "report"


def read_manifest(eyes_dir: Path) -> list[Sample]:
    with open(eyes_dir / "MANIFEST.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [Sample(file=row["file"], closed="label=closed" in row["notes"]) for row in rows]


def photo_like(crop: Image.Image, face_px: int = 0) -> Image.Image:
    """The crop at its own size in the middle of a backdrop 3× as large, shrunk as the app's analysis image.

    With ``face_px``, the crop is first resized to that long side and placed in the middle of
    a 3:2 frame as large as the analysis image: a face of ``face_px`` pixels in a whole photo.
    """
    if face_px:
        crop = crop.resize((max(1, round(crop.width * face_px / max(crop.size))),
                            max(1, round(crop.height * face_px / max(crop.size)))), Image.Resampling.BOX)
        canvas = Image.new("RGB", (ANALYSIS_SIZE, ANALYSIS_SIZE * 2 // 3), BACKDROP)
        canvas.paste(crop, ((canvas.width - crop.width) // 2, (canvas.height - crop.height) // 2))
        return canvas
    canvas = Image.new("RGB", (3 * crop.width, 3 * crop.height), BACKDROP)
    canvas.paste(crop, (crop.width, crop.height))
    return render(canvas, ANALYSIS_SIZE, resample=ANALYSIS_RESAMPLE)


def measure_photo(analyzer: faces.FaceAnalyzer, crop: Image.Image, face_px: int = 0) -> tuple[list[faces.Face], float]:
    """Every measured face the app finds in the photo-like image, and the CPU seconds ``analyze`` took."""
    image = photo_like(crop, face_px)
    start = time.process_time()
    found = [face for face in analyzer.analyze(image).faces if face.eyes]
    return found, time.process_time() - start


def measure_crop(analyzer: faces.FaceAnalyzer, crop: Image.Image, pad: float) -> tuple[list[faces.Face], float]:
    """The largest measured face in the padded crop (the whole crop as a face when none is detected), and the CPU seconds."""
    border = round(pad * max(crop.size))
    padded = ImageOps.expand(crop, border=border, fill=BACKDROP) if border else crop
    start = time.process_time()
    measured = [face for face in analyzer.analyze(padded).faces if face.eyes]
    if measured:
        return [max(measured, key=lambda face: face.area)], time.process_time() - start
    whole = analyzer.measure_eyes(padded, _whole_crop_face(border, crop.width, crop.height))
    return ([whole] if whole.eyes else []), time.process_time() - start


def _whole_crop_face(border: int, width: int, height: int) -> faces.Face:
    """A face box covering the original crop, eyes assumed level (only their angle is used)."""
    x0, y0, x1, y1 = border, border, border + width, border + height
    eye_y = y0 + 0.4 * height
    keypoints = np.array([[x0 + 0.3 * width, eye_y], [x0 + 0.7 * width, eye_y]] + [[0.0, 0.0]] * 4)
    return faces.Face(box=(x0, y0, x1, y1), score=1.0, keypoints=keypoints)


def lid_gap(eye: faces.Eye) -> float:
    """The former openness: gap between the central upper and lower lid points / eye width."""
    lids = eye.contour
    axis = lids[8] - lids[0]
    width = float(np.hypot(*axis))
    up = np.array([axis[1], -axis[0]]) / max(width, 1e-6)
    up = -up if axis[0] < 0 else up
    return float(((lids[[11, 12, 13]] - lids[[3, 4, 5]]) @ up).mean() / max(width, 1e-6))


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U; ties count half)."""
    ranks = rankdata(scores)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def flag_numbers(flagged: np.ndarray, closed: np.ndarray) -> dict:
    """Recall, false-alarm rate and flagged-but-open rate of a set of flags."""
    return {
        "recall": float(flagged[closed].mean()),
        "false_alarm_rate": float(flagged[~closed].mean()),
        "flagged": int(flagged.sum()),
        "flagged_but_open": int((flagged & ~closed).sum()),
        "flagged_but_open_rate": float((flagged & ~closed).sum() / max(int(flagged.sum()), 1)),
    }


def evaluate(samples: list[Sample], way: str, sweep: bool) -> dict:
    """The shipped score's numbers for one way in, with the lid-gap ablation (and a threshold sweep)."""
    closed = np.array([s.closed for s in samples])
    found = [s.found.get(way, []) for s in samples]
    probability = np.array([max((f.closed_probability for f in fs), default=0.0) for fs in found])
    flagged = np.array([any(f.eyes_closed for f in fs) for fs in found])
    lowest = np.array([min((faces.face_openness(f.eyes) for f in fs), default=np.inf) for fs in found])
    gap = np.array([min((np.mean([lid_gap(e) for e in f.eyes]) for f in fs), default=np.inf) for fs in found])
    missed = np.array([not fs for fs in found])
    result = {
        "n_closed": int(closed.sum()),
        "n_open": int((~closed).sum()),
        "no_face_closed": int((missed & closed).sum()),
        "no_face_open": int((missed & ~closed).sum()),
        "auc": roc_auc(probability, closed),
        "auc_faces_found": roc_auc(probability[~missed], closed[~missed]),
        "threshold": faces.EYE_CLOSED_THRESHOLD,
        "at_threshold": flag_numbers(flagged, closed),
        "ablation_lid_gap_auc": roc_auc(-gap, closed),
    }
    if sweep:
        result["sweep"] = {f"{t:.2f}": flag_numbers(lowest < t, closed) for t in SWEEP}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eyes", type=Path, required=True, help="folder with MANIFEST.csv, closed/, open/")
    parser.add_argument("--part", choices=("report", "tune", "all"), default="report", help="which fixed half (default: report)")
    parser.add_argument("--mode", choices=("both", "photos", "crops"), default="both")
    parser.add_argument("--models", type=Path, help="default: the shipped assets/models")
    parser.add_argument("--pad", type=float, default=0.25, help="crops: border added round each crop, as a fraction of its long side")
    parser.add_argument("--face-px", type=int, default=0,
                        help="photos: resize every face to this many pixels in a 512x341 frame (small faces); 0: own size")
    parser.add_argument("--limit", type=int, default=0, help="evaluate only the first N of each class (0: all)")
    parser.add_argument("--sweep", action="store_true", help="also report other openness thresholds (tune half only)")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--exclude-open", type=Path, help="file listing open crops judged closed by eye (one path a line, # comments)")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (CPU timing)")
    parser.add_argument("--zoom", action="store_true", help="FaceAnalyzer(zoom=True): two zoomed squares on small photos")
    args = parser.parse_args(argv)

    samples = [s for s in read_manifest(args.eyes) if args.part == "all" or part_of(s.file) == args.part]
    if args.limit:
        samples = [s for s in samples if s.closed][: args.limit] + [s for s in samples if not s.closed][: args.limit]
    analyzer = faces.FaceAnalyzer(args.models, RuntimeSettings(device="cpu", threads=args.threads), zoom=args.zoom)
    ways = ("photos", "crops") if args.mode == "both" else (args.mode,)
    result: dict = {"part": args.part, "split": "sha256(source key) even: tune, odd: report", "pad": args.pad,
                    "face_px": args.face_px, "zoom": args.zoom}
    for way in ways:
        timers = _time_sessions(analyzer)
        seconds = 0.0
        for sample in tqdm(samples, desc=way, unit="face"):
            try:
                with Image.open(args.eyes / sample.file) as image:
                    crop = ImageOps.exif_transpose(image).convert("RGB")
            except OSError as exc:
                sample.error = str(exc)
                continue
            measured = measure_photo(analyzer, crop, args.face_px) if way == "photos" else measure_crop(analyzer, crop, args.pad)
            sample.found[way], spent = measured
            seconds += spent
        result[way] = evaluate(samples, way, args.sweep)
        if args.exclude_open:
            excluded = _listed_files(args.exclude_open)
            kept = [s for s in samples if s.closed or s.file not in excluded]
            result[way]["excluding_open_judged_closed"] = {"n_excluded": len(samples) - len(kept), **evaluate(kept, way, False)}
        measured = sum(len(s.found.get(way, [])) for s in samples)
        result[way]["analyze_cpu_ms_per_measured_face"] = 1000 * seconds / max(measured, 1)
        result[way]["model_ms"] = {
            name: {"calls": t.calls, "ms_per_call": 1000 * t.seconds / max(t.calls, 1)} for name, t in timers.items()
        }
    result["unreadable"] = [s.file for s in samples if s.error]
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def _time_sessions(analyzer: faces.FaceAnalyzer) -> dict[str, TimedSession]:
    """Fresh timers round the analyzer's three sessions (unwrapping earlier timers)."""
    def bare(session):
        return session.session if isinstance(session, TimedSession) else session

    timers = {
        faces.DETECTOR_MODEL: TimedSession(bare(analyzer.detector_session)),
        faces.LANDMARK_MODEL: TimedSession(bare(analyzer.landmark_session)),
        faces.IRIS_MODEL: TimedSession(bare(analyzer.iris_session)),
    }
    analyzer.detector_session, analyzer.landmark_session, analyzer.iris_session = timers.values()
    return timers


def _listed_files(path: Path) -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in lines if line}


if __name__ == "__main__":
    raise SystemExit(main())
