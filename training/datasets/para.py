"""PARA labels (docs/models.md#datasets): ELTA's ``image_id,score`` with score = official 1–5 mean ×2."""

from __future__ import annotations

from pathlib import Path

from training.datasets.table import LabelTable, read_name_score_csv

SCALE = (2.0, 10.0)


def read_para_csv(path: Path) -> LabelTable:
    return read_name_score_csv(Path(path), name_column="image_id", scale=SCALE)
