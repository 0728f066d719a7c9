"""Tail Feature Augmentation (TFA): mix pairs of pooled features, pairs chosen by their labels.

docs/models.md#elta. With s_i the MOS of sample i and s̄ the batch mean:

1. first index i ~ P(i) ∝ exp(|s̄ − s_i| / τ₁), drawn without replacement —
   tail samples, far from the batch mean, are chosen more often;
2. partner j ≠ i ~ P(j|i) ∝ exp(τ₂ / (|s_i − s_j| + 0.01)) — a sample with a
   similar score;
3. λ = P(i) / (P(i) + P(j)) with the first-stage probabilities of both;
4. f̃ = λ f_i + (1 − λ) f_j and ỹ = λ y_i + (1 − λ) y_j are appended to the batch.

The sampling depends only on the labels, so the plan is drawn before the
forward pass and the model mixes its own features (``forward(x, mix=plan)``).
Probabilities are computed as softmaxes of the exponents, which equal the
authors' exp(·)/Σexp(·) wherever theirs does not overflow (τ₂/0.01 = 1000 for
τ₂ = 10 is exp-overflow in float64 there; ELTA 2.0 clipped the partner
exponent at 50 for that reason, ``partner_logit_clip``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

PARTNER_EPSILON = 0.01


@dataclass(frozen=True)
class MixPlan:
    """Which rows to mix and how: row ``first[k]`` weighted ``weight[k]``, ``partner[k]`` the rest."""

    first: Tensor
    partner: Tensor
    weight: Tensor

    def __len__(self) -> int:
        return int(self.first.numel())

    def mixed(self, rows: Tensor) -> Tensor:
        """The mixed rows alone, (pairs, ...) — for features and for labels alike."""
        weight = self.weight.to(rows.device, rows.dtype).reshape(-1, *([1] * (rows.dim() - 1)))
        first, partner = self.first.to(rows.device), self.partner.to(rows.device)
        return weight * rows[first] + (1 - weight) * rows[partner]

    def extend(self, rows: Tensor) -> Tensor:
        """``rows`` with the mixed rows appended: (B + pairs, ...)."""
        return torch.cat([rows, self.mixed(rows)]) if len(self) else rows


def selection_probabilities(scores: Tensor, tau1: float) -> Tensor:
    """First stage: P(i) ∝ exp(|s̄ − s_i| / τ₁)."""
    scores = scores.double()
    return torch.softmax((scores.mean() - scores).abs() / tau1, dim=0)


def partner_probabilities(scores: Tensor, first: int, tau2: float, clip: float | None = None) -> Tensor:
    """Second stage: P(j | i) ∝ exp(τ₂ / (|s_i − s_j| + 0.01)), with P(i | i) = 0."""
    scores = scores.double()
    logits = tau2 / ((scores[first] - scores).abs() + PARTNER_EPSILON)
    if clip is not None:
        logits = logits.clamp(max=clip)
    logits[first] = -torch.inf
    return torch.softmax(logits, dim=0)


def plan_tail_mix(
    scores: Tensor,
    *,
    pairs: int = 1,
    tau1: float = 0.5,
    tau2: float = 2.0,
    partner_logit_clip: float | None = None,
    generator: torch.Generator | None = None,
) -> MixPlan:
    """Draw ``pairs`` mix pairs for a batch with MOS ``scores`` (B,). Needs B ≥ 2; fewer pairs than B."""
    scores = scores.detach().reshape(-1).cpu()
    size = scores.numel()
    pairs = min(pairs, size - 1) if size >= 2 else 0
    if pairs <= 0:
        empty = torch.zeros(0, dtype=torch.long)
        return MixPlan(empty, empty, torch.zeros(0, dtype=torch.float64))
    p = selection_probabilities(scores, tau1)
    first = torch.multinomial(p, pairs, replacement=False, generator=generator)
    partner = torch.stack([
        torch.multinomial(partner_probabilities(scores, int(i), tau2, partner_logit_clip), 1, generator=generator)[0]
        for i in first
    ])
    weight = p[first] / (p[first] + p[partner])
    return MixPlan(first, partner, weight)


def pairs_for(batch_size: int, *, pairs: int | None = None, ratio: float | None = None) -> int:
    """ELTA 1.0 mixes one pair per batch; ELTA 2.0 mixes ``ratio`` (0.25) of the batch."""
    if ratio is not None:
        return max(1, int(round(ratio * batch_size)))
    return 1 if pairs is None else pairs
