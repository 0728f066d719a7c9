"""Adaptive sharpening of self-training pseudo-labels, and the grid that picks its setting.

docs/models.md#elta. A model scores an unlabelled-but-scored pool; each
image's logits are divided by a temperature τ_i = exp(−β·|s_i − s̄|), where s_i
is its predicted MOS and s̄ the pool mean — images predicted far from the mean
(the tails) get sharper distributions. ELTA 1.0 wrote this as multiplying the
logits by exp(β·|s̄ − s_i|); the two are the same. Images whose sharpened top
probability exceeds a threshold become pseudo-labelled training samples.

The (β, threshold) setting is chosen on a grid by the lowest MAE against the
pool's ground truth among settings that keep enough images — so the pool must
carry scores (the authors' selection uses ``gt``; docs/models.md#known-problems notes it).
ELTA 1.0 labels kept images with their *unsharpened* predicted distribution and
needs more than 10 of them; ELTA 2.0 uses the *sharpened* one and needs ≥ 10.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ELTA1_GRID = ((1.25,), (0.75,))  # as shipped
ELTA1_FULL_GRID = ((1.0, 1.1, 1.2, 1.25), (0.70, 0.75, 0.80, 0.85, 0.90))  # the commented-out grid
ELTA2_GRID = ((0.5, 1.0, 1.25, 1.5, 2.0), (0.70, 0.75, 0.80, 0.85, 0.90))
VERSIONS = ("1.0", "2.0")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def mos(probabilities: np.ndarray) -> np.ndarray:
    return probabilities @ np.arange(1, probabilities.shape[1] + 1, dtype=np.float64)


def sharpen(logits: np.ndarray, beta: float) -> np.ndarray:
    """Sharpened distributions: softmax(logits · exp(β·|s̄ − s_i|)) with s the predicted MOS."""
    logits = np.asarray(logits, np.float64)
    scores = mos(softmax(logits))
    return softmax(logits * np.exp(beta * np.abs(scores.mean() - scores))[:, None])


@dataclass(frozen=True)
class Selection:
    """The chosen setting, which images it keeps, and their pseudo-label distributions."""

    beta: float
    threshold: float
    keep: np.ndarray  # (N,) bool
    labels: np.ndarray  # (kept, K) distributions
    mae: float  # of the kept images' pseudo-label MOS against ground truth

    @property
    def count(self) -> int:
        return int(self.keep.sum())


def select_pseudo_labels(
    logits: np.ndarray,
    ground_truth: np.ndarray,
    *,
    version: str = "1.0",
    grid: tuple[Sequence[float], Sequence[float]] | None = None,
) -> Selection | None:
    """Try every (β, threshold) of the grid; return the lowest-MAE setting with enough images, or None."""
    if version not in VERSIONS:
        raise ValueError(f"ELTA version must be one of {VERSIONS}, not {version!r}")
    logits = np.asarray(logits, np.float64)
    ground_truth = np.asarray(ground_truth, np.float64).reshape(-1)
    betas, thresholds = grid or (ELTA1_GRID if version == "1.0" else ELTA2_GRID)
    plain = softmax(logits)
    best: Selection | None = None
    for beta in betas:
        sharp = sharpen(logits, beta)
        for threshold in thresholds:
            keep = sharp.max(axis=1) > threshold
            enough = keep.sum() > 10 if version == "1.0" else keep.sum() >= 10
            if not enough:
                continue
            labels = (plain if version == "1.0" else sharp)[keep]
            error = float(np.mean(np.abs(mos(labels) - ground_truth[keep])))
            if best is None or error < best.mae:
                best = Selection(float(beta), float(threshold), keep, labels, error)
    return best
