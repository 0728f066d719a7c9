"""Label tables: what every dataset reader returns, independent of images and torch.

A reader turns one label file into a :class:`LabelTable` of rows
``(image file name, target)``. ``kind`` says whether targets are vote
distributions (AVA, KonIQ, TID2013 as idealo builds it) or scalar scores, and
``scale`` records the native score range so no code guesses it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.metrics import mos_from_distribution


class LabelFormatError(ValueError):
    """A label file that does not have the expected layout, with the file and line."""


@dataclass(frozen=True)
class LabeledImage:
    name: str  # image file name (relative path) under the dataset's image folder
    target: np.ndarray  # (K,) probabilities when kind == "distribution", else (1,) score
    group: str = ""  # theme (TAD66K), worker (FLICKR-AES), reference image (TID2013)...


@dataclass
class LabelTable:
    rows: list[LabeledImage]
    kind: str  # "distribution" | "score"
    scale: tuple[float, float]  # native score range, e.g. (1, 10)
    source: str  # the file(s) it came from, for reports
    extra: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)

    def names(self) -> list[str]:
        return [row.name for row in self.rows]

    def scores(self) -> np.ndarray:
        """Scalar score per row on the native scale (MOS Σk·p_k for distributions)."""
        targets = np.stack([row.target for row in self.rows]) if self.rows else np.zeros((0, 1))
        return mos_from_distribution(targets) if self.kind == "distribution" else targets[:, 0].astype(np.float64)

    def subset(self, keep: list[int], source_note: str = "") -> LabelTable:
        return LabelTable([self.rows[i] for i in keep], self.kind, self.scale, self.source + source_note, self.extra)


def score_row(name: str, score: float, group: str = "") -> LabeledImage:
    return LabeledImage(name, np.array([score], dtype=np.float32), group)


def read_csv_rows(path: Path, *, delimiter: str = ",") -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) with header names and values stripped of spaces.

    FLICKR-AES headers carry a leading space (`` imagePair``) and some files
    have trailing blanks, so every name and value is stripped here once.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise LabelFormatError(f"{path}: empty label file") from None
        for number, values in enumerate(reader, start=2):
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise LabelFormatError(f"{path}:{number}: {len(values)} columns, header has {len(header)}")
            yield number, {h: v.strip() for h, v in zip(header, values)}


def read_fields(path: Path, expected: int, layout: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) of a whitespace-separated file with ``expected`` fields per line.

    AVA.txt, TID2013's ``mos_with_names.txt`` and FLICKR-AES's score file are of
    this kind; blank lines are skipped, and splitting on any whitespace also
    drops the leading space some FLICKR-AES names carry. ``layout`` names the
    fields in the error message.
    """
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != expected:
                raise LabelFormatError(f"{path}:{number}: expected {expected} fields ({layout}), got {len(fields)}")
            yield number, fields


def require_columns(path: Path, row: dict[str, str], columns: list[str]) -> None:
    missing = [c for c in columns if c not in row]
    if missing:
        raise LabelFormatError(f"{path}: missing column(s) {missing}; found {list(row)}")


def parse_float(path: Path, number: int, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise LabelFormatError(f"{path}:{number}: {value!r} is not a number") from None


def read_name_score_csv(path: Path, *, name_column: str, score_column: str = "score",
                        scale: tuple[float, float]) -> LabelTable:
    """The ``image,score`` / ``image_id,score`` layout shared by TAD66K, AADB and PARA (ELTA CSVs)."""
    path = Path(path)
    rows = []
    for number, row in read_csv_rows(path):
        require_columns(path, row, [name_column, score_column])
        rows.append(score_row(row[name_column], parse_float(path, number, row[score_column])))
    return LabelTable(rows, "score", scale, str(path))
