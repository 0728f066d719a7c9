"""One MobileNetV2 pass for up to three tasks: technical quality, the image embedding, the burst ranker.

The quality ranker learns only its last blocks (``features[trainable_from:]``) and
keeps the earlier ones at their ImageNet weights — exactly the blocks the
embedding uses unchanged. So the app need not run those blocks twice: this graph
computes ``features[:trainable_from]`` once, then branches into

* the fine-tuned tail + the ranker's head → ``quality`` (N,1), and
* the ImageNet tail + average pooling + L2 normalisation → ``embedding`` (N,1280), and
* optionally the burst ranker's scorer tail + head → ``burst`` (N,1): the per-frame score s of
  the Siamese ranker (P(a better than b) = sigmoid(s_a − s_b)). The burst scorer is fine-tuned
  from the quality ranker's checkpoint with the same frozen blocks, so it too starts from them.

Every branch gives exactly what the separate model gives (the builder checks it),
so several manifests can name this one ONNX file, each with its ``output_name``.
The tone statistics of the input are computed once for both heads that read them.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from training.models.distortion_ranker import DistortionRanker
from training.models.embedding import Embedding

QUALITY_OUTPUT, EMBEDDING_OUTPUT, BURST_OUTPUT = "quality", "embedding", "burst"
OUTPUT_NAMES = (QUALITY_OUTPUT, EMBEDDING_OUTPUT)


class QualityAndEmbedding(nn.Module):
    """(N,3,H,W) normalised photos → (quality (N,1), embedding (N,1280), unit length[, burst score (N,1)])."""

    def __init__(self, ranker: DistortionRanker, embedding: Embedding, burst: DistortionRanker | None = None) -> None:
        super().__init__()
        split = ranker.trainable_from
        shared, frozen = embedding.trunk.features[:split], ranker.trunk.features[:split]
        if not _same_weights(shared, frozen):
            raise ValueError(f"the ranker's blocks 0..{split - 1} differ from the embedding's: they cannot be shared")
        if burst is not None:
            _check_burst_scorer(burst, ranker)
        self.shared = shared
        self.embedding_tail = embedding.trunk.features[split:]
        self.ranker = ranker  # only its tail, tone statistics and head run here (see forward)
        self.burst = burst  # likewise

    @property
    def output_names(self) -> tuple[str, ...]:
        """The graph's outputs, in ``forward``'s order."""
        return OUTPUT_NAMES + ((BURST_OUTPUT,) if self.burst is not None else ())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        shared = self.shared(x)
        tone = self.ranker.tone_features(x)
        quality = self.ranker.score_frozen(shared, tone)
        embedding = F.normalize(self.embedding_tail(shared).mean(dim=(2, 3)), dim=1)
        if self.burst is None:
            return quality, embedding
        return quality, embedding, self.burst.score_frozen(shared, tone if self.burst.tone is not None else None)


def _check_burst_scorer(burst: DistortionRanker, ranker: DistortionRanker) -> None:
    """The burst scorer may share the frozen blocks and the tone statistics only if they are the ranker's."""
    split = ranker.trainable_from
    if burst.trainable_from != split or not _same_weights(burst.trunk.features[:split], ranker.trunk.features[:split]):
        raise ValueError(f"the burst scorer's blocks 0..{split - 1} differ from the ranker's: they cannot be shared")
    if burst.tone is not None and (ranker.tone is None or not torch.equal(burst.tone.levels, ranker.tone.levels)):
        raise ValueError("the burst scorer reads tone statistics the quality ranker does not compute")


def _same_weights(first: nn.Module, second: nn.Module) -> bool:
    """Parameters *and* BatchNorm statistics equal, key by key."""
    a, b = first.state_dict(), second.state_dict()
    return a.keys() == b.keys() and all(torch.equal(a[key], b[key]) for key in a)
