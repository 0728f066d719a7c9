"""One ONNX file, three tasks: the quality ranker, the embedding and the burst ranker share MobileNetV2's frozen
ImageNet blocks."""

from __future__ import annotations

import pytest
import torch

from tests.helpers.shipped_mobilenets import check_manifest, shipped
from training.assets.score_map import MAP_OUTPUT
from training.models.distortion_ranker import DistortionRanker
from training.models.embedding import Embedding
from training.models.shared_trunk import BURST_OUTPUT, OUTPUT_NAMES, QualityAndEmbedding
from training.models.siamese import SiameseRanker


def _separate_models(seed: int = 0) -> tuple[DistortionRanker, Embedding]:
    """A ranker with random weights and an embedding that shares its frozen blocks (but not its tail)."""
    torch.manual_seed(seed)
    ranker, embedding = DistortionRanker(tone=True).eval(), Embedding().eval()
    frozen = {k: v for k, v in ranker.trunk.state_dict().items() if int(k.split(".")[1]) < ranker.trainable_from}
    embedding.trunk.load_state_dict(frozen, strict=False)
    return ranker, embedding


def test_shared_graph_gives_exactly_the_separate_models_outputs():
    ranker, embedding = _separate_models()
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        quality, vectors = QualityAndEmbedding(ranker, embedding)(x)
        torch.testing.assert_close(quality, ranker(x), rtol=0, atol=1e-5)
        torch.testing.assert_close(vectors, embedding(x), rtol=0, atol=1e-6)


def _burst_scorer(ranker: DistortionRanker, seed: int = 1) -> DistortionRanker:
    """A scorer with the ranker's frozen blocks and its own random tail and head (as after fine-tuning)."""
    torch.manual_seed(seed)
    scorer = DistortionRanker(tone=True).eval()
    frozen = {k: v for k, v in ranker.trunk.state_dict().items() if int(k.split(".")[1]) < ranker.trainable_from}
    scorer.trunk.load_state_dict(frozen, strict=False)
    return scorer


def test_the_burst_head_is_exactly_the_siamese_rankers_scorer():
    ranker, embedding = _separate_models()
    scorer = _burst_scorer(ranker)
    model = QualityAndEmbedding(ranker, embedding, scorer).eval()
    first, second = torch.randn(2, 3, 96, 96), torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        quality, _, burst = model(torch.cat([first, second]))
        assert torch.equal(burst, scorer(torch.cat([first, second])))
        torch.testing.assert_close(burst[:2] - burst[2:], SiameseRanker(scorer)(first, second), rtol=0, atol=1e-5)
        torch.testing.assert_close(quality, ranker(torch.cat([first, second])), rtol=0, atol=1e-5)
    assert model.output_names == (*OUTPUT_NAMES, BURST_OUTPUT)


def test_refuses_a_burst_scorer_whose_frozen_blocks_differ():
    ranker, embedding = _separate_models()
    scorer = _burst_scorer(ranker)
    with torch.no_grad():
        scorer.trunk.features[5].conv[0][0].weight.add_(0.01)
    with pytest.raises(ValueError, match="burst scorer"):
        QualityAndEmbedding(ranker, embedding, scorer)


def test_refuses_to_share_blocks_that_differ():
    ranker, embedding = _separate_models()
    with torch.no_grad():
        embedding.trunk.features[3].conv[0][0].weight.add_(0.01)
    with pytest.raises(ValueError, match="cannot be shared"):
        QualityAndEmbedding(ranker, embedding)


def test_the_three_shipped_manifests_name_one_file_and_their_own_output():
    manifests = [check_manifest(name) for name in ("quality_ranker", "embedding_mobilenetv2", "burst_ranker")]
    assert len({m.onnx_file for m in manifests}) == 1
    assert tuple(m.output.output_name for m in manifests) == (*OUTPUT_NAMES, BURST_OUTPUT)
    graph_outputs = [o.name for o in shipped("quality_ranker").session.session.get_outputs()]
    assert graph_outputs == [*OUTPUT_NAMES, BURST_OUTPUT, MAP_OUTPUT]  # the map: training.assets.score_map
    assert len({m.input for m in manifests}) == 1  # one preprocessed batch feeds all three
