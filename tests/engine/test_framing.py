"""Framing from face boxes, complete subjects winning their burst, and reasons in a photographer's words."""

from __future__ import annotations

import re

import pytest

from engine.analysis.best_shot import RankedShot, ShotEvidence, blur_words, cut_words, rank_group
from engine.analysis.framing import HEADROOM, MIN_CLIP, FrameCheck, frame_check

#: Words that belong to the code or the models, never under a thumbnail.
INTERNAL = re.compile(r"ranker|model|score|win rate|average|combined|pairwise|cue|probabilit|quality score|%|\d\.\d",
                      re.IGNORECASE)
#: Longest reason that still reads under a thumbnail.
MAX_REASON = 34


def test_a_face_box_touching_no_edge_is_whole():
    check = frame_check([(0.3, 0.3, 0.5, 0.5)], 1000, 1000)
    assert check == FrameCheck(visible=1.0, edge=None, faces=1, largest=pytest.approx(0.2))


@pytest.mark.parametrize("box, edge, cut", [
    ((0.0, 0.4, 0.14, 0.6), "left", 0.3),     # 0.2 tall, 0.14 wide at the left edge: 30 % of the head gone
    ((0.86, 0.4, 1.0, 0.6), "right", 0.3),
    ((0.4, 0.86, 0.6, 1.0), "bottom", 0.3 / (1 + HEADROOM)),  # 30 % of the face, less of face and hair
])
def test_a_clipped_box_is_completed_from_its_other_side(box, edge, cut):
    check = frame_check([box], 1000, 1000)
    assert check.edge == edge and check.cut == pytest.approx(cut, abs=0.01)


def test_a_close_up_whose_box_just_reaches_the_edge_is_whole():
    """The detector's box runs into hair and hat: a close-up portrait's box clipped by a few pixels
    at the side (which varies frame to frame) is not a face cut off; clipped by more, it is."""
    side = 0.6                                              # of a square photo's side
    barely = (1.0 - side * (1 - MIN_CLIP / 2), 0.25, 1.0, 0.25 + side)
    clearly = (1.0 - side * (1 - 2 * MIN_CLIP), 0.25, 1.0, 0.25 + side)
    assert frame_check([barely], 500, 500).edge is None
    assert frame_check([clearly], 500, 500).edge == "right"


def test_a_face_right_under_the_top_edge_has_its_head_cut():
    """The box fits, but the forehead and hair above it do not."""
    tight = frame_check([(0.4, 0.01, 0.6, 0.21)], 1000, 1000)
    assert tight.edge == "top" and 0.1 < tight.cut < 0.25
    assert frame_check([(0.4, 0.3, 0.6, 0.5)], 1000, 1000).cut == 0.0


def test_the_photo_shape_turns_fractions_into_a_square_face():
    """A face 0.2 of a 1500-px width is 300 px: in a 1000-px-tall photo its box is 0.3 tall."""
    whole = frame_check([(0.4, 0.3, 0.6, 0.6)], 1500, 1000)
    assert whole.cut == 0.0
    cut = frame_check([(0.0, 0.3, 0.1, 0.6)], 1500, 1000)  # 150 of 300 px visible
    assert cut.edge == "left" and cut.cut == pytest.approx(0.5, abs=0.01)


def test_small_or_background_faces_do_not_decide_framing():
    tiny = (0.0, 0.5, 0.02, 0.53)  # 3 % of the short side, at the edge
    assert frame_check([tiny], 1000, 1000).faces == 0
    main, bystander = (0.3, 0.3, 0.6, 0.6), (0.0, 0.4, 0.05, 0.5)  # a third of the main face's side
    assert frame_check([main, bystander], 1000, 1000) == FrameCheck(1.0, None, 1, pytest.approx(0.3))
    assert frame_check([], 1000, 1000) == FrameCheck() and frame_check([main], None, None) == FrameCheck()


def test_the_whole_subject_wins_over_a_sharper_better_liked_cut_frame():
    """What the framing benchmark found: without framing, the cut frame won on ranker and quality."""
    whole = ShotEvidence("whole", quality=4.0, subject_sharpness=0.5, faces=1,
                         framing=frame_check([(0.3, 0.3, 0.6, 0.6)], 1000, 1000))
    cut = ShotEvidence("cut", quality=5.0, subject_sharpness=0.6, faces=1,
                       framing=frame_check([(0.0, 0.3, 0.2, 0.6)], 1000, 1000))
    ranked = rank_group([cut, whole], pairwise=lambda a, b: 0.8 if a == "cut" else 0.2)
    assert [r.key for r in ranked] == ["whole", "cut"]
    assert "face whole (cut off in #2)" in ranked[0].reasons
    assert "face cut off at the left edge" in ranked[1].reasons


def test_a_frame_that_lost_the_main_face_loses_but_crowds_do_not_count():
    portrait = frame_check([(0.3, 0.3, 0.6, 0.6)], 1000, 1000)
    ranked = rank_group([ShotEvidence("gone", quality=5.5), ShotEvidence("there", quality=5.0, framing=portrait)])
    assert ranked[0].key == "there" and "face not visible" in ranked[1].reasons
    crowd = frame_check([(0.1, 0.3, 0.15, 0.35), (0.5, 0.3, 0.55, 0.35)], 1000, 1000)  # faces 5 % of the side
    ranked = rank_group([ShotEvidence("fewer", quality=5.5), ShotEvidence("more", quality=5.0, framing=crowd)])
    assert ranked[0].key == "fewer" and "face not visible" not in ranked[1].reasons


def test_equally_framed_frames_are_not_penalised_or_told_about_it():
    same = frame_check([(0.0, 0.3, 0.2, 0.6)], 1000, 1000)
    shots = [ShotEvidence("a", quality=5.0, framing=same), ShotEvidence("b", quality=7.0, framing=same)]
    ranked = rank_group(shots)
    assert ranked[0].key == "b" and ranked[0].score == pytest.approx(rank_group(
        [ShotEvidence("a", quality=5.0), ShotEvidence("b", quality=7.0)])[0].score)
    assert not any("cut" in reason for r in ranked for reason in r.reasons)


def _every_reason(ranked: list[RankedShot]) -> list[str]:
    return [reason for shot in ranked for reason in shot.reasons]


def test_reasons_read_like_a_photographer_and_fit_under_a_thumbnail():
    """Every reason the ranking can give, in one sweep of contrasting bursts."""
    cut = frame_check([(0.0, 0.3, 0.2, 0.6)], 1000, 1000)
    top = frame_check([(0.4, 0.0, 0.6, 0.15)], 1000, 1000)
    bursts = [
        [ShotEvidence("a", quality=6.0, subject_sharpness=0.9, faces=1),
         ShotEvidence("b", quality=4.0, subject_sharpness=0.3, faces=1, faces_eyes_closed=1, blurry=True,
                      blur_reason="whole frame soft: camera shake, motion blur or missed focus")],
        [ShotEvidence("a", faces=3), ShotEvidence("b", faces=3, faces_eyes_closed=2, framing=cut, blurry=True,
                                                  blur_reason="face soft while the background is sharp: focus missed")],
        [ShotEvidence("a", faces=1), ShotEvidence("b", faces=1, framing=top, blurry=True, blur_reason="face soft")],
        [ShotEvidence("a", quality=5.0), ShotEvidence("b", quality=5.1)],
        [ShotEvidence("a", quality=5.0, subject_sharpness=0.9, faces=1),
         ShotEvidence("b", quality=5.0, subject_sharpness=0.7, faces=1)],
    ]
    reasons = []
    for shots in bursts:
        reasons += _every_reason(rank_group(shots, pairwise=lambda a, b: 0.9 if a == "a" else 0.1))
        reasons += _every_reason(rank_group(shots, pairwise=lambda a, b: 0.9 if a == "a" else 0.1, taste=True))
        reasons += _every_reason(rank_group(shots))
    expected = {"eyes closed", "eyes closed on 2 of 3 faces", "eyes open (closed in #2)", "sharper eyes than #2",
                "softer eyes than #1",
                "better image quality than #2", "poorer image quality than #1",
                "cleaner frame than #2", "#1 is the cleaner frame", "your taste prefers it", "your taste prefers #1",
                "face cut off at the left edge", "head cut off at the top", "face whole (cut off in #2)",
                "blurred by shake or motion", "focus missed", "subject soft", "close call with #2", "close call with #1"}
    assert expected <= set(reasons), expected - set(reasons)
    for reason in reasons:
        assert not INTERNAL.search(reason), reason
        assert len(reason) <= MAX_REASON, reason


def test_the_words_for_blur_and_cuts():
    assert blur_words(None) == "subject soft"
    assert cut_words("bottom") == "face cut off at the bottom" and cut_words(None) == "face cut off"
