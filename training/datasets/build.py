"""Preset + label files + image folder → a torch Dataset with the preset's targets and transform."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from training.datasets.images import ImageDataset, PairDataset
from training.datasets.splits import carve_validation, load_split
from training.datasets.table import LabelTable
from training.metrics import mos_from_distribution
from training.presets import Preset
from training.transforms import eval_transform, train_transform


def target_function(preset: Preset, table: LabelTable) -> Callable[[np.ndarray], np.ndarray]:
    """How one label row becomes the tensor the loss compares against.

    distribution: the probabilities as read; score01: MOS/10 (TAD66K-style sigmoid heads,
    1–10 labels only); score: the scalar on the dataset's native scale.
    """
    if preset.target == "distribution":
        if table.kind != "distribution":
            raise ValueError(f"preset {preset.name} trains on distributions but {table.source} has scalar scores")
        return lambda target: target
    to_score = mos_from_distribution if table.kind == "distribution" else (lambda t: float(t[0]))
    if preset.target == "score01":
        if table.scale[1] != 10.0:
            raise ValueError(f"score01 targets need 1-10 labels; {table.source} is on {table.scale}")
        return lambda target: np.array([to_score(target) / 10.0], np.float32)
    if preset.target == "score":
        return lambda target: np.array([to_score(target)], np.float32)
    raise ValueError(f"unknown target kind {preset.target!r}")


def build_dataset(preset: Preset, labels: Path, data_root: Path, split: str, *, train: bool,
                  check: str = "header", seed: int = 0, val_fraction: float | None = None):
    """The split's dataset; ``train`` picks the augmenting transform.

    ``val_fraction``: train and val are both carved (seeded, by image) from the train labels.
    """
    transform = train_transform(preset.input, preset.augment) if train else eval_transform(preset.input)
    if val_fraction:
        if preset.objective == "pairwise":
            raise ValueError(f"--val-fraction needs per-image labels; preset {preset.name} trains on pairs")
        loaded = carve_validation(load_split(preset.dataset, labels, "train", seed), split, val_fraction, seed)
    else:
        loaded = load_split(preset.dataset, labels, split, seed)
    label = f"{preset.dataset} {split}"
    if preset.objective == "pairwise":
        return PairDataset(loaded, data_root, transform, check=check, label=label)
    return ImageDataset(loaded, data_root, transform, target_function(preset, loaded), check=check, label=label)
