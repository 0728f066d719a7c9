"""The culling logic behind the app, without Qt: session, sort, filter, auto-cull, keys, settings, viewport."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.analysis.best_shot import RankedShot
from engine.analysis.focus_region import sharpest_region
from engine.config.settings import AppSettings, load_settings, save_settings, settings_path
from engine.culling.actions import DECISION_KEYS, decision_for_key
from engine.culling.filters import PhotoFilter, apply_filter, score_bounds
from engine.culling.insights import PhotoInsight, with_personal
from engine.culling.session import CullingSession
from engine.culling.sorting import available_sorts, sort_photos
from engine.culling.viewport import Viewport, fit_scale
from engine.decisions.record import PICK, REJECT, UNFLAGGED, Decision, set_decisions
from engine.library.catalog import Catalog
from engine.library.photo_changes import PhotoChanges, PhotoWatcher
from engine.library.scan import scan_library
from tests.helpers.photo_factory import make_jpeg

BURST = 77


@pytest.fixture
def session(tmp_path: Path) -> CullingSession:
    """Six scanned photos; 2..4 form a burst whose best is 3; 5 has closed eyes, 1 is blurry."""
    for i in range(6):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", seed=i, taken=f"2024:05:01 10:00:0{i}")
    scan_library(tmp_path / "lib")
    opened = CullingSession.open(tmp_path / "lib", AppSettings(auto_advance=True))
    insights = {
        "IMG_1.jpg": PhotoInsight(score=3.0, score_task="technical", blurry=True, blur_reason="subject soft"),
        "IMG_2.jpg": PhotoInsight(score=6.0, burst_id=BURST, burst_kind="burst", burst_size=3, burst_rank=2),
        "IMG_3.jpg": PhotoInsight(score=5.0, burst_id=BURST, burst_kind="burst", burst_size=3, burst_rank=1,
                                  reasons=("subject sharper than #2",)),
        "IMG_4.jpg": PhotoInsight(score=4.0, burst_id=BURST, burst_kind="burst", burst_size=3, burst_rank=3),
        "IMG_5.jpg": PhotoInsight(score=8.0, eyes_closed=True),
    }
    opened.set_photos([replace(p, insight=insights.get(p.name, PhotoInsight())) for p in opened.photos])
    yield opened
    opened.close()


def names(photos) -> list[str]:
    return [p.name for p in photos]


def ids(session: CullingSession, *wanted: str) -> list[int]:
    return [p.id for p in session.photos if p.name in wanted]


def test_bursts_collapse_behind_their_best_frame_and_expand(session):
    assert names(session.visible) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_3.jpg", "IMG_5.jpg"]
    best = ids(session, "IMG_3.jpg")[0]
    assert session.toggle_burst(best) is True
    assert names(session.visible) == [f"IMG_{i}.jpg" for i in range(6)]
    assert names(session.burst_members(best)) == ["IMG_3.jpg", "IMG_2.jpg", "IMG_4.jpg"]
    session.set_collapse_bursts(False)
    assert len(session.visible) == 6


def test_a_collapsed_burst_sorts_by_the_score_its_cover_shows(session):
    session.set_photos([replace(p, insight=PhotoInsight(score=5.5)) if p.name == "IMG_0.jpg" else p
                        for p in session.photos])
    session.set_sort("score")
    assert names(session.visible) == ["IMG_5.jpg", "IMG_0.jpg", "IMG_3.jpg", "IMG_1.jpg"], \
        "the burst's cover (5.0) follows the 5.5, although another frame of it scores 6.0"


def test_sort_by_score_puts_unscored_last_and_burst_sort_keeps_frames_together(session):
    session.set_collapse_bursts(False)
    session.set_sort("score")
    assert names(session.visible) == ["IMG_5.jpg", "IMG_2.jpg", "IMG_3.jpg", "IMG_4.jpg", "IMG_1.jpg", "IMG_0.jpg"]
    session.set_sort("burst")
    assert names(session.visible) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_3.jpg", "IMG_2.jpg", "IMG_4.jpg", "IMG_5.jpg"]
    session.set_sort("name")
    assert names(session.visible)[0] == "IMG_0.jpg"
    with pytest.raises(ValueError):
        sort_photos(session.photos, "colour")


def test_keys_decide_for_every_target_in_one_undo_step_and_persist(session, tmp_path):
    targets = ids(session, "IMG_0.jpg", "IMG_1.jpg")
    assert sorted(session.apply_key("p", targets)) == sorted(targets)
    assert session.apply_key("3", targets[:1]) == targets[:1]
    assert session.apply_key("8", targets[:1]) == targets[:1]          # 8 = Green
    assert session.photo(targets[0]).decision == Decision(PICK, 3, "Green")
    assert session.apply_key("q", targets) is None
    with Catalog.open(tmp_path / "lib") as other:                       # in the catalog at once
        assert {p.id: p.flag for p in other.photos()}[targets[1]] == PICK
    session.undo()
    session.undo()
    assert session.photo(targets[0]).decision == Decision(PICK, 0, None)
    session.undo()
    assert [session.photo(t).record.flag for t in targets] == [UNFLAGGED, UNFLAGGED]
    session.redo()
    assert [session.photo(t).record.flag for t in targets] == [PICK, PICK]


def test_auto_advance_moves_after_flags_and_stars_but_not_labels(session):
    assert session.advance_after("X", 1) == 2
    assert session.advance_after("4", 1) == 2
    assert session.advance_after("6", 1) == 1
    assert session.advance_after("X", len(session.visible) - 1) == len(session.visible) - 1
    session.settings = AppSettings(auto_advance=False)
    assert session.advance_after("X", 1) == 1


def test_decisions_update_in_place_until_the_view_is_rebuilt(session):
    session.set_filter(PhotoFilter(flags=frozenset({UNFLAGGED})))
    before = names(session.visible)
    session.apply_key("X", ids(session, "IMG_0.jpg"))
    assert names(session.visible) == before and session.visible[0].record.flag == REJECT
    session.rebuild()
    assert "IMG_0.jpg" not in names(session.visible)


def test_filters_by_flag_stars_label_verdicts_and_score(session):
    session.apply_key("P", ids(session, "IMG_0.jpg", "IMG_5.jpg"))
    session.apply_key("4", ids(session, "IMG_5.jpg"))
    session.apply_key("9", ids(session, "IMG_0.jpg"))                    # 9 = Blue
    photos = session.photos
    assert names(apply_filter(photos, PhotoFilter(flags=frozenset({PICK})))) == ["IMG_0.jpg", "IMG_5.jpg"]
    assert names(apply_filter(photos, PhotoFilter(min_stars=4))) == ["IMG_5.jpg"]
    assert names(apply_filter(photos, PhotoFilter(labels=frozenset({"Blue"})))) == ["IMG_0.jpg"]
    assert names(apply_filter(photos, PhotoFilter(eyes_closed=True))) == ["IMG_5.jpg"]
    assert names(apply_filter(photos, PhotoFilter(blurry=True))) == ["IMG_1.jpg"]
    assert names(apply_filter(photos, PhotoFilter(min_score=4.5, max_score=7))) == ["IMG_2.jpg", "IMG_3.jpg"]
    assert PhotoFilter(min_stars=4, eyes_closed=True).describe() == "≥ 4★, eyes closed"
    assert not PhotoFilter().active


def test_auto_cull_proposes_without_deciding_and_never_overrides_the_user(session):
    session.apply_key("P", ids(session, "IMG_1.jpg"))                    # the user keeps the blurry one
    proposals = {session.photo(p.photo_id).name: p for p in session.propose_auto_cull()}
    assert {name: p.flag for name, p in proposals.items()} == {"IMG_3.jpg": PICK, "IMG_5.jpg": REJECT}
    assert "sharper" in proposals["IMG_3.jpg"].reason and proposals["IMG_5.jpg"].reason == "eyes closed"
    assert session.photo(ids(session, "IMG_3.jpg")[0]).record.flag == UNFLAGGED   # nothing applied yet
    session.apply_key("2", ids(session, "IMG_5.jpg"))
    session.accept_proposals([proposals["IMG_5.jpg"]])
    assert session.photo(ids(session, "IMG_5.jpg")[0]).decision == Decision(REJECT, 2, None)   # stars kept
    row = session.catalog.conn.execute("SELECT source FROM decisions WHERE photo_id = ?",
                                       (ids(session, "IMG_5.jpg")[0],)).fetchone()
    assert row[0] == "auto"
    session.undo()
    assert session.photo(ids(session, "IMG_5.jpg")[0]).record.flag == UNFLAGGED


def test_keymap_follows_lightroom_conventions():
    assert decision_for_key("p").flag == PICK and decision_for_key("x").flag == REJECT
    assert decision_for_key("0").rating == 0 and decision_for_key("5").rating == 5
    assert [DECISION_KEYS[k].label for k in "6789"] == ["Red", "Yellow", "Green", "Blue"]
    assert decision_for_key("") is None and decision_for_key("G") is None


def test_settings_round_trip_and_bad_values_fall_back_one_by_one():
    saved = AppSettings(device="cpu", burst_sensitivity=0.8, sidecar_naming="darktable", sidecar_write="every_decision",
                        lightroom_pick=True, chosen_models={"aesthetic": "tanet"}).with_recent(Path("/tmp/a"))
    save_settings(saved)
    assert load_settings() == saved
    settings_path().write_text(json.dumps({"device": "tpu", "burst_sensitivity": 0.3, "recent_libraries": "nope"}))
    assert load_settings() == AppSettings(burst_sensitivity=0.3)
    settings_path().write_text("{not json")
    assert load_settings() == AppSettings()
    recent = AppSettings()
    for i in range(12):
        recent = recent.with_recent(Path(f"/tmp/{i}"))
    assert len(recent.recent_libraries) == 10 and recent.recent_libraries[0] == "/tmp/11"
    assert recent.with_recent(Path("/tmp/5")).recent_libraries[:2] == ("/tmp/5", "/tmp/11")


def test_viewport_keeps_the_same_spot_across_frames_and_clamps_pans():
    image, widget = (6000.0, 4000.0), (1200.0, 800.0)
    assert fit_scale(image, widget) == pytest.approx(0.2)
    assert Viewport().target_rect(image, widget) == pytest.approx((0, 0, 1200, 800))
    zoomed = Viewport().toggled(image, widget, at=(0.25, 0.75))
    assert zoomed.zoom == 1.0
    x, y, w, h = zoomed.target_rect(image, widget)
    assert (w, h) == (6000, 4000)
    assert (600 - x) / w == pytest.approx(0.25) and (400 - y) / h == pytest.approx(0.75)   # the spot is centred
    # another frame of the burst, loaded at a different resolution: same normalised spot
    assert zoomed.to_image((600, 400), image, widget) == pytest.approx((0.25, 0.75))
    far = zoomed.panned(-1e6, -1e6, image, widget)
    assert far.center == (1.0, 1.0)
    assert far.target_rect(image, widget)[:2] == pytest.approx((1200 - 6000, 800 - 4000))   # no gap past the edge
    assert zoomed.toggled(image, widget).is_fit
    assert Viewport().zoomed(0.5, image, widget).is_fit
    small = Viewport(1.0).target_rect((400.0, 300.0), widget)
    assert small == pytest.approx((400, 250, 400, 300))                 # smaller than the window: centred
    face = Viewport().focused_on((0.5, 0.1, 0.6, 0.2), image, widget)
    assert face.center == pytest.approx((0.55, 0.15)) and face.zoom == 1.0


def test_sharpest_region_finds_the_textured_tile():
    rng = np.random.default_rng(0)
    pixels = np.full((400, 600, 3), 128, np.uint8)
    pixels[250:320, 420:520] = rng.integers(0, 256, (70, 100, 3), dtype=np.uint8)
    x0, y0, x1, y1 = sharpest_region(Image.fromarray(pixels))
    centre = ((x0 + x1) / 2 * 600, (y0 + y1) / 2 * 400)
    assert 420 <= centre[0] <= 520 and 250 <= centre[1] <= 320


def test_insight_summary_names_the_score_kind_and_reasons():
    insight = PhotoInsight(score=62.5, score_task="aesthetic", eyes_closed=True, burst_id=1, burst_kind="burst",
                           burst_size=4, burst_rank=1, reasons=("all eyes open (#2 has closed eyes)",))
    assert insight.summary() == ["score 62", "eyes closed", "best of a burst of 4", "all eyes open (#2 has closed eyes)"]
    assert PhotoInsight(score=50.4, score_task="technical").summary() == ["score 50 (image quality)"]
    assert replace(insight, burst_rank=3).summary()[2] == "#3 of a burst of 4"


def test_a_blurred_burst_frame_says_its_blur_once():
    reason = "whole frame soft: camera shake, motion blur or missed focus"
    insight = PhotoInsight(score=3.0, score_task="technical", blurry=True, blur_reason=reason, burst_id=2,
                           burst_kind="burst", burst_size=6, burst_rank=5,
                           reasons=("blurred by shake or motion", "#1 is the cleaner frame"))
    assert insight.summary() == ["score 3 (image quality)", reason, "#5 of a burst of 6", "#1 is the cleaner frame"]


def test_merge_adds_updates_and_removes_but_keeps_the_sessions_decisions(session):
    first, fifth = ids(session, "IMG_0.jpg")[0], ids(session, "IMG_5.jpg")[0]
    session.apply_key("P", [first])
    stale = session.photo(first).with_decision(Decision())   # read elsewhere before the pick
    rescored = replace(stale, insight=PhotoInsight(score=9.0))
    newcomer = replace(session.photo(fifth), record=replace(session.photo(fifth).record, id=999, path="IMG_9.jpg"))
    assert session.merge(PhotoChanges(changed=(rescored,))) is False, "same rows, new content"
    assert session.photo(first).insight.score == 9.0 and session.photo(first).record.flag == PICK
    assert session.merge(PhotoChanges(changed=(newcomer,), removed=(fifth,))) is True
    assert session.has(999) and not session.has(fifth) and "IMG_9.jpg" in names(session.visible)


def test_the_watcher_reports_only_photos_that_changed(tmp_path):
    for i in range(3):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", seed=i)
    watcher = PhotoWatcher(tmp_path / "lib")
    assert not watcher.poll(), "never scanned: nothing, and no catalog is created"
    scan_library(tmp_path / "lib")
    assert sorted(p.name for p in watcher.poll().changed) == ["IMG_0.jpg", "IMG_1.jpg", "IMG_2.jpg"]
    assert not watcher.poll()
    with Catalog.open(tmp_path / "lib") as catalog:
        set_decisions(catalog, [catalog.photos()[0].id], flag=PICK)
    assert [p.record.flag for p in watcher.poll().changed] == [PICK]
    (tmp_path / "lib" / "IMG_2.jpg").unlink()
    scan_library(tmp_path / "lib")
    assert len(watcher.poll().removed) == 1


def test_score_filter_spans_the_fixed_0_to_100_scale(session):
    assert score_bounds([]) == (0.0, 100.0)
    assert score_bounds(session.photos) == (0.0, 100.0), "the scale does not follow the library"
    damaged = replace(session.photos[0], insight=PhotoInsight(score=0.4))
    photos = [damaged, *session.photos[1:]]
    assert score_bounds(photos) == (0.0, 100.0)
    assert names(apply_filter(photos, PhotoFilter(max_score=1.0))) == ["IMG_0.jpg"]
    assert PhotoFilter(max_score=1.0).describe() == "score …–1"


def test_personal_score_sorts_shows_and_reranks_bursts(session):
    session.set_collapse_bursts(False)
    assert "personal" not in available_sorts(session.photos)
    by_name = {p.name: p.id for p in session.photos}
    personal = {by_name["IMG_0.jpg"]: 9.0, by_name["IMG_4.jpg"]: 7.0, by_name["IMG_3.jpg"]: 2.0}
    ranked = {by_name["IMG_4.jpg"]: RankedShot(by_name["IMG_4.jpg"], 1, 0.9, True, ("you prefer it",)),
              by_name["IMG_3.jpg"]: RankedShot(by_name["IMG_3.jpg"], 3, 0.1, False, ())}
    insights = with_personal({p.id: p.insight for p in session.photos}, personal, ranked)
    session.set_photos([replace(p, insight=insights[p.id]) for p in session.photos])
    assert "personal" in available_sorts(session.photos)
    session.set_sort("personal")
    assert names(session.visible)[:3] == ["IMG_0.jpg", "IMG_4.jpg", "IMG_3.jpg"], "unscored photos last"
    four = session.photo(by_name["IMG_4.jpg"])
    assert four.insight.is_burst_best and four.insight.reasons == ("you prefer it",)
    assert four.insight.personal_score == pytest.approx(66.7) and "personal score 67" in four.insight.summary()
    session.set_collapse_bursts(True)
    assert "IMG_4.jpg" in names(session.visible) and "IMG_3.jpg" not in names(session.visible), \
        "the personal best covers the burst"
