"""How well a personal model predicts the user's *held-out* decisions, against the generic score.

Grouped k-fold cross-validation: photos are split into :data:`FOLDS` folds by burst (near
twins never sit on both sides), each head is fitted on the other folds and scores the
held-out one, and the held-out scores of all folds are pooled:

* **pairwise accuracy**: over held-out pairs (both photos in the same held-out fold), the
  share the scorer orders the way the user did (a tie counts half). Also over burst pairs alone.
* **SRCC vs stars**: Spearman's rho between the score and the stars of held-out rated photos.

The generic score (the library's sort score: aesthetic when installed, else technical
quality) is measured on exactly the same pairs and photos, so the numbers compare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from engine.personalize.dataset import BURST, PAIR_WEIGHTS, Preferences
from engine.personalize.heads import fit_pairwise, fit_pointwise, personal_score, unit_scale

FOLDS = 5
#: ``(features, decided rows, their utility) -> fixed defect weights`` (:meth:`FeatureSpace.defect_term`).
DefectTerm = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
HEADS = ("pointwise", "pairwise", "blend")


@dataclass(frozen=True)
class Examples:
    """:class:`Preferences` as rows of the feature matrix, ready for the solvers."""

    decided: np.ndarray      # (N,) feature rows of decided photos
    utility: np.ndarray      # (N,)
    stars: np.ndarray        # (N,)
    pairs: np.ndarray        # (P, 2) feature rows: winner, loser
    pair_kind: np.ndarray    # (P,)
    pair_weight: np.ndarray  # (P,)
    group: np.ndarray        # (rows,) fold group of each feature row, -1 when not an example

    @classmethod
    def build(cls, preferences: Preferences, index: dict[int, int], rows: int) -> Examples:
        group = np.full(rows, -1, dtype=np.int64)
        for pid, g in preferences.groups.items():
            group[index[pid]] = g
        lookup = np.vectorize(index.__getitem__, otypes=[np.int64])
        pairs = lookup(preferences.pairs) if len(preferences.pairs) else np.zeros((0, 2), np.int64)
        weight = np.vectorize(PAIR_WEIGHTS.__getitem__, otypes=[np.float64])
        return cls(
            decided=lookup(preferences.photo_ids) if len(preferences.photo_ids) else np.zeros(0, np.int64),
            utility=preferences.utility, stars=preferences.stars, pairs=pairs, pair_kind=preferences.pair_kind,
            pair_weight=weight(preferences.pair_kind) if len(pairs) else np.zeros(0), group=group,
        )


@dataclass(frozen=True)
class Scorecard:
    """Held-out performance of one scorer (None where there was nothing to measure)."""

    pairwise_accuracy: float | None
    burst_accuracy: float | None
    srcc_stars: float | None
    pairs: int
    burst_pairs: int
    rated: int
    photos: int              # distinct photos in the held-out pairs (the effective sample size)

    def as_dict(self) -> dict:
        return asdict(self)


def fit_heads(features: np.ndarray, examples: Examples, train_rows: np.ndarray | None = None,
              signs: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Taste weights of every head, fitted on the examples whose rows are all in ``train_rows`` (bool mask).

    ``signs``: the sign each feature's weight must keep (:meth:`FeatureSpace.signs`), 0 = free.
    """
    keep = np.ones(len(features), bool) if train_rows is None else train_rows
    decided = examples.decided[keep[examples.decided]]
    utility = examples.utility[keep[examples.decided]]
    pair_mask = keep[examples.pairs[:, 0]] & keep[examples.pairs[:, 1]] if len(examples.pairs) else np.zeros(0, bool)
    zero = np.zeros(features.shape[1])
    pointwise = unit_scale(fit_pointwise(features[decided], utility, signs=signs), features) if len(decided) > 1 else zero
    if pair_mask.any():
        pairs = examples.pairs[pair_mask]
        differences = features[pairs[:, 0]] - features[pairs[:, 1]]
        pairwise = unit_scale(fit_pairwise(differences, examples.pair_weight[pair_mask], signs=signs), features)
    else:
        pairwise = zero
    return {"pointwise": pointwise, "pairwise": pairwise, "blend": 0.5 * (pointwise + pairwise)}


def fold_of_rows(examples: Examples, folds: int = FOLDS, seed: int = 0) -> np.ndarray:
    """Fold of each feature row (-1 outside the examples), whole groups at a time, dealt at random."""
    groups = np.unique(examples.group[examples.group >= 0])
    dealt = np.empty(len(groups), dtype=np.int64)
    dealt[np.random.default_rng(seed).permutation(len(groups))] = np.arange(len(groups)) % folds
    fold = np.full(len(examples.group), -1, dtype=np.int64)
    member = examples.group >= 0
    fold[member] = dealt[np.searchsorted(groups, examples.group[member])]
    return fold


def cross_validate(features: np.ndarray, examples: Examples, generic: np.ndarray,
                   folds: int = FOLDS, signs: np.ndarray | None = None,
                   defect_term: DefectTerm | None = None, cap: float = 0.0) -> dict[str, Scorecard]:
    """Pooled held-out scorecards for each head and for the generic score (key ``generic``).

    Each head is scored as the model will score: squashed taste plus the fixed defect term
    (:func:`engine.personalize.heads.personal_score`).
    """
    fold = fold_of_rows(examples, folds)
    held_out = {name: np.full(len(features), np.nan) for name in HEADS}
    for k in range(folds):
        test = fold == k
        if not test.any():
            continue
        train = (fold >= 0) & ~test
        seen = train[examples.decided]
        term = defect_term(features, examples.decided[seen], examples.utility[seen]) if defect_term is not None \
            else np.zeros(features.shape[1])
        for name, weights in fit_heads(features, examples, train, signs).items():
            held_out[name][test] = personal_score(features[test] @ weights, features[test] @ term, cap)
    cards = {name: scorecard(scores, examples, fold) for name, scores in held_out.items()}
    cards["generic"] = scorecard(generic, examples, fold)
    return cards


def scorecard(scores: np.ndarray, examples: Examples, fold: np.ndarray) -> Scorecard:
    """Accuracy on pairs inside one fold and SRCC on rated photos, for ``scores`` by feature row."""
    pairs = examples.pairs
    same_fold = fold[pairs[:, 0]] == fold[pairs[:, 1]] if len(pairs) else np.zeros(0, bool)
    correct = _concordance(scores[pairs[:, 0]], scores[pairs[:, 1]]) if len(pairs) else np.zeros(0)
    burst = same_fold & (examples.pair_kind == BURST)
    rated = examples.decided[examples.stars > 0]
    return Scorecard(
        pairwise_accuracy=_mean(correct[same_fold]),
        burst_accuracy=_mean(correct[burst]),
        srcc_stars=spearman(scores[rated], examples.stars[examples.stars > 0]),
        pairs=int(same_fold.sum()),
        burst_pairs=int(burst.sum()),
        rated=len(rated),
        photos=len(np.unique(pairs[same_fold])) if len(pairs) else 0,
    )


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rho with average ranks for ties (what scipy.stats.spearmanr computes)."""
    ok = np.isfinite(a) & np.isfinite(b)
    ra, rb = average_ranks(a[ok]), average_ranks(b[ok])
    if len(ra) < 3 or ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def average_ranks(values: np.ndarray) -> np.ndarray:
    """0-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    tie_id = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:] - 1, len(values) - 1]
    ranks = np.empty(len(values))
    ranks[order] = ((first + last) / 2.0)[tie_id]
    return ranks


def _concordance(winner_scores: np.ndarray, loser_scores: np.ndarray) -> np.ndarray:
    """1 when the winner scores higher, 0 when lower, 0.5 on a tie or an unknown score."""
    out = np.where(winner_scores > loser_scores, 1.0, np.where(winner_scores < loser_scores, 0.0, 0.5))
    return np.where(np.isfinite(winner_scores) & np.isfinite(loser_scores), out, 0.5)


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None
