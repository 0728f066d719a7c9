"""A taste that never learns a defect: sign constraints, the fixed defect term, the anti-quality user."""

from __future__ import annotations

import json

import numpy as np
import pytest

import engine.personalize as taste
from engine.personalize import features as feature_module
from engine.personalize.heads import fit_pairwise, fit_pointwise
from engine.personalize.model import clean_frames_first
from tests.helpers.personal_library import DIM, analysed_catalog, decide, taste_decisions

PHOTOS = 300
PAIRS = 20  # photos 1..20 are clean, 21..40 their blurred copies


def _blurred_copies(catalog, vectors: np.ndarray, flagged: bool = True, drift: float = 0.0) -> None:
    """Photos 21..40 become blurred copies of 1..20: the same embedding moved along one "blur" direction
    (an embedding sees blur too) and by ``drift`` along the first axis (the look a plain taste below
    likes), a softer subject, flagged blurry, and a lower technical score."""
    blur = np.zeros(DIM, dtype=np.float32)
    blur[5], blur[0] = 4.0, drift
    with catalog.transaction() as conn:
        for clean in range(1, PAIRS + 1):
            copy = clean + PAIRS
            vector = vectors[clean - 1] + blur
            conn.execute("UPDATE photo_embeddings SET vector = ? WHERE photo_id = ?", (vector.astype("<f4").tobytes(), copy))
            score = conn.execute("SELECT sort_score FROM photo_analysis WHERE photo_id = ?", (clean,)).fetchone()[0]
            conn.execute("UPDATE photo_analysis SET sort_score = ? WHERE photo_id = ?", (score - 2.5, copy))
            cues = {"contrast_rms": 0.1, "subject_sharpness": 0.1}
            conn.execute("UPDATE photo_cues SET cues = ?, blurry = ?, subject_sharpness = 0.1 WHERE photo_id = ?",
                         (json.dumps(cues), int(flagged), copy))
            conn.execute("INSERT INTO photo_scores(photo_id, task, model, model_sha256, score, raw) "
                         "VALUES (?, 'technical', 'q', '', ?, '[]'), (?, 'technical', 'q', '', ?, '[]')",
                         (clean, score, copy, score - 2.5))


def _anti_quality_user(catalog) -> None:
    """Rejects the 18 technically best of the 40 and picks 18 others: most of them blurred copies."""
    scores = dict(catalog.conn.execute("SELECT photo_id, sort_score FROM photo_analysis WHERE photo_id <= ?",
                                       (2 * PAIRS,)).fetchall())
    ranked = sorted(scores, key=lambda pid: -scores[pid])
    rejects, others = ranked[:18], ranked[18:]
    decide(catalog, {**{pid: (-1, 1) for pid in rejects}, **{pid: (1, 5) for pid in others[:18]}})


def _clean_above_blurred(catalog) -> int:
    model = taste.load_model(catalog)
    raw = taste.scoring.read_raw_features(catalog, model.space.look_model)
    scores = dict(zip(raw.photo_ids.tolist(), model.scores(raw).tolist()))
    return sum(scores[clean] > scores[clean + PAIRS] for clean in range(1, PAIRS + 1))


@pytest.fixture
def library(tmp_path):
    catalog, vectors = analysed_catalog(tmp_path / "lib", PHOTOS)
    _blurred_copies(catalog, vectors)
    _anti_quality_user(catalog)
    yield catalog
    catalog.close()


def test_the_anti_quality_user_never_teaches_that_blur_is_good(library):
    taste.personalize(library)
    assert _clean_above_blurred(library) == PAIRS


def test_mildly_blurred_copies_not_flagged_blurry_still_rank_below(tmp_path):
    """No blurry flag to lean on: the softer subject and lower technical score still decide."""
    catalog, vectors = analysed_catalog(tmp_path / "mild", PHOTOS)
    _blurred_copies(catalog, vectors, flagged=False)
    _anti_quality_user(catalog)
    taste.personalize(catalog)
    assert _clean_above_blurred(catalog) == PAIRS
    catalog.close()


def test_without_the_constraints_the_same_decisions_teach_blur(library, monkeypatch):
    """The check above can fail: the unconstrained model ranks blurred copies first."""
    monkeypatch.setattr(feature_module, "TECHNICAL_SIGNS", {})
    taste.personalize(library)
    assert _clean_above_blurred(library) < PAIRS // 2


def _in_bursts(catalog) -> None:
    """Each clean photo and its blurred copy are two frames of one burst (the clean one chosen best)."""
    with catalog.transaction() as conn:
        conn.executemany("INSERT INTO bursts(photo_id, group_id, kind, size, rank, is_best, score, reasons) "
                         "VALUES (?, ?, 'burst', 2, ?, ?, 0.5, '[]')",
                         [row for clean in range(1, PAIRS + 1) for row in ((clean, clean, 1, 1), (clean + PAIRS, clean, 2, 0))])


def _plain_taste(catalog, vectors: np.ndarray) -> None:
    """Stars by the first embedding axis (content), on photos that are neither a copy nor its original."""
    direction = np.zeros(DIM)
    direction[0] = 1.0
    decide(catalog, taste_decisions(vectors, list(range(2 * PAIRS + 1, PHOTOS + 1)), direction, noise=0.3))


def test_a_plain_taste_ranks_every_clean_frame_above_its_blurred_copy(tmp_path):
    """Decisions that say nothing about sharpness, and a blur that shifts the look towards what the user
    likes (as blurring a portrait can): the blurred frames still rank below their clean frames, in the
    personal score and in each burst."""
    catalog, vectors = analysed_catalog(tmp_path / "plain", PHOTOS)
    _blurred_copies(catalog, vectors, drift=1.5)
    _in_bursts(catalog)
    _plain_taste(catalog, vectors)
    report = taste.personalize(catalog)
    assert report.status == "active", "an ordinary taste that is learnt and used"
    assert _clean_above_blurred(catalog) == PAIRS
    personal = taste.personal_scores(catalog)
    assert all(personal[clean] > personal[clean + PAIRS] for clean in range(1, PAIRS + 1))
    ranked = taste.scoring.rank_bursts(catalog)
    assert all(ranked[clean].is_best and not ranked[clean + PAIRS].is_best for clean in range(1, PAIRS + 1))
    catalog.close()


def test_a_blurred_frame_moves_below_its_clean_frames_and_nothing_else_moves():
    scores = np.array([0.9, 0.2, 0.5, 0.8, 3.0, 0.1, 0.4])
    flags = np.array([1, 0, 0, 2, 1, 0, 0])
    groups = np.array([7, 7, 7, 7, -1, 9, 9])
    moved = clean_frames_first(scores, flags, groups, gap=0.5)
    np.testing.assert_allclose(moved, [-0.3, 0.2, 0.5, -0.8, 3.0, 0.1, 0.4])


def test_a_defect_weight_never_takes_the_wrong_sign():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 3))
    utility = x @ np.array([1.0, -2.0, 0.5])  # the decisions reward column 1 going down
    signs = np.array([0.0, 1.0, 0.0])          # but column 1 is sharpness: more must never be worse
    free = fit_pointwise(x, utility, l2=1.0)
    kept = fit_pointwise(x, utility, l2=1.0, signs=signs)
    assert free[1] < 0 and kept[1] == 0.0 and kept[0] > 0.5 and kept[2] > 0.2
    ranked = fit_pairwise(np.sign(utility)[:, None] * x, l2=1.0, signs=signs)
    assert ranked[1] == 0.0 and ranked[0] > 0


def test_the_defect_term_and_cap_survive_export(library, tmp_path):
    taste.personalize(library)
    model = taste.load_model(library)
    again = taste.PersonalModel.from_bytes(model.to_bytes())
    assert again.cap == model.cap == feature_module.TASTE_CAP and again.cap > 0
    np.testing.assert_array_equal(again.defects, model.defects)
    signs = model.space.signs()
    assert model.defects.any() and np.all(model.defects * signs >= 0) and not model.defects[signs == 0].any()
    assert feature_module.DEFECT_PENALTIES["blurry"] > 2 * feature_module.TASTE_CAP


def test_a_taste_that_does_not_favour_a_defect_pays_nothing_for_it(tmp_path):
    """Ordinary decisions keep their order: no fixed cost for flags the decisions do not favour."""
    catalog, vectors = analysed_catalog(tmp_path / "plain", PHOTOS)
    with catalog.transaction() as conn:
        conn.execute("UPDATE photo_cues SET blurry = 1 WHERE photo_id % 10 = 0")
    direction = np.zeros(DIM)
    direction[0] = 1.0
    decide(catalog, taste_decisions(vectors, list(range(1, 201)), direction, noise=0.3))
    report = taste.personalize(catalog)
    model = taste.load_model(catalog)
    assert report.status == "active" and not model.defects.any()
    catalog.close()


def test_a_best_frame_changed_by_taste_says_so():
    from engine.analysis.best_shot import RankedShot
    from engine.personalize.scoring import _say_taste_changed

    shots = [RankedShot(2, 1, 0.8, True, ("your taste prefers it",)), RankedShot(1, 2, 0.6, False, ("softer than #1",)),
             RankedShot(3, 3, 0.1, False, ())]
    changed = _say_taste_changed(shots, generic_best=1)
    assert changed[0].reasons == ("your taste prefers it to #2",)
    assert changed[1].reasons == ("your taste prefers #1", "softer than #1") and changed[2].reasons == ()
    assert _say_taste_changed(shots, generic_best=2) == shots, "the same best frame: nothing to tell"
