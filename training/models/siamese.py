"""Siamese pairwise ranker: P(first photo is better) from one shared scorer (RankIQA / Siamese-NIMA style).

Both photos go through the *same* scorer (one set of weights, stored once in the
exported graph) and the output is the logit ``s(first) − s(second)``. That makes
the model exactly antisymmetric — P(a, b) = 1 − P(b, a), and P(a, a) = ½ — so an
app never gets a contradictory answer when it swaps the order, and it can be
fine-tuned later from a user's burst decisions with a plain pairwise logistic loss.
Because the logit is a difference of per-image scores, the scorer alone can also be
exported and run once per photo (the shipped burst ranker, output kind ``frame_score``).
"""

from __future__ import annotations

import torch
from torch import nn

from training.models.distortion_ranker import DistortionRanker
from training.models.registry import register_model


class SiameseRanker(nn.Module):
    """(first, second), each (N,3,H,W) normalised → (N,1) logit that ``first`` is better."""

    def __init__(self, scorer: nn.Module) -> None:
        super().__init__()
        self.scorer = scorer

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return self.scorer(first) - self.scorer(second)


@register_model("siamese_ranker")
def siamese_ranker(trainable_from: int = 17) -> SiameseRanker:
    """Siamese ranker over a MobileNetV2 :class:`DistortionRanker`."""
    return SiameseRanker(DistortionRanker(trainable_from=trainable_from))
