""""Help me calibrate": the A/B questions whose answers would teach the personal model most.

Uncertainty sampling (the simplest active-learning rule): ask about the pairs whose
predicted win probability is closest to 50 %. Candidates are, first, frames of the same
burst (the cleanest comparison: same scene, same moment), then photos next to each other
in the personal ranking. Pairs the user has already ordered (different decisions, or a
previous answer) are never asked again.

Without a personal model yet (too few decisions), the generic sort score stands in, so
calibration can be how a new user gets to the minimum number of decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.library.catalog import Catalog
from engine.personalize import store
from engine.personalize.dataset import USER_SOURCES, utility_of
from engine.personalize.scoring import raw_scores

BURST_PAIR, NEIGHBOUR_PAIR = "burst", "neighbours"
#: Doubt within the same 5-point band counts as equal, and then a burst pair is asked first.
_DOUBT_STEP = 0.05


@dataclass(frozen=True)
class CalibrationPair:
    first_id: int
    second_id: int
    first_path: str           # primary files, root-relative (the catalog's form)
    second_path: str
    probability: float       # predicted P(first is preferred); 0.5 = no idea
    kind: str                # burst | neighbours


def least_sure_pairs(catalog: Catalog, count: int = 10) -> list[CalibrationPair]:
    """Up to ``count`` questions, least sure first, burst pairs before neighbour pairs at equal doubt."""
    model = store.load_model(catalog)
    if model is not None:
        scores, temperature = raw_scores(catalog, model), model.temperature
    else:
        scores, temperature = _generic_scores(catalog), 1.0
    if len(scores) < 2:
        return []
    known = _ordering_known(catalog)
    candidates: dict[tuple[int, int], str] = {}
    for a, b, kind in [*_burst_pairs(catalog), *_neighbour_pairs(scores)]:
        key = (min(a, b), max(a, b))
        if a in scores and b in scores and key not in candidates and not known(a, b):
            candidates[key] = kind
    paths = _primary_paths(catalog)
    asked = []
    for (a, b), kind in candidates.items():
        p = float(0.5 * (1.0 + np.tanh(0.5 * temperature * (scores[a] - scores[b]))))
        asked.append(CalibrationPair(a, b, paths.get(a, ""), paths.get(b, ""), round(p, 4), kind))
    asked.sort(key=lambda pair: (round(abs(pair.probability - 0.5) / _DOUBT_STEP), pair.kind != BURST_PAIR,
                                 abs(pair.probability - 0.5), pair.first_id))
    return asked[:count]


def record_choice(catalog: Catalog, winner_id: int, loser_id: int) -> None:
    """The user preferred ``winner_id`` to ``loser_id``; the next personalize run learns from it."""
    if winner_id == loser_id:
        raise ValueError("a photo cannot be preferred to itself")
    store.add_choice(catalog, winner_id, loser_id)


def _generic_scores(catalog: Catalog) -> dict[int, float]:
    rows = catalog.conn.execute(
        "SELECT photo_id, sort_score FROM photo_analysis WHERE status = 'ok' AND sort_score IS NOT NULL")
    return {pid: float(score) for pid, score in rows}


def _burst_pairs(catalog: Catalog) -> list[tuple[int, int, str]]:
    members: dict[int, list[int]] = {}
    for pid, group in catalog.conn.execute(
            "SELECT photo_id, group_id FROM bursts WHERE kind = 'burst' AND size > 1 ORDER BY group_id, photo_id"):
        members.setdefault(group, []).append(pid)
    return [(a, b, BURST_PAIR) for ids in members.values() for i, a in enumerate(ids) for b in ids[i + 1:]]


def _neighbour_pairs(scores: dict[int, float]) -> list[tuple[int, int, str]]:
    ordered = sorted(scores, key=scores.__getitem__)
    return [(a, b, NEIGHBOUR_PAIR) for a, b in zip(ordered, ordered[1:])]


def _ordering_known(catalog: Catalog) -> Callable[[int, int], bool]:
    """Whether the user already ordered two photos: decided with different utilities, or answered."""
    marks = ", ".join("?" for _ in USER_SOURCES)
    utility = {pid: utility_of(flag, rating) for pid, flag, rating in catalog.conn.execute(
        f"SELECT photo_id, flag, rating FROM decisions WHERE source IN ({marks})", USER_SOURCES)}
    answered = {frozenset(pair) for pair in store.read_choices(catalog)}

    def known(a: int, b: int) -> bool:
        ua, ub = utility.get(a), utility.get(b)
        return (ua is not None and ub is not None and ua != ub) or frozenset((a, b)) in answered

    return known


def _primary_paths(catalog: Catalog) -> dict[int, str]:
    return {photo.id: photo.path for photo in catalog.photos()}
