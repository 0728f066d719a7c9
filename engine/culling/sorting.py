"""Orders of the photo list: score, personal score, capture time, name, burst.

Every order is total and stable (ties fall back to capture time, then path), so
the grid never shuffles between two refreshes. Photos without the sort value
(no score yet, no capture time) go last whatever the direction: they are the
ones the photographer cannot judge by that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.culling.cull_photo import CullPhoto

SORT_KEYS = ("time", "score", "personal", "name", "burst")
SORT_LABELS = {"score": "Score", "personal": "Personal score", "time": "Capture time", "name": "Name",
               "burst": "Burst"}
#: Orders that exist only when the library has the values (the GUI hides the others).
OPTIONAL_SORTS = frozenset({"personal"})


def _time_key(photo: CullPhoto) -> tuple:
    record = photo.record
    return (record.capture_time is None, record.capture_time or "", record.path)


def _score_key(photo: CullPhoto) -> tuple:
    """The 0..100 score, then the model's own score (it parts photos the rounded 0..100 score ties)."""
    insight = photo.insight
    return (insight.score is None, -(insight.score or 0.0), -(insight.raw_score or 0.0), *_time_key(photo))


def _personal_key(photo: CullPhoto) -> tuple:
    return (photo.insight.personal_score is None, -(photo.insight.personal_score or 0.0), *_time_key(photo))


def _name_key(photo: CullPhoto) -> tuple:
    return (photo.name.lower(), photo.record.path)


def _burst_key(photo: CullPhoto) -> tuple:
    """Bursts in the time order of their first frame, best frame first inside each."""
    return (photo.insight.burst_rank or 0, *_time_key(photo))


_KEYS: dict[str, Callable[[CullPhoto], Any]] = {"score": _score_key, "personal": _personal_key, "time": _time_key,
                                                "name": _name_key}


def sort_key(key: str) -> Callable[[CullPhoto], Any] | None:
    """The per-photo key of an order (None for "burst", which orders groups, not photos)."""
    return _KEYS.get(key)


def sort_photos(photos: Sequence[CullPhoto], key: str = "time") -> list[CullPhoto]:
    if key not in SORT_KEYS:
        raise ValueError(f"unknown sort {key!r}; choose from {', '.join(SORT_KEYS)}")
    if key == "burst":
        return _burst_order(photos)
    return sorted(photos, key=_KEYS[key])


def _burst_order(photos: Sequence[CullPhoto]) -> list[CullPhoto]:
    groups: dict[object, list[CullPhoto]] = {}
    for photo in sorted(photos, key=_time_key):
        group = photo.insight.burst_id if photo.insight.burst_id is not None else ("single", photo.id)
        groups.setdefault(group, []).append(photo)
    ordered: list[CullPhoto] = []
    for members in groups.values():  # dict keeps first-seen (= earliest frame) order
        ordered.extend(sorted(members, key=_burst_key))
    return ordered


def available_sorts(photos: Sequence[CullPhoto]) -> tuple[str, ...]:
    """The orders worth offering for ``photos``: the personal order only once some photo has a personal score."""
    has_personal = any(photo.insight.personal_score is not None for photo in photos)
    return tuple(key for key in SORT_KEYS if key not in OPTIONAL_SORTS or has_personal)
