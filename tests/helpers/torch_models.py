"""Helpers for tests of training.models: weights that make outputs far from uniform.

Freshly initialised heads give near-uniform distributions, where any two
computations agree to 1e-7 and a parity or agreement test could not fail. These
helpers give the output layers larger random weights (seeded) so the outputs
move with the input.
"""

from __future__ import annotations

import torch
from torch import nn


def spread_outputs(model: nn.Module, seed: int = 0) -> nn.Module:
    """Re-draw every Linear layer with N(0, 1/sqrt(fan_in)·3) weights; returns the model in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear):
                std = 3.0 / module.in_features**0.5
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * std)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.5)
            elif isinstance(module, nn.PReLU):
                module.weight.fill_(0.1)
    return model.eval()


def images(batch: int, seed: int = 0, size: int = 224) -> torch.Tensor:
    """Normalised-looking random inputs (N,3,size,size) with a per-image colour cast, so images differ."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(batch, 3, size, size, generator=generator) * 0.5
    return noise + torch.randn(batch, 3, 1, 1, generator=generator)


def calibrate_batchnorm(model: nn.Module, inputs: torch.Tensor) -> nn.Module:
    """Set every BatchNorm's running statistics from ``inputs`` (one pass), then return to eval mode.

    With default statistics (mean 0, var 1) a random deep CNN maps every photo to the
    same features; calibrated statistics keep different photos apart, as trained ones do.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average: one pass sets the statistics exactly
    model.train()
    with torch.no_grad():
        model(inputs)
    return model.eval()
