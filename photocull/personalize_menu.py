"""The Personalize menu's engine calls: fit from my picks, calibration questions.

The engine part is :func:`engine.personalize.personalize` (``catalog, progress``
→ a report with ``status`` and a one-sentence ``message``). The button calls it
when that function exists in this build; otherwise it is disabled and its
tooltip says why. Nothing is faked. Reset, export and import are quick file
operations on the session's catalog (:mod:`engine.personalize`), called directly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from engine.library.catalog import Catalog

ENGINE_MODULE = "engine.personalize"
ENGINE_FUNCTION = "personalize"
CALIBRATION_PAIRS = 12   # questions per "Help me calibrate" round
UNAVAILABLE = ("Personalize from my picks is not available yet: this build has no "
               f"{ENGINE_MODULE}.{ENGINE_FUNCTION}.")


def personalize_function() -> Callable | None:
    """The engine's personalize entry point, or None when this build has none."""
    try:
        module = importlib.import_module(ENGINE_MODULE)
    except ImportError:
        return None
    function = getattr(module, ENGINE_FUNCTION, None)
    return function if callable(function) else None


def personal_model_text(catalog: Catalog | None) -> str:
    """The menu's first line: is a personal model on, trained on how many decisions, how it did held out."""
    from engine import personalize as taste
    from engine.culling.score_words import personal_model_line

    return personal_model_line(taste.status(catalog)) if catalog is not None else "Personal model: no folder open."


def run_personalize(function: Callable, root: Path, progress: Callable[[int, int, str], None]) -> str:
    """Fit the personal model of the library at ``root`` (worker thread); the report's sentence."""
    with Catalog.open(root) as catalog:
        report = function(catalog, progress=lambda done, total: progress(done, total, ""))
    return str(getattr(report, "message", report))


def calibration_pairs(root: Path, count: int = CALIBRATION_PAIRS) -> list:
    """The least-sure A/B questions for the library at ``root`` (worker thread)."""
    from engine import personalize as taste

    with Catalog.open(root) as catalog:
        return taste.least_sure_pairs(catalog, count)
