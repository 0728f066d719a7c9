"""Discovery: which files a scan sees, and that odd folder trees cannot trap it."""

from __future__ import annotations

import os
from pathlib import Path

from engine.library.discovery import discover


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_supported_files_are_found_recursively_with_their_stat(tmp_path: Path):
    touch(tmp_path / "a.JPG", b"12345")
    touch(tmp_path / "day" / "b.cr2")
    touch(tmp_path / "day" / "deep" / "c.heic")
    touch(tmp_path / "notes.txt")
    touch(tmp_path / "day" / "movie.mp4")
    found = discover(tmp_path)
    assert [f.path for f in found.files] == ["a.JPG", "day/b.cr2", "day/deep/c.heic"]
    first = found.files[0]
    assert (first.size, first.kind, first.ext, first.folder, first.stem) == (5, "raster", ".jpg", "", "a")
    assert first.mtime_ns == (tmp_path / "a.JPG").stat().st_mtime_ns
    assert (found.files[1].kind, found.files[1].folder) == ("raw", "day")
    assert found.problems == []


def test_hidden_and_system_folders_and_hidden_files_are_skipped(tmp_path: Path):
    for folder in (".Trash-1000", "@eaDir", ".thumbnails", "$RECYCLE.BIN", ".git", ".hidden", "#recycle"):
        touch(tmp_path / folder / "p.jpg")
    touch(tmp_path / "._p.jpg")
    touch(tmp_path / "kept" / "p.jpg")
    assert [f.path for f in discover(tmp_path).files] == ["kept/p.jpg"]


def test_excluded_folders_are_not_entered(tmp_path: Path):
    touch(tmp_path / "cache" / "thumb.jpg")
    touch(tmp_path / "p.jpg")
    assert [f.path for f in discover(tmp_path, exclude=[tmp_path / "cache"]).files] == ["p.jpg"]


def test_symlink_loops_and_duplicate_links_are_walked_once(tmp_path: Path):
    touch(tmp_path / "a" / "p.jpg")
    os.symlink(tmp_path, tmp_path / "a" / "loop_to_root")
    os.symlink(tmp_path / "a", tmp_path / "alias_of_a")
    os.symlink(tmp_path / "a" / "missing.jpg", tmp_path / "dangling.jpg")
    found = discover(tmp_path)
    assert [f.path for f in found.files] == ["a/p.jpg"]
    assert [(p.path, p.reason) for p in found.problems] == [("dangling.jpg", "missing")]


def test_linked_folder_outside_the_library_is_followed(tmp_path: Path):
    touch(tmp_path / "elsewhere" / "p.jpg")
    (tmp_path / "lib").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "lib" / "linked")
    assert [f.path for f in discover(tmp_path / "lib").files] == ["linked/p.jpg"]


def test_unlistable_folder_is_a_problem_not_an_exception(tmp_path: Path, monkeypatch):
    touch(tmp_path / "open" / "p.jpg")
    touch(tmp_path / "locked" / "q.jpg")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    # Running as root makes chmod 000 ineffective, so the refusal is simulated.
    monkeypatch.setattr(os, "scandir", scandir)
    found = discover(tmp_path)
    assert [f.path for f in found.files] == ["open/p.jpg"]
    assert found.unreadable_folders == ["locked"]
    assert found.problems[0].reason == "permission_denied"


def test_every_supported_extension_gets_the_kind_formats_gives_it(tmp_path: Path):
    from engine.library.formats import RASTER_EXTENSIONS, RAW_EXTENSIONS, kind_of

    names = [f"p{i}{ext.upper() if i % 2 else ext}" for i, ext in enumerate(sorted(RASTER_EXTENSIONS | RAW_EXTENSIONS))]
    for name in names:
        touch(tmp_path / name)
    found = discover(tmp_path).files
    assert len(found) == len(names)
    assert all(f.kind == kind_of(Path(f.path)) for f in found)
