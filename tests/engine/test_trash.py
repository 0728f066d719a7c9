"""engine.decisions.trash: rejects to the (isolated) freedesktop trash, trash_log records, undo."""

from __future__ import annotations

import hashlib
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine.cli import main
from engine.decisions import trash
from engine.decisions.record import set_decisions
from engine.decisions.sidecars import write_sidecars
from tests.helpers.decision_library import build, photo, scanned

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="freedesktop trash only")


@pytest.fixture
def trash_dir(tmp_path, monkeypatch) -> Path:
    """The home trash, inside this test's temporary folders.

    conftest points XDG_DATA_HOME at a temporary folder, but send2trash's
    freedesktop backend reads it once, at import, and uses the home trash only
    for files on the same device as $HOME (else a .Trash-$uid at the top of
    the mount). So HOME moves next to the test files, send2trash's cached
    paths are re-pointed at this test's XDG_DATA_HOME, and the freedesktop
    backend is used even where GLib's would be picked.
    """
    import send2trash.plat_other as freedesktop

    data_home = Path(os.environ["XDG_DATA_HOME"])
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(freedesktop, "XDG_DATA_HOME", os.fsencode(data_home))
    monkeypatch.setattr(freedesktop, "HOMETRASH_B", os.fsencode(data_home / "Trash"))
    monkeypatch.setattr(freedesktop, "HOMETRASH", str(data_home / "Trash"))
    monkeypatch.setattr(trash, "send2trash", freedesktop.send2trash)
    assert data_home.resolve().is_relative_to(Path(str(tmp_path)).parents[1].resolve())   # pytest's temp root
    return data_home / "Trash"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "lib"
    build(root, ["day1/IMG_0001.JPG", "day1/IMG_0001.CR2", "day1/IMG_0002.JPG", "day2/IMG_0003.JPG"])
    with scanned(root) as catalog:
        set_decisions(catalog, [photo(catalog, "day1/IMG_0001.JPG").id, photo(catalog, "day2/IMG_0003.JPG").id], flag=-1)
        set_decisions(catalog, [photo(catalog, "day1/IMG_0002.JPG").id], flag=1)
        write_sidecars(catalog)
        yield catalog


def test_rejects_go_to_the_trash_with_partners_and_sidecars(library, trash_dir):
    root = library.root
    originals = {p: digest(p) for p in root.rglob("*") if p.is_file()}
    report = trash.trash_rejects(library)
    gone = sorted(p.relative_to(root).as_posix() for p in report.trashed)
    assert gone == ["day1/IMG_0001.CR2", "day1/IMG_0001.JPG", "day1/IMG_0001.xmp",
                    "day2/IMG_0003.JPG", "day2/IMG_0003.xmp"]
    assert not report.problems
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == \
        ["day1/IMG_0002.JPG", "day1/IMG_0002.xmp"]
    in_trash = sorted(p.name for p in (trash_dir / "files").iterdir())
    assert in_trash == sorted(p.name for p in report.trashed)
    assert len(list((trash_dir / "info").glob("*.trashinfo"))) == 5
    logged = library.conn.execute("SELECT batch, original_path, restored_at FROM trash_log ORDER BY id").fetchall()
    assert {row[1] for row in logged} == {str(p) for p in report.trashed}
    assert {row[0] for row in logged} == {1} and all(row[2] is None for row in logged)

    restored = trash.undo_trash(library)
    assert sorted(restored.restored) == sorted(report.trashed) and not restored.problems
    assert {p: digest(p) for p in root.rglob("*") if p.is_file()} == originals
    assert list((trash_dir / "files").iterdir()) == [] and list((trash_dir / "info").iterdir()) == []
    assert trash.undo_trash(library).restored == []   # nothing left to restore


def test_undo_never_overwrites_a_file_that_took_the_place(library, trash_dir):
    report = trash.trash_rejects(library)
    newcomer = library.root / "day2" / "IMG_0003.JPG"
    newcomer.write_bytes(b"a new photo with the same name")
    restored = trash.undo_trash(library)
    assert [p.path for p in restored.problems] == [str(newcomer)]
    assert newcomer.read_bytes() == b"a new photo with the same name"
    assert len(restored.restored) == len(report.trashed) - 1
    assert (trash_dir / "files" / "IMG_0003.JPG").exists()   # still safe in the trash


def test_same_path_trashed_twice_restores_ours(library, trash_dir):
    ours = library.root / "day2" / "IMG_0003.JPG"
    original = digest(ours)
    trash.trash_rejects(library)
    # Later, another program trashes a different file that had the same path.
    ours.write_bytes(b"another file, same path")
    trash.send2trash(ours)
    (theirs_info,) = [i for i in (trash_dir / "info").glob("IMG_0003 *.trashinfo")]
    text = theirs_info.read_text()
    later = (datetime.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")
    theirs_info.write_text(text.replace(text.split("DeletionDate=")[1].strip(), later))
    assert trash.undo_trash(library).problems == []
    assert digest(ours) == original                      # the one closest to our record
    assert (trash_dir / "files" / theirs_info.name[: -len(".trashinfo")]).read_bytes() == b"another file, same path"


def test_commands(library, trash_dir, capsys):
    root = library.root
    assert main(["trash", str(root / "day2"), "--rejects"]) == 0
    assert not (root / "day2" / "IMG_0003.JPG").exists() and (root / "day1" / "IMG_0001.JPG").exists()
    assert "undo-trash" in capsys.readouterr().out
    assert main(["undo-trash", str(root)]) == 0
    assert (root / "day2" / "IMG_0003.JPG").exists()
    assert main(["trash", str(root)]) == 2          # --rejects is required


def test_undo_unavailable_is_said_plainly(library, monkeypatch):
    monkeypatch.setattr(trash.sys, "platform", "win32")
    assert not trash.can_undo()
    with pytest.raises(trash.TrashUndoUnavailable, match="Recycle Bin"):
        trash.undo_trash(library)
    assert main(["undo-trash", str(library.root)]) == 1
