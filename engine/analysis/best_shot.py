"""Best shot within a burst: one combined score per frame, the winner, and reasons in words.

Every cue is made relative to the group, because a burst is judged against itself
(Narrative's "relative to the other images in the scene"), then weighted:

============  ======  ==========================================================
cue           weight  value in 0..1
============  ======  ==========================================================
pairwise      0.40    mean probability of beating each other frame (burst ranker,
                      or the user's personal model)
eyes          0.30    fraction of faces with open eyes (only if a frame has faces)
sharpness     0.20    subject sharpness relative to the group: (s - min) / max(range, 0.1)
quality       0.10    quality score relative to the group: (q - min) / max(range, 1.0)
============  ======  ==========================================================

Cues nobody in the group has are dropped and the remaining weights renormalised. Two faults
are penalties on top, because no other cue outweighs them for a photographer: a frame flagged
blurry loses :data:`BLURRY_PENALTY`, and a frame whose prominent head is cut by the frame edge
loses :data:`CUT_PENALTY` times the share of the head cut off beyond the group's best-framed
frame (:mod:`engine.analysis.framing`); a frame where the burst's main face is not found at
all counts as cut by :data:`MISSING_FACE_CUT`. The range floors stop tiny differences (0.2 points of
quality) from deciding alone. Without a burst ranker, eyes and sharpness lead: closed eyes and
missed focus are the faults photographers cull bursts for.

Reasons are short phrases a photographer reads under a thumbnail ("sharper than #2", "face
cut off at the left edge", "eyes closed"); they never name a model or a number from one.
The ones that explain the outcome come first; a difference that goes the other way is kept,
after them, as "though softer than #2" (the best frame need not win on every count).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from engine.analysis.framing import FrameCheck

WEIGHTS = {"pairwise": 0.40, "eyes": 0.30, "sharpness": 0.20, "quality": 0.10}
BLURRY_PENALTY = 0.2
CUT_PENALTY = 2.5
#: The cut counted for a frame where the burst's main face is not found (it left the frame, or
#: turned away): the group's largest face is a main subject (side at least :data:`MAIN_FACE` of
#: the short side) and this frame has no face half that size. Crowds of small faces, whose
#: detections come and go from frame to frame, do not count.
MISSING_FACE_CUT = 0.4
MAIN_FACE = 0.15
_SHARPNESS_RANGE_FLOOR = 0.1
_QUALITY_RANGE_FLOOR = 1.0
#: A difference worth a reason: relative sharpness / quality points / win probability / head share cut.
_SHARPER = 0.15
#: The smallest subject-sharpness difference (0..1 units) a reason names: re-framing alone (a burst's drift)
#: moves the measure by less than this for 95 % of photos, and a 0.5-px blur at the analysis size moves it by
#: more for 90 % (bench/sharpness_steps.py, tune part).
VISIBLY_SHARPER = 0.03
_BETTER_QUALITY = 0.5
_PREFERRED = 0.1
_CUT_NOTICE = 0.05

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
    blur_reason: str | None = None  # engine.analysis.cues.judge_blur's reason
    framing: FrameCheck = field(default_factory=FrameCheck)


@dataclass(frozen=True)
class RankedShot:
    key: Hashable
    rank: int  # 1 = best
    score: float
    is_best: bool
    reasons: tuple[str, ...]


def rank_group(shots: Sequence[ShotEvidence], pairwise: PairwiseProbability | None = None, *,
               taste: bool = False) -> list[RankedShot]:
    """Rank a group's frames best first. ``pairwise(a, b)`` = P(frame a is better than frame b).

    ``taste``: ``pairwise`` is the user's personal model, and the reasons say so.
    """
    if not shots:
        return []
    cues = _relative_cues(shots, pairwise)
    missing = _main_face_missing(shots)
    cuts = [max(s.framing.cut, MISSING_FACE_CUT if gone else 0.0) for s, gone in zip(shots, missing)]
    scores = [_combine(i, cues) - (BLURRY_PENALTY if s.blurry else 0.0) - CUT_PENALTY * (cuts[i] - min(cuts))
              for i, s in enumerate(shots)]
    order = sorted(range(len(shots)), key=lambda i: -scores[i])
    ranked = []
    for rank, i in enumerate(order, start=1):
        reasons = _reasons(shots, cues, i, order, taste, missing) if len(shots) > 1 else ()
        ranked.append(RankedShot(shots[i].key, rank, round(scores[i], 4), rank == 1, reasons))
    return ranked


def _main_face_missing(shots: Sequence[ShotEvidence]) -> list[bool]:
    """Per frame: the burst's main face (see :data:`MISSING_FACE_CUT`) is not found in it."""
    main = max(s.framing.largest for s in shots)
    return [main >= MAIN_FACE and s.framing.largest < 0.5 * main for s in shots]


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


def _reasons(shots, cues, i: int, order: list[int], taste: bool, missing: list[bool]) -> tuple[str, ...]:
    """Why frame ``i`` won against the runner-up, or lost against the winner, in a photographer's words:
    the differences that explain it first, then any that go the other way as "though …"."""
    best = i == order[0]
    rival = order[1] if best else order[0]
    tag = f"#{order.index(rival) + 1}"
    found = _differences(shots[i], shots[rival], cues, i, rival, best, tag, taste)
    if missing[i] and not missing[rival]:
        found.append(("face not visible", False))
    explaining = [words for words, for_me in found if for_me == best]
    against = [f"though {words}" for words, for_me in found if for_me != best]
    if not explaining:
        explaining = [f"close call with {tag}"]
    return tuple(explaining + against)


def _differences(me: ShotEvidence, other: ShotEvidence, cues: dict[str, list[float]], i: int, rival: int,
                 best: bool, tag: str, taste: bool) -> list[tuple[str, bool]]:
    """Each difference worth saying, with whether it counts for frame ``i`` (True) or against it."""
    found = [(words, False) for words in _eyes_faults(me)]
    found += [(words, True) for words in _eyes_credit(me, other, best, tag)]
    found += _framing_reasons(me, other, best, tag)
    if me.blurry:
        found.append((blur_words(me.blur_reason), False))
    if "sharpness" in cues and me.subject_sharpness is not None and other.subject_sharpness is not None:
        relative = cues["sharpness"][i] - cues["sharpness"][rival]
        visible = abs(me.subject_sharpness - other.subject_sharpness) >= VISIBLY_SHARPER
        what = " eyes" if _eyes_judged(me, other) else ""
        if visible and relative >= _SHARPER:
            found.append((f"sharper{what} than {tag}", True))
        elif visible and relative <= -_SHARPER and not me.blurry:   # a blurry frame already says so
            found.append((f"softer{what} than {tag}", False))
    if me.quality is not None and other.quality is not None and abs(me.quality - other.quality) >= _BETTER_QUALITY:
        better = me.quality > other.quality
        found.append((f"{'better' if better else 'poorer'} image quality than {tag}", better))
    if "pairwise" in cues:
        found += _preference_reasons(cues["pairwise"][i] - cues["pairwise"][rival], best, tag, taste)
    return found


def blur_words(blur_reason: str | None) -> str:
    """The blur verdict of :func:`engine.analysis.cues.judge_blur` in three words or so."""
    reason = blur_reason or ""
    if "focus missed" in reason:
        return "focus missed"
    if "whole frame" in reason:
        return "blurred by shake or motion"
    return "subject soft"


def _eyes_judged(me: ShotEvidence, other: ShotEvidence) -> bool:
    return bool(me.faces and other.faces)


def _eyes_faults(me: ShotEvidence) -> list[str]:
    if me.faces and me.faces_eyes_closed:
        return ["eyes closed" if me.faces == 1 else f"eyes closed on {me.faces_eyes_closed} of {me.faces} faces"]
    return []


def _eyes_credit(me: ShotEvidence, other: ShotEvidence, best: bool, tag: str) -> list[str]:
    if best and me.faces and not me.faces_eyes_closed and other.faces_eyes_closed:
        return [f"eyes open (closed in {tag})"]
    return []


def _framing_reasons(me: ShotEvidence, other: ShotEvidence, best: bool, tag: str) -> list[tuple[str, bool]]:
    gap = me.framing.cut - other.framing.cut
    if gap >= _CUT_NOTICE:
        return [(cut_words(me.framing.edge), False)]
    if best and gap <= -_CUT_NOTICE:
        return [(f"face whole (cut off in {tag})", True)]
    return []


def cut_words(edge: str | None) -> str:
    """Where a head is cut off, as a photographer says it."""
    if edge == "top":
        return "head cut off at the top"
    if edge == "bottom":
        return "face cut off at the bottom"
    return f"face cut off at the {edge} edge" if edge else "face cut off"


def _preference_reasons(lead: float, best: bool, tag: str, taste: bool) -> list[tuple[str, bool]]:
    """The burst ranker's (or personal model's) preference, when it is clear (said only when it agrees
    with the outcome)."""
    if best and lead >= _PREFERRED:
        return [("your taste prefers it" if taste else f"cleaner frame than {tag}", True)]
    if not best and lead <= -_PREFERRED:
        return [(f"your taste prefers {tag}" if taste else f"{tag} is the cleaner frame", False)]
    return []
