"""KonIQ-10k ``koniq10k_distributions_sets.csv``: ``image_name, c1..c5, c_total, MOS, SD, set``.

``c1..c5`` are vote *fractions* on the 1–5 scale (so targets are 5-bin
distributions), ``MOS`` is on the rescaled 1–100 scale, and ``set`` is the
official split (training / validation / test).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.datasets.table import LabeledImage, LabelTable, parse_float, read_csv_rows, require_columns
from training.metrics import normalise_counts

SCALE = (1.0, 5.0)
_COLUMNS = ["image_name", "c1", "c2", "c3", "c4", "c5", "MOS", "set"]
SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


def read_koniq(path: Path, split: str | None = None) -> LabelTable:
    """Rows of the official ``split`` (train/val/test), or all rows; MOS (1–100) kept in ``extra``."""
    path = Path(path)
    wanted = SPLIT_NAMES.get(split, split) if split else None
    rows, mos = [], []
    for number, row in read_csv_rows(path):
        require_columns(path, row, _COLUMNS)
        if wanted and row["set"] != wanted:
            continue
        fractions = np.array([parse_float(path, number, row[f"c{k}"]) for k in range(1, 6)])
        rows.append(LabeledImage(row["image_name"], normalise_counts(fractions).astype(np.float32), row["set"]))
        mos.append(parse_float(path, number, row["MOS"]))
    return LabelTable(rows, "distribution", SCALE, str(path), {"mos_1_100": np.asarray(mos)})
