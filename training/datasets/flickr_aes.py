"""FLICKR-AES labels (docs/models.md#flickr-aes) for the per-worker K-shot protocol.

- ``FLICKR-AES_image_labeled_by_each_worker.csv``: ``worker, imagePair, score``,
  headers after the first carrying a leading space (stripped by ``read_csv_rows``);
  scores are 1–5, the protocol trains on score/5 (scale 0.2–1).
- ``FLICKR-AES_image_score.txt``: space-separated ``name score`` (names may start
  with a space, so lines are split on whitespace).
- the 37 test workers: one worker id per line (a ``worker`` header is allowed).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from training.datasets.table import (
    LabelFormatError,
    LabelTable,
    parse_float,
    read_csv_rows,
    read_fields,
    require_columns,
    score_row,
)

WORKER_SCALE = (0.2, 1.0)  # score / 5


def read_worker_ratings(path: Path) -> dict[str, LabelTable]:
    """worker id → that worker's images with score/5 targets."""
    path = Path(path)
    by_worker: dict[str, list] = defaultdict(list)
    for number, row in read_csv_rows(path):
        require_columns(path, row, ["worker", "imagePair", "score"])
        score = parse_float(path, number, row["score"])
        if not 1 <= score <= 5:
            raise LabelFormatError(f"{path}:{number}: score {score} outside 1..5")
        by_worker[row["worker"]].append(score_row(row["imagePair"], score / 5.0, row["worker"]))
    return {w: LabelTable(rows, "score", WORKER_SCALE, f"{path} [{w}]") for w, rows in by_worker.items()}


def read_image_scores(path: Path) -> LabelTable:
    """The generic per-image scores (mean of 5 workers, 1–5)."""
    path = Path(path)
    rows = [score_row(name, parse_float(path, number, score))
            for number, (name, score) in read_fields(path, 2, "name score")]
    return LabelTable(rows, "score", (1.0, 5.0), str(path))


def read_worker_list(path: Path) -> list[str]:
    """Test-worker ids in file order (the first column of each line)."""
    workers = []
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            worker = line.split(",")[0].strip()
            if worker and worker.lower() != "worker":
                workers.append(worker)
    return workers
