"""RankIQA.PyTorch ``label.txt`` layouts (docs/models.md#rankiqa, #datasets).

- ``better,worse``: one ranked pair per line (the ``rank`` task);
- ``path,mos``: the ``regress`` task;
- ``path,p1,…,pN``: the ``emd`` task (N-bin distribution).

The files have no header. Paths are relative to the image root.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.datasets.table import LabeledImage, LabelFormatError, LabelTable, parse_float, score_row


@dataclass(frozen=True)
class RankedPair:
    better: str
    worse: str


def _lines(path: Path):
    with open(path, newline="", encoding="utf-8") as handle:
        for number, fields in enumerate(csv.reader(handle), start=1):
            fields = [f.strip() for f in fields]
            if fields and any(fields):
                yield number, fields


def read_pairs(path: Path) -> list[RankedPair]:
    path = Path(path)
    pairs = []
    for number, fields in _lines(path):
        if len(fields) != 2:
            raise LabelFormatError(f"{path}:{number}: expected 'better,worse', got {len(fields)} fields")
        pairs.append(RankedPair(*fields))
    return pairs


def read_regress(path: Path) -> LabelTable:
    path = Path(path)
    rows = []
    for number, fields in _lines(path):
        if len(fields) != 2:
            raise LabelFormatError(f"{path}:{number}: expected 'path,mos', got {len(fields)} fields")
        rows.append(score_row(fields[0], parse_float(path, number, fields[1])))
    scores = [float(r.target[0]) for r in rows] or [0.0]
    return LabelTable(rows, "score", (min(scores), max(scores)), str(path))


def read_distributions(path: Path) -> LabelTable:
    path = Path(path)
    rows = []
    width = None
    for number, fields in _lines(path):
        probs = np.array([parse_float(path, number, v) for v in fields[1:]], dtype=np.float64)
        if width is None:
            width = len(probs)
        if len(probs) != width or width < 2:
            raise LabelFormatError(f"{path}:{number}: expected path and {width} probabilities")
        if probs.sum() <= 0 or np.any(probs < 0):
            raise LabelFormatError(f"{path}:{number}: probabilities must be non-negative with a positive sum")
        rows.append(LabeledImage(fields[0], (probs / probs.sum()).astype(np.float32)))
    return LabelTable(rows, "distribution", (1.0, float(width or 10)), str(path))
