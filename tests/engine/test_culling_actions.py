"""The one list of user actions, the current-photo rules of the session, and auto-cull's grouping by burst."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from engine.config.settings import AppSettings
from engine.culling.actions import (
    ACTIONS,
    ACTIONS_BY_ID,
    APP,
    DECISION_KEYS,
    MENUS,
    AppState,
    decision_for_key,
    key_help,
)
from engine.culling.insights import PhotoInsight
from engine.culling.session import CullingSession
from engine.decisions import auto_cull
from engine.decisions.record import PICK, REJECT
from engine.library.scan import scan_library
from tests.helpers.photo_factory import make_jpeg

BURST = 5


def test_every_action_is_declared_once_with_distinct_keys():
    assert len(ACTIONS_BY_ID) == len(ACTIONS)
    keys = Counter(key.upper() for action in ACTIONS for key in action.shortcuts)
    assert [key for key, n in keys.items() if n > 1] == []
    assert all(action.menu in MENUS + ("",) for action in ACTIONS)
    decided = {action.args[0] for action in ACTIONS if action.handler == "decide"}
    assert decided == set(DECISION_KEYS), "every culling key is an action"
    assert ("Ctrl+Z", "Undo") in key_help() and ("P", "Pick") in key_help()


def test_saving_and_undo_work_app_wide_and_loupe_tools_only_in_the_loupe():
    app_wide = {action.id for action in ACTIONS if action.scope == APP}
    assert {"file.write_sidecars", "edit.undo", "edit.redo"} <= app_wide
    zoom, undo, open_folder = ACTIONS_BY_ID["view.zoom"], ACTIONS_BY_ID["edit.undo"], ACTIONS_BY_ID["file.open"]
    assert zoom.enabled_when(AppState(True, "loupe")) and not zoom.enabled_when(AppState(True, "grid"))
    assert undo.enabled_when(AppState(True, "grid")) and not undo.enabled_when(AppState(False, "welcome"))
    assert open_folder.enabled_when(AppState())


def test_colour_labels_never_move_on_flags_and_stars_do():
    assert decision_for_key("x").moves_on and decision_for_key("3").moves_on and decision_for_key("0").moves_on
    assert not any(decision_for_key(key).moves_on for key in "6789")


@pytest.fixture
def session(tmp_path):
    """Six photos; 1..4 form a burst whose best is 3; 2 is soft, 5 has closed eyes."""
    for i in range(6):
        make_jpeg(tmp_path / "lib" / f"IMG_{i}.jpg", seed=i, taken=f"2024:05:01 10:00:0{i}")
    scan_library(tmp_path / "lib")
    opened = CullingSession.open(tmp_path / "lib", AppSettings())
    rank = {"IMG_1.jpg": 2, "IMG_2.jpg": 4, "IMG_3.jpg": 1, "IMG_4.jpg": 3}
    insights = {name: PhotoInsight(burst_id=BURST, burst_kind="burst", burst_size=4, burst_rank=r,
                                   reasons=("sharper eyes than #2",) if r == 1 else ()) for name, r in rank.items()}
    insights["IMG_2.jpg"] = replace(insights["IMG_2.jpg"], blurry=True, blur_reason="blurred by motion")
    insights["IMG_5.jpg"] = PhotoInsight(eyes_closed=True)
    opened.set_photos([replace(p, insight=insights.get(p.name, PhotoInsight())) for p in opened.photos])
    yield opened
    opened.close()


def by_name(session, name):
    return next(p for p in session.photos if p.name == name)


def test_a_frame_folded_into_its_burst_is_found_at_the_bursts_tile(session):
    frame, cover = by_name(session, "IMG_2.jpg"), by_name(session, "IMG_3.jpg")
    assert session.row_of(frame.id) is None
    assert session.shown_row(frame.id) == session.row_of(cover.id)
    session.set_collapse_bursts(False)
    assert session.shown_row(frame.id) == session.row_of(frame.id)


def test_undo_lands_on_the_current_photo_when_it_changed_else_the_first_changed(session):
    session.set_collapse_bursts(False)
    first, later = by_name(session, "IMG_1.jpg"), by_name(session, "IMG_4.jpg")
    assert session.landing_row([later.id, first.id]) == session.row_of(first.id)
    assert session.landing_row([later.id, first.id], prefer=later.id) == session.row_of(later.id)
    assert session.landing_row([]) is None


def test_auto_cull_groups_its_proposals_by_burst_best_frame_first(session):
    proposals = session.propose_auto_cull()
    groups = auto_cull.by_burst(proposals, session.photos)
    assert [group.title.split(",")[0] for group in groups] == ["Burst of 4 frames", "Single photos"]
    burst = [(photo.name, proposal.flag, proposal.reason) for photo, proposal in groups[0].items]
    assert burst[0][:2] == ("IMG_3.jpg", PICK) and "sharper eyes than #2" in burst[0][2]
    assert ("IMG_2.jpg", REJECT, "blurred by motion") in burst
    assert [(p.name, x.reason) for p, x in groups[1].items] == [("IMG_5.jpg", "eyes closed")]
    assert sum(len(group.items) for group in groups) == len(proposals)
    others = [photo.name for photo in groups[0].others]
    assert others == ["IMG_1.jpg", "IMG_4.jpg"], "the burst's other frames, best first, to judge against"
