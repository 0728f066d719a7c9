"""One ONNX file, two tasks: the quality ranker and the embedding share MobileNetV2's frozen ImageNet blocks."""

from __future__ import annotations

import pytest
import torch

from shipped_mobilenets import check_manifest, shipped
from training.models.distortion_ranker import DistortionRanker
from training.models.embedding import Embedding
from training.models.shared_trunk import OUTPUT_NAMES, QualityAndEmbedding


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


def test_refuses_to_share_blocks_that_differ():
    ranker, embedding = _separate_models()
    with torch.no_grad():
        embedding.trunk.features[3].conv[0][0].weight.add_(0.01)
    with pytest.raises(ValueError, match="cannot be shared"):
        QualityAndEmbedding(ranker, embedding)


def test_both_shipped_manifests_name_one_file_and_their_own_output():
    quality, embedding = check_manifest("quality_ranker"), check_manifest("embedding_mobilenetv2")
    assert quality.onnx_file == embedding.onnx_file
    assert (quality.output.output_name, embedding.output.output_name) == OUTPUT_NAMES
    graph_outputs = [o.name for o in shipped("quality_ranker").session.session.get_outputs()]
    assert graph_outputs == list(OUTPUT_NAMES)
    assert quality.input == embedding.input  # one preprocessed batch feeds both
