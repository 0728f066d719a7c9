"""NIMA (Talebi & Milanfar, TIP 2018): any ImageNet backbone → Dropout(0.75) → FC(10) → softmax.

The backbone is named as ``"<torchvision name>"`` (e.g. ``mobilenet_v2``,
``resnet50``) or ``"timm/<timm name>"``. torchvision is the default because the
ImageNet weights available offline are torchvision's release files
(``mobilenet_v2-b0353104.pth``), and a torchvision model loads them with strict
key matching. The backbone's own classifier is removed: its final Linear goes,
and with it the classifier's dropout when that is all that remains (torchvision's
MobileNetV2 ``Dropout(0.2)``), so the head is the paper's alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from training.models.headless import headless_backbone, load_imagenet_file
from training.models.registry import register_model

NUM_BINS = 10


class NIMA(nn.Module):
    """Returns (N,10) probabilities over the scores 1..10."""

    def __init__(self, backbone: str = "mobilenet_v2", dropout: float = 0.75) -> None:
        super().__init__()
        self.backbone_name = backbone
        self.backbone, features, self._dropped_keys = headless_backbone(backbone)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(features, NUM_BINS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.backbone(x)), dim=1)

    def load_backbone_weights(self, state_dict: Mapping[str, torch.Tensor]) -> str:
        """Load an ImageNet weight file of the same backbone, strictly, ignoring only its classifier."""
        load_imagenet_file(self.backbone, self._dropped_keys, self.backbone_name, state_dict)
        return "backbone"


@register_model("nima")
def nima(backbone: str = "mobilenet_v2", dropout: float = 0.75) -> NIMA:
    """NIMA with a torchvision (``"resnet50"``) or timm (``"timm/efficientnet_b0"``) backbone."""
    return NIMA(backbone=backbone, dropout=dropout)
