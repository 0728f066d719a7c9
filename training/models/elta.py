"""ELTA's model: any backbone's pooled features → ELTA's heads, with TFA mixing inside the forward.

MODELS.md §4.1: the authors use timm ``swinv2_base_window8_256`` (256×256 input,
1024 pooled features) with two heads that always exist in the ``state_dict``
(names as released):

* ``linear_emd``: Linear(D→64) → ReLU → Linear(64→10), softmax → (N,10) probabilities;
* ``linear_mse``: Dropout(0.75) → Linear(D→1) → Sigmoid → (N,1) score/10.

``head`` picks which one the forward uses. The backbone is any torchvision or
``timm/`` model the package builds headless (:func:`training.models.nima._headless_backbone`),
so the ELTA enhancers work with every backbone here. Pretrained weights come
only from local files (``load_backbone_weights``); nothing is downloaded.

``forward(x)`` returns the head output. ``forward(x, mix=plan)`` (training with
:mod:`training.elta`) appends the plan's mixed feature rows before the head and
returns ``(outputs, features)`` for the B + pairs rows.
"""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from training.elta.tfa import MixPlan
from training.models.nima import _headless_backbone
from training.models.registry import register_model

HEADS = ("emd", "mse")
EMD_HIDDEN = 64
NUM_BINS = 10


class ELTAModel(nn.Module):
    """Backbone features + ELTA heads; see the module docstring."""

    def __init__(self, backbone: nn.Module, features: int, head: str = "emd",
                 classifier_keys: frozenset[str] = frozenset(), backbone_name: str = "") -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"ELTA head must be one of {HEADS}, not {head!r}")
        self.head, self.backbone_name, self._classifier_keys = head, backbone_name, classifier_keys
        self.backbone = backbone
        self.linear_emd = nn.Sequential(nn.Linear(features, EMD_HIDDEN), nn.ReLU(), nn.Linear(EMD_HIDDEN, NUM_BINS))
        self.linear_mse = nn.Sequential(nn.Dropout(0.75), nn.Linear(features, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor, mix: MixPlan | None = None):
        features = self.backbone(x).flatten(1)
        if mix is not None:
            features = mix.extend(features)
        outputs = torch.softmax(self.linear_emd(features), dim=1) if self.head == "emd" else self.linear_mse(features)
        return outputs if mix is None else (outputs, features)

    def load_backbone_weights(self, state_dict: Mapping[str, torch.Tensor]) -> str:
        """Load the backbone's ImageNet file strictly, ignoring only its classifier."""
        absent = self._classifier_keys - set(state_dict)
        if absent:
            raise ValueError(f"not a {self.backbone_name} ImageNet file: its classifier {sorted(absent)} is absent")
        self.backbone.load_state_dict({k: v for k, v in state_dict.items() if k not in self._classifier_keys})
        return "backbone"


@register_model("elta")
def elta(backbone: str = "timm/swinv2_base_window8_256", head: str = "emd") -> ELTAModel:
    """ELTA heads on a headless torchvision (``"resnet50"``) or timm (``"timm/..."``) backbone."""
    module, features, classifier_keys = _headless_backbone(backbone)
    return ELTAModel(module, features, head, classifier_keys, backbone)
