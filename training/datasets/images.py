"""Image loading shared by every dataset family: skip-and-count, never crash.

Label files list far more images than a user may have (AVA's are 255k), and
real folders hold truncated or non-image files. Missing files and files whose
header Pillow cannot read are dropped when a dataset is built and listed in a
:class:`SkipReport`; a file that only fails when fully decoded yields ``None``
from ``__getitem__`` and :func:`collate_skipping` drops and counts it, so one
bad JPEG costs one sample, not a training run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, default_collate
from tqdm import tqdm

from engine.library.decode import DecodeError, open_image
from training.datasets.ranking import RankedPair
from training.datasets.table import LabelTable

#: Build-time checks: "exists" (stat only) or "header" (Pillow reads the header; catches non-images).
CHECKS = ("exists", "header")


@dataclass
class SkipReport:
    """Images left out of a dataset, by reason, for the console and the run report."""

    missing: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.missing) + len(self.unreadable)

    def as_dict(self, limit: int = 50) -> dict[str, Any]:
        return {
            "missing": len(self.missing),
            "unreadable": len(self.unreadable),
            "missing_examples": self.missing[:limit],
            "unreadable_examples": self.unreadable[:limit],
        }


#: What a failed decode raises: the app's DecodeError, plus Pillow's own errors for safety.
DECODE_ERRORS = (DecodeError, OSError, ValueError, Image.DecompressionBombError)


def open_rgb(path: Path) -> Image.Image:
    """The app's decoder (orientation applied, ICC → sRGB, 8-bit RGB), so training sees what the app sees."""
    return open_image(path)


def usable_images(root: Path, names: Sequence[str], check: str = "header", label: str = "") -> tuple[list[int], SkipReport]:
    """Indices of ``names`` whose file under ``root`` passes ``check``; the rest go in the report."""
    if check not in CHECKS:
        raise ValueError(f"unknown image check {check!r}; expected one of {CHECKS}")
    keep, report = [], SkipReport()
    for index, name in enumerate(tqdm(names, desc=f"checking {label or 'images'}", disable=len(names) < 2000)):
        path = root / name
        if not path.is_file():
            report.missing.append(name)
            continue
        if check == "header" and not _header_readable(path):
            report.unreadable.append(name)
            continue
        keep.append(index)
    if report.count:
        print(
            f"{label or 'dataset'}: skipped {report.count} of {len(names)} images "
            f"({len(report.missing)} missing, {len(report.unreadable)} unreadable) under {root}",
            file=sys.stderr,
        )
    return keep, report


def _header_readable(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            image.size  # noqa: B018 - the header parse is the check
        return True
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


class ImageDataset(Dataset):
    """(image, target) samples of a :class:`LabelTable`; targets pass through ``target_fn``.

    Items are dicts ``{"index", "image", "target"}``; ``index`` is the row in
    the (filtered) table, so predictions gathered from many DDP ranks can be
    put back in order and de-duplicated.
    """

    def __init__(
        self,
        table: LabelTable,
        root: Path,
        transform: Callable[[Image.Image], torch.Tensor],
        target_fn: Callable[[np.ndarray], np.ndarray],
        *,
        check: str = "header",
        label: str = "",
    ) -> None:
        self.root = Path(root)
        keep, self.skipped = usable_images(self.root, table.names(), check, label)
        self.table = table.subset(keep)
        self.transform = transform
        self.targets = torch.from_numpy(np.stack([target_fn(r.target) for r in self.table.rows]).astype(np.float32)) \
            if len(self.table) else torch.zeros((0, 1))

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, index: int) -> dict[str, Any] | None:
        try:
            image = open_rgb(self.root / self.table.rows[index].name)
        except DECODE_ERRORS:
            return None
        return {"index": index, "image": self.transform(image), "target": self.targets[index]}


class PairDataset(Dataset):
    """Ranked pairs ``(better, worse)`` for the RankIQA ranking objective."""

    def __init__(self, pairs: Sequence[RankedPair], root: Path, transform: Callable[[Image.Image], torch.Tensor],
                 *, check: str = "header", label: str = "") -> None:
        self.root = Path(root)
        names = sorted({p.better for p in pairs} | {p.worse for p in pairs})
        keep, self.skipped = usable_images(self.root, names, check, label)
        usable = {names[i] for i in keep}
        self.pairs = [p for p in pairs if p.better in usable and p.worse in usable]
        self.transform = transform

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict[str, Any] | None:
        pair = self.pairs[index]
        try:
            better, worse = open_rgb(self.root / pair.better), open_rgb(self.root / pair.worse)
        except DECODE_ERRORS:
            return None
        return {"index": index, "better": self.transform(better), "worse": self.transform(worse)}


def collate_skipping(items: list[dict[str, Any] | None]) -> dict[str, Any]:
    """default_collate over the decodable items, plus ``skipped`` = how many were not."""
    good = [item for item in items if item is not None]
    batch = default_collate(good) if good else {}
    batch["skipped"] = len(items) - len(good)
    return batch
