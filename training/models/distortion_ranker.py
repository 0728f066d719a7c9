"""RankIQA-style technical-quality scorer on torchvision's MobileNetV2 (MODELS.md §6.1).

ImageNet MobileNetV2 features → global average *and* max pooling → Linear(2560 → 1):
one score per photo, higher = fewer technical defects. The max pool lets the
head see "some region is sharp" next to "the frame is sharp on average", which is
what tells a shallow depth of field (sharp subject, soft background) from a
blurred photo. RankIQA trains it with a
hinge on the order of synthetic distortion levels of one photo, so only score
*differences* carry meaning; the builder folds a linear calibration into the
final layer so the exported score lands roughly on 1..10 (see
``training.assets.quality``).

``trainable_from`` names the first ``features`` block that learns; the blocks
before it stay frozen *and* run in ``eval`` mode (BatchNorm statistics fixed),
which is what lets a few hundred CPU steps on a couple of dozen photos work.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn
from torchvision.models import mobilenet_v2

from training.models.registry import register_model

MOBILENETV2_FEATURES = 1280


class MobileNetV2Trunk(nn.Module):
    """torchvision's MobileNetV2 ``features`` + global average pooling: (N,3,H,W) → (N,1280)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = mobilenet_v2(weights=None).features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))

    def load_imagenet(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Load torchvision's ImageNet file (``mobilenet_v2-b0353104.pth``) strictly, dropping its classifier."""
        features = {k.removeprefix("features."): v for k, v in state_dict.items() if k.startswith("features.")}
        classifier = {k for k in state_dict if not k.startswith("features.")}
        if classifier != {"classifier.1.weight", "classifier.1.bias"}:
            raise ValueError(f"not torchvision's MobileNetV2 ImageNet file: unexpected keys {sorted(classifier)[:4]}")
        self.features.load_state_dict(features, strict=True)


class DistortionRanker(nn.Module):
    """(N,3,H,W) normalised photos → (N,1) technical-quality score."""

    def __init__(self, trainable_from: int = 17, dropout: float = 0.0) -> None:
        super().__init__()
        self.trunk = MobileNetV2Trunk()
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * MOBILENETV2_FEATURES, 1))
        self.trainable_from = trainable_from
        for block in self.trunk.features[:trainable_from]:
            block.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score_frozen(self.frozen_features(x))

    def frozen_features(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the frozen blocks: constant during training, so a builder may compute it once and cache it."""
        return self.trunk.features[: self.trainable_from](x)

    def score_frozen(self, frozen: torch.Tensor) -> torch.Tensor:
        """Scores from :meth:`frozen_features` through the trainable blocks and the head."""
        maps = self.trunk.features[self.trainable_from :](frozen)
        return self.head(torch.cat([maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))], dim=1))

    def train(self, mode: bool = True) -> "DistortionRanker":
        super().train(mode)
        self.trunk.features[: self.trainable_from].eval()  # frozen blocks keep their ImageNet BN statistics
        return self

    @torch.no_grad()
    def calibrate(self, scale: float, offset: float) -> None:
        """Fold ``score → scale·score + offset`` into the final Linear (exported graph unchanged in shape)."""
        linear = self.head[-1]
        linear.weight.mul_(scale)
        linear.bias.mul_(scale).add_(offset)


@register_model("distortion_ranker")
def distortion_ranker(trainable_from: int = 17, dropout: float = 0.0) -> DistortionRanker:
    """MobileNetV2 quality scorer; blocks ``features[:trainable_from]`` frozen."""
    return DistortionRanker(trainable_from=trainable_from, dropout=dropout)
