"""What the photographer reads about scores: what a sort means, and how the personal model is doing.

The GUI's status line, sort-box tooltip and Personalize menu and the CLI's ``models`` command
take their sentences from here, so both say the same thing and no model name, file name or
manifest text reaches the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.config import paths
from engine.inference.score_scale import SCORE_MEANING


def add_aesthetic_hint() -> str:
    """How to add an aesthetic model, said while none is installed (the folder is this user's)."""
    return f"To sort by taste, add an aesthetic model to {_short(paths.user_models_dir())}."


def sort_explanation(sort: str, score_task: str | None, *, personal_on: bool = False) -> str:
    """The status line for the sort ``sort`` ("score", "personal", "time", ...): one short line in plain
    words (the full meaning of the number is in the hover text, :func:`score_tooltip`).

    ``score_task`` is the task of the model that gives the score ("aesthetic", "technical" or None).
    """
    if sort == "personal":
        if not personal_on:
            return "No personal model is on yet: Personalize → Learn from my picks, after 30 or more decisions."
        return ("Sorted by your personal score: 100 is the photo most like the ones you keep, "
                "0 the least, within this shoot.")
    if sort != "score":
        return ""
    if score_task == "aesthetic":
        return "Sorted by how appealing each photo looks: 50 is a typical photo, 90 better than nine in ten."
    if score_task == "technical":
        return ("Sorted by image quality (sharpness, noise, exposure), not by taste: 50 is a typical photo. "
                f"{add_aesthetic_hint()}")
    return "No scoring model is installed, so photos stay in capture-time order."


def score_tooltip(score_task: str | None) -> str:
    """The hover text of the score sort and of every score shown: what the number means."""
    kind = "how appealing the photo looks" if score_task == "aesthetic" else "image quality (sharpness, noise, exposure)"
    return f"{SCORE_MEANING} It rates {kind}."


def personal_model_line(status: Mapping[str, Any] | None) -> str:
    """One sentence on the personal model (``engine.personalize.status``): on or off, trained on how many
    decisions, and how it did on held-out choices against the generic score."""
    if status is None:
        return "Personal model: off (none trained for this library yet)."
    state = "on" if status.get("active") else "off (it did not beat the generic score)"
    decisions = status.get("decisions")
    if decisions is None:   # a model stored without its run's report (fitted outside personalize)
        return f"Personal model: {state}; how it was trained was not recorded."
    line = f"Personal model: {state}; trained on {decisions} decisions"
    personal, generic = _accuracy(status.get("personal")), _accuracy(status.get("generic"))
    if personal is not None:
        line += f"; it chose as you did in {personal:.0%} of held-out choices"
        if generic is not None:
            line += f" (the generic score: {generic:.0%})"
    return line + "."


def _accuracy(card: Any) -> float | None:
    if not isinstance(card, Mapping):
        return None
    value = card.get("pairwise_accuracy")
    return float(value) if isinstance(value, (int, float)) else None


def _short(path: Path) -> str:
    """``path`` with the home folder written as ~ (shorter on a status line)."""
    try:
        return f"~/{path.relative_to(Path.home()).as_posix()}"
    except ValueError:
        return str(path)
