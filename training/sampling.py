"""The training sampler a preset asks for: uniform shuffling, or ELTA 2.0's tail-aware draw.

Both are sharded over DDP ranks the same way (every rank computes the same
global order and keeps every ``world_size``-th index), and the uniform one is
used in single-process runs too, so a run's global batches do not depend on the
number of ranks. ``Preset.train_sampler`` names the sampler and
``Preset.sampler_kwargs`` configures it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch.utils.data import DistributedSampler, Sampler

from training.distributed import DistributedContext
from training.elta.sampler import (
    TailWeights,
    label_tail,
    read_scene_labels,
    sample_weights,
    scene_tail,
    tail_aware_sampler,
)
from training.presets import Preset

SAMPLERS = ("uniform", "elta2_tail")


def build_train_sampler(preset: Preset, dataset: Any, context: DistributedContext, *, seed: int,
                        scene_labels: Path | None = None) -> Sampler[int]:
    """The preset's train sampler over ``dataset`` (an ImageDataset: its ``table`` gives the scores)."""
    if preset.train_sampler == "uniform":
        return DistributedSampler(dataset, num_replicas=context.world_size, rank=context.rank, shuffle=True,
                                  seed=seed, drop_last=False)
    if preset.train_sampler == "elta2_tail":
        options = dict(preset.sampler_kwargs)
        multiplier = float(options.pop("multiplier", 1.0))
        weights = tail_sample_weights(dataset.table, scene_labels, TailWeights(**options))
        return tail_aware_sampler(weights, multiplier=multiplier, rank=context.rank,
                                  world_size=context.world_size, seed=seed)
    raise ValueError(f"preset {preset.name}: unknown train sampler {preset.train_sampler!r}; expected one of {SAMPLERS}")


def tail_sample_weights(table: Any, scene_labels: Path | None, weights: TailWeights) -> np.ndarray:
    """ELTA 2.0 weights of a label table: label tail from its scores, scene tail from ``scene_labels``.

    Images the scene file does not list are never scene-tail; without a file only
    the label tail counts. Generated images are not marked in any label layout
    read here, so their term is always 0.
    """
    tails = label_tail(table.scores())
    if scene_labels is None:
        return sample_weights(tails, weights=weights)
    scenes = read_scene_labels(scene_labels)
    known = [Path(name).stem in scenes for name in table.names()]
    listed = [scenes[Path(name).stem] for name, has in zip(table.names(), known) if has]
    scene_flags = np.zeros(len(known), bool)
    scene_flags[np.flatnonzero(known)] = scene_tail(listed)
    return sample_weights(tails, scene_flags, weights=weights)
