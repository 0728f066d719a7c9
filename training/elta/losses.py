"""ELTA 2.0's extra loss terms (docs/models.md#elta), added to the per-sample EMD.

total = EMD + 0.10 · SmoothL1(MOS_pred, MOS_true) + 0.05 · rank, where the rank
term is the mean over all pairs whose true MOS differ by more than 0.05 of
softplus(−sign(Δt) · Δp): a pair ordered the wrong way costs more than log 2,
one ordered right by a wide margin costs almost nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

RANK_MIN_GAP = 0.05
SMOOTH_L1_WEIGHT = 0.10
RANK_WEIGHT = 0.05


def mos_smooth_l1(predicted: Tensor, true: Tensor) -> Tensor:
    """SmoothL1 (β = 1) between predicted and true MOS."""
    return F.smooth_l1_loss(predicted.reshape(-1), true.reshape(-1))


def pairwise_rank_loss(predicted: Tensor, true: Tensor, min_gap: float = RANK_MIN_GAP) -> Tensor:
    """Mean softplus(−sign(Δt)·Δp) over pairs i < j with |Δt| > ``min_gap``; 0 when no pair qualifies."""
    predicted, true = predicted.reshape(-1), true.reshape(-1)
    rows, cols = torch.triu_indices(len(true), len(true), offset=1, device=true.device)
    delta_true = true[rows] - true[cols]
    delta_pred = predicted[rows] - predicted[cols]
    kept = delta_true.abs() > min_gap
    if not bool(kept.any()):
        return predicted.sum() * 0.0  # keeps the graph, so backward works on any batch
    return F.softplus(-torch.sign(delta_true[kept]) * delta_pred[kept]).mean()
