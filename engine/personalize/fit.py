"""``personalize(catalog)``: learn the user's taste from their decisions, check it, and store it.

Steps: read the features of every analysed photo and the user's decisions; refuse when
there are too few (the rule below); cross-validate both heads and their blend against the
generic score (:mod:`engine.personalize.evaluate`); fit the best on everything; store it as
a new version (:mod:`engine.personalize.store`), marked *active* only when it beat the
generic score on held-out decisions.

The minimum-decisions rule: at least :data:`MIN_DECISIONS` photos the user decided (a pick,
a reject or stars, made by the user) **and** at least :data:`MIN_PAIRS` preference pairs
(which needs both liked and disliked photos, or choices inside bursts). Below that nothing
is fitted and the model in use (if any) is left alone. Above it, the model is switched on
only if its pooled held-out pairwise accuracy beats the generic score's by a margin that
shrinks with the evidence: ``max(WIN_MARGIN, 2 * 0.5 / sqrt(n))`` where ``n`` is the number of
distinct photos in the held-out pairs (pairs sharing photos are not independent, so the photo
count, not the pair count, sets the noise: about two standard errors of an accuracy near
50 %). Otherwise the new version is stored switched off and says why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine.library.catalog import Catalog
from engine.personalize import store
from engine.personalize.dataset import BURST, CALIBRATION, OVERALL, PAIR_KINDS, Preferences, read_preferences
from engine.personalize.evaluate import HEADS, Examples, Scorecard, cross_validate, fit_heads
from engine.personalize.features import TASTE_CAP, FeatureSpace, RawFeatures, read_raw_features
from engine.personalize.heads import fit_pairwise
from engine.personalize.model import PersonalModel

MIN_DECISIONS = 30
MIN_PAIRS = 50
WIN_MARGIN = 0.02

#: ``progress(done, total)`` after each step (a GUI progress bar or a tqdm bar).
Progress = Callable[[int, int], None]
_STEPS = 4

ACTIVE, NOT_BETTER, TOO_FEW, NOT_ANALYSED = "active", "not_better", "too_few", "not_analysed"


@dataclass(frozen=True)
class PersonalizeReport:
    """What a personalize run found; ``as_dict()`` is the CLI's ``--report json``."""

    status: str                      # active | not_better | too_few | not_analysed
    message: str                     # one sentence for the user
    decisions: int
    pairs: dict[str, int]            # burst / calibration / overall
    min_decisions: int = MIN_DECISIONS
    min_pairs: int = MIN_PAIRS
    head: str | None = None          # the head in use (or that would have been)
    personal: dict | None = None     # Scorecard of that head, held-out
    generic: dict | None = None      # Scorecard of the generic score on the same pairs
    heads: dict[str, dict] = field(default_factory=dict)  # every head's held-out scorecard
    version: int | None = None       # stored version, None when nothing was stored
    features: int = 0
    look_model: str | None = None
    seconds: float = 0.0

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def as_dict(self) -> dict:
        return {"format": "photocull.personalize/1", **asdict(self)}


def personalize(catalog: Catalog, progress: Progress | None = None) -> PersonalizeReport:
    """Fit, evaluate and store the personal model of ``catalog``'s library (see the module docstring)."""
    started = time.perf_counter()
    tick = progress or (lambda done, total: None)
    raw = read_raw_features(catalog)
    tick(1, _STEPS)
    if len(raw.photo_ids) == 0:
        return PersonalizeReport(NOT_ANALYSED, "No analysed photos: run the analysis first.", 0, {})
    index = raw.index_of()
    preferences = read_preferences(catalog, store.read_choices(catalog), known=set(index))
    counts = {PAIR_KINDS[k]: preferences.count(k) for k in (BURST, CALIBRATION, OVERALL)}
    if preferences.decisions < MIN_DECISIONS or len(preferences.pairs) < MIN_PAIRS:
        return PersonalizeReport(TOO_FEW, _too_few_message(preferences), preferences.decisions, counts,
                                 seconds=time.perf_counter() - started)
    space = FeatureSpace.fit(raw)
    features = space.transform(raw)
    examples = Examples.build(preferences, index, len(features))
    cards = cross_validate(features, examples, raw.generic, signs=space.signs(), defect_term=space.defect_term,
                           cap=TASTE_CAP)
    tick(2, _STEPS)
    head = _best_head(cards)
    model, status, message = _final_model(space, features, examples, head, cards)
    tick(3, _STEPS)
    report = PersonalizeReport(
        status, message, preferences.decisions, counts, head=head, personal=cards[head].as_dict(),
        generic=cards["generic"].as_dict(), heads={name: cards[name].as_dict() for name in HEADS},
        features=features.shape[1], look_model=raw.look_model,
    )
    version = store.save_model(catalog, _with_report(model, report))
    tick(4, _STEPS)
    return replace(report, version=version, seconds=time.perf_counter() - started)


def fit_model(raw: RawFeatures, preferences: Preferences, head: str = "blend") -> PersonalModel:
    """One head fitted on all of ``preferences``, without evaluation (bench and training use it)."""
    space = FeatureSpace.fit(raw)
    features = space.transform(raw)
    examples = Examples.build(preferences, raw.index_of(), len(features))
    return _fitted(space, features, examples, head, active=True)


def _best_head(cards: dict[str, Scorecard]) -> str:
    return max(HEADS, key=lambda name: (cards[name].pairwise_accuracy or 0.0, name == "blend"))


def _fitted(space: FeatureSpace, features: np.ndarray, examples: Examples, head: str, active: bool) -> PersonalModel:
    """``head`` fitted on every example, with the fixed defect term and a calibrated temperature."""
    weights = fit_heads(features, examples, signs=space.signs())[head]
    defects = space.defect_term(features, examples.decided, examples.utility)
    model = PersonalModel(space, weights, 1.0, head, active, {}, time.time(), defects, TASTE_CAP)
    return _calibrated(model, features, examples)


def _final_model(space, features, examples, head, cards) -> tuple[PersonalModel, str, str]:
    mine = cards[head].pairwise_accuracy or 0.0
    theirs = cards["generic"].pairwise_accuracy or 0.5
    margin = required_margin(cards[head].photos)
    active = bool(mine >= theirs + margin)
    if active:
        message = (f"Your personal model predicts {mine:.0%} of your held-out choices, the generic score "
                   f"{theirs:.0%}: it is on.")
    else:
        message = (f"Your personal model predicts {mine:.0%} of your held-out choices and the generic score "
                   f"{theirs:.0%}; with this many decisions it needs to beat it by {margin:.0%} points, so it stays off. "
                   "More decisions (or calibration answers) will help.")
    return _fitted(space, features, examples, head, active), ACTIVE if active else NOT_BETTER, message


def required_margin(photos: int) -> float:
    """How much better than the generic score the held-out accuracy must be (see the module docstring)."""
    return max(WIN_MARGIN, 1.0 / np.sqrt(max(photos, 1)))


def _calibrated(model: PersonalModel, features: np.ndarray, examples: Examples) -> PersonalModel:
    """``model`` with the one scale that makes sigmoid(t * score difference) a calibrated win probability."""
    if not len(examples.pairs):
        return model
    scores = model.scores_of(features)
    gaps = scores[examples.pairs[:, 0]] - scores[examples.pairs[:, 1]]
    return replace(model, temperature=max(float(fit_pairwise(gaps[:, None], examples.pair_weight, l2=1e-3)[0]), 1e-3))


def _too_few_message(preferences: Preferences) -> str:
    return (f"Too few decisions to learn your taste: {preferences.decisions} decided photos and "
            f"{len(preferences.pairs)} preference pairs; at least {MIN_DECISIONS} decisions and {MIN_PAIRS} pairs "
            "are needed (pick, reject or star photos, or choose frames inside bursts).")


def _with_report(model: PersonalModel, report: PersonalizeReport) -> PersonalModel:
    return replace(model, report=report.as_dict())

