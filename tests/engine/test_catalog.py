"""The catalog: where it lives, its schema and migrations, and how it reads back photos."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from engine.config import paths
from engine.library.catalog import MIGRATIONS, SCHEMA_VERSION, Catalog, CatalogError, CatalogNotFound, catalog_path

CONTRACT_COLUMNS = {
    "meta": ["key", "value"],
    "photos": [
        "id", "folder", "stem", "capture_time", "capture_time_source", "orientation", "make", "model", "lens",
        "focal_length", "aperture", "shutter", "iso", "width", "height", "status",
    ],
    "files": ["id", "photo_id", "path", "ext", "role", "size", "mtime_ns", "scanned_at"],
    "scan_errors": ["path", "reason", "message", "size", "mtime_ns", "at"],
    "decisions": ["photo_id", "flag", "rating", "label", "updated_at", "source"],
    "decision_log": ["id", "photo_id", "before", "after", "at", "batch"],
    "trash_log": ["id", "batch", "original_path", "trashed_at", "restored_at"],
}


@pytest.fixture
def catalog(tmp_path: Path):
    library = tmp_path / "library"
    library.mkdir()
    with Catalog.open(library) as opened:
        yield opened


def add_photo(catalog: Catalog, folder: str, stem: str, files: list[tuple[str, str, int]], **columns) -> int:
    """Insert a photo with (name, role, size) files, as a scan would."""
    names = ", ".join(["folder", "stem", *columns])
    marks = ", ".join("?" for _ in range(2 + len(columns)))
    with catalog.transaction() as conn:
        photo_id = conn.execute(
            f"INSERT INTO photos({names}) VALUES ({marks}) RETURNING id", (folder, stem, *columns.values())
        ).fetchone()[0]
        for name, role, size in files:
            path = f"{folder}/{name}" if folder else name
            conn.execute(
                "INSERT INTO files(photo_id, path, ext, role, size, mtime_ns, scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (photo_id, path, Path(name).suffix.lower(), role, size, 1, time.time()),
            )
    return photo_id


def decide(catalog: Catalog, photo_id: int, flag: int = 0, rating: int = 0, label: str | None = None) -> None:
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO decisions(photo_id, flag, rating, label, updated_at) VALUES (?, ?, ?, ?, ?)",
            (photo_id, flag, rating, label, time.time()),
        )


def test_catalog_lives_in_the_data_dir_keyed_by_library(tmp_path: Path, catalog: Catalog):
    expected = paths.data_dir() / "catalogs" / f"{paths.library_key(tmp_path / 'library')}.sqlite"
    assert catalog.db_path == expected == catalog_path(tmp_path / "library")
    assert expected.exists()
    assert list((tmp_path / "library").iterdir()) == [], "nothing may be written next to the photos"


def test_schema_matches_the_contract(catalog: Catalog):
    for table, columns in CONTRACT_COLUMNS.items():
        found = [row["name"] for row in catalog.conn.execute(f"PRAGMA table_info({table})")]
        assert found == columns, table
    assert catalog.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    assert catalog.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert catalog.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    stored_root = catalog.conn.execute("SELECT value FROM meta WHERE key='library_root'").fetchone()[0]
    assert stored_root == str(catalog.root)


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path, catalog: Catalog):
    photo_id = add_photo(catalog, "", "a", [("a.jpg", "raster", 10)])
    catalog.close()
    with Catalog.open(tmp_path / "library") as again:
        assert [p.id for p in again.photos()] == [photo_id]


def test_missing_catalog_is_reported_without_creating_one(tmp_path: Path):
    with pytest.raises(CatalogNotFound):
        Catalog.open(tmp_path, create=False)
    assert not catalog_path(tmp_path).exists()


def test_catalog_from_a_newer_photocull_is_refused(tmp_path: Path, catalog: Catalog):
    with catalog.transaction() as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    catalog.close()
    with pytest.raises(CatalogError, match="newer"):
        Catalog.open(tmp_path / "library")


def test_a_corrupt_catalog_file_raises_catalog_error(tmp_path: Path):
    catalog_path(tmp_path).parent.mkdir(parents=True, exist_ok=True)
    catalog_path(tmp_path).write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError):
        Catalog.open(tmp_path)


def test_transaction_rolls_back_on_error(catalog: Catalog):
    with pytest.raises(RuntimeError):
        with catalog.transaction() as conn:
            conn.execute("INSERT INTO photos(folder, stem) VALUES ('', 'x')")
            raise RuntimeError("boom")
    assert catalog.photos() == []


def test_foreign_keys_cascade_from_photos_to_files_and_decisions(catalog: Catalog):
    photo_id = add_photo(catalog, "", "a", [("a.jpg", "raster", 10), ("a.cr2", "raw", 20)])
    decide(catalog, photo_id, flag=1)
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM photos WHERE id = ?", (photo_id,))
    assert catalog.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    assert catalog.conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
    with pytest.raises(sqlite3.IntegrityError):
        with catalog.transaction() as conn:
            conn.execute(
                "INSERT INTO files(photo_id, path, ext, role, size, mtime_ns, scanned_at) VALUES (999, 'x.jpg', '.jpg', 'raster', 1, 1, 0)"
            )


def test_raster_is_the_primary_file_and_raw_its_partner(catalog: Catalog):
    add_photo(catalog, "day1", "IMG_1", [("IMG_1.CR2", "raw", 30), ("IMG_1.JPG", "raster", 10)])
    (record,) = catalog.photos()
    assert record.path == "day1/IMG_1.JPG"
    assert record.files == ("day1/IMG_1.JPG", "day1/IMG_1.CR2")
    assert record.size == 10
    assert (record.flag, record.rating, record.label, record.status) == (0, 0, None, "ok")


def test_decisions_are_joined_into_records(catalog: Catalog):
    photo_id = add_photo(catalog, "", "a", [("a.jpg", "raster", 10)])
    decide(catalog, photo_id, flag=-1, rating=3, label="Red")
    (record,) = catalog.photos()
    assert (record.flag, record.rating, record.label) == (-1, 3, "Red")


def test_sort_orders(catalog: Catalog):
    add_photo(catalog, "b", "late", [("late.jpg", "raster", 5)], capture_time="2024-05-01T10:00:00")
    add_photo(catalog, "a", "undated", [("undated.jpg", "raster", 50)])
    add_photo(catalog, "a", "early", [("early.jpg", "raster", 20)], capture_time="2023-01-01T08:00:00")
    assert [p.stem for p in catalog.photos(sort="time")] == ["early", "late", "undated"]
    assert [p.stem for p in catalog.photos(sort="name")] == ["early", "late", "undated"]
    assert [p.stem for p in catalog.photos(sort="size")] == ["undated", "early", "late"]
    assert [p.stem for p in catalog.photos(sort="folder")] == ["early", "undated", "late"]
    with pytest.raises(ValueError):
        catalog.photos(sort="colour")


def test_photo_by_path_accepts_any_file_absolute_or_relative(catalog: Catalog):
    photo_id = add_photo(catalog, "day1", "IMG_1", [("IMG_1.CR2", "raw", 30), ("IMG_1.JPG", "raster", 10)])
    add_photo(catalog, "day1", "IMG_2", [("IMG_2.JPG", "raster", 10)])
    assert catalog.photo_by_path("day1/IMG_1.CR2").id == photo_id
    by_absolute = catalog.photo_by_path(catalog.root / "day1" / "IMG_1.JPG")
    assert by_absolute.id == photo_id and by_absolute.files == ("day1/IMG_1.JPG", "day1/IMG_1.CR2")
    assert catalog.photo_by_path("day1/nothing.jpg") is None
    assert catalog.abspath("day1/IMG_1.JPG") == catalog.root / "day1" / "IMG_1.JPG"


def test_two_openers_of_a_new_catalog_do_not_collide(tmp_path: Path):
    """A scan and the app may create the same catalog at the same moment."""
    from concurrent.futures import ThreadPoolExecutor

    def open_and_close(_: int) -> int:
        with Catalog.open(tmp_path) as opened:
            return opened.schema_version

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(open_and_close, range(8))) == [SCHEMA_VERSION] * 8
