"""Evaluation metrics exactly as docs/models.md#metrics defines them (numpy/scipy, no torch).

Every function takes whole-test-set arrays: SRCC and PLCC are computed once
over the full set (as the reference repos do), never averaged over batches.
Scales are explicit: a function that depends on the scale says which one it
expects, and :func:`summarise` names the scale in the metric keys.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: AVA-style binary threshold: a MOS of exactly 5.00 counts as low (docs/models.md#metrics).
AVA_THRESHOLD = 5.0


def mos_from_distribution(probs: np.ndarray) -> np.ndarray:
    """Σ_k k·p_k with k = 1..K, row-wise. Works on (K,) or (N, K)."""
    probs = np.asarray(probs, dtype=np.float64)
    bins = np.arange(1, probs.shape[-1] + 1, dtype=np.float64)
    return probs @ bins


def std_from_distribution(probs: np.ndarray) -> np.ndarray:
    """NIMA's spread: sqrt(Σ_k (k − mean)²·p_k)."""
    probs = np.asarray(probs, dtype=np.float64)
    bins = np.arange(1, probs.shape[-1] + 1, dtype=np.float64)
    mean = mos_from_distribution(probs)
    return np.sqrt(((bins - mean[..., None]) ** 2 * probs).sum(-1))


def normalise_counts(counts: np.ndarray) -> np.ndarray:
    """Vote counts → probability vector(s). Rows with no votes raise, they have no MOS."""
    counts = np.asarray(counts, dtype=np.float64)
    totals = counts.sum(axis=-1, keepdims=True)
    if np.any(totals <= 0):
        raise ValueError("a vote histogram has no votes")
    return counts / totals


def srcc(predicted: Sequence[float], true: Sequence[float]) -> float:
    """Spearman ρ (average ranks for ties), scipy ``spearmanr`` like every reference repo; NaN for constant input."""
    if is_constant(predicted) or is_constant(true):
        return float("nan")
    return float(stats.spearmanr(predicted, true).statistic)


def plcc(predicted: Sequence[float], true: Sequence[float]) -> float:
    """Pearson r with no logistic mapping (none of the reference repos applies one); NaN for constant input."""
    if is_constant(predicted) or is_constant(true):
        return float("nan")
    return float(stats.pearsonr(predicted, true).statistic)


def constant_predictions_warning(spread: float) -> str:
    """What a user reads instead of scipy's ConstantInputWarning when every photo gets the same score."""
    return (f"warning: the model gives every photo here the same score (spread {spread:.2g}), so SRCC and PLCC are "
            f"undefined and recorded as NaN: it has collapsed or not learned yet")


def is_constant(values: Sequence[float]) -> bool:
    """All values equal (to float32 precision): a correlation is undefined, and the caller says so in words
    instead of scipy's ConstantInputWarning."""
    array = np.asarray(values, dtype=np.float64)
    return array.size < 2 or float(np.ptp(array)) <= 1e-6 * max(1.0, float(np.abs(array).max()))


def binary_accuracy(predicted: Sequence[float], true: Sequence[float], threshold: float = AVA_THRESHOLD) -> float:
    """Share of images on the same side of ``threshold``; a score equal to it counts as low.

    Use 5.0 for 1–10 MOS and 0.5 for TAD66K's 0–1 scale.
    """
    predicted_high = np.asarray(predicted, dtype=np.float64) > threshold
    true_high = np.asarray(true, dtype=np.float64) > threshold
    return float(np.mean(predicted_high == true_high))


def emd(predicted: np.ndarray, true: np.ndarray, r: int = 2) -> float:
    """Per-sample EMD averaged over images: mean_i (mean_k |CDF diff|^r)^(1/r) (the reporting form, docs/models.md#metrics)."""
    c = np.cumsum(np.asarray(predicted, np.float64), -1) - np.cumsum(np.asarray(true, np.float64), -1)
    return float(np.mean(np.mean(np.abs(c) ** r, axis=-1) ** (1.0 / r)))


def mae(predicted: Sequence[float], true: Sequence[float]) -> float:
    """Mean absolute error in the units of the inputs; the caller names the scale."""
    return float(np.mean(np.abs(np.asarray(predicted, np.float64) - np.asarray(true, np.float64))))


def mse(predicted: Sequence[float], true: Sequence[float]) -> float:
    """Mean squared error in the units of the inputs; the caller names the scale."""
    return float(np.mean((np.asarray(predicted, np.float64) - np.asarray(true, np.float64)) ** 2))


@dataclass(frozen=True)
class LongTailMAE:
    """ELTA label-bucket MAE: LL (MOS ≤ P20), LM (between), LH (MOS ≥ P80)."""

    low: float
    medium: float
    high: float
    p20: float
    p80: float
    counts: tuple[int, int, int]


def long_tail_mae(
    predicted: Sequence[float],
    true: Sequence[float],
    *,
    reference: Sequence[float] | None = None,
    strict: bool = False,
) -> LongTailMAE:
    """MAE per ground-truth bucket (docs/models.md#metrics, long-tail buckets).

    ``reference``: the scores the percentiles come from — the train set in ELTA 2.0;
    None uses ``true`` itself (ELTA 1.0's ``piecewise_mae``). ``strict=True``
    reproduces ELTA 1.0's strict inequalities, which drop images lying exactly
    on P20 or P80 from every bucket.
    """
    predicted = np.asarray(predicted, np.float64)
    true = np.asarray(true, np.float64)
    basis = true if reference is None else np.asarray(reference, np.float64)
    p20, p80 = (float(v) for v in np.percentile(basis, [20, 80]))
    if strict:
        low, high = true < p20, true > p80
        medium = (true > p20) & (true < p80)
    else:
        low, high = true <= p20, true >= p80
        medium = ~low & ~high
    errors = np.abs(predicted - true)

    def bucket(mask: np.ndarray) -> float:
        return float(errors[mask].mean()) if mask.any() else math.nan

    return LongTailMAE(
        bucket(low), bucket(medium), bucket(high), p20, p80, (int(low.sum()), int(medium.sum()), int(high.sum()))
    )


# --- FLICKR-AES personalised protocol (docs/models.md#flickr-aes) ----------------------


@dataclass(frozen=True)
class KShotSplit:
    """Indices into one worker's rated images: K to fine-tune on, the rest to test."""

    train: np.ndarray
    test: np.ndarray


def k_shot_splits(n_images: int, k: int, repeats: int = 10, seed: int = 0) -> Iterator[KShotSplit]:
    """The BLG-PIAA/PA-IAA protocol: ``repeats`` random draws of K train images per worker.

    Seeded (the reference code is not), so a result can be reproduced.
    """
    if not 0 < k < n_images:
        raise ValueError(f"K={k} must be between 1 and the worker's {n_images - 1} images minus one")
    rng = np.random.default_rng(seed)
    for _ in range(repeats):
        order = rng.permutation(n_images)
        yield KShotSplit(train=np.sort(order[:k]), test=np.sort(order[k:]))


def personalized_srcc(per_worker_repeats: dict[str, Sequence[float]]) -> tuple[float, float]:
    """Average SRCC over repeats per worker, then over workers; also the std over workers.

    Returns (mean, std) — the "0.609 ± 0.005" style numbers of the TANet table.
    """
    if not per_worker_repeats:
        raise ValueError("no workers")
    worker_means = np.array([np.mean(v) for v in per_worker_repeats.values()], np.float64)
    return float(worker_means.mean()), float(worker_means.std())


# --- one call for a run report --------------------------------------------------------


def summarise(
    predicted: np.ndarray,
    true: np.ndarray,
    *,
    scale: str = "1-10",
    predicted_dist: np.ndarray | None = None,
    true_dist: np.ndarray | None = None,
) -> dict[str, float]:
    """The standard metric set on scores (and distributions when both are given).

    ``scale`` is "1-10" (AVA-style; threshold 5), "0-1" (TAD66K-style; threshold 0.5) or
    "native" (the dataset's own units; no binary accuracy). MAE/MSE keys carry the
    scale so a report never leaves it implicit.
    """
    out = {
        "srcc": srcc(predicted, true),
        "plcc": plcc(predicted, true),
        f"mae_{scale}": mae(predicted, true),
        f"mse_{scale}": mse(predicted, true),
        "n": float(len(true)),
    }
    threshold = {"1-10": AVA_THRESHOLD, "0-1": 0.5}.get(scale)
    if threshold is not None:
        out["accuracy"] = binary_accuracy(predicted, true, threshold)
    tail = long_tail_mae(predicted, true)  # ELTA's label buckets, percentiles of this set (docs/models.md#metrics)
    out.update({f"mae_ll_{scale}": tail.low, f"mae_lm_{scale}": tail.medium, f"mae_lh_{scale}": tail.high})
    if predicted_dist is not None and true_dist is not None:
        out["emd_r1"] = emd(predicted_dist, true_dist, r=1)
        out["emd_r2"] = emd(predicted_dist, true_dist, r=2)
    return out
