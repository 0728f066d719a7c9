"""How the shipped quality and burst models are measured (builder and bench/ share this code).

Quality ranker (RankIQA protocol): for every test photo and defect type, score
the photo at levels 0..5 and take Spearman's rank correlation between the score
and *minus* the level (1.0 = the score falls at every step); report the mean over
photos per type. Bokeh rule: the share of (photo, level) pairs where the
background-blurred photo scores at least as high as the original.

Burst ranker: in a real burst, degrade one frame and ask the model whether an
untouched *other* frame is better; accuracy is the share of correct answers.

Models are called through ONNX Runtime with ``engine.inference.preprocess`` — exactly what
the app runs — via the small :class:`OnnxModel` wrapper.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.stats import spearmanr

from engine.inference.contract import ModelManifest, load_manifest
from engine.inference.preprocess import preprocess_batch
from engine.inference.runtime import RuntimeSettings, create_session
from training.distortions import BACKGROUND_BLUR, DEFECTS, LEVELS, distort

BURST_DEGRADATIONS: tuple[str, ...] = ("gaussian_blur", "motion_blur", "gaussian_noise", "underexposure", "overexposure")
BURST_LEVEL = 2

Scorer = Callable[[Sequence[np.ndarray]], np.ndarray]


class OnnxModel:
    """An exported model (``NAME.json`` + ``NAME.onnx``) run the way the app runs it."""

    def __init__(self, manifest_path: Path, *, threads: int | None = None, batch: int = 16) -> None:
        self.manifest: ModelManifest = load_manifest(Path(manifest_path))
        onnx_path = Path(manifest_path).parent / self.manifest.onnx_file
        self.session = create_session(onnx_path, RuntimeSettings(device="cpu", threads=threads))
        self.batch = batch
        outputs = [output.name for output in self.session.session.get_outputs()]
        wanted = self.manifest.output.output_name
        self.output_index = outputs.index(wanted) if wanted else 0  # a shared file: this manifest's output

    def inputs(self, images: Sequence[np.ndarray]) -> np.ndarray:
        return preprocess_batch([Image.fromarray(im) for im in images], self.manifest.input)

    def __call__(self, *image_lists: Sequence[np.ndarray]) -> np.ndarray:
        """One output row per image (or per pair, for two lists); outputs stacked along the batch axis."""
        count = len(image_lists[0])
        chunks = []
        for start in range(0, count, self.batch):
            arrays = [self.inputs(images[start : start + self.batch]) for images in image_lists]
            chunks.append(self.session.run(*arrays)[self.output_index])
        return np.concatenate(chunks)


@dataclass
class QualityReport:
    srcc: dict[str, float]  # defect → mean per-photo SRCC(score, −level)
    bokeh_rate: float  # share of (photo, level) with score(background blur) >= score(original)
    bokeh_photo_rate: float  # share of photos where that holds at every level
    photos: int

    @property
    def mean_srcc(self) -> float:
        return float(np.mean(list(self.srcc.values())))


def evaluate_quality(score: Scorer, photos: Sequence[np.ndarray], *, seed: int = 0) -> QualityReport:
    """SRCC per defect type and the bokeh rate of ``score`` on ``photos`` (uint8 RGB arrays)."""
    per_kind: dict[str, list[float]] = {kind: [] for kind in DEFECTS}
    bokeh_pairs: list[bool] = []
    bokeh_photos: list[bool] = []
    levels = np.arange(LEVELS + 1)
    for index, photo in enumerate(photos):
        for kind in DEFECTS:
            versions = [distort(photo, kind, level, seed=seed + index) for level in levels]
            per_kind[kind].append(_srcc(score(versions), -levels))
        blurred = [distort(photo, BACKGROUND_BLUR, level) for level in levels]
        scores = score(blurred).reshape(-1)
        kept = scores[1:] >= scores[0]
        bokeh_pairs.extend(kept.tolist())
        bokeh_photos.append(bool(kept.all()))
    return QualityReport(
        srcc={kind: float(np.mean(values)) for kind, values in per_kind.items()},
        bokeh_rate=float(np.mean(bokeh_pairs)),
        bokeh_photo_rate=float(np.mean(bokeh_photos)),
        photos=len(photos),
    )


@dataclass
class BurstReport:
    accuracy: dict[str, float]  # degradation → share of pairs where the untouched frame wins
    pairs: int

    @property
    def mean_accuracy(self) -> float:
        return float(np.mean(list(self.accuracy.values())))


def evaluate_burst(
    prefer_first: Callable[[list[np.ndarray], list[np.ndarray]], np.ndarray],
    groups: Sequence[Sequence[np.ndarray]],
    *,
    seed: int = 0,
    max_pairs_per_group: int | None = None,
) -> BurstReport:
    """Accuracy of ``prefer_first(firsts, seconds) -> P(first better)`` at picking an untouched frame.

    Ordered pairs (a, b) of different frames in a group (all of them, or an evenly
    spread ``max_pairs_per_group``) are asked twice, with the untouched ``a`` first
    and then second, so a model with an order bias gains nothing.
    """
    accuracy: dict[str, float] = {}
    pairs = 0
    for kind in BURST_DEGRADATIONS:
        clean, degraded = [], []
        for group_index, frames in enumerate(groups):
            for i, j in _spread(list(permutations(range(len(frames)), 2)), max_pairs_per_group):
                clean.append(frames[i])
                degraded.append(distort(frames[j], kind, BURST_LEVEL, seed=seed + group_index * 100 + j))
        forward = np.asarray(prefer_first(clean, degraded)).reshape(-1) > 0.5
        backward = np.asarray(prefer_first(degraded, clean)).reshape(-1) < 0.5
        accuracy[kind] = float(np.concatenate([forward, backward]).mean())
        pairs = len(clean)
    return BurstReport(accuracy=accuracy, pairs=pairs)


def _spread(items: list, count: int | None) -> list:
    """``count`` items evenly spaced through ``items`` (all of them when ``count`` is None or larger)."""
    if count is None or count >= len(items):
        return items
    return [items[round(k * (len(items) - 1) / max(count - 1, 1))] for k in range(count)]


def _srcc(scores: np.ndarray, target: np.ndarray) -> float:
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    if np.ptp(scores) == 0:
        return 0.0  # a constant score ranks nothing
    return float(spearmanr(scores, target).statistic)
