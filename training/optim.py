"""Optimisers and per-epoch learning-rate schedules of the reference recipes."""

from __future__ import annotations

import torch
from torch import nn

from training.presets import Preset


def build_optimizer(model: nn.Module, preset: Preset) -> torch.optim.Optimizer:
    """One param group per ``param_group_lr`` prefix (TANet's per-branch rates), the rest at ``lr``.

    Frozen parameters (requires_grad False) are left out, as the reference code's
    frozen Places365 branch receives no gradients anyway.
    """
    groups: dict[str, list[nn.Parameter]] = {prefix: [] for prefix in preset.param_group_lr}
    default: list[nn.Parameter] = []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        prefix = next((p for p in preset.param_group_lr if name.startswith(p)), None)
        (groups[prefix] if prefix is not None else default).append(parameter)
    param_groups = [{"params": default, "lr": preset.lr}] + [
        {"params": params, "lr": preset.param_group_lr[prefix]} for prefix, params in groups.items() if params
    ]
    if preset.optimizer == "adam":
        return torch.optim.Adam(param_groups, lr=preset.lr, weight_decay=preset.weight_decay)
    if preset.optimizer == "adamw":
        return torch.optim.AdamW(param_groups, lr=preset.lr, weight_decay=preset.weight_decay)
    if preset.optimizer == "sgd":
        return torch.optim.SGD(param_groups, lr=preset.lr, momentum=preset.momentum, weight_decay=preset.weight_decay)
    raise ValueError(f"unknown optimizer {preset.optimizer!r}")


def lr_factor(preset: Preset, epoch: int) -> float:
    """Multiplier of the base learning rates during ``epoch`` (0-based)."""
    if preset.schedule == "constant":
        return 1.0
    if preset.schedule == "step":
        return preset.step_gamma ** (epoch // preset.step_epochs)
    if preset.schedule == "rankiqa_warmup":
        # RankIQA.PyTorch: 0.1 for 5 warm-up epochs, then 1 / 0.1 / 0.01 / 0.001 at 1.5, 2.5, 3.5 quarters of the rest.
        warmup = min(5, max(preset.epochs - 1, 0))
        if epoch < warmup:
            return 0.1
        progress = (epoch - warmup) / max(preset.epochs - warmup, 1)
        for bound, factor in ((1.5 / 4, 1.0), (2.5 / 4, 0.1), (3.5 / 4, 0.01)):
            if progress < bound:
                return factor
        return 0.001
    raise ValueError(f"unknown schedule {preset.schedule!r}")


def set_epoch_lr(optimizer: torch.optim.Optimizer, base_lrs: list[float], factor: float) -> None:
    for group, base in zip(optimizer.param_groups, base_lrs):
        group["lr"] = base * factor
