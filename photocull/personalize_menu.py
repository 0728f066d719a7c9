"""The Personalize menu's engine calls that run in a worker: fit from my picks, calibration questions.

The engine part is :func:`engine.personalize.personalize` (``catalog, progress``
→ a report with ``status`` and a one-sentence ``message``). Reset, export and
import are quick file operations on the session's catalog, called directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine import personalize as taste
from engine.library.catalog import Catalog

CALIBRATION_PAIRS = 12   # questions per "Help me calibrate" round


def run_personalize(root: Path, progress: Callable[[int, int, str], None]) -> str:
    """Fit the personal model of the library at ``root`` (worker thread); the report's sentence."""
    with Catalog.open(root) as catalog:
        report = taste.personalize(catalog, progress=lambda done, total: progress(done, total, ""))
    return report.message


def personal_model_text(catalog: Catalog | None) -> str:
    """The menu's first line: is a personal model on, trained on how many decisions, how it did held out."""
    from engine.culling.score_words import personal_model_line

    return personal_model_line(taste.status(catalog)) if catalog is not None else "Personal model: no folder open."


def calibration_pairs(root: Path, count: int = CALIBRATION_PAIRS) -> list:
    """The least-sure A/B questions for the library at ``root`` (worker thread)."""
    with Catalog.open(root) as catalog:
        return taste.least_sure_pairs(catalog, count)
