"""engine.decisions.export_picks: picked photos copied/moved with partners and sidecars, never overwriting, verified."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.cli import main
from engine.decisions import export_picks as export
from engine.decisions.record import set_decisions
from engine.decisions.sidecars import write_sidecars
from tests.helpers.decision_library import build, fingerprint, photo, scanned


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def pick(catalog, *relatives: str) -> None:
    set_decisions(catalog, [photo(catalog, r).id for r in relatives], flag=1)


def test_copy_keeps_folders_partners_and_sidecars(tmp_path):
    root, dest = tmp_path / "lib", tmp_path / "out"
    build(root, ["day1/IMG_0001.JPG", "day1/IMG_0001.CR2", "day1/IMG_0002.JPG", "day2/IMG_0003.JPG"])
    with scanned(root) as catalog:
        pick(catalog, "day1/IMG_0001.JPG", "day2/IMG_0003.JPG")
        write_sidecars(catalog)
        before = fingerprint(root)
        report = export.export_picks(catalog, dest)
    assert report.exported == 2 and not report.problems
    assert tree(dest) == ["day1/IMG_0001.CR2", "day1/IMG_0001.JPG", "day1/IMG_0001.xmp",
                          "day2/IMG_0003.JPG", "day2/IMG_0003.xmp"]
    for source, target in report.copied:
        assert source.read_bytes() == target.read_bytes()
        assert source.stat().st_mtime_ns == target.stat().st_mtime_ns
    assert fingerprint(root) == before   # originals untouched (and still there)


def test_collisions_get_one_suffix_per_photo(tmp_path):
    root, dest = tmp_path / "lib", tmp_path / "out"
    build(root, ["a/IMG_0001.JPG", "a/IMG_0001.CR2", "b/IMG_0001.JPG"])
    dest.mkdir()
    (dest / "IMG_0001.cr2").write_bytes(b"someone else's file")   # taken, even in another case
    with scanned(root) as catalog:
        pick(catalog, "a/IMG_0001.JPG", "b/IMG_0001.JPG")
        report = export.export_picks(catalog, dest, flatten=True)
        again = export.export_picks(catalog, dest, flatten=True)
    assert report.exported == again.exported == 2
    units: dict[str, set[str]] = {}
    for source, target in report.copied + again.copied:
        units.setdefault(target.stem, set()).add(target.suffix)
        assert source.read_bytes() == target.read_bytes()
    # Four exported units, each with one name of its own; a RAW+JPEG pair keeps a common suffix,
    # and no unit took the name the foreign IMG_0001.cr2 holds (whatever the case).
    assert sorted(sorted(exts) for exts in units.values()) == [[".CR2", ".JPG"], [".CR2", ".JPG"], [".JPG"], [".JPG"]]
    assert all(stem != "IMG_0001" for stem, exts in units.items() if ".CR2" in exts)
    assert len(tree(dest)) == 7 and (dest / "IMG_0001.cr2").read_bytes() == b"someone else's file"


def test_move_removes_sources_only_after_verification(tmp_path):
    root, dest = tmp_path / "lib", tmp_path / "out"
    build(root, ["IMG_0001.JPG", "IMG_0001.CR2", "IMG_0002.JPG"])
    digests = {name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in ("IMG_0001.JPG", "IMG_0001.CR2")}
    with scanned(root) as catalog:
        pick(catalog, "IMG_0001.JPG")
        write_sidecars(catalog)
        report = export.export_picks(catalog, dest, move=True)
    assert report.exported == 1 and len(report.removed_sources) == 3
    assert tree(root) == ["IMG_0002.JPG"]
    assert tree(dest) == ["IMG_0001.CR2", "IMG_0001.JPG", "IMG_0001.xmp"]
    assert {n: hashlib.sha256((dest / n).read_bytes()).hexdigest() for n in digests} == digests


def test_corrupted_copy_refuses_the_move(tmp_path, monkeypatch):
    root, dest = tmp_path / "lib", tmp_path / "out"
    build(root, ["IMG_0001.JPG", "IMG_0001.CR2"])
    real_copy = export._copy_bytes

    def flaky_copy(source: Path, target: Path):
        expected = real_copy(source, target)
        if source.suffix == ".CR2":              # a bit flips on the way to the disk
            data = bytearray(target.read_bytes())
            data[100] ^= 0xFF
            target.write_bytes(bytes(data))
        return expected

    monkeypatch.setattr(export, "_copy_bytes", flaky_copy)
    with scanned(root) as catalog:
        pick(catalog, "IMG_0001.JPG")
        before = fingerprint(root)
        report = export.export_picks(catalog, dest, move=True)
    assert report.exported == 0 and report.removed_sources == []
    assert "does not match the source" in report.problems[0].message
    assert fingerprint(root) == before            # every source of the photo kept
    assert "IMG_0001.CR2" not in tree(dest)       # the bad copy never got its name
    assert not [n for n in tree(dest) if "partial" in n]


def test_export_command(tmp_path):
    root, dest = tmp_path / "lib", tmp_path / "out"
    build(root, ["day1/IMG_0001.JPG", "day2/IMG_0002.JPG"])
    with scanned(root) as catalog:
        pick(catalog, "day1/IMG_0001.JPG", "day2/IMG_0002.JPG")
    assert main(["export", str(root / "day2"), "--picks", "--to", str(dest), "--flatten"]) == 0
    assert tree(dest) == ["IMG_0002.JPG"]
    assert main(["export", str(root), "--to", str(dest)]) == 2   # --picks is required
