"""Do the validation / test rows overlap the training rows?

One ``--labels`` file serves every split (handy for ``eval`` on a custom list),
so a training run on a single file validates on the photos it trained on.
Nothing stops that, but it must never pass silently: the run warns, and the
record (``summary.json``, the checkpoints, the exported manifest) marks its
metrics as measured on training data. ``--val-fraction`` is the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset


def image_names(dataset: Dataset | Any) -> set[str]:
    """The image files a dataset reads (rows of an ImageDataset, both sides of a PairDataset's pairs)."""
    table = getattr(dataset, "table", None)
    if table is not None:
        return {row.name for row in table.rows}
    return {name for pair in getattr(dataset, "pairs", ()) for name in (pair.better, pair.worse)}


@dataclass(frozen=True)
class SplitOverlap:
    """How many images of each held-out split are also training images."""

    sizes: dict[str, int]
    shared: dict[str, int]

    @property
    def val_on_training_rows(self) -> bool:
        return self.shared.get("val", 0) > 0

    def as_dict(self) -> dict[str, Any]:
        return {"val_on_training_rows": self.val_on_training_rows, "shared_with_train": dict(self.shared),
                "sizes": dict(self.sizes)}

    def warnings(self, labels: str) -> list[str]:
        """One plain sentence per leaking split; empty when the splits are apart."""
        lines = []
        for split, count in self.shared.items():
            if not count:
                continue
            where = "the same images" if count == self.sizes[split] else f"{count} of its {self.sizes[split]} images"
            lines.append(
                f"warning: the {split} split holds {where} as the training split (labels {labels}); "
                f"{split} metrics are measured on training data, not on unseen photos, and are recorded so. "
                f"Give a labels folder with separate splits, or --val-fraction 0.2 to hold a part out."
            )
        return lines


def split_overlap(train: set[str], others: dict[str, set[str]]) -> SplitOverlap:
    """Count, for each held-out split, the images it shares with ``train``."""
    return SplitOverlap({k: len(v) for k, v in others.items()}, {k: len(v & train) for k, v in others.items()})


def training_rows_in(checkpoint_path: Path, preset: Any, dataset: Dataset) -> int:
    """``eval``: how many images of ``dataset`` the checkpoint's run trained on (its provenance names the
    labels, seed and --val-fraction); 0 when the checkpoint does not say (imported, older)."""
    from training.checkpoints import load_checkpoint
    from training.datasets.splits import MissingLabels, carve_validation, load_split

    provenance = load_checkpoint(checkpoint_path).provenance
    if "labels" not in provenance or preset.objective != "pointwise":
        return 0
    seed, fraction = int(provenance.get("seed", 0)), (provenance.get("splits") or {}).get("val_fraction")
    try:
        table = load_split(preset.dataset, Path(provenance["labels"]), "train", seed)
    except (MissingLabels, ValueError):
        return 0
    if fraction:
        table = carve_validation(table, "train", fraction, seed)
    return len(image_names(dataset) & {row.name for row in table.rows})
