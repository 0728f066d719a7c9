"""The builder step that measures a scoring model's reference distribution and stores it in the manifest."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from engine.inference.contract import load_manifest
from engine.inference.score_scale import scale_of
from tests.helpers.onnx_factory import install_model
from training.assets.score_reference import PROBABILITIES, build, reference_images, reference_of, store_reference
from training.distortions import DEFECTS


def test_every_photo_comes_untouched_then_with_each_defect_at_each_level():
    photos = [np.full((24, 32, 3), 120, np.uint8), np.full((24, 32, 3), 60, np.uint8)]
    images = list(reference_images(photos, max_level=2))
    assert len(images) == 2 * (1 + 2 * len(DEFECTS))
    assert np.array_equal(images[0], photos[0]) and np.array_equal(images[1 + 2 * len(DEFECTS)], photos[1])


def test_quantiles_are_the_scores_at_the_stored_probabilities():
    scores = np.arange(1001, dtype=float) / 100   # 0.00 .. 10.00, uniform
    reference = reference_of(scores, "uniform")
    assert reference.images == 1001 and reference.probabilities == PROBABILITIES
    assert reference.quantiles == pytest.approx([10 * p for p in PROBABILITIES], abs=1e-9)


def test_the_reference_is_stored_without_touching_the_rest_of_the_manifest(tmp_path):
    path = install_model(tmp_path, "tiny", kind="score", score_rule="linear", outputs=1)
    before = json.loads(path.read_text())
    before.pop("score_reference")
    store_reference(path, reference_of(np.linspace(2, 9, 300), "test"), {"command": "test"})
    after = json.loads(path.read_text())
    assert after.pop("score_reference")["images"] == 300 and after["provenance"].pop("score_reference")
    assert after == {**before, "provenance": before.get("provenance", {})}
    assert scale_of(load_manifest(path)).percent(5.5) == pytest.approx(50.0, abs=0.5)


def test_build_measures_the_model_on_the_named_reference_photos(tmp_path):
    from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in TRAIN_PHOTOS + HELDOUT_PHOTOS:
        Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(photos / name)
    Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(photos / "research_only.jpg")
    path = install_model(tmp_path / "models", "tiny", kind="score", score_rule="linear", outputs=1)
    reference = build(path, photos, max_level=1)
    stored = json.loads(path.read_text())["provenance"]["score_reference"]
    assert reference.images == 31 * (1 + len(DEFECTS)) and "research_only.jpg" not in stored["photos"]["files"]
    assert len(stored["photos"]["files"]) == 31 and load_manifest(path).score_reference == reference
