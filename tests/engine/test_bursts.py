"""Burst grouping, brackets, best-shot ranking, the pHash it relies on, and the bench's ARI."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from scipy.fft import dct
from skimage import data

from engine.analysis.best_shot import ShotEvidence, rank_group
from engine.analysis.bursts import (
    GroupingSettings,
    PhotoRecord,
    capture_seconds,
    exposure_stops,
    group_bursts,
)
from engine.analysis.descriptor import describe
from engine.analysis.phash import hamming, hamming_matrix, phash


def _bench_module():
    path = Path(__file__).resolve().parents[2] / "bench" / "grouping.py"
    spec = importlib.util.spec_from_file_location("bench_grouping", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scenes() -> dict[str, Image.Image]:
    return {name: Image.fromarray(getattr(data, name)()).convert("RGB") for name in ("astronaut", "coffee", "chelsea", "rocket")}


def _jpeg(image: Image.Image, quality: int = 70) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def _shifted(image: Image.Image, dx: int) -> Image.Image:
    """A burst neighbour: the camera panned a little."""
    w, h = image.size
    return image.crop((dx, 0, w - 40 + dx, h)).resize((w, h))


# --- pHash -----------------------------------------------------------------------------------

def test_phash_matches_the_reference_dct_definition(scenes):
    grey = np.asarray(scenes["astronaut"].convert("L").resize((32, 32), Image.Resampling.LANCZOS), np.float64)
    low = dct(dct(grey, axis=0), axis=1)[:8, :8]
    expected = int("".join("1" if b else "0" for b in (low > np.median(low)).ravel()), 2)
    assert phash(scenes["astronaut"]) == expected


def test_phash_survives_resizing_and_recompression_but_separates_scenes(scenes):
    astronaut = phash(scenes["astronaut"])
    assert hamming(astronaut, phash(_jpeg(scenes["astronaut"].resize((200, 200)), 40))) <= 4
    others = np.array([phash(scenes[n]) for n in ("coffee", "chelsea", "rocket")], dtype=np.uint64)
    distances = hamming_matrix(np.array([astronaut], dtype=np.uint64), others)[0]
    assert distances.min() >= 20
    assert distances.tolist() == [hamming(astronaut, int(o)) for o in others]


# --- grouping --------------------------------------------------------------------------------

def _record(key, image, t=None, ev=None):
    return PhotoRecord(key=key, capture_time=t, phash=phash(image), embedding=describe(image), ev=ev)


def _partition(groups) -> set[frozenset]:
    return {frozenset(g.members) for g in groups}


def test_untimed_frames_group_by_looks_alone(scenes):
    records = []
    for name, image in scenes.items():
        records += [_record(f"{name}-{dx}", _shifted(image, dx)) for dx in (0, 15, 30)]
    records.reverse()  # input order must not matter
    groups = group_bursts(records)
    assert _partition(groups) == {frozenset(f"{n}-{dx}" for dx in (0, 15, 30)) for n in scenes}
    assert {g.kind for g in groups} == {"burst"}


def test_capture_time_gap_splits_lookalikes_and_keeps_the_order(scenes):
    image = scenes["coffee"]
    records = [_record("b", _shifted(image, 10), t=1001.0), _record("a", image, t=1000.0),
               _record("later", _shifted(image, 20), t=1000.0 + 3600)]
    groups = group_bursts(records)
    assert [g.members for g in groups] == [("a", "b"), ("later",)]
    assert [g.kind for g in groups] == ["burst", "single"]


def test_sensitivity_widens_the_time_window(scenes):
    image = scenes["chelsea"]
    records = [_record("a", image, t=0.0), _record("b", _shifted(image, 10), t=60.0)]
    assert len(group_bursts(records, GroupingSettings(sensitivity=0.2))) == 2
    assert len(group_bursts(records, GroupingSettings(sensitivity=1.0))) == 1


def test_raw_and_jpeg_of_one_photo_count_once(scenes):
    image = scenes["rocket"]
    records = [_record(7, image, t=5.0), _record(7, image, t=5.0), _record(8, _shifted(image, 10), t=5.5)]
    (group,) = group_bursts(records)
    assert group.members == (7, 8)


def test_exposure_bracket_is_kept_together_and_marked(scenes):
    base = scenes["astronaut"]
    frames = [(f"ev{stops:+d}", ImageEnhance.Brightness(base).enhance(2.0**stops), float(stops)) for stops in (0, -1, 1)]
    records = [_record(k, im, t=100.0 + 0.3 * n, ev=ev) for n, (k, im, ev) in enumerate(frames)]
    (group,) = group_bursts(records)
    assert group.kind == "bracket" and group.members == ("ev+0", "ev-1", "ev+1")


def test_steady_exposure_burst_is_not_a_bracket(scenes):
    base = scenes["astronaut"]
    records = [_record(n, _shifted(base, 10 * n), t=float(n) * 0.2, ev=0.1 * n) for n in range(4)]
    (group,) = group_bursts(records)
    assert group.kind == "burst"


def test_lookalikes_without_exif_are_at_most_a_burst(scenes):
    """Copies with one shared file time and no EXIF: no capture time, no settings, so no bracket."""
    base = scenes["astronaut"]
    frames = [ImageEnhance.Brightness(base).enhance(2.0**stops) for stops in (0, -1, 1)]
    (untimed,) = group_bursts([_record(n, im, ev=float(n)) for n, im in enumerate(frames)])
    assert untimed.kind == "burst", "exposure without capture times is no bracket"
    (no_settings,) = group_bursts([_record(n, im, t=100.0 + 0.3 * n) for n, im in enumerate(frames)])
    assert no_settings.kind == "burst", "a brighter picture is not a bracket without settings that differ"


def test_two_different_subjects_are_not_grouped_or_bracketed(scenes):
    cat, other = scenes["chelsea"], ImageEnhance.Brightness(scenes["coffee"]).enhance(0.5)
    groups = group_bursts([_record("cat", cat, ev=0.0), _record("other", other, ev=-1.0)])
    assert _partition(groups) == {frozenset({"cat"}), frozenset({"other"})}
    assert {g.kind for g in groups} == {"single"}


def test_grouping_reads_the_bracket_evidence_from_exif_settings():
    from engine.analysis.grouping import _grouping_record

    row = {"photo_id": 1, "capture_time": "2024-05-01T10:00:00", "capture_time_source": "exif", "phash": None,
           "shutter": 1 / 50, "aperture": 4.0, "iso": 100}
    assert _grouping_record(row, None).ev == pytest.approx(exposure_stops(1 / 50, 4.0, 100))
    assert _grouping_record({**row, "shutter": None}, None).ev is None


def test_helpers_for_the_pipeline():
    assert exposure_stops(1 / 100, 4.0, 100) == pytest.approx(np.log2(1 / 1600))
    assert exposure_stops(1 / 50, 4.0, 100) - exposure_stops(1 / 100, 4.0, 100) == pytest.approx(1.0)
    assert exposure_stops(None, 4.0, 100) is None
    assert capture_seconds("2024-05-01T10:00:01.5", "exif") - capture_seconds("2024-05-01T10:00:00", "exif") == 1.5
    assert capture_seconds("2024-05-01T10:00:00", "mtime") is None
    with pytest.raises(ValueError):
        GroupingSettings(sensitivity=1.5)


def test_timed_grouping_compares_only_neighbours_in_the_window(monkeypatch):
    """Photos one second apart: each is compared with the ~10 that follow within 10 s, not with all."""
    import engine.analysis.bursts as bursts

    calls = []
    real = bursts._alike
    monkeypatch.setattr(bursts, "_alike", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(0)
    n = 2_000
    records = [PhotoRecord(i, capture_time=float(i), phash=int(rng.integers(0, 2**63))) for i in range(n)]
    settings = GroupingSettings(sensitivity=0.0)
    groups = group_bursts(records, settings)
    assert len(calls) <= n * settings.window_s
    assert len(groups) > 0.9 * n  # random hashes rarely link


# --- ranking ---------------------------------------------------------------------------------

def test_open_eyes_and_sharpness_win_with_reasons():
    shots = [
        ShotEvidence("blink", quality=6.0, subject_sharpness=0.9, faces=3, faces_eyes_closed=1),
        ShotEvidence("keeper", quality=6.2, subject_sharpness=0.9, faces=3),
        ShotEvidence("soft", quality=6.1, subject_sharpness=0.4, faces=3, blurry=True),
    ]
    ranked = rank_group(shots)
    assert [r.key for r in ranked] == ["keeper", "blink", "soft"]
    assert ranked[0].is_best and not any(r.is_best for r in ranked[1:])
    assert "eyes open (closed in #2)" in ranked[0].reasons
    assert "eyes closed on 1 of 3 faces" in ranked[1].reasons
    assert "subject soft" in ranked[2].reasons
    assert not any(reason.startswith("softer") for reason in ranked[2].reasons), "the blur is said once"


def test_burst_ranker_probabilities_lead_when_given():
    shots = [ShotEvidence("a", quality=7.0), ShotEvidence("b", quality=6.8)]
    prefers_b = {("a", "b"): 0.1, ("b", "a"): 0.9}
    ranked = rank_group(shots, pairwise=lambda x, y: prefers_b[(x, y)])
    assert [r.key for r in ranked] == ["b", "a"]
    assert "cleaner frame than #2" in ranked[0].reasons
    assert "#1 is the cleaner frame" in ranked[1].reasons


def test_the_best_frame_says_why_it_won_before_where_it_is_weaker():
    shots = [ShotEvidence("crisp", quality=5.0, subject_sharpness=0.80),
             ShotEvidence("strong", quality=5.0, subject_sharpness=0.70)]
    prefers_strong = {("crisp", "strong"): 0.1, ("strong", "crisp"): 0.9}
    best, runner_up = rank_group(shots, pairwise=lambda x, y: prefers_strong[(x, y)])
    assert best.key == "strong"
    assert best.reasons == ("cleaner frame than #2", "though softer than #2")
    assert runner_up.reasons == ("#1 is the cleaner frame", "though sharper than #1")


def test_a_sharpness_difference_re_framing_alone_could_make_is_not_named():
    from engine.analysis.best_shot import VISIBLY_SHARPER

    def reasons(gap: float) -> tuple[str, ...]:
        shots = [ShotEvidence("a", quality=5.0, subject_sharpness=0.7 + gap), ShotEvidence("b", quality=5.0,
                                                                                          subject_sharpness=0.7)]
        return rank_group(shots)[0].reasons

    assert reasons(VISIBLY_SHARPER * 0.8) == ("close call with #2",)
    assert reasons(VISIBLY_SHARPER * 1.2) == ("sharper than #2",)


def test_a_best_frame_weaker_on_every_named_count_is_a_close_call():
    """It wins on differences too small to name (a slight preference, a little more quality) and is visibly
    softer: the reason must not read as if softness had won."""
    shots = [ShotEvidence("a", quality=5.4, subject_sharpness=0.700),
             ShotEvidence("b", quality=5.0, subject_sharpness=0.735)]
    best, _ = rank_group(shots, pairwise=lambda x, y: 0.545 if x == "a" else 0.455)
    assert best.key == "a"
    assert best.reasons == ("close call with #2", "though softer than #2")


def test_quality_breaks_ties_and_singletons_need_no_reasons():
    ranked = rank_group([ShotEvidence("x", quality=4.0), ShotEvidence("y", quality=8.0)])
    assert ranked[0].key == "y" and "better image quality than #2" in ranked[0].reasons
    (alone,) = rank_group([ShotEvidence("z")])
    assert alone.is_best and alone.reasons == ()


# --- bench metrics ---------------------------------------------------------------------------

def test_adjusted_rand_index_on_hand_cases():
    ari = _bench_module().adjusted_rand_index
    truth = ["a", "a", "a", "b", "b", "c"]
    assert ari(truth, [1, 1, 1, 2, 2, 3]) == pytest.approx(1.0)  # relabelled, same partition
    # Worked by hand: table [[2,1,0],[0,2,0],[0,0,1]] -> index 2, truth pairs 4, predicted pairs 4, n pairs 15:
    # expected 16/15, max 4 -> (2 - 16/15) / (4 - 16/15) = 14/44.
    assert ari(truth, [1, 1, 2, 2, 2, 3]) == pytest.approx(14 / 44)
    assert ari(["a", "a", "b", "b"], [1, 2, 1, 2]) < 0  # worse than chance


def test_pairwise_precision_recall_on_a_hand_case():
    pr = _bench_module().pairwise_precision_recall
    # predicted merges everything: 15 pairs, 4 true -> precision 4/15, recall 1
    assert pr(["a", "a", "a", "b", "b", "c"], [0] * 6) == pytest.approx((4 / 15, 1.0))
