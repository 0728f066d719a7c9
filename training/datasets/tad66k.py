"""TAD66K labels (docs/models.md#datasets): ``image,score`` with scores 1–10 (the model learns score/10).

``merge/{train,test}.csv`` are the official split. The 47 ``unmerge/<split>/<theme>.csv``
files use a slightly different split (478 merge/test images are listed under
unmerge/*/train), so theme-wise evaluation takes membership from merge/test and
only the theme from the per-theme files: :func:`theme_lookup` searches both
unmerge folders for that reason.
"""

from __future__ import annotations

from pathlib import Path

from training.datasets.table import LabeledImage, LabelTable, read_name_score_csv

SCALE = (1.0, 10.0)


def read_tad66k_csv(path: Path) -> LabelTable:
    """One TAD66K CSV (TANet ``image`` column or ELTA's ``image_id`` rename)."""
    path = Path(path)
    with open(path, encoding="utf-8-sig") as handle:
        header = handle.readline()
    name_column = "image_id" if header.startswith("image_id") else "image"
    return read_name_score_csv(path, name_column=name_column, scale=SCALE)


def theme_lookup(unmerge_root: Path) -> dict[str, str]:
    """image name → theme, from every ``unmerge/{train,test}/<theme>.csv``."""
    themes: dict[str, str] = {}
    for csv_path in sorted(Path(unmerge_root).glob("*/*.csv")):
        for row in read_tad66k_csv(csv_path).rows:
            themes.setdefault(row.name, csv_path.stem)
    return themes


def with_themes(table: LabelTable, themes: dict[str, str]) -> LabelTable:
    """Attach themes to a merged split; images no theme file lists keep an empty group."""
    rows = [LabeledImage(r.name, r.target, themes.get(r.name, "")) for r in table.rows]
    return LabelTable(rows, table.kind, table.scale, table.source, table.extra)
