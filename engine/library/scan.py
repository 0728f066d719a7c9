"""Scan a library into its catalog: discover, decode once, record.

How a scan runs:

1. :func:`engine.library.discovery.discover` lists and stats every supported file.
2. One SELECT loads what the catalog already knows; files are grouped into
   photos by (folder, stem) — ``IMG_1.CR2`` + ``IMG_1.JPG`` is one photo with
   two files. A group whose files all have the size and mtime the catalog
   recorded is *unchanged* and costs nothing more.
3. Changed groups are decoded on a thread pool (Pillow releases the GIL) with
   :func:`engine.library.thumbnails.ingest`, which reads metadata and makes the grid
   thumbnail from a single reduced-size decode. Only the photo's primary file
   is decoded (raster before RAW, see :func:`engine.library.catalog.file_preference`);
   partner files are catalogued without decoding. If the primary cannot be
   read, the next file is tried.
4. The calling thread is the only SQLite writer. It commits in batches (every
   ``batch_files`` photos or ``batch_seconds``), each group in one transaction,
   so a scan killed at any instant keeps every finished batch and the next scan
   resumes with what is left. Before each commit it stores the batch's grid
   thumbnails back to back (encoding and creating files in a row is cheaper
   than between decodes), so a photo in the catalog has its thumbnail.

Unreadable files get a ``scan_errors`` row (the DecodeError's stable
``reason`` and readable ``message``) and the scan goes on. An error row is
retried when the file's size or mtime changes (or, for ``permission_denied``,
as soon as the file is readable), and cleared once the file reads.

Deleted files: their ``files`` row goes. A photo left without files is deleted,
unless it carries a decision (flag, rating or label): then it stays with status
``missing`` (or ``error`` when its files are still there but unreadable), so a
card re-inserted or a folder moved back finds its decisions again.
Files below a folder that cannot be listed are left as they were: an
unreadable folder is not evidence that its photos were deleted.

Decisions other programs recorded: after the files are up to date, XMP
sidecars next to the photos are read (:func:`engine.decisions.sidecars.import_sidecars`;
the newer of sidecar and catalog wins), and XMP embedded in the photos decoded
by this scan too. Reading never writes; a malformed sidecar becomes a problem
in the report, never a failed scan.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from engine.config import paths
from engine.library.catalog import Catalog, PhotoRecord, file_preference
from engine.library.decode import DecodeError
from engine.library.discovery import Discovery, FoundFile, discover
from engine.library.thumbnails import GRID_SIZE, FileIdentity, ScannedImage, ThumbnailCache, ingest

#: progress(done, total, current_path): files handled so far, files this scan
#: has to handle (unchanged ones are not counted), and the root-relative path of
#: the photo just handled. Called from the thread that runs the scan.
ProgressCallback = Callable[[int, int, str], None]

GroupKey = tuple[str, str]


class LibraryNotFound(Exception):
    """The library root does not exist or is not a folder."""


@dataclass
class ScanReport:
    """What one scan did. ``errors`` counts the library's unreadable files after the scan."""

    root: Path
    discovered: int = 0
    unchanged: int = 0
    decoded: int = 0
    removed: int = 0
    new_errors: int = 0
    errors: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    #: Photos whose decision was taken from sidecars / embedded XMP in this scan.
    imported_decisions: int = 0
    #: Sidecars that could not be read (path, sentence); they are left untouched.
    sidecar_problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class _Known:
    """A file row as the catalog has it."""

    size: int
    mtime_ns: int
    role: str
    ext: str
    folder: str
    stem: str

    @property
    def group(self) -> GroupKey:
        return (self.folder, self.stem)


@dataclass(frozen=True)
class _KnownError:
    size: int | None
    mtime_ns: int | None
    reason: str


@dataclass
class GroupPlan:
    """The work for one photo: which files may become primary, in preference order.

    ``reusable`` is the current primary when it has not changed: its metadata and
    thumbnail are already recorded, so reaching it needs no decode.
    """

    folder: str
    stem: str
    candidates: list[FoundFile]
    reusable: str | None
    file_count: int
    vanished: list[str]
    has_unreadable: bool

    @property
    def needs_decode(self) -> bool:
        return bool(self.candidates) and self.candidates[0].path != self.reusable


@dataclass
class GroupOutcome:
    plan: GroupPlan
    primary: FoundFile | None = None
    scanned: ScannedImage | None = None
    failures: list[tuple[FoundFile, str, str]] = field(default_factory=list)

    @property
    def good_files(self) -> list[FoundFile]:
        """The primary and every candidate after it (partners, never decoded)."""
        if self.primary is None:
            return []
        index = self.plan.candidates.index(self.primary)
        return self.plan.candidates[index:]


@dataclass
class ScanPlan:
    groups: list[GroupPlan]
    unchanged_files: int
    stale_error_paths: list[str]


def scan_library(
    root: Path,
    *,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cache: ThumbnailCache | None = None,
    batch_files: int = 50,
    batch_seconds: float = 0.5,
    import_decisions: bool = True,
) -> ScanReport:
    """Bring the catalog of ``root`` up to date with the files on disk.

    Safe to interrupt: setting ``cancel`` (or Ctrl-C, which re-raises
    KeyboardInterrupt after committing) keeps all finished work.
    """
    started = time.monotonic()
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise LibraryNotFound(f"{root} is not a folder")
    cancel = cancel or threading.Event()
    cache = cache or ThumbnailCache()
    report = ScanReport(root)
    with Catalog.open(root) as catalog:
        found = discover(root, exclude=(paths.data_dir(), paths.cache_dir()), cancel=cancel)
        if cancel.is_set():
            report.cancelled = True
            return report
        plan = plan_scan(catalog, found)
        report.discovered = len(found.files)
        report.unchanged = plan.unchanged_files
        with catalog.transaction() as conn:
            _record_problems(conn, found)
            conn.executemany("DELETE FROM scan_errors WHERE path = ?", [(p,) for p in plan.stale_error_paths])
        writer = _BatchWriter(catalog, report, batch_files, batch_seconds)
        total = sum(group.file_count for group in plan.groups)
        without_xmp: set[str] = set()   # decoded primaries whose open showed no embedded XMP
        try:
            for outcome in _outcomes(root, plan.groups, cache, workers, cancel):
                writer.add(outcome)
                if outcome.scanned is not None and not outcome.scanned.may_embed_xmp:
                    without_xmp.add(outcome.primary.path)
                if progress is not None:
                    progress(writer.files_done, total, outcome.plan.candidates[0].path if outcome.plan.candidates else "")
        finally:
            writer.flush()
        report.cancelled = cancel.is_set()
        if import_decisions and not report.cancelled:
            _import_recorded_decisions(catalog, {item.folder for item in found.files}, plan, report, without_xmp)
        report.errors = catalog.conn.execute("SELECT COUNT(*) FROM scan_errors").fetchone()[0]
    report.seconds = time.monotonic() - started
    return report


def _import_recorded_decisions(catalog: Catalog, folders: set[str], plan: ScanPlan, report: ScanReport,
                               without_xmp: set[str]) -> None:
    """Take ratings, labels and flags from sidecars and from XMP embedded in newly decoded photos.

    Another program may have changed a sidecar since the last scan, so every
    folder that holds ``.xmp`` files is looked at again; folders without any
    cost one directory listing, which keeps the rescan of an unchanged library
    fast. Embedded XMP needs the file opened, so only photos decoded in this
    scan are read for it, and not those whose decode already showed none
    (``without_xmp``: a second open of every new JPEG cost about as much as
    its metadata).
    """
    from engine.decisions.sidecars import import_sidecars  # the scan works without the decisions layer loaded

    decoded = {item.path for group in plan.groups if group.needs_decode for item in group.candidates}
    decoded -= without_xmp
    with_sidecars = _folders_with_sidecars(catalog.root, folders)
    if not decoded and not with_sidecars:
        return
    photos = catalog.photos()
    fresh = [photo for photo in photos if photo.path in decoded]
    settled = [photo for photo in photos if photo.path not in decoded and photo.folder in with_sidecars]
    for subset, embedded in ((settled, False), (fresh, True)):
        if not subset:
            continue
        outcome = import_sidecars(catalog, photos=subset, embedded=embedded)
        report.imported_decisions += outcome.imported
        report.sidecar_problems += [(str(p.path), p.message) for p in outcome.problems]


def _folders_with_sidecars(root: Path, folders: set[str]) -> set[str]:
    """The root-relative folders that contain at least one ``.xmp`` file (any case)."""
    found: set[str] = set()
    for folder in folders:
        try:
            with os.scandir(os.path.join(root, folder)) as entries:
                if any(entry.name.lower().endswith(".xmp") for entry in entries):
                    found.add(folder)
        except OSError:
            continue
    return found


def grid_thumbnail(root: Path, photo: PhotoRecord, cache: ThumbnailCache | None = None) -> Path:
    """The grid thumbnail of a catalogued photo; rebuilt if the cache was cleared.

    ``root`` is the catalog's (resolved) root, so the identity matches the one
    the scan stored. Raises DecodeError when the file can no longer be read.
    """
    ident = FileIdentity(str(root / photo.path), photo.size, photo.mtime_ns)
    return (cache or ThumbnailCache()).ensure(ident, GRID_SIZE)


def plan_scan(catalog: Catalog, found: Discovery) -> ScanPlan:
    """Compare the disk with the catalog and list the photos that need work.

    Pure bookkeeping over dicts (no per-file queries), so a rescan of an
    unchanged library costs one walk and two SELECTs.
    """
    known = {
        row[0]: _Known(*row[1:])
        for row in catalog.conn.execute(
            "SELECT f.path, f.size, f.mtime_ns, f.role, f.ext, p.folder, p.stem FROM files f JOIN photos p ON p.id = f.photo_id"
        )
    }
    known_errors = {
        row[0]: _KnownError(*row[1:])
        for row in catalog.conn.execute("SELECT path, size, mtime_ns, reason FROM scan_errors")
    }
    blocked = found.unreadable_folders
    found_groups = group_files(found.files)
    known_groups: dict[GroupKey, list[str]] = {}
    for path, row in known.items():
        if not _is_below(row.group[0], blocked):  # unlistable folder: not evidence of deletion
            known_groups.setdefault(row.group, []).append(path)

    groups: list[GroupPlan] = []
    unchanged = 0
    for key in sorted(found_groups.keys() | known_groups.keys()):
        present = found_groups.get(key, [])
        present_paths = {item.path for item in present}
        fresh = [item for item in present if _same(known.get(item.path), key, item)]
        skipped = [item for item in present if not _should_retry(catalog, known_errors.get(item.path), item)]
        vanished = [path for path in known_groups.get(key, []) if path not in present_paths]
        if len(fresh) + len(skipped) == len(present) and not vanished:
            unchanged += len(present)
            continue
        groups.append(_group_plan(key, present, skipped, known_groups.get(key, []), known, fresh))
    problem_paths = {problem.path for problem in found.problems}
    found_paths = {item.path for item in found.files}
    stale = [
        path
        for path in known_errors
        if path not in found_paths and path not in problem_paths and not _is_below(path, blocked)
    ]
    return ScanPlan(groups, unchanged, stale)


def group_files(files: list[FoundFile]) -> dict[GroupKey, list[FoundFile]]:
    """Files -> photos, each list in preference order (primary first).

    RAW files and the preferred raster that share a folder and stem are one
    photo (the camera's RAW+JPEG). Any further raster with that stem is a photo
    of its own, keyed by its full file name: ``a.jpg`` and ``a.png`` side by
    side are usually different pictures, and culling must show both.
    """
    by_stem: dict[GroupKey, list[FoundFile]] = {}
    for item in files:
        by_stem.setdefault((item.folder, item.stem), []).append(item)
    groups: dict[GroupKey, list[FoundFile]] = {}
    for (folder, stem), members in by_stem.items():
        members.sort(key=_preference)
        rasters = [item for item in members if item.kind == "raster"]
        for extra in rasters[1:]:
            groups.setdefault((folder, extra.path.rpartition("/")[2]), []).append(extra)
        groups.setdefault((folder, stem), []).extend(item for item in members if item not in rasters[1:])
    for members in groups.values():
        members.sort(key=_preference)
    return groups


def _group_plan(
    key: GroupKey,
    present: list[FoundFile],
    skipped: list[FoundFile],
    recorded: list[str],
    known: dict[str, _Known],
    fresh: list[FoundFile],
) -> GroupPlan:
    """``recorded``: the photo's files in the catalog; ``fresh``: present and unchanged;
    ``skipped``: unchanged files that failed before."""
    candidates = [item for item in present if item not in skipped]
    previous_primary = min(
        recorded, key=lambda path: file_preference(known[path].role, known[path].ext, path), default=None
    )
    reusable = previous_primary if previous_primary in {item.path for item in fresh} else None
    present_paths = {item.path for item in present}
    vanished = [path for path in recorded if path not in present_paths]
    return GroupPlan(key[0], key[1], candidates, reusable, len(present), vanished, bool(skipped))


def _outcomes(
    root: Path,
    groups: list[GroupPlan],
    cache: ThumbnailCache,
    workers: int,
    cancel: threading.Event,
) -> Iterator[GroupOutcome]:
    """Yield each group's outcome; decoding runs on ``workers`` threads.

    At most ``2 * workers + 2`` groups are in flight, which bounds memory and
    makes cancellation quick.
    """
    quick = [g for g in groups if not g.needs_decode]
    for group in quick:
        yield _settle(root, group, cache)
    queue = iter([g for g in groups if g.needs_decode])
    limit = 2 * workers + 2
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="photocull-scan") as pool:
        in_flight: set[Future[GroupOutcome]] = set()
        try:
            while True:
                while len(in_flight) < limit and not cancel.is_set():
                    group = next(queue, None)
                    if group is None:
                        break
                    in_flight.add(pool.submit(_settle, root, group, cache))
                if not in_flight:
                    return
                done, in_flight = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:  # interrupted: drop what has not started; running decodes finish
            for future in in_flight:
                future.cancel()


def _settle(root: Path, group: GroupPlan, cache: ThumbnailCache) -> GroupOutcome:
    """Find the group's primary: the first candidate that reads (or is already recorded)."""
    outcome = GroupOutcome(group)
    for candidate in group.candidates:
        if candidate.path == group.reusable:
            outcome.primary = candidate
            return outcome
        try:
            outcome.scanned = ingest(root / candidate.path, cache, store=False)
        except DecodeError as exc:
            outcome.failures.append((candidate, exc.reason, exc.message))
            continue
        except Exception as exc:  # a bug must not end the scan; record it like a bad file
            outcome.failures.append((candidate, "corrupt", f"Could not be read ({type(exc).__name__}: {exc})."))
            continue
        outcome.primary = candidate
        return outcome
    return outcome


class _BatchWriter:
    """The scan's only SQLite writer: groups outcomes into short transactions."""

    def __init__(self, catalog: Catalog, report: ScanReport, batch_files: int, batch_seconds: float):
        self.catalog = catalog
        self.report = report
        self.batch_files = batch_files
        self.batch_seconds = batch_seconds
        self.pending: list[GroupOutcome] = []
        self.last_commit = time.monotonic()
        self.files_done = 0

    def add(self, outcome: GroupOutcome) -> None:
        self.pending.append(outcome)
        self.files_done += outcome.plan.file_count
        if len(self.pending) >= self.batch_files or time.monotonic() - self.last_commit >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            _store_thumbnails(self.pending)
            now = time.time()
            with self.catalog.transaction() as conn:
                for outcome in self.pending:
                    _record_outcome(conn, outcome, now, self.report)
            self.pending.clear()
        self.last_commit = time.monotonic()


def _store_thumbnails(outcomes: list[GroupOutcome]) -> None:
    """Write the batch's new grid thumbnails, back to back (see ``PendingThumbnail``), before its catalog rows.

    A thumbnail that cannot be written (cache folder full or read-only) is left out:
    the cache is not the photo, and the grid makes a missing thumbnail when it shows it.
    """
    for outcome in outcomes:
        scanned = outcome.scanned
        if scanned is None or scanned.pending is None:
            continue
        try:
            scanned.pending.store()
        except OSError:
            pass
        scanned.pending = None


def _record_outcome(conn, outcome: GroupOutcome, now: float, report: ScanReport) -> None:
    plan = outcome.plan
    for item, reason, message in outcome.failures:
        conn.execute(
            "INSERT OR REPLACE INTO scan_errors(path, reason, message, size, mtime_ns, at) VALUES (?, ?, ?, ?, ?, ?)",
            (item.path, reason, message, item.size, item.mtime_ns, now),
        )
    report.new_errors += len(outcome.failures)
    report.decoded += 1 if outcome.scanned is not None else 0
    report.removed += len(plan.vanished)
    good = outcome.good_files
    conn.executemany("DELETE FROM scan_errors WHERE path = ?", [(item.path,) for item in good])
    photo_id = _upsert_photo(conn, plan, outcome.scanned) if good else _photo_id(conn, plan)
    if photo_id is None:
        return
    keep = {item.path for item in good}
    rows = conn.execute("SELECT path FROM files WHERE photo_id = ?", (photo_id,)).fetchall()
    conn.executemany("DELETE FROM files WHERE path = ?", [(row[0],) for row in rows if row[0] not in keep])
    for item in good:
        conn.execute(_UPSERT_FILE, (photo_id, item.path, item.ext, item.kind, item.size, item.mtime_ns, now))
    if not good:
        _settle_orphan(conn, photo_id, has_errors=bool(outcome.failures) or plan.has_unreadable)


_UPSERT_FILE = """
    INSERT INTO files(photo_id, path, ext, role, size, mtime_ns, scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(path) DO UPDATE SET photo_id = excluded.photo_id, ext = excluded.ext, role = excluded.role,
        size = excluded.size, mtime_ns = excluded.mtime_ns, scanned_at = excluded.scanned_at
"""

_METADATA_COLUMNS = (
    "capture_time", "capture_time_source", "orientation", "make", "model", "lens",
    "focal_length", "aperture", "shutter", "iso", "width", "height",
)


def _upsert_photo(conn, plan: GroupPlan, scanned: ScannedImage | None) -> int:
    if scanned is None:
        row = conn.execute(
            "INSERT INTO photos(folder, stem) VALUES (?, ?) "
            "ON CONFLICT(folder, stem) DO UPDATE SET status = 'ok' RETURNING id",
            (plan.folder, plan.stem),
        ).fetchone()
        return row[0]
    columns = ", ".join(_METADATA_COLUMNS)
    placeholders = ", ".join("?" for _ in _METADATA_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in _METADATA_COLUMNS)
    values = [getattr(scanned.metadata, c) for c in _METADATA_COLUMNS]
    row = conn.execute(
        f"INSERT INTO photos(folder, stem, {columns}, status) VALUES (?, ?, {placeholders}, 'ok') "
        f"ON CONFLICT(folder, stem) DO UPDATE SET {updates}, status = 'ok' RETURNING id",
        (plan.folder, plan.stem, *values),
    ).fetchone()
    return row[0]


def _photo_id(conn, plan: GroupPlan) -> int | None:
    row = conn.execute("SELECT id FROM photos WHERE folder = ? AND stem = ?", (plan.folder, plan.stem)).fetchone()
    return None if row is None else row[0]


def _settle_orphan(conn, photo_id: int, *, has_errors: bool) -> None:
    """A photo without readable files: keep it only if the user decided something about it."""
    decided = conn.execute(
        "SELECT 1 FROM decisions WHERE photo_id = ? AND (flag != 0 OR rating != 0 OR label IS NOT NULL)",
        (photo_id,),
    ).fetchone()
    if decided:
        conn.execute("UPDATE photos SET status = ? WHERE id = ?", ("error" if has_errors else "missing", photo_id))
    else:
        conn.execute("DELETE FROM photos WHERE id = ?", (photo_id,))


def _record_problems(conn, found: Discovery) -> None:
    now = time.time()
    conn.executemany(
        # Unchanged problems keep their row (and time): a rescan of an unchanged library writes nothing.
        "INSERT INTO scan_errors(path, reason, message, size, mtime_ns, at) VALUES (?, ?, ?, NULL, NULL, ?) "
        "ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, message = excluded.message, at = excluded.at "
        "WHERE reason != excluded.reason OR message != excluded.message",
        [(p.path or ".", p.reason, p.message, now) for p in found.problems],
    )


def _should_retry(catalog: Catalog, error: _KnownError | None, item: FoundFile) -> bool:
    """Decode again unless the file is the same one that already failed."""
    if error is None or (error.size, error.mtime_ns) != (item.size, item.mtime_ns):
        return True
    # chmod does not change mtime, so a permission fix is noticed by asking.
    return error.reason == "permission_denied" and os.access(catalog.abspath(item.path), os.R_OK)


def _same(known: _Known | None, group: GroupKey, item: FoundFile) -> bool:
    """Recorded with this size and mtime, in this same photo."""
    return known is not None and known.group == group and (known.size, known.mtime_ns) == (item.size, item.mtime_ns)


def _preference(item: FoundFile) -> tuple[int, int, str]:
    return file_preference(item.kind, item.ext, item.path)


def _is_below(path: str, folders: list[str]) -> bool:
    return bool(folders) and any(folder in ("", path) or path.startswith(folder + "/") for folder in folders)
