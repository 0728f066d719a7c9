"""The one score a photographer sees: a model's score placed on 0..100.

**What the score means** (:data:`SCORE_MEANING`): how a photo compares with a fixed set of
reference photos measured when the model was built — 50 is as good as the middle one, 90
better than nine in ten. Because the reference never changes, a 70 means the same in every
shoot; it is not a rank within the shoot.

How: a model's manifest may carry a ``score_reference``
(:class:`engine.inference.contract.ScoreReference`): scores at increasing probabilities of
the reference set. Between two quantiles the 0..100 score is interpolated linearly. Beyond
the outermost quantiles it approaches 0 or 100 exponentially, with the slope of the nearest
interval, so the mapping is continuous, strictly increasing wherever the quantiles are, and
never leaves 0..100 however far a photo lies outside the reference set (a damaged photo
still scores below a less damaged one).

**Fallback** for a manifest without a reference (:data:`FALLBACK_RULE`): the contract's
1..10 score ``s`` becomes ``100 / (1 + exp(-(s - 5.5) / 1.5))``: 5.5, the middle of
1..10, is 50; 1 is about 5 and 10 about 95.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.config import paths
from engine.inference.contract import ContractError, ModelManifest, ScoreReference, load_manifest
from engine.inference.registry import shipped_models_dir

SCORE_MEANING = ("Score 0–100: how this photo compares with a fixed set of reference photos "
                 "(50 = typical, 90 = better than nine in ten); it means the same in every shoot.")
FALLBACK_RULE = "100 / (1 + exp(-(s - 5.5) / 1.5)) of the model's 1..10 score s (no reference distribution)"
_FALLBACK_MIDDLE, _FALLBACK_SPREAD = 5.5, 1.5


@dataclass(frozen=True)
class ScoreScale:
    """A monotone map from one model's score onto 0..100 (see the module docstring)."""

    points: tuple[tuple[float, float], ...] = ()   # (score, 0..100), scores strictly rising; () = fallback

    @classmethod
    def from_reference(cls, reference: ScoreReference | None) -> ScoreScale:
        if reference is None:
            return cls()
        return cls(_merged_points(reference.quantiles, reference.probabilities))

    @property
    def has_reference(self) -> bool:
        return bool(self.points)

    def percent(self, score: float | None) -> float | None:
        """``score`` on 0..100 (None stays None)."""
        if score is None or not math.isfinite(score):
            return None
        if not self.points:
            return 100.0 / (1.0 + math.exp(-(score - _FALLBACK_MIDDLE) / _FALLBACK_SPREAD))
        return _interpolate(self.points, score)


def scale_of(manifest: ModelManifest | None) -> ScoreScale:
    return ScoreScale.from_reference(manifest.score_reference if manifest else None)


def _merged_points(quantiles: Sequence[float], probabilities: Sequence[float]) -> tuple[tuple[float, float], ...]:
    """Pairs (score, percent); equal quantiles (a plateau in the reference) become one point at their middle."""
    merged: list[tuple[float, list[float]]] = []
    for q, p in zip(quantiles, probabilities):
        if merged and q == merged[-1][0]:
            merged[-1][1].append(100.0 * p)
        else:
            merged.append((float(q), [100.0 * p]))
    return tuple((q, sum(ps) / len(ps)) for q, ps in merged)


def _interpolate(points: tuple[tuple[float, float], ...], score: float) -> float:
    (q0, p0), (q1, p1) = points[0], points[-1]
    if score <= q0:
        return _tail(p0, q0 - score, _slope(points, 0))
    if score >= q1:
        return 100.0 - _tail(100.0 - p1, score - q1, _slope(points, len(points) - 2))
    low = _bisect(points, score)
    (qa, pa), (qb, pb) = points[low], points[low + 1]
    return pa + (pb - pa) * (score - qa) / (qb - qa)


def _tail(room: float, distance: float, slope: float) -> float:
    """What is left of ``room`` (the percent beyond the outermost quantile) ``distance`` further out."""
    if room <= 0.0 or slope <= 0.0:
        return max(room, 0.0) if distance == 0 else 0.0
    return room * math.exp(-distance * slope / room)


def _slope(points: tuple[tuple[float, float], ...], index: int) -> float:
    (qa, pa), (qb, pb) = points[index], points[index + 1]
    return (pb - pa) / (qb - qa)


def _bisect(points: tuple[tuple[float, float], ...], score: float) -> int:
    low, high = 0, len(points) - 1
    while high - low > 1:
        middle = (low + high) // 2
        if points[middle][0] <= score:
            low = middle
        else:
            high = middle
    return low


def installed_scales(folders: Sequence[Path] | None = None) -> dict[tuple[str, str], ScoreScale]:
    """The scale of every installed scoring model, by (model name, ONNX sha256): the identity the
    catalog stores with each score, so a score is placed by the reference of the model that gave it.

    Manifests are read without re-hashing their ONNX files (the catalog's sha256 already names the
    file that ran) and the answer is cached until a manifest changes.
    """
    folders = tuple(folders) if folders is not None else (shipped_models_dir(), paths.user_models_dir())
    manifests = tuple(sorted(path for folder in folders if folder.is_dir() for path in folder.glob("*.json")))
    stamp = tuple((path, _mtime(path)) for path in manifests)
    if stamp not in _CACHE:
        _CACHE.clear()
        _CACHE[stamp] = _read_scales(manifests)
    return _CACHE[stamp]


_CACHE: dict[tuple, dict[tuple[str, str], ScoreScale]] = {}


def _read_scales(manifests: Sequence[Path]) -> dict[tuple[str, str], ScoreScale]:
    scales: dict[tuple[str, str], ScoreScale] = {}
    for path in manifests:
        try:
            manifest = load_manifest(path, check_hash=False)
        except ContractError:
            continue   # refused models never scored anything; `photocull-cli models` says why
        if manifest.output.score_rule != "none":
            scales[(manifest.name, manifest.onnx_sha256)] = scale_of(manifest)
    return scales


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1
