"""Personal taste: a local model of what this user keeps, learnt from their own decisions.

The GUI's (and the CLI's) whole API::

    from engine import personalize as taste

    report = taste.personalize(catalog, progress=callback)   # fit + cross-validate + store (worker thread)
    report.status, report.message, report.as_dict()           # active | not_better | too_few | not_analysed
    scores = taste.personal_scores(catalog)                   # {photo_id: 1..10}; {} when the model is off
    ranked = taste.rank_bursts(catalog)                       # {photo_id: RankedShot} with the personal model
    pairs = taste.least_sure_pairs(catalog, 10)               # "help me calibrate" A/B questions
    taste.record_choice(catalog, winner_id, loser_id)         # one answer; personalize again to learn it
    taste.reset(catalog); taste.export_model(catalog, file); taste.import_model(catalog, file)
    taste.status(catalog)                                     # the stored model's report, or None

Modules: :mod:`~engine.personalize.features` (what the model sees),
:mod:`~engine.personalize.dataset` (decisions → utilities and pairs),
:mod:`~engine.personalize.heads` (ridge and RankNet in numpy),
:mod:`~engine.personalize.evaluate` (grouped cross-validation vs the generic score),
:mod:`~engine.personalize.fit` (the run and the minimum-decisions rule),
:mod:`~engine.personalize.model` and :mod:`~engine.personalize.store` (versioned files),
:mod:`~engine.personalize.scoring` (scores, burst ranking), :mod:`~engine.personalize.calibrate`.
"""

from __future__ import annotations

from engine.library.catalog import Catalog
from engine.personalize.calibrate import CalibrationPair, least_sure_pairs, record_choice
from engine.personalize.fit import MIN_DECISIONS, MIN_PAIRS, WIN_MARGIN, PersonalizeReport, personalize
from engine.personalize.model import PersonalModel, PersonalModelError
from engine.personalize.scoring import (
    active_model,
    pairwise_from_scores,
    personal_pairwise,
    personal_scores,
    rank_bursts,
)
from engine.personalize.store import export_model, import_model, load_model, reset, versions


def status(catalog: Catalog) -> dict | None:
    """The report stored with the model in use (``PersonalizeReport.as_dict()`` form) plus its
    ``version`` and ``active`` flag; None when this library has no personal model."""
    known = versions(catalog)
    model = load_model(catalog)
    if model is None:
        return None
    return {**model.report, "version": known[-1], "active": model.active}


__all__ = [
    "CalibrationPair", "MIN_DECISIONS", "MIN_PAIRS", "PersonalModel", "PersonalModelError", "PersonalizeReport",
    "WIN_MARGIN", "active_model", "export_model", "import_model", "least_sure_pairs", "load_model",
    "pairwise_from_scores", "personal_pairwise", "personal_scores", "personalize", "rank_bursts", "record_choice",
    "reset", "status", "versions",
]
