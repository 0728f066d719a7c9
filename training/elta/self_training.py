"""ELTA self-training: pseudo-label a scored pool with adaptive sharpening and write it as AVA labels.

docs/models.md#elta: a trained model scores a pool, :func:`~training.elta.sharpening.select_pseudo_labels`
picks (β, threshold) on its grid, and the kept images, with their pseudo-label
distributions as soft labels, join the training set for another round. The rows
are written in the group's AVA CSV layout (``image_id, score2..score11, score``;
the "counts" are probabilities, which the AVA reader normalises anyway), so
``train --labels`` reads the result like any other split.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from training.datasets.ava import GROUP_COLUMNS
from training.elta.sharpening import ELTA1_FULL_GRID, ELTA1_GRID, ELTA2_GRID, Selection, select_pseudo_labels
from training.metrics import mos_from_distribution
from training.presets import Preset

#: (version, grid name) → (betas, thresholds).
GRIDS = {("1.0", "shipped"): ELTA1_GRID, ("1.0", "full"): ELTA1_FULL_GRID, ("2.0", "shipped"): ELTA2_GRID,
         ("2.0", "full"): ELTA2_GRID}


def logits_of(outputs: np.ndarray, preset: Preset) -> np.ndarray:
    """Logits whose sharpening equals the authors': raw outputs, or log-probabilities of a softmax head.

    softmax(log p) = p, and a per-row constant does not change the sharpened
    distribution (the factor multiplies the whole row), so log p serves as logits.
    """
    if preset.output_kind != "distribution10" or preset.score_rule != "mean_of_distribution":
        raise ValueError(f"preset {preset.name}: pseudo-labels need a 10-bin distribution head, "
                         f"not {preset.output_kind} scored by {preset.score_rule}")
    outputs = np.asarray(outputs, np.float64)
    return outputs if preset.softmax else np.log(np.clip(outputs, 1e-12, None))


def select(outputs: np.ndarray, true_scores: np.ndarray, preset: Preset, *, version: str,
           grid: str = "shipped") -> Selection | None:
    """The grid's best setting for a pool's model outputs and its ground-truth MOS (None: too few kept)."""
    return select_pseudo_labels(logits_of(outputs, preset), true_scores, version=version, grid=GRIDS[version, grid])


def write_ava_labels(path: Path, names: Sequence[str], distributions: np.ndarray) -> Path:
    """Rows ``image_id`` (file stem), ``score2..score11`` (the distribution), ``score`` (its MOS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scores = mos_from_distribution(distributions)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image_id", *GROUP_COLUMNS, "score"])
        for name, row, score in zip(names, distributions, scores):
            writer.writerow([Path(name).stem, *(f"{p:.6g}" for p in row), f"{score:.4f}"])
    return path
