"""ELTA 2.0's tail-aware sampler: draw label-tail, scene-tail and generated images more often.

MODELS.md §4.2. An image's weight is 1 + a·[label tail] + b·[scene tail] +
c·[both] + d·[generated] (code defaults a=1, b=2, c=2, d=2; the README run used
0.5 for a, b, c), and an epoch draws ``multiplier × N`` images with replacement
(``torch.utils.data.WeightedRandomSampler``). The label tail is MOS ≤ P20 or
≥ P80 of the train MOS; the scene tail is the scenes whose train frequency is
below 0.2× that of the most frequent scene.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import WeightedRandomSampler

SCENE_TAIL_RATIO = 0.2


@dataclass(frozen=True)
class TailWeights:
    label_tail: float = 1.0
    scene_tail: float = 2.0
    both: float = 2.0
    generated: float = 2.0


def label_tail(scores: Sequence[float], low: float = 20.0, high: float = 80.0) -> np.ndarray:
    """MOS at or below the 20th, or at or above the 80th percentile of ``scores`` themselves."""
    scores = np.asarray(scores, np.float64)
    p_low, p_high = np.percentile(scores, [low, high])
    return (scores <= p_low) | (scores >= p_high)


def scene_tail(scenes: Sequence[str], ratio: float = SCENE_TAIL_RATIO) -> np.ndarray:
    """Images whose scene occurs less than ``ratio`` × as often as the most frequent scene."""
    counts = Counter(scenes)
    if not counts:
        return np.zeros(0, bool)
    cutoff = ratio * max(counts.values())
    return np.array([counts[s] < cutoff for s in scenes], bool)


def sample_weights(label_tail: np.ndarray, scene_tail: np.ndarray | None = None,
                   generated: np.ndarray | None = None, weights: TailWeights = TailWeights()) -> np.ndarray:
    """1 + a·L + b·S + c·(L∧S) + d·G per image."""
    label_tail = np.asarray(label_tail, bool)
    scene = np.zeros_like(label_tail) if scene_tail is None else np.asarray(scene_tail, bool)
    made = np.zeros_like(label_tail) if generated is None else np.asarray(generated, bool)
    return (1.0 + weights.label_tail * label_tail + weights.scene_tail * scene
            + weights.both * (label_tail & scene) + weights.generated * made)


def tail_aware_sampler(weights: np.ndarray, *, multiplier: float = 1.0,
                       generator: torch.Generator | None = None) -> WeightedRandomSampler:
    """A sampler drawing ``multiplier × N`` indices with replacement, in proportion to ``weights``."""
    weights = np.asarray(weights, np.float64)
    return WeightedRandomSampler(torch.from_numpy(weights), num_samples=max(1, int(round(multiplier * len(weights)))),
                                 replacement=True, generator=generator)
