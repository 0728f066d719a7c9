"""Using the personal model: a score per photo (a sortable column) and burst ranking.

Scores are computed when asked (a matrix product over the stored features: milliseconds
for thousands of photos), never stored in the catalog, so a reset or an import takes effect
at once and the catalog schema stays the analysis helper's.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

import numpy as np

from engine.analysis import read_analyses
from engine.analysis.best_shot import PairwiseProbability, RankedShot, rank_group
from engine.analysis.grouping import burst_evidence, photo_rows
from engine.library.catalog import Catalog
from engine.personalize import store
from engine.personalize.evaluate import average_ranks
from engine.personalize.features import read_raw_features
from engine.personalize.model import PersonalModel


def active_model(catalog: Catalog) -> PersonalModel | None:
    """The personal model in use, or None (none fitted, or it did not beat the generic score)."""
    model = store.load_model(catalog)
    return model if model is not None and model.active else None


def raw_scores(catalog: Catalog, model: PersonalModel) -> dict[int, float]:
    """Unscaled personal scores of every analysed photo (what win probabilities are computed from)."""
    raw = read_raw_features(catalog, model.space.look_model)
    if raw.look_model != model.space.look_model:
        return {}  # analysed since with another embedding model: personalize again
    values = model.scores(raw)
    return {int(pid): float(v) for pid, v in zip(raw.photo_ids, values)}


def personal_scores(catalog: Catalog) -> dict[int, float]:
    """Personal score of every analysed photo, 1..10 by rank in the library (10 = most to your taste).

    Empty when no personal model is on. The rank scale matches the sort score's 1..10 range,
    so the GUI can show both side by side; ties share their average rank.
    """
    model = active_model(catalog)
    if model is None:
        return {}
    scores = raw_scores(catalog, model)
    if not scores:
        return {}
    ids = list(scores)
    ranks = average_ranks(np.array([scores[i] for i in ids]))
    top = max(len(ids) - 1, 1)
    return {pid: round(1.0 + 9.0 * float(r) / top, 3) for pid, r in zip(ids, ranks)}


def personal_pairwise(catalog: Catalog) -> PairwiseProbability | None:
    """``P(a beats b)`` for two photo ids by the personal model, for ``engine.analysis.best_shot.rank_group``."""
    model = active_model(catalog)
    if model is None:
        return None
    return pairwise_from_scores(raw_scores(catalog, model), model.temperature)


def pairwise_from_scores(scores: dict[int, float], temperature: float = 1.0) -> PairwiseProbability:
    """A best-shot pairwise callable from any per-photo scores; unknown photos tie (0.5)."""

    def probability(a: Hashable, b: Hashable) -> float:
        if a not in scores or b not in scores:
            return 0.5
        return float(0.5 * (1.0 + np.tanh(0.5 * temperature * (scores[a] - scores[b]))))  # type: ignore[index]

    return probability


def rank_bursts(catalog: Catalog) -> dict[int, RankedShot]:
    """Every burst re-ranked with the personal model in the pairwise slot of ``engine.analysis.best_shot``.

    Eyes, framing, subject sharpness, blur and the quality score still count with their usual
    weights; the personal model replaces the generic burst ranker. When that moves the best
    frame away from the analysis' pick, both frames' reasons say it was the user's taste.
    Empty when no personal model is on. Brackets are not ranked (they are kept whole for merging).
    """
    pairwise = personal_pairwise(catalog)
    if pairwise is None:
        return {}
    analyses = read_analyses(catalog)
    groups: dict[int, list[int]] = {}
    for pid, analysis in analyses.items():
        if analysis.burst is not None and analysis.burst.kind == "burst" and analysis.burst.size > 1:
            groups.setdefault(analysis.burst.group_id, []).append(pid)
    photos = photo_rows(catalog.conn)
    ranked: dict[int, RankedShot] = {}
    for members in groups.values():
        members = sorted(m for m in members if m in photos)
        shots = rank_group(burst_evidence(catalog.conn, photos, members), pairwise, taste=True)
        generic_best = next((m for m in members if analyses[m].burst.is_best), None)
        ranked.update({shot.key: shot for shot in _say_taste_changed(shots, generic_best)})  # type: ignore[misc]
    return ranked


def _say_taste_changed(shots: list[RankedShot], generic_best: int | None) -> list[RankedShot]:
    """Reasons that name the user's taste when it, not the analysis, chose the best frame."""
    if generic_best is None or not shots or shots[0].key == generic_best:
        return shots
    ranks = {shot.key: shot.rank for shot in shots}
    lead = f"your taste prefers it to #{ranks[generic_best]}"
    out = []
    for shot in shots:
        if shot.is_best:
            reasons = (lead, *(r for r in shot.reasons if not r.startswith("your taste")))
        elif shot.key == generic_best:
            reasons = ("your taste prefers #1", *(r for r in shot.reasons if not r.startswith("your taste")))
        else:
            reasons = shot.reasons
        out.append(replace(shot, reasons=reasons))
    return out
