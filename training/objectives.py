"""What a batch means for a preset: the loss to train with and the metrics to report.

Two shapes of data exist: pointwise (one image, one target: distributions or
scores) and pairwise (RankIQA's better/worse pairs). An objective turns a
batch into model outputs and a loss, and turns the gathered outputs of a
whole split into the docs/models.md#metrics metric set.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from engine.inference.contract import score_from_output
from training import losses
from training.metrics import mos_from_distribution, summarise
from training.presets import Preset


class PointwiseObjective:
    """Images with distribution or score targets."""

    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.loss_fn = losses.pointwise_loss(preset.loss)

    def outputs(self, model: nn.Module, batch: dict[str, Any], device: torch.device) -> Tensor:
        return model(batch["image"].to(device, non_blocking=True))

    def loss(self, outputs: Tensor, batch: dict[str, Any], device: torch.device) -> Tensor:
        outputs = outputs.float()
        target = batch["target"].to(device, non_blocking=True)
        if self.preset.target == "distribution":
            predicted = torch.softmax(outputs, dim=-1) if self.preset.softmax else outputs
            return self.loss_fn(predicted, target, **self.preset.loss_kwargs)
        return self.loss_fn(outputs.reshape(target.shape), target, **self.preset.loss_kwargs)

    def targets(self, batch: dict[str, Any]) -> Tensor:
        return batch["target"]

    def scores(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs → scores, with the app's own rule (engine.inference.contract)."""
        return np.asarray(score_from_output(outputs, self.preset.output_spec()), np.float64)

    def true_scores(self, targets: np.ndarray) -> np.ndarray:
        """Targets → scores on the same scale as :meth:`scores` (score01 targets are ×10 like the app's rule)."""
        if self.preset.target == "distribution":
            return mos_from_distribution(targets)
        return targets[:, 0] * (10.0 if self.preset.target == "score01" else 1.0)

    def metrics(self, outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
        preset = self.preset
        if preset.target == "distribution":
            predicted_dist = _softmax(outputs) if preset.softmax else outputs
            return summarise(self.scores(outputs), mos_from_distribution(targets), scale="1-10",
                             predicted_dist=predicted_dist, true_dist=targets)
        predicted, true = outputs.reshape(len(outputs), -1)[:, 0], targets[:, 0]
        return summarise(predicted, true, scale="0-1" if preset.target == "score01" else "native")


class PairwiseObjective:
    """RankIQA ranking: both images of a pair go through the model in one batch."""

    def __init__(self, preset: Preset) -> None:
        self.preset = preset

    def outputs(self, model: nn.Module, batch: dict[str, Any], device: torch.device) -> Tensor:
        images = torch.cat([batch["better"], batch["worse"]]).to(device, non_blocking=True)
        better, worse = model(images).reshape(2, len(batch["better"]), -1)[..., 0]
        return torch.stack([better, worse], dim=1)

    def loss(self, outputs: Tensor, batch: dict[str, Any], device: torch.device) -> Tensor:
        outputs = outputs.float()
        return losses.margin_ranking(outputs[:, 0], outputs[:, 1], **self.preset.loss_kwargs)

    def targets(self, batch: dict[str, Any]) -> Tensor:
        return torch.ones(len(batch["better"]), 1)

    def scores(self, outputs: np.ndarray) -> np.ndarray:
        return outputs.reshape(len(outputs), -1)[:, 0]

    def metrics(self, outputs: np.ndarray, targets: np.ndarray) -> dict[str, float]:
        return {"pair_accuracy": float(np.mean(outputs[:, 0] > outputs[:, 1])), "n": float(len(outputs))}


def objective_for(preset: Preset) -> PointwiseObjective | PairwiseObjective:
    if preset.loss == "elta":  # ELTA's enhancers (TFA, FLSA, ...): training/elta/objective.py
        from training.elta.objective import ELTAObjective

        return ELTAObjective(preset)
    return PairwiseObjective(preset) if preset.objective == "pairwise" else PointwiseObjective(preset)


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
