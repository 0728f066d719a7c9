"""The 0..100 score: the monotone, bounded map from a model's score, its manifest field, and where it is used."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from engine.analysis.storage import PhotoAnalysis, ScoreRow
from engine.config import paths
from engine.culling.insights import insight_of, personal_percent, shoot_ranks, sort_score_of
from engine.culling.score_words import add_aesthetic_hint, personal_model_line, sort_explanation
from engine.inference.contract import ContractError, ScoreReference, load_manifest, validate
from engine.inference.registry import shipped_models_dir
from engine.inference.score_scale import ScoreScale, installed_scales, scale_of
from tests.helpers.onnx_factory import install_model

PROBABILITIES = (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
QUANTILES = (-2.0, 1.0, 3.0, 4.0, 6.0, 8.5, 12.0)
REFERENCE = ScoreReference(PROBABILITIES, QUANTILES, images=500)


def test_the_quantiles_map_to_their_percentiles_and_between_them_linearly():
    scale = ScoreScale.from_reference(REFERENCE)
    for q, p in zip(QUANTILES, PROBABILITIES):
        assert scale.percent(q) == pytest.approx(100 * p)
    assert scale.percent(5.0) == pytest.approx(62.5), "half way from 4 (50) to 6 (75)"


def test_the_map_is_strictly_increasing_and_bounded_far_beyond_the_reference():
    scale = ScoreScale.from_reference(REFERENCE)
    scores = np.linspace(-1e4, 1e4, 20001)
    dense = np.concatenate([scores, np.linspace(-30, 40, 7001)])
    dense.sort()
    mapped = np.array([scale.percent(float(s)) for s in dense])
    assert np.all(np.diff(mapped) >= 0) and mapped.min() >= 0.0 and mapped.max() <= 100.0
    near = np.array([scale.percent(float(s)) for s in np.linspace(-10, 20, 301)])
    assert np.all(np.diff(near) > 0), "damaged photos keep their order below the reference"
    assert 0 < scale.percent(-10) < 1 < 99 < scale.percent(20) < 100


def test_the_tails_join_the_inner_map_without_a_jump():
    scale = ScoreScale.from_reference(REFERENCE)
    for edge in (QUANTILES[0], QUANTILES[-1]):
        assert scale.percent(edge - 1e-9) == pytest.approx(scale.percent(edge + 1e-9), abs=1e-6)


def test_repeated_quantiles_become_one_point_and_the_map_stays_monotone():
    flat = ScoreReference((0.1, 0.3, 0.5, 0.7, 0.9), (1.0, 2.0, 2.0, 2.0, 5.0), images=50)
    scale = ScoreScale.from_reference(flat)
    assert scale.percent(2.0) == pytest.approx(50.0), "the plateau sits at its middle probability"
    mapped = [scale.percent(s) for s in np.linspace(0, 6, 200)]
    assert mapped == sorted(mapped)


def test_without_a_reference_the_documented_fallback_puts_5_5_at_50():
    fallback = ScoreScale()
    assert not fallback.has_reference and fallback.percent(5.5) == pytest.approx(50.0)
    assert fallback.percent(1.0) == pytest.approx(4.7, abs=0.1) and fallback.percent(10.0) == pytest.approx(95.3, abs=0.1)
    mapped = [fallback.percent(s) for s in np.linspace(-50, 60, 500)]
    assert mapped == sorted(mapped) and 0 <= min(mapped) and max(mapped) <= 100
    assert fallback.percent(None) is None and fallback.percent(float("nan")) is None


def test_the_manifest_field_round_trips_and_is_optional(tmp_path):
    path = install_model(tmp_path, "tiny", task="technical", kind="score", score_rule="linear", outputs=1)
    assert load_manifest(path).score_reference is None, "manifests without the field stay valid"
    raw = json.loads(path.read_text())
    raw["score_reference"] = {"probabilities": list(PROBABILITIES), "quantiles": list(QUANTILES), "images": 500}
    path.write_text(json.dumps(raw))
    manifest = load_manifest(path)
    assert manifest.score_reference == REFERENCE and scale_of(manifest).percent(4.0) == pytest.approx(50.0)
    assert installed_scales([tmp_path])[("tiny", manifest.onnx_sha256)].has_reference


@pytest.mark.parametrize(("change", "words"), [
    ({"quantiles": (1.0, 3.0, 2.0)}, "must not fall"),
    ({"quantiles": (2.0, 2.0, 2.0)}, "last must exceed"),
    ({"probabilities": (0.1, 0.1, 0.9)}, "rise strictly"),
    ({"probabilities": (0.1, 0.5, 1.5)}, "within 0..1"),
    ({"quantiles": (1.0, 2.0)}, "as many quantiles"),
    ({"quantiles": (1.0, float("nan"), 3.0)}, "finite"),
    ({"images": 0}, "how many images"),
])
def test_a_broken_reference_is_refused_with_a_reason(tmp_path, change, words):
    manifest = load_manifest(install_model(tmp_path, "tiny", kind="score", score_rule="linear", outputs=1))
    reference = replace(ScoreReference((0.1, 0.5, 0.9), (1.0, 2.0, 3.0), images=10), **change)
    with pytest.raises(ContractError, match=words):
        validate(replace(manifest, score_reference=reference))


def test_a_reference_needs_a_score(tmp_path):
    manifest = load_manifest(install_model(tmp_path, "emb", task="embedding", kind="embedding", score_rule="none"))
    with pytest.raises(ContractError, match="score rule is 'none'"):
        validate(replace(manifest, score_reference=REFERENCE))


def test_the_shipped_quality_model_carries_its_reference_and_uses_the_range():
    manifest = load_manifest(shipped_models_dir() / "quality_ranker.json", check_hash=False)
    reference = manifest.score_reference
    assert reference is not None and reference.images > 100
    scale = scale_of(manifest)
    median = reference.quantiles[reference.probabilities.index(0.5)]
    assert scale.percent(median) == pytest.approx(50.0)
    assert scale.percent(reference.quantiles[0]) < 5 and scale.percent(reference.quantiles[-1]) > 95


def _analysis(score: float | None, model: str = "q", sha: str = "abc") -> PhotoAnalysis:
    rows = (ScoreRow("technical", model, sha, score, [score]),) if score is not None else ()
    return PhotoAnalysis(photo_id=1, status="ok", error_reason=None, error_message=None, model_set="s",
                         sort_score=score, sort_task="technical" if score is not None else None, scores=rows, cues=None,
                         blurry=None, blur_reason=None, sharpness_region=None, faces=(), eyes_closed=None,
                         eyes_closed_confidence=None, burst=None, provider="CPU", analysed_at=0.0)


def test_a_photos_score_is_placed_by_the_scale_of_the_model_that_gave_it():
    scales = {("q", "abc"): ScoreScale.from_reference(REFERENCE)}
    assert sort_score_of(_analysis(4.0), scales) == (50.0, 4.0)
    assert sort_score_of(_analysis(5.5, sha="other"), scales) == (50.0, 5.5), "another file: the fallback"
    assert sort_score_of(_analysis(None), scales) == (None, None) and sort_score_of(None, scales) == (None, None)
    insight = insight_of(_analysis(6.0), scales)
    assert (insight.score, insight.raw_score) == (75.0, 6.0)


def test_personal_scores_become_a_rank_on_0_to_100():
    assert [personal_percent(s) for s in (1.0, 5.5, 10.0, None)] == [0.0, 50.0, 100.0, None]


def test_the_words_name_no_model_and_say_how_to_add_an_aesthetic_one():
    technical = sort_explanation("score", "technical")
    assert "image quality" in technical and technical.endswith(add_aesthetic_hint())
    assert paths.user_models_dir().name in add_aesthetic_hint() and len(technical) - len(str(paths.user_models_dir())) < 140
    assert "quality_ranker" not in technical and "manifest" not in technical
    assert "add an aesthetic model" not in sort_explanation("score", "aesthetic")
    assert "personal score" in sort_explanation("personal", "technical", personal_on=True)
    assert sort_explanation("time", "technical") == ""
    line = personal_model_line({"active": True, "decisions": 212, "personal": {"pairwise_accuracy": 0.71},
                                "generic": {"pairwise_accuracy": 0.58}})
    assert line == ("Personal model: on; trained on 212 decisions; it chose as you did in 71% of held-out choices "
                    "(the generic score: 58%).")
    assert "off" in personal_model_line(None)
    assert personal_model_line({"active": False, "decisions": 40}) == (
        "Personal model: off (it did not beat the generic score); trained on 40 decisions.")


def test_the_place_in_the_shoot_runs_from_0_to_100_and_ties_share_it():
    ranks = shoot_ranks({1: (10.0, 1.0), 2: (50.0, 4.0), 3: (50.0, 4.0), 4: (90.0, 8.0), 5: (90.0, 7.0)})
    assert ranks == {1: 0.0, 2: 37.5, 3: 37.5, 5: 75.0, 4: 100.0}, "the raw score parts equal 0..100 scores"
    assert shoot_ranks({7: (3.0, 1.0)}) == {7: 100.0} and shoot_ranks({}) == {}
