"""Merging a background process's photo changes: the same list as a full rebuild, at the cost of the changes."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

import engine.culling.session as session_module
from engine.culling.cull_photo import CullPhoto
from engine.culling.filters import PhotoFilter
from engine.culling.insights import PhotoInsight
from engine.culling.session import CullingSession
from engine.library.catalog import Catalog, PhotoRecord
from engine.library.photo_changes import PhotoChanges


def record(i: int, *, flag: int = 0) -> PhotoRecord:
    taken = None if i % 7 == 0 else f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}"
    return PhotoRecord(i, f"d{i % 3}/IMG_{i:04d}.jpg", (f"d{i % 3}/IMG_{i:04d}.jpg",), f"d{i % 3}", f"IMG_{i:04d}",
                       taken, "exif" if taken else None, 1, None, None, None, None, None, None, None, 64, 48, 1000,
                       1, "ok", flag, 0, None)


def photo(i: int, score: float | None = None, *, flag: int = 0) -> CullPhoto:
    return CullPhoto(record(i, flag=flag), PhotoInsight(score=score))


@pytest.fixture
def make_session(tmp_path):
    opened = []

    def make(photos, sort="time", photo_filter=PhotoFilter()):
        session = CullingSession(Catalog.open(tmp_path / f"lib{len(opened)}"))
        opened.append(session)
        session.state.sort, session.state.filter = sort, photo_filter
        session.set_photos(photos)
        return session

    yield make
    for session in opened:
        session.close()


def visible_ids(session: CullingSession) -> list[int]:
    return [p.id for p in session.visible]


@pytest.mark.parametrize("sort", ["time", "score", "name", "burst"])
@pytest.mark.parametrize("photo_filter", [PhotoFilter(), PhotoFilter(flags=frozenset({0})), PhotoFilter(min_score=4.0)])
def test_merged_list_equals_a_full_rebuild(make_session, sort, photo_filter):
    rng = random.Random(f"{sort}{photo_filter}")
    merged = make_session([photo(i, rng.choice([None, 1.0, 5.0, 9.0])) for i in range(0, 200, 2)], sort, photo_filter)
    rebuilt = make_session([], sort, photo_filter)
    next_id = 201
    for _ in range(30):
        changed = []
        for listed in rng.sample(merged.photos, 5):   # rescored (may move) or unchanged in place
            changed.append(replace(listed, insight=PhotoInsight(score=rng.choice([None, listed.insight.score, 3.0]))))
        for _ in range(rng.randint(0, 4)):             # new photos, as a scan finds them
            changed.append(photo(next_id, rng.choice([None, 6.0]), flag=rng.choice([0, 1])))
            next_id += 1
        merged.merge(PhotoChanges(tuple(changed)))
        rebuilt.set_photos(list(merged.photos))
        assert visible_ids(merged) == visible_ids(rebuilt)
        assert all(merged.row_of(p.id) == row for row, p in enumerate(merged.visible))
        hidden = [p.id for p in merged.photos if rebuilt.row_of(p.id) is None]
        assert all(merged.row_of(pid) is None for pid in hidden)


def test_new_photos_and_rescores_in_place_do_not_re_sort_the_library(make_session, monkeypatch):
    session = make_session([photo(i) for i in range(1000)])
    sorts = []
    monkeypatch.setattr(session_module, "sort_photos", lambda *args: sorts.append(args) or [])
    rescored = replace(session.photos[10], insight=PhotoInsight(score=7.0))   # time order: stays put
    assert session.merge(PhotoChanges((rescored,))) is False
    assert session.merge(PhotoChanges((photo(5000),))) is True
    assert sorts == []
    assert session.photo(rescored.id).insight.score == 7.0 and session.row_of(5000) is not None


def test_a_merge_that_moves_a_photo_rebuilds_and_keeps_the_sessions_decision(make_session):
    session = make_session([photo(i, 5.0, flag=1 if i == 3 else 0) for i in range(10)], sort="score")
    stale = photo(3, 9.0)                           # read elsewhere before this session's pick
    assert session.merge(PhotoChanges((stale,))) is True
    assert session.visible[0].id == 3 and session.visible[0].record.flag == 1


def test_filter_changes_and_orders_seen_before_do_not_sort_again(make_session, monkeypatch):
    session = make_session([photo(i, float(i % 10), flag=i % 3 - 1) for i in range(300)])
    expected = {}
    for sort in ("time", "score", "name"):
        for photo_filter in (PhotoFilter(), PhotoFilter(flags=frozenset({1})), PhotoFilter(min_score=5.0)):
            session.state.sort, session.state.filter = sort, photo_filter
            session.rebuild()
            expected[sort, photo_filter] = visible_ids(session)
            assert visible_ids(session) == [p.id for p in session_module.sort_photos(
                [p for p in session.photos if photo_filter.matches(p)], sort)]
    sorts = []
    original = session_module.sort_photos
    monkeypatch.setattr(session_module, "sort_photos", lambda *args: sorts.append(args) or original(*args))
    for (sort, photo_filter), ids in expected.items():
        session.set_sort(sort)
        session.set_filter(photo_filter)
        assert visible_ids(session) == ids
    assert sorts == []
