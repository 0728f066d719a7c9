"""Best shot within a burst: one combined score per frame, the winner, and reasons in words.

Every cue is made relative to the group, because a burst is judged against itself
(Narrative's "relative to the other images in the scene"), then weighted:

============  ======  ==========================================================
cue           weight  value in 0..1
============  ======  ==========================================================
pairwise      0.40    mean probability of beating each other frame (burst ranker)
eyes          0.30    fraction of faces with open eyes (only if a frame has faces)
sharpness     0.20    subject sharpness relative to the group: (s - min) / max(range, 0.1)
quality       0.10    quality score relative to the group: (q - min) / max(range, 1.0)
============  ======  ==========================================================

Cues nobody in the group has are dropped and the remaining weights renormalised; a frame
flagged blurry loses :data:`BLURRY_PENALTY`. The range floors stop tiny differences (0.2
points of quality) from deciding alone. Without a burst ranker, eyes and sharpness lead:
closed eyes and missed focus are the faults photographers cull bursts for.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

WEIGHTS = {"pairwise": 0.40, "eyes": 0.30, "sharpness": 0.20, "quality": 0.10}
BLURRY_PENALTY = 0.2
_SHARPNESS_RANGE_FLOOR = 0.1
_QUALITY_RANGE_FLOOR = 1.0
#: A difference worth a reason: relative sharpness / quality points / win probability.
_SHARPER = 0.15
_BETTER_QUALITY = 0.5

PairwiseProbability = Callable[[Hashable, Hashable], float]


@dataclass(frozen=True)
class ShotEvidence:
    """What the analysis knows about one frame. None = not measured."""

    key: Hashable
    quality: float | None = None  # 1..10, aesthetic or technical score
    subject_sharpness: float | None = None  # engine.analysis.cues subject sharpness, larger = sharper
    faces: int = 0
    faces_eyes_closed: int = 0
    blurry: bool = False


@dataclass(frozen=True)
class RankedShot:
    key: Hashable
    rank: int  # 1 = best
    score: float
    is_best: bool
    reasons: tuple[str, ...]


def rank_group(shots: Sequence[ShotEvidence], pairwise: PairwiseProbability | None = None) -> list[RankedShot]:
    """Rank a group's frames best first. ``pairwise(a, b)`` = P(frame a is better than frame b)."""
    if not shots:
        return []
    cues = _relative_cues(shots, pairwise)
    scores = [_combine(i, cues) - (BLURRY_PENALTY if s.blurry else 0.0) for i, s in enumerate(shots)]
    order = sorted(range(len(shots)), key=lambda i: -scores[i])
    ranked = []
    for rank, i in enumerate(order, start=1):
        reasons = _reasons(shots, cues, i, order) if len(shots) > 1 else ()
        ranked.append(RankedShot(shots[i].key, rank, round(scores[i], 4), rank == 1, reasons))
    return ranked


def _relative_cues(shots: Sequence[ShotEvidence], pairwise: PairwiseProbability | None) -> dict[str, list[float]]:
    cues: dict[str, list[float]] = {}
    if pairwise is not None and len(shots) > 1:
        cues["pairwise"] = [
            sum(pairwise(a.key, b.key) for b in shots if b is not a) / (len(shots) - 1) for a in shots
        ]
    if any(s.faces for s in shots):
        cues["eyes"] = [1.0 - s.faces_eyes_closed / s.faces if s.faces else 1.0 for s in shots]
    for name, values, floor in (
        ("sharpness", [s.subject_sharpness for s in shots], _SHARPNESS_RANGE_FLOOR),
        ("quality", [s.quality for s in shots], _QUALITY_RANGE_FLOOR),
    ):
        if all(v is not None for v in values):
            low, high = min(values), max(values)  # type: ignore[type-var]
            cues[name] = [(v - low) / max(high - low, floor) for v in values]  # type: ignore[operator]
    return cues


def _combine(i: int, cues: dict[str, list[float]]) -> float:
    total = sum(WEIGHTS[name] for name in cues)
    return sum(WEIGHTS[name] * values[i] for name, values in cues.items()) / total if total else 0.0


def _reasons(shots, cues, i: int, order: list[int]) -> tuple[str, ...]:
    """Why frame ``i`` won against the runner-up, or lost against the winner."""
    best = i == order[0]
    rival = order[1] if best else order[0]
    me, other = shots[i], shots[rival]
    tag = f"#{order.index(rival) + 1}"
    found: list[str] = []
    if me.faces and me.faces_eyes_closed:
        found.append(f"eyes closed on {me.faces_eyes_closed} of {me.faces} face{'s' if me.faces > 1 else ''}")
    elif best and me.faces and other.faces_eyes_closed:
        found.append(f"all eyes open ({tag} has closed eyes)")
    if me.blurry:
        found.append("blurry")
    if "sharpness" in cues:
        delta = cues["sharpness"][i] - cues["sharpness"][rival]
        if delta >= _SHARPER:
            found.append(f"subject sharper than {tag}")
        elif delta <= -_SHARPER:
            found.append(f"subject softer than {tag}")
    if me.quality is not None and other.quality is not None:
        delta = me.quality - other.quality
        if abs(delta) >= _BETTER_QUALITY:
            word = "higher" if delta > 0 else "lower"
            found.append(f"{word} quality score than {tag} ({me.quality:.1f} vs {other.quality:.1f})")
    if "pairwise" in cues:
        mine, theirs = cues["pairwise"][i], cues["pairwise"][rival]
        if best and mine > theirs:
            found.append(f"burst ranker prefers it ({mine:.0%} average win rate)")
        elif not best and mine < theirs:
            found.append(f"burst ranker prefers {tag} ({theirs:.0%} vs {mine:.0%})")
    if best and not found:
        found.append(f"best combined score; close call with {tag}")
    return tuple(found)
