"""The library catalog: one SQLite file per library, outside the photo folders.

Why SQLite: a single file that survives crashes (WAL journal; a scan killed at
any instant leaves a consistent database), needs no server, and lets the GUI
read while a scan writes. The file lives at
``paths.data_dir()/catalogs/<paths.library_key(root)>.sqlite`` so nothing is
ever written next to the photos.

Schema changes go through ``MIGRATIONS``: an ordered list, one entry per schema
version. To change the schema, append a new tuple of statements; never edit a
released one. ``meta.schema_version`` records how many have been applied.

Paths stored in the catalog are relative to the library root with ``/``
separators, so a library that moves (or a drive mounted elsewhere) keeps its
catalog rows meaningful; :meth:`Catalog.abspath` turns them back into paths.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine.config import paths


class CatalogError(Exception):
    """The catalog cannot be used: absent, unreadable, or from a newer photocull."""


class CatalogNotFound(CatalogError):
    """No catalog exists yet for that library (it has never been scanned)."""


_SCHEMA_V1 = (
    """CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)""",
    """CREATE TABLE photos(
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        stem TEXT NOT NULL,
        capture_time TEXT, capture_time_source TEXT, orientation INTEGER,
        make TEXT, model TEXT, lens TEXT,
        focal_length REAL, aperture REAL, shutter REAL, iso INTEGER,
        width INTEGER, height INTEGER,
        status TEXT NOT NULL DEFAULT 'ok',
        UNIQUE(folder, stem))""",
    """CREATE TABLE files(
        id INTEGER PRIMARY KEY,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        ext TEXT NOT NULL,
        role TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        scanned_at REAL NOT NULL)""",
    """CREATE INDEX files_photo ON files(photo_id)""",
    """CREATE TABLE scan_errors(
        path TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        size INTEGER,
        mtime_ns INTEGER,
        at REAL NOT NULL)""",
    """CREATE TABLE decisions(
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        flag INTEGER NOT NULL DEFAULT 0,
        rating INTEGER NOT NULL DEFAULT 0,
        label TEXT,
        updated_at REAL NOT NULL,
        source TEXT NOT NULL DEFAULT 'user')""",
    """CREATE TABLE decision_log(
        id INTEGER PRIMARY KEY,
        photo_id INTEGER NOT NULL,
        before TEXT,
        after TEXT,
        at REAL NOT NULL,
        batch INTEGER)""",
    """CREATE TABLE trash_log(
        id INTEGER PRIMARY KEY,
        batch INTEGER NOT NULL,
        original_path TEXT NOT NULL,
        trashed_at REAL NOT NULL,
        restored_at REAL)""",
)

# Version 2: analysis results (engine.analysis writes them; its storage module documents
# every column). Boxes are fractions of the displayed photo, so any rendering size can draw them.
_SCHEMA_V2 = (
    """CREATE TABLE model_sets(
        signature TEXT PRIMARY KEY,
        models TEXT NOT NULL,
        created_at REAL NOT NULL)""",
    """CREATE TABLE photo_analysis(
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        model_set TEXT NOT NULL,
        file_path TEXT NOT NULL,
        file_size INTEGER NOT NULL,
        file_mtime_ns INTEGER NOT NULL,
        status TEXT NOT NULL,
        error_reason TEXT,
        error_message TEXT,
        sort_score REAL,
        sort_task TEXT,
        phash INTEGER,
        ev REAL,
        face_count INTEGER,
        eyes_closed INTEGER,
        eyes_closed_confidence REAL,
        provider TEXT,
        analysed_at REAL NOT NULL)""",
    """CREATE INDEX photo_analysis_sort ON photo_analysis(sort_score)""",
    """CREATE TABLE photo_scores(
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        task TEXT NOT NULL,
        model TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        score REAL,
        raw TEXT NOT NULL,
        PRIMARY KEY(photo_id, task))""",
    """CREATE TABLE photo_embeddings(
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        model_sha256 TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY(photo_id, model))""",
    """CREATE TABLE photo_cues(
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        cues TEXT NOT NULL,
        blurry INTEGER NOT NULL,
        blur_reason TEXT NOT NULL,
        sharpness_region TEXT NOT NULL,
        subject_sharpness REAL)""",
    """CREATE TABLE faces(
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        x0 REAL NOT NULL, y0 REAL NOT NULL, x1 REAL NOT NULL, y1 REAL NOT NULL,
        score REAL NOT NULL,
        prominent INTEGER NOT NULL,
        right_eye_openness REAL,
        left_eye_openness REAL,
        eyes_closed INTEGER,
        closed_probability REAL,
        PRIMARY KEY(photo_id, idx))""",
    """CREATE TABLE bursts(
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        group_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        rank INTEGER NOT NULL,
        is_best INTEGER NOT NULL,
        score REAL NOT NULL,
        reasons TEXT NOT NULL)""",
    """CREATE INDEX bursts_group ON bursts(group_id)""",
    """CREATE TABLE pair_scores(
        model_sha256 TEXT NOT NULL,
        first_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        second_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        probability REAL NOT NULL,
        PRIMARY KEY(model_sha256, first_id, second_id))""",
)

# Version 3: where the technical score comes from (engine.analysis.quality_map): its cells as
# float32 little-endian, row-major, beside the score they add up to; NULL for a model without a map.
_SCHEMA_V3 = (
    """ALTER TABLE photo_scores ADD COLUMN map_rows INTEGER""",
    """ALTER TABLE photo_scores ADD COLUMN map BLOB""",
)

#: Ordered schema migrations; entry ``i`` upgrades version ``i`` to ``i + 1``.
MIGRATIONS: list[tuple[str, ...]] = [_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3]

SCHEMA_VERSION = len(MIGRATIONS)
_IDS_PER_QUERY = 500   # bound on SQL variables per query

#: How ``Catalog.photos`` can order its result (also the CLI's ``--sort`` choices).
#: Time sorts photos without a capture time last; ties fall back to the path.
SORT_ORDERS: dict[str, str] = {
    "time": "p.capture_time IS NULL, p.capture_time, p.folder, p.stem",
    "name": "p.stem, p.folder",
    "size": "pf.size DESC, p.folder, p.stem",
    "folder": "p.folder, p.capture_time IS NULL, p.capture_time, p.stem",
    # Best first by the stored sort score (engine.analysis); unanalysed photos last, by time.
    "score": "(SELECT a.sort_score FROM photo_analysis a WHERE a.photo_id = p.id) IS NULL, "
    "(SELECT a.sort_score FROM photo_analysis a WHERE a.photo_id = p.id) DESC, "
    "p.capture_time IS NULL, p.capture_time, p.folder, p.stem",
}

#: Which file of a photo is shown: rasters before RAW (cheap to decode, and the
#: camera's own rendering), JPEG before other rasters, then by name.
_ROLE_RANK = "CASE f.role WHEN 'raster' THEN 0 ELSE 1 END"
_EXT_RANK = "CASE WHEN f.ext IN ('.jpg', '.jpeg', '.jpe') THEN 0 ELSE 1 END"


def file_preference(role: str, ext: str, path: str) -> tuple[int, int, str]:
    """Sort key that picks a photo's primary file (the same rule as the SQL above)."""
    return (0 if role == "raster" else 1, 0 if ext in (".jpg", ".jpeg", ".jpe") else 1, path)


@dataclass(frozen=True)
class PhotoRecord:
    """One photo as the catalog knows it, with its decision (defaults when none).

    ``path`` is the primary file (root-relative, '' when every file is gone);
    ``size`` and ``mtime_ns`` belong to that file, which is what thumbnail
    cache identities are made of.
    """

    id: int
    path: str
    files: tuple[str, ...]
    folder: str
    stem: str
    capture_time: str | None
    capture_time_source: str | None
    orientation: int | None
    make: str | None
    model: str | None
    lens: str | None
    focal_length: float | None
    aperture: float | None
    shutter: float | None
    iso: int | None
    width: int | None
    height: int | None
    size: int | None
    mtime_ns: int | None
    status: str
    flag: int
    rating: int
    label: str | None


_RECORD_FIELDS = tuple(PhotoRecord.__dataclass_fields__)


def _record(*values: object) -> PhotoRecord:
    """A PhotoRecord from values in field order, without the frozen dataclass's ``__init__``.

    That ``__init__`` sets each of the 23 fields through ``object.__setattr__`` (about
    3 µs a record, a third of listing 100k photos); PhotoRecord validates nothing,
    so filling its ``__dict__`` at once makes the same, equal, immutable record.
    """
    record = object.__new__(PhotoRecord)
    record.__dict__.update(zip(_RECORD_FIELDS, values))
    return record


@dataclass(frozen=True)
class ScanErrorRecord:
    """A file the scan could not read, and why (``reason`` is a stable code)."""

    path: str
    reason: str
    message: str
    size: int | None
    mtime_ns: int | None
    at: float


def catalog_path(library_root: Path) -> Path:
    """Where the catalog of ``library_root`` lives (whether or not it exists yet)."""
    return paths.data_dir() / "catalogs" / f"{paths.library_key(library_root)}.sqlite"


class Catalog:
    """An open catalog. Not thread-safe: open one per thread (SQLite WAL lets
    one writer and many readers work at once)."""

    def __init__(self, root: Path, db_path: Path, conn: sqlite3.Connection):
        self.root = root
        self.db_path = db_path
        self.conn = conn

    @classmethod
    def open(cls, library_root: Path, *, create: bool = True) -> Catalog:
        """Open (creating and migrating when needed) the catalog of a library.

        With ``create=False`` a library that was never scanned raises
        :class:`CatalogNotFound` instead of leaving an empty catalog behind.
        """
        root = Path(library_root).expanduser().resolve()
        db_path = catalog_path(root)
        if not create and not db_path.exists():
            raise CatalogNotFound(f"no catalog for {root}: scan it first")
        db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = _connect(db_path)
            catalog = cls(root, db_path, conn)
            catalog._migrate()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(f"cannot open catalog {db_path}: {exc}") from exc
        return catalog

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception.

        IMMEDIATE takes the write lock up front, so two writers queue on
        ``busy_timeout`` instead of failing half-way through.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0])

    def abspath(self, relative: str) -> Path:
        """The absolute path of a catalog (root-relative, '/'-separated) path."""
        return self.root.joinpath(*PurePosixPath(relative).parts)

    def relpath(self, path: Path | str) -> str:
        """The catalog form of ``path`` (absolute, or already relative to the root)."""
        candidate = Path(path)
        if candidate.is_absolute():
            candidate = _relative_to_root(candidate, self.root)
        return candidate.as_posix()

    def photos(self, *, sort: str = "time") -> list[PhotoRecord]:
        """Every photo, with its files and decision, in the requested order."""
        return list(self.iter_photos(sort=sort))

    def iter_photos(self, *, sort: str = "time", limit: int | None = None) -> Iterator[PhotoRecord]:
        """Every photo (or the first ``limit``) in the requested order, one at a time as SQLite returns them.

        Only the file lists are read up front (one query, a small tuple per photo),
        so a 100k-photo listing never holds every record at once.
        """
        if sort not in SORT_ORDERS:
            raise ValueError(f"unknown sort {sort!r}; choose from {', '.join(SORT_ORDERS)}")
        cursor = self.conn.cursor()
        cursor.row_factory = None   # plain tuples, in _PHOTOS_QUERY's column order (PhotoRecord's, less files)
        order = SORT_ORDERS[sort]
        if limit is None:
            query = _PHOTOS_QUERY.format(source="photos", where="", order=order)
            files_of, rows = self._files_by_photo(None), cursor.execute(query)
        else:
            rows = cursor.execute(_limited_query(order), (limit,)).fetchall()
            files_of = self._files_by_photo([row[0] for row in rows])
        for row in rows:
            yield _record(row[0], row[1], files_of.get(row[0], ()), *row[2:])

    def photo_by_path(self, path: Path | str) -> PhotoRecord | None:
        """The photo that owns ``path`` (any of its files, absolute or root-relative)."""
        rel = self.relpath(path)
        where = "WHERE p.id = (SELECT photo_id FROM files WHERE path = ?)"
        rows = self.conn.execute(_PHOTOS_QUERY.format(source="photos", where=where, order="p.id"), (rel,)).fetchall()
        records = self._records(rows)
        return records[0] if records else None

    def scan_errors(self) -> list[ScanErrorRecord]:
        """Files the last scans could not read, by path."""
        rows = self.conn.execute(
            "SELECT path, reason, message, size, mtime_ns, at FROM scan_errors ORDER BY path"
        ).fetchall()
        return [ScanErrorRecord(**dict(row)) for row in rows]

    def _records(self, rows: list[sqlite3.Row]) -> list[PhotoRecord]:
        files_of = self._files_by_photo([row["id"] for row in rows])
        return [PhotoRecord(files=files_of.get(row["id"], ()), **dict(row)) for row in rows]

    def _files_by_photo(self, photo_ids: Sequence[int] | None) -> dict[int, tuple[str, ...]]:
        """Files of the given photos, or of every photo when ``photo_ids`` is None, primary first."""
        order = f"ORDER BY f.photo_id, {_ROLE_RANK}, {_EXT_RANK}, f.path"
        if photo_ids is None:
            chunks: list[Sequence[int]] = [()]
        else:
            chunks = [photo_ids[start:start + _IDS_PER_QUERY] for start in range(0, len(photo_ids), _IDS_PER_QUERY)]
        grouped: dict[int, list[str]] = {}
        for chunk in chunks:
            where = f"WHERE f.photo_id IN ({', '.join('?' * len(chunk))})" if photo_ids is not None else ""
            for owner, path in self.conn.execute(f"SELECT f.photo_id, f.path FROM files f {where} {order}", chunk):
                grouped.setdefault(owner, []).append(path)
        return {owner: tuple(files) for owner, files in grouped.items()}

    def _migrate(self) -> None:
        """Apply the missing migrations, all in one transaction.

        The version is read again under the write lock: two processes opening a
        new catalog at once (a scan and the app) must not both create tables.
        """
        if self._stored_version() == SCHEMA_VERSION:
            return
        with self.transaction() as conn:
            current = self._stored_version()
            if current > SCHEMA_VERSION:
                raise CatalogError(
                    f"{self.db_path} has schema version {current}, newer than this photocull "
                    f"understands ({SCHEMA_VERSION}); upgrade photocull"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?), ('library_root', ?)",
                (str(SCHEMA_VERSION), str(self.root)),
            )

    def _stored_version(self) -> int:
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if not has_meta:
            return 0
        return self.schema_version


# The primary file is chosen in SQL (same rule as file_preference) so that
# listing 100k photos stays one query: a lookup per photo in the files_photo index
# (a third cheaper than ranking every file with a window function first).
_PHOTOS_QUERY = f"""
    SELECT p.id, COALESCE(pf.path, '') AS path, p.folder, p.stem,
           p.capture_time, p.capture_time_source, p.orientation, p.make, p.model, p.lens,
           p.focal_length, p.aperture, p.shutter, p.iso, p.width, p.height,
           pf.size, pf.mtime_ns, p.status,
           COALESCE(d.flag, 0) AS flag, COALESCE(d.rating, 0) AS rating, d.label
    FROM {{source}} p
    LEFT JOIN files pf ON pf.id = (SELECT f.id FROM files f WHERE f.photo_id = p.id
                                   ORDER BY {_ROLE_RANK}, {_EXT_RANK}, f.path LIMIT 1)
    LEFT JOIN decisions d ON d.photo_id = p.id
    {{where}}
    ORDER BY {{order}}
"""


def _limited_query(order: str) -> str:
    """The first rows of an order: photos are cut to the limit before the files are joined (the
    join costs a lookup per photo), unless the order needs the files itself."""
    if "pf." in order:
        return _PHOTOS_QUERY.format(source="photos", where="", order=order) + " LIMIT ?"
    return _PHOTOS_QUERY.format(source=f"(SELECT * FROM photos p ORDER BY {order} LIMIT ?)", where="", order=order)


def _connect(db_path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves (see transaction()),
    # so Python's sqlite3 never opens a hidden transaction behind our back.
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    _enable_wal(conn)
    # NORMAL is crash-safe in WAL mode (a killed process loses nothing committed);
    # only a power cut may lose the last transactions, never consistency.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _enable_wal(conn: sqlite3.Connection, *, attempts: int = 50) -> None:
    """Switch a connection to WAL mode, retrying while another opener holds the lock.

    Two processes creating the same catalog both read it before upgrading their lock to
    switch its journal mode; SQLite answers one of them "database is locked" at once
    instead of waiting on ``busy_timeout`` (waiting would deadlock), so the retry is ours.
    """
    for attempt in range(attempts):
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def _relative_to_root(path: Path, root: Path) -> Path:
    try:
        return path.relative_to(root)
    except ValueError:
        return path.resolve().relative_to(root)
