"""ELTA 2.0's tail-aware sampler: draw label-tail, scene-tail and generated images more often.

docs/models.md#elta. An image's weight is 1 + a·[label tail] + b·[scene tail] +
c·[both] + d·[generated] (code defaults a=1, b=2, c=2, d=2; the README run used
0.5 for a, b, c), and an epoch draws ``multiplier × N`` images with replacement
(the authors use ``WeightedRandomSampler``). The label tail is MOS ≤ P20 or
≥ P80 of the train MOS; the scene tail is the scenes whose train frequency is
below 0.2× that of the most frequent scene.

:class:`DistributedWeightedSampler` is that draw made DDP-safe: every rank draws
the same global list from a generator seeded by (seed, epoch) and keeps every
``world_size``-th index, the interleaving ``DistributedSampler`` uses, so a
2-rank run sees the same global batches as a 1-rank run with the same seed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Sampler

from training.datasets.table import LabelFormatError, read_csv_rows

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


class DistributedWeightedSampler(Sampler[int]):
    """Weighted draws with replacement, sharded over DDP ranks (see the module docstring)."""

    def __init__(self, weights: np.ndarray, num_samples: int, *, rank: int = 0, world_size: int = 1,
                 seed: int = 0) -> None:
        weights = torch.as_tensor(np.asarray(weights, np.float64))
        if weights.ndim != 1 or len(weights) == 0 or bool((weights < 0).any()) or float(weights.sum()) <= 0:
            raise ValueError("sampler weights must be a non-empty vector of non-negative numbers with a positive sum")
        self.weights, self.rank, self.world_size, self.seed = weights, rank, world_size, seed
        self.per_rank = math.ceil(max(1, num_samples) / world_size)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        drawn = torch.multinomial(self.weights, self.per_rank * self.world_size, replacement=True,
                                  generator=generator)
        return iter(drawn[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return self.per_rank


def tail_aware_sampler(weights: np.ndarray, *, multiplier: float = 1.0, rank: int = 0, world_size: int = 1,
                       seed: int = 0) -> DistributedWeightedSampler:
    """A sampler drawing ``multiplier × N`` indices per epoch (over all ranks), in proportion to ``weights``."""
    return DistributedWeightedSampler(weights, int(round(multiplier * len(weights))), rank=rank,
                                      world_size=world_size, seed=seed)


def read_scene_labels(path: Path) -> dict[str, str]:
    """image → scene from an ``image,category`` (or ``image_id,category``) CSV, keyed by file stem.

    ELTA 2.0's scene CSVs name the Places365 top-1 scene per image; keys are
    stems so ``953619`` and ``953619.jpg`` match the same AVA image.
    """
    scenes: dict[str, str] = {}
    for _number, row in read_csv_rows(Path(path)):
        name = row.get("image", row.get("image_id"))
        if name is None or "category" not in row:
            raise LabelFormatError(f"{path}: scene labels need an image (or image_id) and a category column")
        scenes[Path(name).stem] = row["category"]
    return scenes
