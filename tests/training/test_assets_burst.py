"""The shipped burst ranker: a per-frame head of the shared MobileNetV2 file; it prefers the undamaged frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.analysis.modelset import PairwiseModel, load_model_set
from engine.inference.registry import discover
from engine.inference.runtime import RuntimeSettings
from tests.helpers.shipped_mobilenets import check_manifest, photo, shipped
from training.assets.burst_ranker import export_pairwise, pair_probability
from training.distortions import distort
from training.models.distortion_ranker import DistortionRanker
from training.models.shared_trunk import BURST_OUTPUT
from training.models.siamese import SiameseRanker

NAME = "burst_ranker"


@pytest.fixture(scope="module")
def prefer_first():
    return pair_probability(shipped(NAME))


@pytest.fixture(scope="module")
def frames():
    """Two 'burst frames': the same photo reframed by a few pixels; the second one blurred or noisy."""
    chelsea = photo("chelsea")
    first, second = chelsea[:-12, :-16], chelsea[12:, 16:]
    return first, [distort(second, "gaussian_blur", 2), distort(second, "gaussian_noise", 2, seed=4)]


def test_manifest_is_a_frame_score_head_of_the_shared_file():
    manifest = check_manifest(NAME)
    assert (manifest.task, manifest.output.kind, manifest.output.output_name) == ("pairwise", "frame_score", BURST_OUTPUT)
    assert manifest.onnx_file == check_manifest("quality_ranker").onnx_file
    assert manifest.input == check_manifest("quality_ranker").input  # one preprocessed batch feeds all heads
    assert [i.name for i in shipped(NAME).session.session.get_inputs()] == ["input"]


def test_prefers_the_untouched_frame(prefer_first, frames):
    first, damaged = frames
    assert np.all(prefer_first([first] * len(damaged), damaged) > 0.5)


def test_swapping_the_order_gives_the_complement(prefer_first, frames):
    first, damaged = frames
    forward = prefer_first([first] * len(damaged), damaged)
    backward = prefer_first(damaged, [first] * len(damaged))
    np.testing.assert_allclose(forward + backward, 1.0, atol=1e-6)
    np.testing.assert_allclose(prefer_first([first], [first]), 0.5, atol=1e-6)


def test_the_two_input_export_is_still_a_pair_logit_model_the_app_runs_on_pairs(tmp_path):
    """export_pairwise (kept for rankers that do not share the frozen blocks): the engine opens it as a pair model."""
    torch.manual_seed(0)
    export_pairwise(SiameseRanker(DistortionRanker(tone=True)).eval(), tmp_path, {"command": "test"}, name="pairs")
    models = load_model_set(discover(tmp_path / "none", tmp_path), RuntimeSettings(threads=1))
    assert isinstance(models.pairwise, PairwiseModel) and models.frame_ranker is None, models.refused
    assert models.pairwise.installed.manifest.output.kind == "pair_logit"
