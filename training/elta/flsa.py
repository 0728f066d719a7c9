"""Feature–Label Similarity Alignment (FLSA): make feature similarities follow label similarities.

docs/models.md#elta: S_f is the cosine-similarity matrix of the batch's features
(mixed TFA rows included), S_y[i, j] = 1 − |y_i − y_j| / (max y − min y) on the
MOS, and the loss is MSE(S_f, S_y), weighted by ``--simloss_weight`` in the
original. A batch whose labels are all equal has no label spread; S_y is then
all ones (every pair is as similar as can be) instead of 0/0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def label_similarity(scores: Tensor) -> Tensor:
    """S_y: (B, B) in [0, 1], 1 on the diagonal."""
    scores = scores.reshape(-1)
    spread = scores.max() - scores.min()
    distance = (scores[:, None] - scores[None, :]).abs()
    if float(spread) == 0.0:
        return torch.ones_like(distance)
    return 1.0 - distance / spread


def feature_similarity(features: Tensor) -> Tensor:
    """S_f: (B, B) cosine similarities of the rows of ``features`` (B, D)."""
    unit = F.normalize(features.flatten(1), dim=1, eps=1e-8)
    return unit @ unit.t()


def flsa_loss(features: Tensor, scores: Tensor) -> Tensor:
    """MSE between the feature and label similarity matrices."""
    return F.mse_loss(feature_similarity(features.float()), label_similarity(scores.float().to(features.device)))
