"""One MobileNetV2 pass for two tasks: technical quality and the image embedding.

The quality ranker learns only its last blocks (``features[trainable_from:]``) and
keeps the earlier ones at their ImageNet weights — exactly the blocks the
embedding uses unchanged. So the app need not run those blocks twice: this graph
computes ``features[:trainable_from]`` once, then branches into

* the fine-tuned tail + the ranker's head → ``quality`` (N,1), and
* the ImageNet tail + average pooling + L2 normalisation → ``embedding`` (N,1280).

Both branches give exactly what the separate models give (the builder checks it),
so two manifests can name this one ONNX file, each with its ``output_name``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from training.models.distortion_ranker import DistortionRanker
from training.models.embedding import Embedding

QUALITY_OUTPUT, EMBEDDING_OUTPUT = "quality", "embedding"
OUTPUT_NAMES = (QUALITY_OUTPUT, EMBEDDING_OUTPUT)


class QualityAndEmbedding(nn.Module):
    """(N,3,H,W) normalised photos → (quality (N,1), embedding (N,1280), unit length)."""

    def __init__(self, ranker: DistortionRanker, embedding: Embedding) -> None:
        super().__init__()
        split = ranker.trainable_from
        shared, frozen = embedding.trunk.features[:split], ranker.trunk.features[:split]
        if not _same_weights(shared, frozen):
            raise ValueError(f"the ranker's blocks 0..{split - 1} differ from the embedding's: they cannot be shared")
        self.shared = shared
        self.embedding_tail = embedding.trunk.features[split:]
        self.ranker = ranker  # only its tail, tone statistics and head run here (see forward)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shared = self.shared(x)
        quality = self.ranker.score_frozen(shared, self.ranker.tone_features(x))
        embedding = F.normalize(self.embedding_tail(shared).mean(dim=(2, 3)), dim=1)
        return quality, embedding


def _same_weights(first: nn.Module, second: nn.Module) -> bool:
    """Parameters *and* BatchNorm statistics equal, key by key."""
    a, b = first.state_dict(), second.state_dict()
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)
