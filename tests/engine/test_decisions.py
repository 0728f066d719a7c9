"""engine.decisions.record: decisions in the catalog, undo/redo through decision_log, the decide command."""

from __future__ import annotations

import pytest

from engine.cli import main
from engine.decisions.record import (
    KEEP,
    Decision,
    find_catalog_for,
    get_decision,
    parse_label,
    photos_under,
    redo,
    set_decisions,
    undo,
)
from engine.library.catalog import CatalogNotFound
from tests.helpers.decision_library import build, fingerprint, photo, scanned


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "lib"
    build(root, ["day1/IMG_0001.JPG", "day1/IMG_0001.CR2", "day1/IMG_0002.JPG", "day2/IMG_0003.JPG"])
    with scanned(root) as catalog:
        yield catalog


def decision_of(catalog, relative: str) -> Decision | None:
    stored = get_decision(catalog, photo(catalog, relative).id)
    return stored.decision if stored else None


def test_set_changes_only_the_given_fields(library):
    first = photo(library, "day1/IMG_0001.CR2").id   # any file of the photo finds it
    set_decisions(library, [first], flag=1, rating=3)
    set_decisions(library, [first], label="Red")
    set_decisions(library, [first], rating=KEEP, label=None)
    stored = get_decision(library, first)
    assert stored.decision == Decision(1, 3, None) and stored.source == "user"
    assert photo(library, "day1/IMG_0001.JPG").flag == 1   # the catalog's PhotoRecord sees it


def test_invalid_values_are_refused(library):
    first = photo(library, "day1/IMG_0001.JPG").id
    for bad in ({"rating": 6}, {"flag": 2}, {"label": "Orange"}):
        with pytest.raises(ValueError):
            set_decisions(library, [first], **bad)
    assert get_decision(library, first) is None
    assert parse_label("PURPLE") == "Purple" and parse_label("none") is None


def test_undo_and_redo_walk_the_log(library):
    a, b = photo(library, "day1/IMG_0001.JPG").id, photo(library, "day1/IMG_0002.JPG").id
    set_decisions(library, [a, b], flag=1)            # batch 1: both picked
    set_decisions(library, [b], rating=4)             # batch 2
    set_decisions(library, [a], flag=-1)              # batch 3
    assert undo(library) == [a]
    assert get_decision(library, a).decision == Decision(1, 0, None)
    assert undo(library) == [b]
    assert get_decision(library, b).decision == Decision(1, 0, None)
    assert redo(library) == [b]
    assert get_decision(library, b).decision == Decision(1, 4, None)
    assert undo(library) == [b]                        # batch 2 again
    assert undo(library) == [b, a]                     # batch 1, newest row first
    assert get_decision(library, a) is None and get_decision(library, b) is None   # never decided again
    assert undo(library) == []


def test_new_change_clears_redo_and_undo_survives_reopen(library, tmp_path):
    a = photo(library, "day1/IMG_0001.JPG").id
    set_decisions(library, [a], rating=2)
    set_decisions(library, [a], rating=5)
    undo(library)
    set_decisions(library, [a], label="Blue")          # forgets the undone "rating=5"
    assert redo(library) == []
    with find_catalog_for(tmp_path / "lib" / "day1") as reopened:
        assert undo(reopened) == [a]
        assert get_decision(reopened, a).decision == Decision(0, 2, None)


def test_unchanged_values_make_no_batch(library):
    a = photo(library, "day1/IMG_0001.JPG").id
    assert set_decisions(library, [a], flag=1) == 1
    assert set_decisions(library, [a], flag=1) == 0
    assert library.conn.execute("SELECT COUNT(*) FROM decision_log").fetchone()[0] == 1


def test_find_catalog_for_and_photos_under(library, tmp_path):
    with find_catalog_for(tmp_path / "lib" / "day2" / "IMG_0003.JPG") as found:
        assert found.root == library.root
        assert [p.stem for p in photos_under(found, tmp_path / "lib" / "day2")] == ["IMG_0003"]
        assert len(photos_under(found, tmp_path / "lib")) == 3
    with pytest.raises(CatalogNotFound):
        find_catalog_for(tmp_path / "elsewhere")


def test_decide_command(library, tmp_path, capsys):
    root = tmp_path / "lib"
    before = fingerprint(root)
    assert main(["decide", str(root / "day1" / "IMG_0001.CR2"), "--pick", "--stars", "4", "--label", "green"]) == 0
    assert decision_of(library, "day1/IMG_0001.JPG") == Decision(1, 4, "Green")
    assert main(["decide", str(root / "day2"), "--reject"]) == 0
    assert decision_of(library, "day2/IMG_0003.JPG") == Decision(-1, 0, None)
    assert main(["decide", str(root / "day1" / "IMG_0001.JPG"), "--label", "none", "--unflag"]) == 0
    assert decision_of(library, "day1/IMG_0001.JPG") == Decision(0, 4, None)
    assert main(["decide", str(root / "day1"), "--undo"]) == 0
    assert decision_of(library, "day1/IMG_0001.JPG") == Decision(1, 4, "Green")
    assert main(["decide", str(root / "day1" / "nope.JPG"), "--pick"]) == 1
    assert main(["decide", str(root / "day1"), "--stars", "9"]) == 2
    assert main(["decide", str(root / "day1")]) == 2
    assert main(["decide", str(tmp_path), "--pick"]) == 3
    assert fingerprint(root) == before
    assert "not a photo of the library" in capsys.readouterr().err
