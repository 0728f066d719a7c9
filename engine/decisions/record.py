"""Culling decisions (pick/reject flag, stars, colour label) in the catalog, with undo.

The catalog's ``decisions`` table is the truth while photocull runs; sidecars
are written from it on request (:mod:`engine.decisions.sidecars`). Every change goes
through :func:`apply_changes`, which records a ``decision_log`` row per photo
(JSON before/after) under one ``batch`` number per user action, so one undo
reverts one keystroke even when it hit 500 selected photos.

Undo state lives in the log itself, so it survives restarts and is shared by
the CLI and the GUI: an undone batch has its number negated. Undo negates the
newest positive batch and restores its ``before`` values; redo re-applies the
most recently undone one; any new change first forgets the undone batches
(the usual editor rule: a new action clears the redo stack).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from engine.library.catalog import Catalog, CatalogNotFound, PhotoRecord, catalog_path

PICK, UNFLAGGED, REJECT = 1, 0, -1

#: Colour labels, in Lightroom's order and spelling (also darktable's 0–4 order).
LABELS = ("Red", "Yellow", "Green", "Blue", "Purple")


@dataclass(frozen=True)
class Decision:
    """What the photographer decided about one photo."""

    flag: int = UNFLAGGED     # 1 pick, 0 none, -1 reject
    rating: int = 0           # 0..5 stars
    label: str | None = None  # one of LABELS

    def __post_init__(self) -> None:
        if self.flag not in (PICK, UNFLAGGED, REJECT):
            raise ValueError(f"flag must be 1, 0 or -1, not {self.flag!r}")
        if not (isinstance(self.rating, int) and 0 <= self.rating <= 5):
            raise ValueError(f"rating must be 0..5, not {self.rating!r}")
        if self.label is not None and self.label not in LABELS:
            raise ValueError(f"label must be one of {', '.join(LABELS)} or None, not {self.label!r}")


@dataclass(frozen=True)
class StoredDecision:
    """A decision row: the decision, when it last changed, and who made it."""

    decision: Decision
    updated_at: float         # unix seconds
    source: str               # user | sidecar | auto


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


#: "Leave this field as it is" for :func:`set_decisions` (None means "no label").
KEEP = _Keep()


def parse_label(text: str) -> str | None:
    """A label from user input: any case of the five names, or none/'' for no label."""
    if text.strip().lower() in ("", "none"):
        return None
    for label in LABELS:
        if label.lower() == text.strip().lower():
            return label
    raise ValueError(f"unknown colour label {text!r}; choose from {', '.join(LABELS)} or none")


def get_decision(catalog: Catalog, photo_id: int) -> StoredDecision | None:
    """The stored decision of one photo, or None when it was never decided."""
    return stored_decisions(catalog, [photo_id]).get(photo_id)


def stored_decisions(catalog: Catalog, photo_ids: Iterable[int] | None = None) -> dict[int, StoredDecision]:
    """Stored decisions by photo id (all of them when ``photo_ids`` is None)."""
    query = "SELECT photo_id, flag, rating, label, updated_at, source FROM decisions"
    if photo_ids is None:
        rows = catalog.conn.execute(query).fetchall()
    else:
        ids = list(photo_ids)
        rows = []
        for start in range(0, len(ids), 500):   # stay under SQLite's variable limit
            chunk = ids[start:start + 500]
            rows += catalog.conn.execute(f"{query} WHERE photo_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
    return {row["photo_id"]: StoredDecision(Decision(row["flag"], row["rating"], row["label"]),
                                            row["updated_at"], row["source"]) for row in rows}


def set_decisions(catalog: Catalog, photo_ids: Iterable[int], *, flag: int | _Keep = KEEP,
                  rating: int | _Keep = KEEP, label: str | None | _Keep = KEEP) -> int:
    """Change some fields of several photos' decisions as one undoable action.

    Returns the batch number (0 when nothing changed).
    """
    ids = list(dict.fromkeys(photo_ids))
    current = stored_decisions(catalog, ids)
    fields = {name: value for name, value in (("flag", flag), ("rating", rating), ("label", label))
              if value is not KEEP}
    targets = {pid: replace(current[pid].decision if pid in current else Decision(), **fields) for pid in ids}
    return apply_changes(catalog, targets, source="user")


def apply_changes(catalog: Catalog, targets: Mapping[int, Decision], *, source: str,
                  at: float | None = None) -> int:
    """Store full decisions for several photos as one batch; unchanged ones are skipped.

    Returns the batch number, or 0 when no photo's decision changed.
    """
    at = time.time() if at is None else at
    with catalog.transaction() as conn:
        current = stored_decisions(catalog, targets)
        changed = {pid: d for pid, d in targets.items() if pid not in current or current[pid].decision != d}
        if not changed:
            return 0
        conn.execute("DELETE FROM decision_log WHERE batch < 0")
        batch = conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM decision_log").fetchone()[0]
        for pid, decision in changed.items():
            before = current[pid].decision if pid in current else None
            _store(conn, pid, decision, source=source, at=at)
            conn.execute("INSERT INTO decision_log(photo_id, before, after, at, batch) VALUES (?, ?, ?, ?, ?)",
                         (pid, _to_json(before), _to_json(decision), at, batch))
    return batch


def undo(catalog: Catalog) -> list[int]:
    """Revert the newest action; returns the photo ids it touched ([] when nothing to undo)."""
    return _replay(catalog, "SELECT MAX(batch) FROM decision_log WHERE batch > 0", "before", "DESC")


def redo(catalog: Catalog) -> list[int]:
    """Re-apply the most recently undone action; returns the photo ids it touched."""
    return _replay(catalog, "SELECT MAX(batch) FROM decision_log WHERE batch < 0", "after", "ASC")


def find_catalog_for(path: Path) -> Catalog:
    """Open the catalog of the innermost scanned library that contains ``path``.

    Raises CatalogNotFound when no folder above ``path`` (or ``path`` itself)
    has ever been scanned.
    """
    target = Path(path).expanduser().resolve()
    for folder in (target, *target.parents):
        if catalog_path(folder).exists():
            return Catalog.open(folder, create=False)
    raise CatalogNotFound(f"no photocull library contains {path}; scan a folder that holds it first")


def photos_under(catalog: Catalog, folder: Path) -> list[PhotoRecord]:
    """The catalog's photos inside ``folder`` (the library root or one of its sub-folders)."""
    relative = catalog.relpath(Path(folder).expanduser().resolve())
    if relative in ("", "."):
        return catalog.photos()
    return [p for p in catalog.photos() if p.folder == relative or p.folder.startswith(relative + "/")]


def _replay(catalog: Catalog, pick_batch: str, column: str, order: str) -> list[int]:
    at = time.time()
    with catalog.transaction() as conn:
        batch = conn.execute(pick_batch).fetchone()[0]
        if batch is None:
            return []
        rows = conn.execute(f"SELECT photo_id, {column} FROM decision_log WHERE batch = ? ORDER BY id {order}",
                            (batch,)).fetchall()
        for photo_id, state in rows:
            if conn.execute("SELECT 1 FROM photos WHERE id = ?", (photo_id,)).fetchone():
                # (a photo removed from the library since then is skipped)
                _store(conn, photo_id, _from_json(state), source="user", at=at)
        conn.execute("UPDATE decision_log SET batch = -batch WHERE batch = ?", (batch,))
    return list(dict.fromkeys(row[0] for row in rows))


def _store(conn, photo_id: int, decision: Decision | None, *, source: str, at: float) -> None:
    if decision is None:
        conn.execute("DELETE FROM decisions WHERE photo_id = ?", (photo_id,))
        return
    conn.execute(
        "INSERT INTO decisions(photo_id, flag, rating, label, updated_at, source) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(photo_id) DO UPDATE SET flag=excluded.flag, rating=excluded.rating, label=excluded.label, "
        "updated_at=excluded.updated_at, source=excluded.source",
        (photo_id, decision.flag, decision.rating, decision.label, at, source),
    )


def _to_json(decision: Decision | None) -> str | None:
    return None if decision is None else json.dumps(asdict(decision))


def _from_json(text: str | None) -> Decision | None:
    return None if text is None else Decision(**json.loads(text))
