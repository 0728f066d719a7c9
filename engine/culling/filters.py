"""Which photos the views show: filters by flag, stars, colour, analysis verdicts and score.

The score range is the 0..100 score every view shows (:mod:`engine.inference.score_scale`):
the mapping never leaves 0..100, so the range is fixed and means the same in every shoot.

A filter is a frozen value (easy to compare, store and test); ``None`` in a
field means "don't filter on this". Photos that were never analysed are kept by
the score range filter only when it is open at both ends, and never match the
"eyes closed" / "blurry" filters: an unknown is not a fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.culling.cull_photo import CullPhoto


@dataclass(frozen=True)
class PhotoFilter:
    flags: frozenset[int] | None = None        # subset of {1, 0, -1}
    min_stars: int = 0                         # at least this many stars
    labels: frozenset[str | None] | None = None  # colour labels (None = "no label")
    eyes_closed: bool = False                  # only photos flagged eyes-closed
    blurry: bool = False                       # only photos flagged blurry
    min_score: float | None = None
    max_score: float | None = None

    @property
    def active(self) -> bool:
        return self != PhotoFilter()

    def matches(self, photo: CullPhoto) -> bool:
        record, insight = photo.record, photo.insight
        if self.flags is not None and record.flag not in self.flags:
            return False
        if record.rating < self.min_stars:
            return False
        if self.labels is not None and record.label not in self.labels:
            return False
        if self.eyes_closed and not insight.eyes_closed:
            return False
        if self.blurry and not insight.blurry:
            return False
        return self._score_ok(insight.score)

    def _score_ok(self, score: float | None) -> bool:
        if self.min_score is None and self.max_score is None:
            return True
        if score is None:
            return False
        low_ok = self.min_score is None or score >= self.min_score
        return low_ok and (self.max_score is None or score <= self.max_score)

    def describe(self) -> str:
        """A few words for the status bar ("" when nothing is filtered)."""
        parts = []
        if self.flags is not None:
            names = {1: "picks", 0: "unflagged", -1: "rejects"}
            parts.append(" + ".join(names[f] for f in sorted(self.flags, reverse=True)))
        if self.min_stars:
            parts.append(f"≥ {self.min_stars}★")
        if self.labels is not None:
            parts.append("/".join(label or "no label" for label in sorted(self.labels, key=str)))
        if self.eyes_closed:
            parts.append("eyes closed")
        if self.blurry:
            parts.append("blurry")
        if self.min_score is not None or self.max_score is not None:
            low = "…" if self.min_score is None else f"{self.min_score:g}"
            high = "…" if self.max_score is None else f"{self.max_score:g}"
            parts.append(f"score {low}–{high}")
        return ", ".join(parts)


def apply_filter(photos: Iterable[CullPhoto], photo_filter: PhotoFilter) -> list[CullPhoto]:
    if not photo_filter.active:
        return list(photos)
    return [photo for photo in photos if photo_filter.matches(photo)]


#: The range the score filter offers: the whole 0..100 scale.
DEFAULT_SCORE_BOUNDS = (0.0, 100.0)


def score_bounds(photos: Iterable[CullPhoto]) -> tuple[float, float]:
    """The score filter's range: always 0..100, whatever ``photos`` score (the scale is fixed, so the
    filter does not jump when analysis finishes)."""
    return DEFAULT_SCORE_BOUNDS
