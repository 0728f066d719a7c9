"""A culling session: the photo list the views show, and what a key press does to it.

This is the logic behind the desktop app, without Qt, so it is tested directly:

* the library's photos (catalog records + analysis insights), sorted and
  filtered, with bursts collapsed behind their best frame unless expanded;
* decisions on a set of photo ids (the grid's selection, or the loupe's one
  photo), written to the catalog at once through :mod:`engine.decisions.record`
  (crash-safe, one undo step per action) and mirrored into the in-memory list;
* undo / redo, auto-advance, and auto-cull proposals (:mod:`engine.decisions.auto_cull`).

Decisions update photos *in place*: a photo rejected while "picks only" is
shown stays where it is until the view is rebuilt (a new sort or filter), so
nothing jumps away under the cursor mid-cull — as in Lightroom.

Not thread-safe: it owns a :class:`Catalog` connection, which belongs to the
thread that opened it (the GUI thread). Background work opens its own.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from engine.analysis import read_analyses
from engine.config.settings import AppSettings
from engine.culling.actions import decision_for_key
from engine.culling.cull_photo import CullPhoto
from engine.culling.filters import PhotoFilter, apply_filter
from engine.culling.insights import PhotoInsight, insight_of, load_insights
from engine.culling.sorting import sort_key, sort_photos
from engine.decisions import auto_cull
from engine.decisions.record import KEEP, Decision, redo, set_decisions, stored_decisions, undo
from engine.library.catalog import Catalog

if TYPE_CHECKING:
    from engine.library.photo_changes import PhotoChanges


def read_photos(catalog: Catalog) -> list[CullPhoto]:
    """Every photo that still has a file, with its insight; capture-time order."""
    insights = load_insights(catalog)
    return [
        CullPhoto(record, insights.get(record.id, PhotoInsight()))
        for record in catalog.photos(sort="time")
        if record.path
    ]


def read_first_photos(catalog: Catalog, count: int) -> list[CullPhoto]:
    """The first ``count`` photos of :func:`read_photos`, read in milliseconds whatever the library's size
    (their insights without the personal score, which needs the whole library)."""
    records = [record for record in catalog.iter_photos(sort="time", limit=count) if record.path]
    analyses = read_analyses(catalog, [record.id for record in records])
    return [CullPhoto(record, insight_of(analyses[record.id]) if record.id in analyses else PhotoInsight())
            for record in records]


@dataclass
class ViewState:
    sort: str = "time"
    filter: PhotoFilter = field(default_factory=PhotoFilter)
    collapse_bursts: bool = True
    expanded: set[int] = field(default_factory=set)   # burst ids shown frame by frame


class CullingSession:
    def __init__(self, catalog: Catalog, settings: AppSettings | None = None):
        self.catalog = catalog
        self.settings = settings or AppSettings()
        self.state = ViewState()
        self.photos: list[CullPhoto] = []
        self.visible: list[CullPhoto] = []
        self._by_id: dict[int, CullPhoto] = {}
        self._position: dict[int, int] = {}          # id -> index in ``photos``
        self._rows: dict[int, int] | None = {}       # id -> row in ``visible``; None = search or build on demand
        self._has_bursts = False                      # some listed photo belongs to a burst
        self._orders: dict[str, list[int]] = {}      # sort key -> every photo's id in that order
        self._burst_rows: dict[int, int] | None = None   # burst id -> first row showing one of its frames

    @classmethod
    def open(cls, root: Path, settings: AppSettings | None = None) -> CullingSession:
        session = cls(Catalog.open(root), settings)
        session.reload()
        return session

    @property
    def root(self) -> Path:
        return self.catalog.root

    def close(self) -> None:
        self.catalog.close()

    # -- the list -------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read photos, decisions and insights from the catalog (after a scan or analysis)."""
        self.set_photos(read_photos(self.catalog))

    def show_first(self, count: int) -> None:
        """List the first ``count`` photos at once, while the whole library is read elsewhere.

        Reading 100,000 photos takes a second or more; the first screen of the grid
        needs a few dozen. :meth:`set_photos` then replaces them with the whole list,
        whose first rows are these same photos in the same order (capture time).
        """
        self.set_photos(read_first_photos(self.catalog, count))

    def set_photos(self, photos: list[CullPhoto]) -> None:
        """Replace the photo list (read by :func:`read_photos`, possibly on another thread)."""
        self.photos = list(photos)
        self._by_id = {photo.id: photo for photo in self.photos}
        self._position = {photo.id: index for index, photo in enumerate(self.photos)}
        self._has_bursts = any(photo.insight.burst_id is not None for photo in self.photos)
        self._orders = {}
        self.state.expanded &= {p.insight.burst_id for p in self.photos if p.insight.burst_id is not None}
        self.rebuild()

    def merge(self, changes: PhotoChanges) -> bool:
        """Fold in changes read elsewhere (:mod:`engine.library.photo_changes`); True when the visible list
        changed shape (rows added, removed or moved), False when only row contents changed.

        Decisions of photos already listed are kept from this session: the user may have
        changed them since the other reader looked, and this session wrote them.

        Cost: proportional to the changes, not the library, in the two cases a scan and
        an analysis produce all the time (new photos before bursts are grouped, and
        photos whose new values leave their place in the list as it was); anything
        else (removals, regrouping, a change that moves a photo) rebuilds the list.
        """
        changed = [self._keeping_decision(photo) for photo in changes.changed]
        if not changes.removed:
            in_place = self._merge_in_place(changed)
            if in_place is not None:
                return in_place
        before = [photo.id for photo in self.visible]
        removed = set(changes.removed)
        by_id = {pid: photo for pid, photo in self._by_id.items() if pid not in removed}
        for photo in changed:
            by_id[photo.id] = photo
        ordered = [by_id.pop(p.id) for p in self.photos if p.id in by_id]
        self.set_photos(ordered + list(by_id.values()))
        return [photo.id for photo in self.visible] != before

    def _keeping_decision(self, photo: CullPhoto) -> CullPhoto:
        known = self._by_id.get(photo.id)
        return photo if known is None else photo.with_decision(known.decision)

    def _merge_in_place(self, changed: list[CullPhoto]) -> bool | None:
        """Apply ``changed`` without re-sorting: True when rows were inserted, False when only contents
        changed, None when some change needs the full rebuild (nothing is applied then)."""
        key = sort_key(self.state.sort)
        if key is None:
            return None
        fresh = [photo for photo in changed if photo.id not in self._by_id]
        if fresh and (self._has_bursts or any(photo.insight.burst_id is not None for photo in fresh)):
            return None   # where a new photo goes among collapsed bursts needs the whole order
        if not all(self._stays_put(self._by_id[photo.id], photo, key) for photo in changed if photo.id in self._by_id):
            return None
        for photo in changed:
            if photo.id in self._by_id:
                self._replace(photo)
        if changed:
            self._orders = {}   # new values may reorder the orders not shown now
        inserted = False
        for photo in fresh:
            self._position[photo.id] = len(self.photos)
            self.photos.append(photo)
            self._by_id[photo.id] = photo
            if self.state.filter.matches(photo):
                self.visible.insert(bisect.bisect_right(self.visible, key(photo), key=key), photo)
                inserted = True
        if inserted:
            self._rows = self._burst_rows = None
        return inserted

    def _stays_put(self, before: CullPhoto, after: CullPhoto, key) -> bool:
        """Whether ``after`` takes exactly the place (and visibility) ``before`` had."""
        same_burst = (before.insight.burst_id, before.insight.is_burst_best) == (
            after.insight.burst_id, after.insight.is_burst_best)
        return (same_burst and key(before) == key(after)
                and self.state.filter.matches(before) == self.state.filter.matches(after))

    def _replace(self, photo: CullPhoto) -> None:
        self.photos[self._position[photo.id]] = photo
        self._by_id[photo.id] = photo
        row = self.row_of(photo.id)
        if row is not None:
            self.visible[row] = photo

    def rebuild(self) -> None:
        """Apply sort, filter and burst collapsing to produce ``visible``."""
        shown = self._sorted_and_filtered()
        if self.state.collapse_bursts and self._has_bursts:
            shown = self._collapse(shown)
            if self.state.sort in ("score", "personal"):   # a cover sits where its own score (on its tile) puts it
                shown = sort_photos(shown, self.state.sort)
        self.visible = shown
        self._rows = self._burst_rows = None

    def _sorted_and_filtered(self) -> list[CullPhoto]:
        """The photos in the current order that pass the filter.

        Each order is sorted once and kept (as ids) until the photos change, so a
        filter change, or going back to an order seen before, is one pass over the
        list instead of a sort. Decisions change no order, so they keep it too.
        """
        sort, photo_filter = self.state.sort, self.state.filter
        if sort_key(sort) is None:   # the burst order depends on which photos are shown
            return sort_photos(apply_filter(self.photos, photo_filter), sort)
        order = self._orders.get(sort)
        if order is None:
            order = self._orders[sort] = [photo.id for photo in sort_photos(self.photos, sort)]
        by_id = self._by_id
        if not photo_filter.active:
            return [by_id[pid] for pid in order]
        return [photo for photo in map(by_id.__getitem__, order) if photo_filter.matches(photo)]

    def _collapse(self, photos: list[CullPhoto]) -> list[CullPhoto]:
        """Keep one cover per collapsed burst (its best frame, else its first shown)."""
        covers: dict[int, int] = {}
        kept: list[CullPhoto] = []
        for photo in photos:
            burst = photo.insight.burst_id
            if burst is None or burst in self.state.expanded:
                kept.append(photo)
            elif burst not in covers:
                covers[burst] = len(kept)
                kept.append(photo)
            elif photo.insight.is_burst_best:
                kept[covers[burst]] = photo
        return kept

    def set_sort(self, key: str) -> None:
        self.state.sort = key
        self.rebuild()

    def set_filter(self, photo_filter: PhotoFilter) -> None:
        self.state.filter = photo_filter
        self.rebuild()

    def set_collapse_bursts(self, collapse: bool) -> None:
        self.state.collapse_bursts = collapse
        self.rebuild()

    def toggle_burst(self, photo_id: int) -> bool:
        """Expand or collapse the burst of ``photo_id``; True if it is expanded now."""
        burst = self.photo(photo_id).insight.burst_id
        if burst is None:
            return False
        self.state.expanded ^= {burst}
        self.rebuild()
        return burst in self.state.expanded

    def photo(self, photo_id: int) -> CullPhoto:
        return self._by_id[photo_id]

    def has(self, photo_id: int) -> bool:
        return photo_id in self._by_id

    def row_of(self, photo_id: int) -> int | None:
        """The row of a photo in ``visible`` (None when not shown).

        Without bursts the list is sorted by the order's key, so a binary search finds
        the row; with bursts a map is built once per change of the list's shape.
        """
        if self._rows is not None:
            return self._rows.get(photo_id)
        key, photo = sort_key(self.state.sort), self._by_id.get(photo_id)
        if photo is None:
            return None
        if key is not None and not self._has_bursts:
            row = bisect.bisect_left(self.visible, key(photo), key=key)
            return row if row < len(self.visible) and self.visible[row].id == photo_id else None
        self._rows = {shown.id: row for row, shown in enumerate(self.visible)}
        return self._rows.get(photo_id)

    def shown_row(self, photo_id: int) -> int | None:
        """The row that shows ``photo_id``: its own, else its collapsed burst's cover; None when filtered out.

        This is how the current photo stays current through a new sort, filter or grouping:
        a frame folded into its burst is found again at the burst's tile."""
        row = self.row_of(photo_id)
        if row is not None or photo_id not in self._by_id:
            return row
        burst_id = self._by_id[photo_id].insight.burst_id
        if burst_id is None:
            return None
        if self._burst_rows is None:
            self._burst_rows = {}
            for shown_at, photo in enumerate(self.visible):
                if photo.insight.burst_id is not None:
                    self._burst_rows.setdefault(photo.insight.burst_id, shown_at)
        return self._burst_rows.get(burst_id)

    def landing_row(self, photo_ids: Sequence[int], prefer: int | None = None) -> int | None:
        """Where the cursor goes after undo or redo changed ``photo_ids``: ``prefer`` (the current
        photo) when it is one of them, else the first of them in the list; None when none is shown."""
        rows = [r for r in (self.shown_row(pid) for pid in photo_ids) if r is not None]
        if not rows:
            return None
        preferred = self.shown_row(prefer) if prefer in photo_ids else None
        return preferred if preferred is not None else min(rows)

    def burst_members(self, photo_id: int) -> list[CullPhoto]:
        """Every frame of the burst holding ``photo_id``, best first (just that photo for a single)."""
        burst = self.photo(photo_id).insight.burst_id
        if burst is None:
            return [self.photo(photo_id)]
        members = [p for p in self.photos if p.insight.burst_id == burst]
        return sorted(members, key=lambda p: (p.insight.burst_rank or 10**6, p.record.capture_time or "", p.record.path))

    def next_row(self, row: int, step: int = 1) -> int:
        """The row ``step`` away, clamped to the list."""
        if not self.visible:
            return 0
        return max(0, min(len(self.visible) - 1, row + step))

    # -- decisions ------------------------------------------------------------------

    def decide(self, photo_ids: Iterable[int], *, flag=KEEP, rating=KEEP, label=KEEP) -> list[int]:
        """Change decisions of ``photo_ids`` as one undoable action; returns the ids whose decision changed."""
        ids = [pid for pid in dict.fromkeys(photo_ids) if pid in self._by_id]
        before = {pid: self._by_id[pid].decision for pid in ids}
        if not set_decisions(self.catalog, ids, flag=flag, rating=rating, label=label):
            return []
        self._refresh_decisions(ids)
        return [pid for pid in ids if self._by_id[pid].decision != before[pid]]

    def apply_key(self, key: str, photo_ids: Sequence[int]) -> list[int] | None:
        """A culling key (P, X, U, 0–9) on ``photo_ids``; None when ``key`` is not a culling key."""
        binding = decision_for_key(key)
        if binding is None:
            return None
        return self.decide(photo_ids, flag=binding.flag, rating=binding.rating, label=binding.label)

    def advance_after(self, key: str, row: int) -> int:
        """Where the loupe goes after ``key`` on ``row``: the next photo when auto-advance is on
        and the key set a flag or stars (labels are often stacked, so they stay)."""
        binding = decision_for_key(key)
        moves = binding is not None and binding.moves_on
        return self.next_row(row) if moves and self.settings.auto_advance else row

    def undo(self) -> list[int]:
        return self._refresh_decisions(undo(self.catalog))

    def redo(self) -> list[int]:
        return self._refresh_decisions(redo(self.catalog))

    def _refresh_decisions(self, ids: Sequence[int]) -> list[int]:
        stored = stored_decisions(self.catalog, ids)
        for pid in ids:
            if pid in self._by_id:
                decision = stored[pid].decision if pid in stored else Decision()
                self._replace(self._by_id[pid].with_decision(decision))   # in place: nothing moves mid-cull
        return list(ids)

    @property
    def writes_sidecars_on_decision(self) -> bool:
        return self.settings.sidecar_write == "every_decision"

    # -- auto-cull ------------------------------------------------------------------

    def propose_auto_cull(self) -> list[auto_cull.Proposal]:
        return auto_cull.propose(self.photos)

    def accept_proposals(self, proposals: Sequence[auto_cull.Proposal]) -> list[int]:
        if not proposals:
            return []
        auto_cull.accept(self.catalog, proposals)
        return self._refresh_decisions([p.photo_id for p in proposals])

    # -- summary --------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        flags = [p.record.flag for p in self.photos]
        return {"photos": len(flags), "picks": flags.count(1), "rejects": flags.count(-1),
                "shown": len(self.visible)}
