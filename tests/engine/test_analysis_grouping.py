"""Bursts after analysis: the burst ranker's pairs, their cache, sensitivity, and what the ranks say."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.analysis import grouping, modelset, pipeline, read_analyses, regroup_library
from engine.analysis.bursts import MOBILENETV2_SCALE
from engine.analysis.modelset import DESCRIPTOR_LOOKS, look_space
from engine.config import paths
from engine.inference.registry import discover, inspect_model, shipped_models_dir
from engine.inference.runtime import RuntimeSettings
from engine.library.catalog import Catalog
from engine.library.scan import scan_library
from tests.helpers.analysis_library import (
    analyze,
    burst_library,
    install_frame_score,
    install_pairwise,
    install_scorer,
    registry_for_tests,
)
from tests.helpers.onnx_factory import install_model


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = burst_library(tmp_path / "library")
    scan_library(root, workers=1)
    install_scorer(paths.user_models_dir())
    install_pairwise(paths.user_models_dir())
    return root


def frames(catalog: Catalog) -> list[int]:
    return [catalog.photo_by_path(f"burst/frame_{i}.jpg").id for i in (1, 2, 3)]


def test_the_burst_ranker_compares_each_pair_once_and_its_preference_is_a_reason(library: Path):
    report = analyze(library)
    assert "pairwise: tiny_burst_ranker" in report.models and (report.groups, report.grouped_photos) == (1, 3)
    with Catalog.open(library) as catalog:
        ids = frames(catalog)
        pairs = catalog.conn.execute("SELECT first_id, second_id, probability FROM pair_scores").fetchall()
        results = read_analyses(catalog)
    stored = {(a, b): p for a, b, p in pairs}   # P(first beats second), stored once per pair in either order
    assert sorted(tuple(sorted(pair)) for pair in stored) == sorted(tuple(sorted(p)) for p in combinations(ids, 2))

    def beats(first: int, second: int) -> float:
        return stored[(first, second)] if (first, second) in stored else 1.0 - stored[(second, first)]

    assert beats(ids[0], ids[1]) > 0.5 > beats(ids[1], ids[2]), "sharp frames beat the blurred one"
    best = [results[i].burst for i in ids if results[i].burst.is_best]
    assert len(best) == 1 and "#1 is the cleaner frame" in results[ids[1]].burst.reasons


def test_regrouping_at_another_sensitivity_reuses_cached_pairs(library: Path):
    analyze(library)
    again = regroup_library(library, sensitivity=0.8, registry=registry_for_tests())
    assert again is not None and again.compared_pairs == 0 and again.groups == 1
    with Catalog.open(library) as catalog:
        catalog.conn.execute("DELETE FROM pair_scores")
    fresh = regroup_library(library, sensitivity=0.8, registry=registry_for_tests())
    assert fresh is not None and fresh.compared_pairs == 3, "without the cache the ranker runs again"
    strict = regroup_library(library, sensitivity=0.0, registry=registry_for_tests())
    with Catalog.open(library) as catalog:
        sensitivity = catalog.conn.execute("SELECT value FROM meta WHERE key = 'analysis.burst_sensitivity'").fetchone()
    assert strict is not None and strict.groups <= again.groups and sensitivity[0] == "0.0"


def test_reanalysing_a_photo_drops_its_cached_pairs(library: Path):
    analyze(library)
    first = library / "burst" / "frame_1.jpg"
    first.write_bytes(first.read_bytes())  # same pixels, new mtime: a changed file
    scan_library(library, workers=1)
    with Catalog.open(library) as catalog:
        photo_id = frames(catalog)[0]
    report = analyze(library)
    assert report.analysed == 1
    with Catalog.open(library) as catalog:
        rows = catalog.conn.execute("SELECT COUNT(*) FROM pair_scores WHERE first_id = ? OR second_id = ?",
                                    (photo_id, photo_id)).fetchone()[0]
    assert rows == 2, "its two pairs were compared again, not kept stale or duplicated"


def test_singles_are_their_own_best_group(library: Path):
    analyze(library)
    with Catalog.open(library) as catalog:
        coffee = read_analyses(catalog)[catalog.photo_by_path("coffee.jpg").id].burst
    assert coffee is not None and (coffee.kind, coffee.size, coffee.rank, coffee.is_best) == ("single", 1, 1, True)


def test_look_space_uses_a_calibrated_embedding_and_falls_back_to_the_descriptor(tmp_path: Path):
    def embedding(name: str):
        return inspect_model(install_model(tmp_path, name, task="embedding", kind="embedding", score_rule="none"))

    assert look_space(embedding("embedding_mobilenetv2")).scale == MOBILENETV2_SCALE
    assert look_space(embedding("uncalibrated_embedding")) == DESCRIPTOR_LOOKS
    assert look_space(None) == DESCRIPTOR_LOOKS
    manifest_path = tmp_path / "uncalibrated_embedding.json"
    raw = json.loads(manifest_path.read_text())
    raw["provenance"]["similarity_scale"] = {"strict_cosine": 0.99, "loose_cosine": 0.5}
    manifest_path.write_text(json.dumps(raw))
    looks = look_space(inspect_model(manifest_path))
    assert looks.model == "uncalibrated_embedding" and looks.scale.threshold(0.5) == pytest.approx(0.745)


def test_analysis_groups_bursts_with_the_shipped_embedding(library: Path, monkeypatch):
    manifest = shipped_models_dir() / "embedding_mobilenetv2.json"
    for name in (manifest.name, json.loads(manifest.read_text())["onnx_file"]):  # the file may be shared
        (paths.user_models_dir() / name).symlink_to(shipped_models_dir() / name)
    used = []
    real_regroup = pipeline.regroup
    monkeypatch.setattr(pipeline, "regroup", lambda catalog, **kw: used.append(kw["looks"]) or real_regroup(catalog, **kw))
    report = analyze(library)
    assert [looks.scale for looks in used] == [MOBILENETV2_SCALE] and (report.groups, report.grouped_photos) == (1, 3)
    with Catalog.open(library) as catalog:
        bursts = {read_analyses(catalog)[i].burst.group_id for i in frames(catalog)}
        looks = {row[0] for row in catalog.conn.execute("SELECT DISTINCT model FROM photo_embeddings")}
    assert len(bursts) == 1
    assert looks == {"embedding_mobilenetv2"}, "with a calibrated embedding the fallback descriptor is not computed"


def test_grouping_after_the_pass_reuses_its_ranker_inputs_and_gets_what_a_fresh_decode_gets(library: Path, monkeypatch):
    decoded = []
    real_decode = grouping.analysis_image
    monkeypatch.setattr(grouping, "analysis_image", lambda path, *a: decoded.append(path) or real_decode(path, *a))
    analyze(library)
    assert decoded == [], "burst members were kept from the per-photo pass, not decoded again"
    with Catalog.open(library) as catalog:
        kept = dict(((a, b), p) for a, b, p in catalog.conn.execute("SELECT first_id, second_id, probability FROM pair_scores"))
        catalog.conn.execute("DELETE FROM pair_scores")
    regroup_library(library, registry=registry_for_tests())
    assert len(decoded) == 3
    with Catalog.open(library) as catalog:
        fresh = dict(((a, b), p) for a, b, p in catalog.conn.execute("SELECT first_id, second_id, probability FROM pair_scores"))
    assert fresh.keys() == kept.keys() and all(fresh[k] == pytest.approx(kept[k], abs=1e-6) for k in kept)


def test_kept_images_stop_at_their_memory_budget():
    store = grouping.KeptImages(budget_bytes=2 * 16 * 16 * 3)
    for photo_id in range(3):
        store.keep(photo_id, Image.new("RGB", (16, 16)))
    assert len(store) == 2 and store.get(2) is None and store.get(1) is not None


def _ranks(catalog: Catalog) -> dict[int, tuple[int, bool, float]]:
    """Rank, best flag and score (to 2 decimals: the two graphs round differently in the last bits) per photo."""
    return {pid: (a.burst.rank, a.burst.is_best, round(a.burst.score, 2)) for pid, a in read_analyses(catalog).items()}


def test_a_frame_score_ranker_ranks_like_the_pair_ranker_without_running_pairs(library: Path, monkeypatch):
    analyze(library)
    with Catalog.open(library) as catalog:
        by_pairs = _ranks(catalog)
        pair_probability = {(a, b): p for a, b, p in catalog.conn.execute(
            "SELECT first_id, second_id, probability FROM pair_scores")}
    (paths.user_models_dir() / "tiny_burst_ranker.json").unlink()
    install_frame_score(paths.user_models_dir())
    kept_images = []
    real_prepare = pipeline.prepare_photo
    monkeypatch.setattr(pipeline, "prepare_photo",
                        lambda *a: (lambda p: kept_images.append(p.ranker_image) or p)(real_prepare(*a)))
    monkeypatch.setattr(grouping, "analysis_image", lambda *a, **k: pytest.fail("grouping decoded a photo"))
    report = analyze(library)
    assert "pairwise: tiny_frame_ranker" in report.models and report.analysed == 5, "a new ranker: analysed again"
    assert kept_images and all(image is None for image in kept_images), "no ranker image kept"
    with Catalog.open(library) as catalog:
        assert _ranks(catalog) == by_pairs
        scores = dict(catalog.conn.execute("SELECT photo_id, score FROM photo_scores WHERE task = 'pairwise'"))
        assert catalog.conn.execute("SELECT COUNT(*) FROM pair_scores").fetchone()[0] == 0, "no pairs run or cached"
    assert len(scores) == 5
    for (a, b), p in pair_probability.items():
        assert 1.0 / (1.0 + np.exp(scores[b] - scores[a])) == pytest.approx(p, abs=1e-5)


def test_regrouping_with_a_frame_score_ranker_loads_no_model(library: Path, monkeypatch):
    (paths.user_models_dir() / "tiny_burst_ranker.json").unlink()
    install_frame_score(paths.user_models_dir())
    analyze(library)
    with Catalog.open(library) as catalog:
        ranks = _ranks(catalog)
        catalog.conn.execute("DELETE FROM bursts")
    monkeypatch.setattr(modelset, "create_session", lambda *a, **k: pytest.fail("a model was opened"))
    summary = regroup_library(library, sensitivity=0.5, registry=registry_for_tests())
    assert summary is not None and (summary.groups, summary.grouped_photos, summary.compared_pairs) == (1, 3, 0)
    with Catalog.open(library) as catalog:
        assert _ranks(catalog) == ranks


def test_a_two_input_graph_declared_frame_score_is_refused_at_its_test_run(tmp_path: Path):
    manifest_path = install_pairwise(tmp_path / "models", name="mislabelled")
    raw = json.loads(manifest_path.read_text())
    raw["output"]["kind"] = "frame_score"
    manifest_path.write_text(json.dumps(raw))
    models = modelset.load_model_set(discover(tmp_path / "none", tmp_path / "models"), RuntimeSettings(threads=1))
    assert models.frame_ranker is None and models.pairwise is None
    assert any("mislabelled" in reason and "failed its test run" in reason for reason in models.refused)
