"""Test-only helpers for the training tests: a tiny registered model, a preset using it,
and generated labelled images (no real data). Imported by tests/test_training_*.py and by
the DDP test's spawned processes (so registration happens in every process)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from engine.inference.preprocess import InputSpec
from training.models.registry import register_model
from training.presets import Preset, TrainAugment, register_preset

TINY_INPUT = InputSpec(height=16, width=16, resize="squash")


class TinyDistributionNet(nn.Module):
    """Pool to 4×4, one linear layer, softmax over 10 bins: no BatchNorm or dropout, so DDP == 1 process."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.fc = nn.Linear(3 * 16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.fc(self.pool(x).flatten(1)), dim=1)


@register_model("test_tiny_distribution")
def tiny_distribution() -> TinyDistributionNet:
    return TinyDistributionNet()


TINY_PRESET = register_preset(
    Preset(
        name="test-tiny-ava", description="test only", source="tests", model="test_tiny_distribution",
        model_kwargs={}, task="aesthetic", input=TINY_INPUT, output_kind="distribution10",
        score_rule="mean_of_distribution", softmax=False, dataset="ava", target="distribution",
        loss="emd_per_sample", optimizer="adam", lr=0.01, epochs=12, batch_size=8,
        augment=TrainAugment(), training_data="generated",
    )
)


def histogram_for(score: float) -> list[int]:
    """100 votes spread around ``score`` (1..10), so the MOS is close to it."""
    bins = np.arange(1, 11)
    weights = np.exp(-0.5 * ((bins - score) / 0.8) ** 2)
    return [int(v) for v in np.round(100 * weights / weights.sum())]


def make_ava_set(root: Path, ids: list[int], seed: int) -> dict[int, float]:
    """Images whose score is their red-vs-blue balance, hidden under larger nuisance changes
    (brightness, left/right contrast) that an untrained model mostly responds to."""
    rng = np.random.default_rng(seed)
    scores = {}
    root.mkdir(parents=True, exist_ok=True)
    for image_id in ids:
        colour, brightness, contrast = rng.uniform(-1, 1, size=3)
        pixels = rng.integers(90, 150, size=(24, 24, 3)).astype(np.float64) + 50 * brightness
        pixels[:, :12] += 40 * contrast
        pixels[:, 12:] -= 40 * contrast
        pixels[..., 0] += 25 * colour
        pixels[..., 2] -= 25 * colour
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(root / f"{image_id}.jpg", quality=95)
        scores[image_id] = 5.5 + 4 * colour
    return scores


def write_group_csv(path: Path, scores: dict[int, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image_id", *[f"score{j}" for j in range(2, 12)], "tag1", "tag2", "tag3"])
        for image_id, score in scores.items():
            writer.writerow([image_id, *histogram_for(score), 0, 0, 0])


def make_tiny_ava(tmp: Path, n_train: int = 16, n_val: int = 12) -> tuple[Path, Path]:
    """(labels folder with train.csv/val.csv/test.csv, images folder)."""
    images, labels = tmp / "images", tmp / "labels"
    train = make_ava_set(images, list(range(1000, 1000 + n_train)), seed=1)
    val = make_ava_set(images, list(range(5000, 5000 + n_val)), seed=2)
    write_group_csv(labels / "train.csv", train)
    write_group_csv(labels / "val.csv", val)
    write_group_csv(labels / "test.csv", val)
    return labels, images
