"""Backbones in the exact layouts of released weight files.

* :class:`TonylinsMobileNetV2` — MobileNetV2 as in tonylins/pytorch-mobilenet-v2's
  first release, which TANet (and the PyTorch NIMA port whose ``mobilenetv2.pth.tar``
  TANet uses) builds on. It differs from torchvision's MobileNetV2: the t=1 block
  keeps its 1×1 expansion conv (32→32, +1,088 parameters), the classifier is
  ``Sequential(Dropout, Linear)`` and the pooling is a fixed ``AvgPool2d(7)``, so
  the input must be 224×224. torchvision's class cannot load that file, hence this one.
* :func:`places365_resnet18` — torchvision's ResNet-18 with the 365-way classifier
  of the CSAIL Places365 release (``resnet18_places365.pth.tar``).

Both are written from the architecture description (docs/models.md#tanet), not copied.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torchvision.models import resnet18

#: (expansion t, output channels c, repeats n, first stride s) of MobileNetV2, width 1.0.
MOBILENETV2_BLOCKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
MOBILENETV2_FEATURES = 1280
PLACES365_CLASSES = 365


def _conv_bn_relu(inp: int, out: int, kernel: int, stride: int, activation: type[nn.Module]) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inp, out, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(out),
        activation(inplace=True),
    )


class InvertedResidual(nn.Module):
    """Expand (1×1) → depthwise 3×3 → project (1×1), with a skip when shapes allow.

    The expansion conv is present even when t=1 (the tonylins layout): its weights
    are part of the released file.
    """

    def __init__(self, inp: int, out: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = inp * expansion
        self.use_residual = stride == 1 and inp == out
        self.conv = nn.Sequential(
            nn.Conv2d(inp, hidden, 1, 1, 0, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, out, 1, 1, 0, bias=False),
            nn.BatchNorm2d(out),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class TonylinsMobileNetV2(nn.Module):
    """MobileNetV2 (width 1.0) whose ``state_dict`` keys match ``mobilenetv2.pth.tar``.

    Keys: ``features.0.*`` (stem), ``features.1..17.conv.*`` (blocks),
    ``features.18.*`` (1×1 to 1280), ``classifier.1.*`` (the ImageNet fc).
    """

    def __init__(self, num_classes: int = 1000, input_size: int = 224) -> None:
        super().__init__()
        if input_size % 32:
            raise ValueError("MobileNetV2 input size must be a multiple of 32")
        layers: list[nn.Module] = [_conv_bn_relu(3, 32, 3, 2, nn.ReLU)]
        channels = 32
        for expansion, out, repeats, stride in MOBILENETV2_BLOCKS:
            for index in range(repeats):
                layers.append(InvertedResidual(channels, out, stride if index == 0 else 1, expansion))
                channels = out
        layers.append(_conv_bn_relu(channels, MOBILENETV2_FEATURES, 1, 1, nn.ReLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AvgPool2d(input_size // 32)
        self.classifier = nn.Sequential(nn.Dropout(), nn.Linear(MOBILENETV2_FEATURES, num_classes))
        self._initialise()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))

    def _initialise(self) -> None:
        """The release's initialisation (He-normal convs by fan-out, N(0, 0.01) linear), so
        training from scratch starts where the original did."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                fan_out = module.kernel_size[0] * module.kernel_size[1] * module.out_channels
                nn.init.normal_(module.weight, 0.0, math.sqrt(2.0 / fan_out))
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0.0, 0.01)
                nn.init.zeros_(module.bias)


def places365_resnet18() -> nn.Module:
    """torchvision ResNet-18 with a 365-way fc: the layout of ``resnet18_places365.pth.tar``."""
    return resnet18(weights=None, num_classes=PLACES365_CLASSES)
