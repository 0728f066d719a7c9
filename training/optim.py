"""Optimisers and per-epoch learning-rate schedules of the reference recipes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from training.presets import Preset


def parameter_groups(model: nn.Module, preset: Preset) -> list[dict[str, Any]]:
    """One param group per branch of ``param_group_lr`` (TANet's per-branch rates), the rest at ``lr``.

    A branch is a submodule path: ``head`` holds ``head.2.weight`` but not
    ``head_rgb.2.weight`` (the longest matching path wins). A named branch keeps
    all its parameters, frozen ones included, as the reference code's Adam groups
    do (a frozen branch simply receives no gradients); the default group takes
    the remaining trainable parameters and is left out when there are none.
    Groups carry a ``name`` for reports and tests.
    """
    branches: dict[str, list[nn.Parameter]] = {branch: [] for branch in preset.param_group_lr}
    default: list[nn.Parameter] = []
    for name, parameter in model.named_parameters():
        branch = branch_of(name, preset.param_group_lr)
        if branch is not None:
            branches[branch].append(parameter)
        elif parameter.requires_grad:
            default.append(parameter)
    empty = [branch for branch, params in branches.items() if not params]
    if empty:
        raise ValueError(f"preset {preset.name}: no parameters under {empty} in {type(model).__name__}")
    groups = [{"name": "default", "params": default, "lr": preset.lr}] if default else []
    return groups + [{"name": b, "params": params, "lr": preset.param_group_lr[b]} for b, params in branches.items()]


def branch_of(parameter_name: str, branches: Iterable[str]) -> str | None:
    """The longest branch path that ``parameter_name`` lies under, or None."""
    inside = [b for b in branches if parameter_name == b or parameter_name.startswith(b + ".")]
    return max(inside, key=len) if inside else None


def build_optimizer(model: nn.Module, preset: Preset) -> torch.optim.Optimizer:
    """The preset's optimiser over :func:`parameter_groups`."""
    groups = parameter_groups(model, preset)
    if preset.optimizer == "adam":
        return torch.optim.Adam(groups, lr=preset.lr, weight_decay=preset.weight_decay)
    if preset.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=preset.lr, weight_decay=preset.weight_decay)
    if preset.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=preset.lr, momentum=preset.momentum, weight_decay=preset.weight_decay)
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
