"""engine.decisions.sidecars: naming, pairs and collisions, writing from the catalog, import with mtime conflicts."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from engine.cli import main
from engine.decisions import xmp
from engine.decisions.record import Decision, get_decision, set_decisions, undo
from engine.decisions.sidecars import Naming, SidecarSettings, import_sidecars, plan_sidecars, write_sidecars
from tests.helpers.decision_library import build, fingerprint, photo, scanned

FIXTURES = Path(__file__).parent.parent / "fixtures" / "xmp"


def names(paths) -> list[str]:
    return sorted(p.name for p in paths)


def age(path: Path, seconds: float) -> None:
    """Set a file's mtime ``seconds`` into the past (negative: future)."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_plans_for_pairs_and_both_namings(tmp_path):
    root = tmp_path / "lib"
    build(root, ["IMG_0001.JPG", "IMG_0001.CR2", "IMG_0001.DNG", "IMG_0002.JPG"])
    shutil.copyfile(FIXTURES / "darktable.CR2.xmp", root / "IMG_0001.CR2.xmp")   # darktable was here
    with scanned(root) as catalog:
        pair, single = photo(catalog, "IMG_0001.JPG"), photo(catalog, "IMG_0002.JPG")
        adobe, problems = plan_sidecars(root, [pair, single], Naming.ADOBE)
        darktable, _ = plan_sidecars(root, [pair, single], Naming.DARKTABLE)
    assert not problems
    # One shared IMG_0001.xmp for the CR2+DNG+JPEG photo, plus the existing darktable one kept in step.
    assert names(adobe[pair.id].targets) == ["IMG_0001.CR2.xmp", "IMG_0001.xmp"]
    assert names(adobe[pair.id].existing) == ["IMG_0001.CR2.xmp"]
    assert names(darktable[pair.id].targets) == ["IMG_0001.CR2.xmp", "IMG_0001.DNG.xmp", "IMG_0001.JPG.xmp"]
    assert names(adobe[single.id].targets) == ["IMG_0002.xmp"]


def test_existing_sidecar_found_whatever_its_case(tmp_path):
    root = tmp_path / "lib"
    build(root, ["IMG_0001.JPG"])
    (root / "IMG_0001.XMP").write_bytes((FIXTURES / "lightroom.xmp").read_bytes())
    with scanned(root) as catalog:
        plans, _ = plan_sidecars(root, catalog.photos(), Naming.ADOBE)
    (plan,) = plans.values()
    assert names(plan.targets) == ["IMG_0001.XMP"]   # updated, not duplicated as IMG_0001.xmp


def test_names_shared_by_two_photos_are_used_by_neither(tmp_path):
    root = tmp_path / "lib"
    build(root, ["IMG_0001.JPG", "img_0001.jpg"])   # coexist here, collide on Windows/macOS/exFAT
    (root / "IMG_0001.xmp").write_bytes((FIXTURES / "digikam.JPG.xmp").read_bytes())
    with scanned(root) as catalog:
        upper, lower = photo(catalog, "IMG_0001.JPG"), photo(catalog, "img_0001.jpg")
        set_decisions(catalog, [upper.id], flag=1)
        plans, problems = plan_sidecars(root, [upper, lower], Naming.ADOBE)
        report = import_sidecars(catalog)
        assert get_decision(catalog, lower.id) is None   # the ambiguous sidecar was not imported
    assert [p.path for p in problems] == ["img_0001.xmp"]
    assert names(plans[upper.id].targets) == ["IMG_0001.JPG.xmp"]   # falls back to the appended name
    assert names(plans[lower.id].targets) == ["img_0001.jpg.xmp"]
    assert report.problems == problems


@pytest.mark.parametrize("naming", list(Naming))
def test_write_then_rewrite_is_stable(tmp_path, naming):
    root = tmp_path / "lib"
    build(root, ["a/IMG_0001.JPG", "a/IMG_0001.CR2", "b/IMG_0002.JPG", "b/IMG_0003.JPG"])
    before = fingerprint(root)
    with scanned(root) as catalog:
        set_decisions(catalog, [photo(catalog, "a/IMG_0001.JPG").id], flag=1, rating=5, label="Red")
        set_decisions(catalog, [photo(catalog, "b/IMG_0002.JPG").id], flag=-1)
        first = write_sidecars(catalog, SidecarSettings(naming))
        second = write_sidecars(catalog, SidecarSettings(naming))
    expected = {Naming.ADOBE: ["IMG_0001.xmp", "IMG_0002.xmp"],
                Naming.DARKTABLE: ["IMG_0001.CR2.xmp", "IMG_0001.JPG.xmp", "IMG_0002.JPG.xmp"]}[naming]
    assert names(first.written) == expected          # undecided IMG_0003 gets no sidecar
    assert second.written == [] and second.unchanged == len(expected)
    assert xmp.read_decision_file(first.written[0]).over(Decision()) == Decision(1, 5, "Red")
    assert fingerprint(root) == before


def test_malformed_sidecar_is_reported_and_kept(tmp_path):
    root = tmp_path / "lib"
    build(root, ["IMG_0001.JPG", "IMG_0002.JPG"])
    broken = root / "IMG_0001.xmp"
    broken.write_bytes((FIXTURES / "malformed.xmp").read_bytes())
    with scanned(root) as catalog:
        set_decisions(catalog, [p.id for p in catalog.photos()], rating=2)
        report = write_sidecars(catalog)
    assert names(report.written) == ["IMG_0002.xmp"]
    assert [p.path for p in report.problems] == [str(broken)] and "not well-formed" in report.problems[0].message
    assert broken.read_bytes() == (FIXTURES / "malformed.xmp").read_bytes()


def test_import_takes_sidecars_and_embedded_xmp(tmp_path):
    root = tmp_path / "lib"
    build(root, ["IMG_0001.JPG", "IMG_0001.CR2", "IMG_0002.JPG", "IMG_0003.JPG", "IMG_0004.JPG"])
    shutil.copyfile(FIXTURES / "darktable.CR2.xmp", root / "IMG_0001.CR2.xmp")
    shutil.copyfile(FIXTURES / "captureone.xmp", root / "IMG_0002.xmp")
    shutil.copyfile(FIXTURES / "malformed.xmp", root / "IMG_0004.xmp")
    packet = xmp.update_packet(xmp.new_packet(), xmp.decision_changes(Decision(1, 2, "Yellow")))
    with Image.open(root / "IMG_0003.JPG") as image:
        image.save(root / "IMG_0003.JPG", "JPEG", xmp=packet)   # embedded XMP, as cameras/phones write it
    with scanned(root) as catalog:
        report = import_sidecars(catalog)
        got = {p.stem: (p.flag, p.rating, p.label) for p in catalog.photos()}
        assert report.imported == 3 and [p.path for p in report.problems] == [str(root / "IMG_0004.xmp")]
        assert got == {"IMG_0001": (-1, 0, "Green"), "IMG_0002": (0, 3, "Green"),
                       "IMG_0003": (1, 2, "Yellow"), "IMG_0004": (0, 0, None)}
        assert get_decision(catalog, photo(catalog, "IMG_0002.JPG").id).source == "sidecar"
        assert len(undo(catalog)) == 3   # one undo reverts the whole import
        assert all(get_decision(catalog, p.id) is None for p in catalog.photos())


def test_import_conflicts_newer_wins(tmp_path):
    root = tmp_path / "lib"
    build(root, ["IMG_0001.JPG", "IMG_0002.JPG"])
    with scanned(root) as catalog:
        older, newer = photo(catalog, "IMG_0001.JPG"), photo(catalog, "IMG_0002.JPG")
        set_decisions(catalog, [older.id, newer.id], flag=1, rating=1)
        write_sidecars(catalog)
        # Another program edits both sidecars later: 4 stars, label Blue (no flag field, as Lightroom).
        for name in ("IMG_0001.xmp", "IMG_0002.xmp"):
            path = root / name
            path.write_bytes(xmp.update_packet(path.read_bytes(), {xmp.RATING: "4", xmp.LABEL: "Blue"}))
        age(root / "IMG_0001.xmp", -60)    # sidecar edited after our decision: it wins
        age(root / "IMG_0002.xmp", 3600)   # sidecar older than our decision: the catalog wins
        report = import_sidecars(catalog)
        assert (report.imported, report.kept) == (1, 1)
        assert get_decision(catalog, older.id).decision == Decision(1, 4, "Blue")
        assert get_decision(catalog, newer.id).decision == Decision(1, 1, None)
        assert import_sidecars(catalog).imported == 0   # importing again changes nothing


def test_sidecars_command(tmp_path, capsys):
    root = tmp_path / "lib"
    build(root, ["day1/IMG_0001.JPG", "day1/IMG_0001.CR2", "day2/IMG_0002.JPG"])
    before = fingerprint(root)
    with scanned(root) as catalog:
        set_decisions(catalog, [p.id for p in catalog.photos()], flag=1, label="Purple")
    assert main(["sidecars", str(root / "day1"), "--write", "--naming", "darktable", "--lightroom-pick"]) == 0
    assert names((root / "day1").glob("*.xmp")) == ["IMG_0001.CR2.xmp", "IMG_0001.JPG.xmp"]
    assert not list((root / "day2").glob("*.xmp"))                      # only inside DIR
    assert b'xmpDM:pick="1"' in (root / "day1" / "IMG_0001.CR2.xmp").read_bytes()
    (root / "day2" / "IMG_0002.xmp").write_bytes((FIXTURES / "malformed.xmp").read_bytes())
    assert main(["sidecars", str(root), "--import"]) == 1               # malformed sidecar reported
    assert "IMG_0002.xmp" in capsys.readouterr().err
    assert main(["sidecars", str(root), "--write", "--import"]) == 2
    assert main(["sidecars", str(tmp_path / "nowhere"), "--write"]) == 3
    assert fingerprint(root) == before
