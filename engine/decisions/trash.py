"""Send rejected photos to the system trash, record what went, and bring it back.

Only on an explicit command (``photocull-cli trash DIR --rejects``, or the
app's "Move rejects to trash"): photos are never deleted, only handed to the
operating system's trash through Send2Trash, with every file of the photo
(RAW+JPEG partners) and its sidecars. Each file that went gets a
``trash_log`` row (one ``batch`` per command), written right after it went,
so the record is complete even if the command is interrupted.

Undo (:func:`undo_trash`) needs to know where the trash put each file. That is
specified only for the freedesktop.org trash (Linux and other Unix desktops):
a ``files/NAME`` + ``info/NAME.trashinfo`` pair in the home trash
(``$XDG_DATA_HOME/Trash``) or in a ``.Trash/$uid`` / ``.Trash-$uid`` folder at
the top of the file's mount. We find the ``.trashinfo`` whose ``Path`` is the
original and whose ``DeletionDate`` is closest to our record, and move the
file back — never over a file that has taken its place. On Windows and macOS
the recycle bin keeps no such contract: undo is unavailable there
(:class:`TrashUndoUnavailable`) and the user restores from the system's
Trash/Recycle Bin, where the files are.

The catalog keeps the trashed photos (with their decisions); the next scan
marks them ``missing``, and an undo followed by a scan brings them back.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from send2trash import send2trash

from engine.decisions.record import REJECT
from engine.decisions.sidecars import FileProblem, Progress, plan_sidecars
from engine.library.catalog import Catalog, PhotoRecord


class TrashUndoUnavailable(Exception):
    """This platform's trash cannot be restored from programmatically."""


@dataclass
class TrashReport:
    batch: int = 0
    trashed: list[Path] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


@dataclass
class RestoreReport:
    batch: int = 0
    restored: list[Path] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


def can_undo() -> bool:
    """Whether :func:`undo_trash` works here (freedesktop trash: not Windows, not macOS)."""
    return sys.platform not in ("win32", "darwin")


def trash_rejects(catalog: Catalog, *, photos: Sequence[PhotoRecord] | None = None,
                  progress: Progress | None = None) -> TrashReport:
    """Send every rejected photo (files and sidecars) to the system trash."""
    rejected = [p for p in (catalog.photos() if photos is None else photos) if p.flag == REJECT and p.files]
    plans, problems = plan_sidecars(catalog.root, rejected)
    report = TrashReport(problems=problems)
    report.batch = catalog.conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM trash_log").fetchone()[0]
    for done, photo in enumerate(rejected, 1):
        files = [catalog.abspath(f) for f in photo.files]
        files += list(plans[photo.id].existing) if photo.id in plans else []
        for path in files:
            if path.exists():
                _trash_one(catalog, path, report)
        if progress is not None:
            progress(done, len(rejected))
    return report


def undo_trash(catalog: Catalog, batch: int | None = None) -> RestoreReport:
    """Put back the files of ``batch`` (default: the latest batch with anything left to restore)."""
    if not can_undo():
        raise TrashUndoUnavailable(
            "undo is not available on this system: restore the files from the system Trash / Recycle Bin")
    if batch is None:
        batch = catalog.conn.execute(
            "SELECT MAX(batch) FROM trash_log WHERE restored_at IS NULL").fetchone()[0]
    report = RestoreReport(batch=batch or 0)
    if batch is None:
        return report
    rows = catalog.conn.execute(
        "SELECT id, original_path, trashed_at FROM trash_log WHERE batch = ? AND restored_at IS NULL ORDER BY id",
        (batch,)).fetchall()
    for row_id, original, trashed_at in rows:
        problem = _restore(Path(original), trashed_at)
        if problem:
            report.problems.append(FileProblem(original, problem))
            continue
        with catalog.transaction() as conn:
            conn.execute("UPDATE trash_log SET restored_at = ? WHERE id = ?", (time.time(), row_id))
        report.restored.append(Path(original))
    return report


def _trash_one(catalog: Catalog, path: Path, report: TrashReport) -> None:
    try:
        send2trash(path)
    except OSError as exc:
        report.problems.append(FileProblem(str(path), f"not moved to the trash: {exc}"))
        return
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO trash_log(batch, original_path, trashed_at) VALUES (?, ?, ?)",
                     (report.batch, str(path), time.time()))
    report.trashed.append(path)


# --------------------------------------------------------------------------- freedesktop trash


@dataclass(frozen=True)
class _TrashEntry:
    info: Path
    file: Path
    deleted_at: float


def _restore(original: Path, trashed_at: float) -> str | None:
    """Move ``original`` back from the trash; returns a problem sentence, or None when done."""
    entries = [e for trash in _trash_folders(original) for e in _entries_for(trash, original)]
    if not entries:
        return "not found in the trash (emptied, or restored by hand)"
    entry = min(entries, key=lambda e: abs(e.deleted_at - trashed_at))
    if original.exists() or original.is_symlink():
        return "a file with this name exists again; the trashed one was left in the trash"
    try:
        original.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(entry.file, original)
        entry.info.unlink()
    except OSError as exc:
        return f"cannot restore: {exc}"
    return None


def _trash_folders(original: Path) -> list[tuple[Path, Path]]:
    """(trash folder, the folder its relative Path= entries are relative to), as the spec lists them."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    found = [(data_home / "Trash", data_home)]
    plat_other = sys.modules.get("send2trash.plat_other")   # it resolves the home trash once, at import
    if plat_other is not None:
        found.append((Path(os.fsdecode(plat_other.HOMETRASH_B)), Path(os.fsdecode(plat_other.XDG_DATA_HOME))))
    top = _mount_point(original.parent)
    uid = os.getuid()
    found += [(top / ".Trash" / str(uid), top), (top / f".Trash-{uid}", top)]
    return list(dict.fromkeys(found))


def _entries_for(trash: tuple[Path, Path], original: Path) -> list[_TrashEntry]:
    folder, relative_to = trash
    entries = []
    try:
        infos = list((folder / "info").glob("*.trashinfo"))
    except OSError:
        return []
    for info in infos:
        fields = _read_trashinfo(info)
        if fields is None:
            continue
        path, deleted_at = fields
        if (relative_to / path if not path.is_absolute() else path) == original:
            file = folder / "files" / info.name[: -len(".trashinfo")]
            if file.exists() or file.is_symlink():
                entries.append(_TrashEntry(info, file, deleted_at))
    return entries


def _read_trashinfo(info: Path) -> tuple[Path, float] | None:
    try:
        lines = info.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    if "Path" not in fields or "DeletionDate" not in fields:
        return None
    try:
        deleted_at = datetime.strptime(fields["DeletionDate"].strip(), "%Y-%m-%dT%H:%M:%S").timestamp()
    except ValueError:
        return None
    return Path(unquote(fields["Path"].strip())), deleted_at


def _mount_point(path: Path) -> Path:
    path = Path(os.path.realpath(path))
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path
