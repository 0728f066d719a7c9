"""Image embedding for near-duplicate grouping and personalization: pooled ImageNet MobileNetV2 features.

(N,3,H,W) normalised → (N,1280), L2-normalised inside the graph so a dot product
is the cosine similarity. No training: the ImageNet features already put two
frames of one scene close together, and a generic (not quality-tuned) space is
what a personalization head wants to learn on.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from training.models.distortion_ranker import MobileNetV2Trunk
from training.models.registry import register_model


class Embedding(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = MobileNetV2Trunk()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.trunk(x), dim=1)


@register_model("mobilenetv2_embedding")
def mobilenetv2_embedding() -> Embedding:
    return Embedding()
