"""Scanning a library into its catalog: pairing, incremental rescans, errors, cancellation, crashes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

import engine.library.scan
from engine.library.catalog import Catalog
from engine.library.scan import LibraryNotFound, scan_library
from engine.library.thumbnails import GRID_SIZE, FileIdentity, ThumbnailCache
from tests.helpers.corpus import bright_corner_bayer, write_dng
from tests.helpers.photo_factory import make_jpeg, make_library, snapshot


@pytest.fixture
def decode_calls(monkeypatch) -> list[str]:
    """Record every file the scan decodes (the real ingest still runs)."""
    calls: list[str] = []
    real_ingest = engine.library.scan.ingest

    def counting_ingest(path, cache, **kwargs):
        calls.append(Path(path).name)
        return real_ingest(path, cache, **kwargs)

    monkeypatch.setattr(engine.library.scan, "ingest", counting_ingest)
    return calls


def catalog_of(root: Path) -> Catalog:
    return Catalog.open(root, create=False)


def bump(path: Path) -> None:
    """Give a file a new mtime, as an edit would."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_scan_catalogues_photos_with_metadata_and_thumbnails(tmp_path: Path):
    make_jpeg(tmp_path / "a.jpg", size=(80, 60), taken="2024:05:01 10:00:00")
    make_jpeg(tmp_path / "day" / "b.jpg", size=(60, 80), seed=1)
    before = snapshot(tmp_path)
    report = scan_library(tmp_path)
    assert (report.discovered, report.decoded, report.errors) == (2, 2, 0)
    with catalog_of(tmp_path) as catalog:
        first, second = catalog.photos(sort="name")
    assert (first.path, first.capture_time, first.capture_time_source) == ("a.jpg", "2024-05-01T10:00:00", "exif")
    assert (first.width, first.height, first.status) == (80, 60, "ok")
    assert (second.path, second.folder, second.capture_time_source) == ("day/b.jpg", "day", "mtime")
    ident = FileIdentity(str(tmp_path / "a.jpg"), first.size, first.mtime_ns)
    assert ThumbnailCache().get(ident, GRID_SIZE) is not None
    assert snapshot(tmp_path) == before, "a scan never writes or touches anything in the library"


def test_own_cache_and_data_inside_the_library_are_not_scanned(tmp_path: Path, monkeypatch):
    make_jpeg(tmp_path / "a.jpg")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "appcache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "appdata"))
    scan_library(tmp_path)
    assert list((tmp_path / "appcache").rglob("*.jpg")), "thumbnails were written inside the library"
    report = scan_library(tmp_path)
    assert (report.discovered, report.decoded) == (1, 0)
    with catalog_of(tmp_path) as catalog:
        assert [p.path for p in catalog.photos()] == ["a.jpg"]


def test_raw_and_jpeg_with_the_same_stem_are_one_photo(tmp_path: Path, decode_calls):
    make_jpeg(tmp_path / "IMG_1.JPG")
    (tmp_path / "IMG_1.CR2").write_bytes(b"raw partner bytes")
    (tmp_path / "IMG_2.CR2").write_bytes(b"raw on its own, unreadable")
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        (photo,) = catalog.photos()
        errors = catalog.scan_errors()
    assert (photo.path, photo.files) == ("IMG_1.JPG", ("IMG_1.JPG", "IMG_1.CR2"))
    assert decode_calls == ["IMG_1.JPG", "IMG_2.CR2"], "a partner RAW is catalogued without decoding"
    assert [e.path for e in errors] == ["IMG_2.CR2"]


def test_two_rasters_with_one_stem_stay_two_photos(tmp_path: Path):
    make_jpeg(tmp_path / "a.jpg")
    make_jpeg(tmp_path / "a.png", seed=1)
    (tmp_path / "a.nef").write_bytes(b"raw partner")
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        files = sorted(p.files for p in catalog.photos())
    assert files == [("a.jpg", "a.nef"), ("a.png",)], "the RAW pairs with the JPEG; the PNG is its own photo"


def test_a_broken_primary_falls_back_to_decoding_its_raw(tmp_path: Path, decode_calls):
    write_dng(tmp_path / "pair.dng", bright_corner_bayer((200, 300), 1), None, Model="T1")
    make_jpeg(tmp_path / "pair.jpg", size=(90, 60))
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        (photo,) = catalog.photos()
    assert (photo.path, photo.width) == ("pair.jpg", 90) and decode_calls == ["pair.jpg"]
    (tmp_path / "pair.jpg").write_bytes((tmp_path / "pair.jpg").read_bytes()[:300])
    bump(tmp_path / "pair.jpg")
    decode_calls.clear()
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        (photo,) = catalog.photos()
        (error,) = catalog.scan_errors()
    assert decode_calls == ["pair.jpg", "pair.dng"], "the RAW's own metadata is read, not the broken JPEG's"
    assert (photo.path, photo.files, photo.model, photo.width) == ("pair.dng", ("pair.dng",), "T1", 200)
    assert (error.path, error.reason) == ("pair.jpg", "truncated")


def test_unchanged_library_is_not_decoded_again(tmp_path: Path, decode_calls):
    make_library(tmp_path, 6, per_folder=3)
    scan_library(tmp_path)
    decode_calls.clear()
    report = scan_library(tmp_path)
    assert decode_calls == []
    assert (report.unchanged, report.decoded, report.removed) == (6, 0, 0)


def test_changed_new_and_deleted_files_are_detected(tmp_path: Path, decode_calls):
    make_jpeg(tmp_path / "keep.jpg")
    make_jpeg(tmp_path / "edit.jpg", size=(40, 30))
    make_jpeg(tmp_path / "gone.jpg")
    scan_library(tmp_path)
    decode_calls.clear()
    make_jpeg(tmp_path / "edit.jpg", size=(30, 40), seed=9)
    make_jpeg(tmp_path / "new.jpg")
    (tmp_path / "gone.jpg").unlink()
    report = scan_library(tmp_path)
    assert sorted(decode_calls) == ["edit.jpg", "new.jpg"]
    assert (report.decoded, report.removed, report.unchanged) == (2, 1, 1)
    with catalog_of(tmp_path) as catalog:
        photos = {p.stem: p for p in catalog.photos()}
    assert sorted(photos) == ["edit", "keep", "new"]
    assert (photos["edit"].width, photos["edit"].height) == (30, 40)


def test_removing_a_partner_keeps_the_photo_without_decoding(tmp_path: Path, decode_calls):
    make_jpeg(tmp_path / "IMG_1.JPG")
    (tmp_path / "IMG_1.NEF").write_bytes(b"raw")
    scan_library(tmp_path)
    decode_calls.clear()
    (tmp_path / "IMG_1.NEF").unlink()
    report = scan_library(tmp_path)
    assert decode_calls == [] and report.removed == 1
    with catalog_of(tmp_path) as catalog:
        assert [p.files for p in catalog.photos()] == [("IMG_1.JPG",)]


def test_decisions_survive_files_going_away_and_coming_back(tmp_path: Path):
    photo_file = make_jpeg(tmp_path / "kept.jpg")
    make_jpeg(tmp_path / "plain.jpg", seed=1)
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog, catalog.transaction() as conn:
        photo_id = catalog.photo_by_path("kept.jpg").id
        conn.execute("INSERT INTO decisions(photo_id, flag, rating, updated_at) VALUES (?, 1, 4, 0)", (photo_id,))
    moved = photo_file.rename(tmp_path.parent / "elsewhere.jpg")
    (tmp_path / "plain.jpg").unlink()
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        (missing,) = catalog.photos()
    assert (missing.id, missing.status, missing.path, missing.files, missing.flag) == (photo_id, "missing", "", (), 1)
    moved.rename(photo_file)
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        (back,) = catalog.photos()
    assert (back.id, back.status, back.path, back.flag, back.rating) == (photo_id, "ok", "kept.jpg", 1, 4)


def test_unreadable_primary_falls_back_to_the_next_file(tmp_path: Path):
    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 cut short")
    make_jpeg(tmp_path / "a.png")
    scan_library(tmp_path)
    with catalog_of(tmp_path) as catalog:
        (photo,) = catalog.photos()
        (error,) = catalog.scan_errors()
    assert (photo.path, photo.files) == ("a.png", ("a.png",))
    assert (error.path, error.reason) == ("a.jpg", "truncated") and error.message


def test_error_is_recorded_not_retried_until_changed_then_cleared(tmp_path: Path, decode_calls):
    make_jpeg(tmp_path / "good.jpg")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")
    first = scan_library(tmp_path)
    assert (first.new_errors, first.errors) == (1, 1)
    with catalog_of(tmp_path) as catalog:
        assert [(e.path, e.reason) for e in catalog.scan_errors()] == [("broken.jpg", "empty_file")]
    decode_calls.clear()
    assert scan_library(tmp_path).errors == 1
    assert decode_calls == [], "an unchanged unreadable file is not retried"
    make_jpeg(broken, seed=3)
    bump(broken)
    assert scan_library(tmp_path).errors == 0
    with catalog_of(tmp_path) as catalog:
        assert catalog.scan_errors() == []
        assert sorted(p.path for p in catalog.photos()) == ["broken.jpg", "good.jpg"]


def test_error_rows_of_deleted_files_are_dropped(tmp_path: Path):
    (tmp_path / "bad.jpg").write_bytes(b"not an image at all")
    assert scan_library(tmp_path).errors == 1
    (tmp_path / "bad.jpg").unlink()
    assert scan_library(tmp_path).errors == 0


def test_progress_reports_every_file_and_cancel_keeps_finished_work(tmp_path: Path):
    make_library(tmp_path, 12, per_folder=4)
    cancel = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int, current: str) -> None:
        seen.append((done, total))
        if done >= 4:
            cancel.set()

    report = scan_library(tmp_path, progress=progress, cancel=cancel, workers=1)
    assert report.cancelled and seen[0][1] == 12
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    with catalog_of(tmp_path) as catalog:
        partial = len(catalog.photos())
    assert 4 <= partial < 12
    seen.clear()
    rest = scan_library(tmp_path, progress=progress)
    assert not rest.cancelled and rest.unchanged == partial and seen[-1] == (12 - partial, 12 - partial)
    with catalog_of(tmp_path) as catalog:
        assert len(catalog.photos()) == 12


def test_missing_library_raises(tmp_path: Path):
    with pytest.raises(LibraryNotFound):
        scan_library(tmp_path / "nope")


SCAN_SCRIPT = """
import sys
from engine.library.scan import scan_library
scan_library(sys.argv[1], batch_files=10, progress=lambda d, t, p: print(d, flush=True))
"""


def test_scan_killed_at_random_moments_resumes_with_an_intact_catalog(tmp_path: Path):
    library = tmp_path / "lib"
    count = 240
    make_library(library, count)
    rng = random.Random(7)
    catalogued: list[int] = []
    for _ in range(3):
        target = rng.randint(1, count - 1)
        process = subprocess.Popen(
            [sys.executable, "-c", SCAN_SCRIPT, str(library)], stdout=subprocess.PIPE, text=True
        )
        for line in process.stdout:
            if int(line) >= target:
                break
        process.send_signal(signal.SIGKILL)
        process.wait()
        with catalog_of(library) as catalog:
            assert catalog.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert catalog.conn.execute("PRAGMA foreign_key_check").fetchall() == []
            catalogued.append(len(catalog.photos()))
    print("photos catalogued after each kill:", catalogued)
    assert any(0 < n < count for n in catalogued), "at least one kill landed mid-scan"
    report = scan_library(library)
    assert report.unchanged > 0, "the killed scans' committed work was kept"
    with catalog_of(library) as catalog:
        assert catalog.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        photos = catalog.photos()
        assert len(photos) == count and all(p.status == "ok" and p.width == 64 for p in photos)
        assert catalog.scan_errors() == []
    assert scan_library(library).decoded == 0


def test_scan_stores_the_grid_thumbnail_of_every_photo_in_each_batch(tmp_path: Path):
    photos = [make_jpeg(tmp_path / f"IMG_{i}.jpg", size=(400, 300), seed=i) for i in range(5)]
    cache = ThumbnailCache(tmp_path.parent / f"{tmp_path.name}-cache")
    report = scan_library(tmp_path, cache=cache, batch_files=2)
    assert (report.decoded, report.errors) == (5, 0)
    for photo in photos:
        thumb = cache.get(FileIdentity.of(photo.resolve()), GRID_SIZE)
        assert thumb is not None and Image.open(thumb).size == (GRID_SIZE, 192)
    assert not [p for p in cache.root.rglob(".tmp-*")]


def test_scan_catalogues_photos_when_the_thumbnail_cache_cannot_be_written(tmp_path: Path):
    """The cache is not the photo: a full or read-only cache leaves thumbnails out, never photos."""
    make_jpeg(tmp_path / "lib" / "a.jpg", size=(80, 60))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    report = scan_library(tmp_path / "lib", cache=ThumbnailCache(blocked))
    assert (report.decoded, report.errors) == (1, 0)
    with catalog_of(tmp_path / "lib") as catalog:
        assert [photo.path for photo in catalog.photos()] == ["a.jpg"]
