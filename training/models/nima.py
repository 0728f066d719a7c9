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

from typing import Mapping

import torch
from torch import nn

from training.models.registry import register_model

NUM_BINS = 10
TIMM_PREFIX = "timm/"


class NIMA(nn.Module):
    """Returns (N,10) probabilities over the scores 1..10."""

    def __init__(self, backbone: str = "mobilenet_v2", dropout: float = 0.75) -> None:
        super().__init__()
        self.backbone_name = backbone
        self.backbone, features, self._dropped_keys = _headless_backbone(backbone)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(features, NUM_BINS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head(self.backbone(x)), dim=1)

    def load_backbone_weights(self, state_dict: Mapping[str, torch.Tensor]) -> str:
        """Load an ImageNet weight file of the same backbone, strictly, ignoring only its classifier."""
        kept = {k: v for k, v in state_dict.items() if k not in self._dropped_keys}
        missing_classifier = self._dropped_keys - set(state_dict)
        if missing_classifier:
            raise ValueError(
                f"not a {self.backbone_name} ImageNet file: its classifier {sorted(missing_classifier)} is absent"
            )
        self.backbone.load_state_dict(kept, strict=True)
        return "backbone"


def _headless_backbone(name: str) -> tuple[nn.Module, int, frozenset[str]]:
    """Build the backbone with random weights and no classifier.

    Returns the module, its pooled feature size, and the state_dict keys that the
    removed classifier had (a pretrained file carries them; loading skips exactly those).
    """
    if name.startswith(TIMM_PREFIX):
        import timm

        model = timm.create_model(name.removeprefix(TIMM_PREFIX), pretrained=False)
        classifier_keys = frozenset(k for k in model.state_dict() if k.startswith(model.default_cfg["classifier"] + "."))
        model.reset_classifier(0)
        features = getattr(model, "head_hidden_size", None) or model.num_features  # MobileNetV3: after conv_head
        return model, features, classifier_keys

    import torchvision

    model = torchvision.models.get_model(name, weights=None)
    before = set(model.state_dict())
    features = _remove_final_linear(model)
    return model, features, frozenset(before - set(model.state_dict()))


def _remove_final_linear(model: nn.Module) -> int:
    """Replace the model's last Linear (or a Dropout+Linear classifier) by Identity; return its in_features."""
    linears = [(name, module) for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no Linear classifier to replace")
    name, linear = linears[-1]
    parent_name, _, attribute = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    if isinstance(parent, nn.Sequential) and parent_name and "." not in parent_name:
        others = [m for m in parent if m is not linear]
        if all(isinstance(m, nn.Dropout) for m in others):
            setattr(model, parent_name, nn.Identity())
            return linear.in_features
    setattr(parent, attribute, nn.Identity())
    return linear.in_features


@register_model("nima")
def nima(backbone: str = "mobilenet_v2", dropout: float = 0.75) -> NIMA:
    """NIMA with a torchvision (``"resnet50"``) or timm (``"timm/efficientnet_b0"``) backbone."""
    return NIMA(backbone=backbone, dropout=dropout)
