"""Fine-tuning an image model on one person's preferences (torch side of issue 9).

Two users of the same machinery:

* ``python -m training personalize``: the photographer's own decisions, from the file the app
  exports (:func:`engine.personalize.dataset.export_dataset`: utilities from picks/rejects/stars,
  pairs from burst choices and calibration answers, photo paths).
* ``python -m training eval-piaa``: the FLICKR-AES personalised protocol (docs/models.md#flickr-aes),
  one AMT worker's 1–5 ratings at a time.

Both fine-tune a copy of the base model on a small set and score held-out images. The
score is the app's reading of the output (mean of the distribution, or the score), made
differentiable here. The loss is MSE between score/10 and the target in 0..1 (the
protocol's "score/5 with MSE", on our 1–10 output scale) plus, when pairs are given, the
RankNet log-loss on score differences. Full batch, Adam, as in the BLG-PIAA code.

What is trained (``scope``): ``head`` = the last :data:`HEAD_TENSORS` parameter tensors in
registration order (the final Linear's weight and bias in every model here; PA-IAA trains a
new head at lr 1e-3), ``last`` = the last quarter of the parameter tensors (head + last
blocks), ``all`` = everything (BLG-PIAA, lr 1e-5). A parameter-order heuristic rather than
per-architecture code, because TANet, EAT and NIMA all register their head last.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from training.datasets.images import DECODE_ERRORS, open_rgb
from training.presets import Preset
from training.transforms import eval_transform

SCOPES = ("head", "last", "all")
HEAD_TENSORS = 2
SCOPE_LR = {"head": 1e-3, "last": 1e-4, "all": 1e-5}


@dataclass(frozen=True)
class TuneSettings:
    scope: str = "head"
    epochs: int = 20
    lr: float | None = None            # None: SCOPE_LR[scope]
    pair_weight: float = 1.0           # weight of the RankNet term next to the MSE term


def differentiable_score(outputs: Tensor, preset: Preset) -> Tensor:
    """The app's score (1..10 for distributions, ×10 for score01) as a differentiable tensor."""
    if preset.output_kind == "distribution10":
        probabilities = torch.softmax(outputs, dim=-1) if preset.softmax else outputs
        return (probabilities * torch.arange(1, 11, dtype=outputs.dtype, device=outputs.device)).sum(-1)
    flat = outputs.reshape(len(outputs), -1)[:, 0]
    return flat * 10.0 if preset.output_kind == "score01" else flat


def trainable(model: nn.Module, scope: str) -> list[nn.Parameter]:
    """Freeze ``model`` except the parameters ``scope`` names; returns those."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, not {scope!r}")
    params = list(model.parameters())
    keep = {"head": HEAD_TENSORS, "last": max(HEAD_TENSORS, len(params) // 4), "all": len(params)}[scope]
    chosen = params[len(params) - keep:]
    chosen_ids = {id(p) for p in chosen}
    for p in params:
        p.requires_grad_(id(p) in chosen_ids)
    return chosen


def load_tensors(paths: Sequence[Path], preset: Preset) -> tuple[Tensor, list[int], list[str]]:
    """Decoded, preprocessed images; returns (tensors, indices that loaded, error messages)."""
    transform = eval_transform(preset.input)
    loaded, kept, errors = [], [], []
    for i, path in enumerate(paths):
        try:
            loaded.append(transform(open_rgb(Path(path))))
            kept.append(i)
        except DECODE_ERRORS as exc:
            errors.append(f"{path}: {getattr(exc, 'message', exc)}")
    size = (0, 3, preset.input.height, preset.input.width)
    return (torch.stack(loaded) if loaded else torch.zeros(size)), kept, errors


@torch.no_grad()
def predict(model: nn.Module, preset: Preset, images: Tensor, batch: int = 32) -> np.ndarray:
    model.eval()
    scores = [differentiable_score(model(images[i:i + batch]), preset) for i in range(0, len(images), batch)]
    return torch.cat(scores).double().cpu().numpy() if scores else np.zeros(0)


def fine_tune(base: nn.Module, preset: Preset, images: Tensor, targets01: Tensor,
              pairs: Tensor | None = None, settings: TuneSettings = TuneSettings(), seed: int = 0) -> nn.Module:
    """A fine-tuned copy of ``base`` (left untouched): full-batch Adam on MSE(score/10, target) + RankNet.

    ``targets01``: (N,) in 0..1, NaN where an image has no pointwise target (pair-only frames);
    ``pairs``: (P, 2) row indices (winner, loser) into ``images``.
    """
    torch.manual_seed(seed)
    model = copy.deepcopy(base)
    params = trainable(model, settings.scope)
    optimiser = torch.optim.Adam(params, lr=settings.lr or SCOPE_LR[settings.scope])
    has_target = ~torch.isnan(targets01)
    model.train()
    for _ in range(settings.epochs):
        optimiser.zero_grad()
        score = differentiable_score(model(images), preset)
        loss = torch.zeros((), device=images.device)
        if has_target.any():
            loss = loss + torch.mean((score[has_target] / 10.0 - targets01[has_target]) ** 2)
        if pairs is not None and len(pairs):
            gaps = score[pairs[:, 0]] - score[pairs[:, 1]]
            loss = loss + settings.pair_weight * nn.functional.softplus(-gaps).mean()
        loss.backward()
        optimiser.step()
    return model.eval()


def pairwise_accuracy(scores: np.ndarray, pairs: np.ndarray) -> float | None:
    """Share of (winner, loser) row pairs the scores order correctly (ties half)."""
    if not len(pairs):
        return None
    a, b = scores[pairs[:, 0]], scores[pairs[:, 1]]
    return float(np.mean(np.where(a > b, 1.0, np.where(a < b, 0.0, 0.5))))
