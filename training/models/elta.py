"""ELTA's model: any backbone's pooled features → ELTA's heads, with TFA mixing inside the forward.

docs/models.md#elta: the authors use timm ``swinv2_base_window8_256`` (256×256 input,
1024 pooled features) with two heads that always exist in the ``state_dict``
(names as released):

* ``linear_emd``: Linear(D→64) → ReLU → Linear(64→10), softmax → (N,10) probabilities;
* ``linear_mse``: Dropout(0.75) → Linear(D→1) → Sigmoid → (N,1) score/10.

``head`` picks which one the forward uses. The backbone is any torchvision or
``timm/`` model the package builds headless (:func:`training.models.headless.headless_backbone`),
or ``"eat"`` / ``"eat/<config>"``: EAT's DAT (interest points and offset gating,
per-image ``deployable`` mode) up to its pooled features, so the ELTA enhancers
work with every backbone here. Pretrained weights come only from local files
(``load_backbone_weights``: the backbone's ImageNet file, ``dat_base_in1k_224.pth``
for EAT); nothing is downloaded.

``forward(x)`` returns the head output. ``forward(x, mix=plan)`` (training with
:mod:`training.elta`) appends the plan's mixed feature rows before the head and
returns ``(outputs, features)`` for the B + pairs rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from training.elta.tfa import MixPlan
from training.models.eat import EAT
from training.models.headless import headless_backbone, load_imagenet_file
from training.models.registry import register_model

HEADS = ("emd", "mse")
EMD_HIDDEN = 64
NUM_BINS = 10
EAT_BACKBONE = "eat"


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
        """Load the backbone's ImageNet file strictly, ignoring only its classifier.

        A backbone with its own loader (EAT: DAT file, classifier and interest-point
        convs handled there) decides; the returned branch name is ``backbone`` either way.
        """
        own_loader = getattr(self.backbone, "load_backbone_weights", None)
        if own_loader is not None:
            own_loader(state_dict)
        else:
            load_imagenet_file(self.backbone, self._classifier_keys, self.backbone_name, state_dict)
        return "backbone"


def eat_backbone(config: str = "base") -> tuple[EAT, int]:
    """EAT (deployable mode: per-image interest points) without its head: (N,3,H,W) → (N, C) pooled features."""
    model = EAT(variant="ava", mode="deployable", config=config)
    model.cls_head = nn.Identity()
    return model, model.config.dims[-1]


@register_model("elta")
def elta(backbone: str = "timm/swinv2_base_window8_256", head: str = "emd") -> ELTAModel:
    """ELTA heads on a headless torchvision (``"resnet50"``), timm (``"timm/..."``) or EAT
    (``"eat"`` = DAT-Base 224, ``"eat/tiny"``) backbone."""
    if backbone == EAT_BACKBONE or backbone.startswith(EAT_BACKBONE + "/"):
        module, features = eat_backbone(backbone.partition("/")[2] or "base")
        return ELTAModel(module, features, head, frozenset(), backbone)
    module, features, classifier_keys = headless_backbone(backbone)
    return ELTAModel(module, features, head, classifier_keys, backbone)
