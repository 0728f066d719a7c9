"""The ELTA training objective: base loss + TFA + FLSA (+ ELTA 2.0's terms) for presets with ``loss="elta"``.

``preset.loss_kwargs`` are :class:`ELTAOptions`. During training,
:meth:`ELTAObjective.outputs` draws the TFA plan from the batch's labels, runs
``model(images, mix=plan)`` (one forward call, DDP-safe) and keeps the features
and extended targets for :meth:`ELTAObjective.loss`, which the loop calls next.
Evaluation (model in eval mode, or the whole-split loss of ``evaluate``) sees a
plain pointwise objective with the base loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from training import losses
from training.elta.flsa import flsa_loss
from training.elta.losses import mos_smooth_l1, pairwise_rank_loss
from training.elta.tfa import MixPlan, pairs_for, plan_tail_mix
from training.objectives import PointwiseObjective
from training.presets import Preset


@dataclass(frozen=True)
class ELTAOptions:
    base: str = "emd_batch_global"  # a training.losses name
    tfa: bool = True
    tfa_pairs: int = 1  # ELTA 1.0: one pair per batch
    tfa_ratio: float | None = None  # ELTA 2.0: 0.25 of the batch
    tau1: float = 0.5
    tau2: float = 2.0
    partner_logit_clip: float | None = None  # ELTA 2.0: 50
    flsa_weight: float = 0.0
    smooth_l1_weight: float = 0.0  # ELTA 2.0: 0.10
    rank_weight: float = 0.0  # ELTA 2.0: 0.05


class ELTAObjective(PointwiseObjective):
    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.options = ELTAOptions(**preset.loss_kwargs)
        self.loss_fn = losses.pointwise_loss(self.options.base)
        self._pending: tuple[Tensor, Tensor] | None = None

    def outputs(self, model: nn.Module, batch: dict[str, Any], device: torch.device) -> Tensor:
        images = batch["image"].to(device, non_blocking=True)
        if not model.training:
            return model(images)
        targets = batch["target"].to(device, non_blocking=True)
        plan = self._plan(targets)
        outputs, features = model(images, mix=plan)
        self._pending = (features, plan.extend(targets))
        return outputs

    def loss(self, outputs: Tensor, batch: dict[str, Any], device: torch.device) -> Tensor:
        outputs = outputs.float()
        pending, self._pending = self._pending, None
        features, target = pending if pending is not None and len(pending[1]) == len(outputs) \
            else (None, batch["target"].to(device, non_blocking=True))
        target = target.float()
        total = self.loss_fn(outputs.reshape(target.shape), target)
        options = self.options
        if features is not None and options.flsa_weight:
            total = total + options.flsa_weight * flsa_loss(features, self.mos(target))
        if options.smooth_l1_weight:
            total = total + options.smooth_l1_weight * mos_smooth_l1(self.mos(outputs), self.mos(target))
        if options.rank_weight:
            total = total + options.rank_weight * pairwise_rank_loss(self.mos(outputs), self.mos(target))
        return total

    def mos(self, rows: Tensor) -> Tensor:
        """Distributions → Σ k·p_k; score01 → ×10; native scores as they are. Returns (N,)."""
        if self.preset.target == "distribution":
            return rows @ torch.arange(1, rows.shape[1] + 1, dtype=rows.dtype, device=rows.device)
        return rows.reshape(len(rows), -1)[:, 0] * (10.0 if self.preset.target == "score01" else 1.0)

    def _plan(self, targets: Tensor) -> MixPlan:
        options = self.options
        pairs = pairs_for(len(targets), pairs=options.tfa_pairs, ratio=options.tfa_ratio) if options.tfa else 0
        return plan_tail_mix(self.mos(targets.float()), pairs=pairs, tau1=options.tau1, tau2=options.tau2,
                             partner_logit_clip=options.partner_logit_clip)
