"""ImageNet backbones without their classifier, and loading their ImageNet files strictly.

NIMA, RankIQA and ELTA all put a new head on a standard ImageNet backbone named
``"<torchvision name>"`` (e.g. ``mobilenet_v2``) or ``"timm/<timm name>"``.
The backbone is built with random weights (nothing is downloaded); its
pretrained weights come from a local release file (``--backbone-weights``),
which still carries the classifier that was removed here: loading skips exactly
those keys and is strict about every other one, so a file of another backbone
is refused instead of half-loaded.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

TIMM_PREFIX = "timm/"


def headless_backbone(name: str) -> tuple[nn.Module, int, frozenset[str]]:
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


def load_imagenet_file(backbone: nn.Module, classifier_keys: frozenset[str], name: str,
                       state_dict: Mapping[str, torch.Tensor]) -> None:
    """Load ``name``'s ImageNet ``state_dict`` into the headless ``backbone``, strictly but for the classifier."""
    absent = classifier_keys - set(state_dict)
    if absent:
        raise ValueError(f"not a {name} ImageNet file: its classifier {sorted(absent)} is absent")
    backbone.load_state_dict({k: v for k, v in state_dict.items() if k not in classifier_keys}, strict=True)


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
