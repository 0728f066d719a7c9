"""Training losses of the reference recipes (docs/models.md#emd, #rankiqa, #nima).

The three EMD ("EDMLoss") variants in the literature differ in where the
square root sits, and the reported numbers depend on it, so each has its own
name and a preset says which one it trains with:

- ``emd_per_sample`` (NIMA paper, idealo, titu1994, RankIQA.PyTorch, ELTA 2.0):
  mean over samples of sqrt(mean over bins of c²) with r = 2;
- ``emd_batch_global`` (TANet training, EAT, ELTA 1.0): one sqrt over the mean of
  all B×10 entries of c²;
- ``emd_abs`` (TANet as shipped, "test mode", r = 1): mean of |c| over all entries.

where c = cumsum(p̂) − cumsum(p). Inputs are (B, K) distributions; no softmax
is applied here (a preset whose model emits logits applies it before the loss).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def _cdf_difference(predicted: Tensor, target: Tensor) -> Tensor:
    if predicted.shape != target.shape:
        raise ValueError(f"EMD needs equal shapes, got {tuple(predicted.shape)} and {tuple(target.shape)}")
    return torch.cumsum(predicted, dim=-1) - torch.cumsum(target, dim=-1)


def emd_per_sample(predicted: Tensor, target: Tensor, r: int = 2) -> Tensor:
    """NIMA's EMD: (mean_k |c_k|^r)^(1/r) per sample, averaged over the batch."""
    c = _cdf_difference(predicted, target)
    per_sample = c.abs().pow(r).mean(dim=-1)
    if r == 2:
        # sqrt has an infinite derivative at 0; a perfect prediction must not give NaN gradients.
        per_sample = per_sample.clamp_min(1e-12)
    return per_sample.pow(1.0 / r).mean()


def emd_batch_global(predicted: Tensor, target: Tensor, r: int = 2) -> Tensor:
    """TANet/EAT training EMD: (mean over all B×K entries of |c|^r)^(1/r) — ONE root for the batch."""
    c = _cdf_difference(predicted, target)
    return c.abs().pow(r).mean().clamp_min(1e-12).pow(1.0 / r)


def emd_abs(predicted: Tensor, target: Tensor) -> Tensor:
    """TANet-AVA as shipped (r = 1): mean |c| over all entries (per-sample and global coincide)."""
    return _cdf_difference(predicted, target).abs().mean()


def mse(predicted: Tensor, target: Tensor) -> Tensor:
    """Plain MSE, reshaping (B,1) outputs to (B,) so RankIQA's B×B broadcast bug cannot happen."""
    return F.mse_loss(predicted.reshape(target.shape), target)


def margin_ranking(better: Tensor, worse: Tensor, margin: float = 0.1, sigmoid: bool = True) -> Tensor:
    """RankIQA pair loss: mean max(0, margin − (f(better) − f(worse))).

    ``sigmoid=True`` squashes the raw outputs first (RankIQA.PyTorch); the Caffe
    original uses raw outputs with margin 10.
    """
    better, worse = better.reshape(-1), worse.reshape(-1)
    if sigmoid:
        better, worse = torch.sigmoid(better), torch.sigmoid(worse)
    return F.margin_ranking_loss(better, worse, torch.ones_like(better), margin=margin)


def contrastive(distance: Tensor, same: Tensor, margin: float = 1.0) -> Tensor:
    """Hadsell et al. contrastive loss used by Siamese NIMA on d = |Δ MOS|.

    ``same`` is 1 for pairs from the same score bucket: they are pulled together
    (y·d²); other pairs are pushed at least ``margin`` apart ((1−y)·max(margin − d, 0)²).
    """
    same = same.to(distance.dtype)
    return (same * distance.pow(2) + (1 - same) * F.relu(margin - distance).pow(2)).mean()


def mos_distance(probs_a: Tensor, probs_b: Tensor, eps: float = 1e-12) -> Tensor:
    """Siamese NIMA's distance: |Σk·p_a − Σk·p_b|, with the sqrt(max(·, ε)) guard of the original."""
    bins = torch.arange(1, probs_a.shape[-1] + 1, dtype=probs_a.dtype, device=probs_a.device)
    delta = (probs_a * bins).sum(-1) - (probs_b * bins).sum(-1)
    return delta.pow(2).clamp_min(eps).sqrt()


#: Loss names a preset may use for single-image objectives: (prediction, target) → scalar.
POINTWISE_LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "emd_per_sample": emd_per_sample,
    "emd_batch_global": emd_batch_global,
    "emd_abs": emd_abs,
    "mse": mse,
}


def pointwise_loss(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    try:
        return POINTWISE_LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss {name!r}; expected one of {sorted(POINTWISE_LOSSES)}") from None
