"""Scanning the awkward-file corpus: every good file catalogued, every bad one explained, nothing touched."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

import engine.library.scan
from engine.library.catalog import Catalog, ScanErrorRecord
from engine.library.scan import ScanReport, scan_library
from tests.helpers.corpus import Corpus, build_bad_input_corpus

# A folder whose name ends in .jpg is still a folder: the scan walks into it
# (macOS bundles and odd exports do this) instead of calling it a bad photo.
WALKED_AS_FOLDER = {"folder_named_jpg"}


def fingerprint(paths: list[Path]) -> dict[Path, str | None]:
    """SHA-256 of each regular file (None for links and folders, which have no bytes of their own)."""
    return {
        path: hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else None
        for path in paths
    }


XDG_VARS = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")


@dataclass
class Scanned:
    corpus: Corpus
    report: ScanReport
    files: set[str]  # root-relative paths of catalogued files
    errors: dict[str, ScanErrorRecord]
    before: dict[Path, str | None]
    user_dirs: Path

    def use_user_dirs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point a test back at this module's catalog (conftest isolates every test)."""
        for var in XDG_VARS:
            monkeypatch.setenv(var, str(self.user_dirs / var.lower()))


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    """The corpus, built and scanned once for the module."""
    base = tmp_path_factory.mktemp("bad_input_scan")
    with pytest.MonkeyPatch.context() as patch:
        for var in XDG_VARS:
            patch.setenv(var, str(base / var.lower()))
        corpus = build_bad_input_corpus(base / "corpus")
        before = fingerprint(corpus.all_paths())
        report = scan_library(corpus.root)
        with Catalog.open(corpus.root, create=False) as catalog:
            files = {path for photo in catalog.photos() for path in photo.files}
            errors = {error.path: error for error in catalog.scan_errors()}
    return Scanned(corpus, report, files, errors, before, base)


def relative(corpus, path: Path) -> str:
    return path.relative_to(corpus.root).as_posix()


def test_every_good_file_is_catalogued(scanned: Scanned):
    corpus, files, errors = scanned.corpus, scanned.files, scanned.errors
    for name, entry in corpus.good.items():
        assert relative(corpus, entry.path) in files, (name, errors.get(relative(corpus, entry.path)))


def test_every_bad_file_has_an_error_row_with_the_expected_reason(scanned: Scanned):
    corpus, files, errors = scanned.corpus, scanned.files, scanned.errors
    for name, entry in corpus.bad.items():
        path = relative(corpus, entry.path)
        if name in WALKED_AS_FOLDER:
            assert path not in errors and path not in files
            continue
        assert path in errors, name
        assert errors[path].reason == entry.reason, (name, errors[path])
        assert errors[path].message.strip(), name
        assert path not in files
    assert scanned.report.errors == len(errors) == len(corpus.bad) - len(WALKED_AS_FOLDER)


def test_originals_are_byte_identical_and_nothing_was_added(scanned: Scanned):
    corpus = scanned.corpus
    assert fingerprint(corpus.all_paths()) == scanned.before
    written = {p for p in corpus.root.rglob("*") if not p.is_symlink()}
    expected = set(corpus.all_paths()) | set(corpus.folders.values())
    assert written <= expected | {p for p in written if p.is_dir()}, "the scan wrote next to the photos"


def test_a_second_scan_is_a_no_op(scanned: Scanned, monkeypatch):
    corpus, first, errors = scanned.corpus, scanned.report, scanned.errors
    scanned.use_user_dirs(monkeypatch)
    with Catalog.open(corpus.root, create=False) as catalog:
        photos_before = catalog.photos()
    monkeypatch.setattr(engine.library.scan, "ingest", lambda *a, **k: pytest.fail("a second scan must not decode"))
    second = scan_library(corpus.root)
    assert (second.decoded, second.removed, second.new_errors) == (0, 0, 0)
    assert second.unchanged == first.discovered
    with Catalog.open(corpus.root, create=False) as catalog:
        assert catalog.photos() == photos_before
        assert {e.path: e for e in catalog.scan_errors()} == errors, "error rows are not rewritten"
