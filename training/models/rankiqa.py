"""RankIQA.PyTorch's network (docs/models.md#rankiqa): an ImageNet backbone whose classifier is replaced by N outputs.

The repository trains MobileNetV3 / EfficientNet / ResNeSt / torchvision models
with ``fc → Linear(features, num_classes)`` and raw outputs; what they mean
depends on the task, not on the network:

* ``rank`` (N = 1): the loss and the demo read ``sigmoid(output)``;
* ``regress`` (N = 1): the raw output is the MOS;
* ``emd`` (N = 10): the outputs are logits, softmaxed into a distribution.

So the model returns the raw (N, ``num_outputs``) values and the preset says how
to read them. Backbones are named as in :mod:`training.models.headless`
(torchvision by default: its ImageNet release files are what exists offline;
the repository's d-li14 MobileNetV3 files have another key layout).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from training.models.headless import headless_backbone, load_imagenet_file
from training.models.registry import register_model


class RankIQA(nn.Module):
    """(N,3,H,W) normalised → (N, num_outputs) raw outputs."""

    def __init__(self, backbone: str = "mobilenet_v3_large", num_outputs: int = 1) -> None:
        super().__init__()
        if num_outputs < 1:
            raise ValueError(f"RankIQA needs at least one output, not {num_outputs}")
        self.backbone_name = backbone
        self.backbone, features, self._classifier_keys = headless_backbone(backbone)
        self.fc = nn.Linear(features, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.backbone(x).flatten(1))

    def load_backbone_weights(self, state_dict: Mapping[str, torch.Tensor]) -> str:
        """Load the backbone's ImageNet file strictly, ignoring only its classifier."""
        load_imagenet_file(self.backbone, self._classifier_keys, self.backbone_name, state_dict)
        return "backbone"


@register_model("rankiqa")
def rankiqa(backbone: str = "mobilenet_v3_large", num_outputs: int = 1) -> RankIQA:
    """RankIQA.PyTorch model: ``backbone`` (torchvision or ``timm/`` name) + Linear(features → num_outputs)."""
    return RankIQA(backbone=backbone, num_outputs=num_outputs)
