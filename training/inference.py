"""Scoring folders of photos with a checkpoint, the way the app will score them.

Images are decoded by ``engine.library.decode.open_image`` and preprocessed by
``engine.inference.preprocess`` (the eval transform), sorted by file name and batched in
that order: batch composition matters for TANet's faithful (batch-coupled)
mode, so a run is reproducible only if the order is fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from engine.library.decode import DecodeError
from engine.library.formats import RASTER_EXTENSIONS
from training.checkpoints import build_model, load_checkpoint
from training.datasets.images import DECODE_ERRORS, open_rgb
from training.objectives import PointwiseObjective
from training.presets import Preset
from training.transforms import eval_transform


@dataclass(frozen=True)
class ScoredImage:
    name: str
    score: float | None
    outputs: tuple[float, ...]
    error: str = ""


def load_model(checkpoint: Path, preset: Preset, mode: str | None, device: torch.device) -> nn.Module:
    """Rebuild the checkpoint's model (strict load), in ``mode`` when the architecture has modes."""
    loaded = load_checkpoint(checkpoint, map_location="cpu")
    if loaded.model != preset.model:
        raise ValueError(f"{checkpoint} holds a {loaded.model!r} model but preset {preset.name} uses {preset.model!r}")
    overrides = {"mode": mode or preset.default_mode} if preset.modes else {}
    return build_model(loaded, **overrides).to(device).eval()


def image_files(folder: Path) -> list[Path]:
    """Raster images directly in ``folder``, sorted by file name."""
    return sorted((p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in RASTER_EXTENSIONS),
                  key=lambda p: p.name)


def _batches(paths: list[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(paths), size):
        yield paths[start:start + size]


@torch.no_grad()
def score_folder(model: nn.Module, preset: Preset, folder: Path, *, batch_size: int,
                 device: torch.device, amp: bool = False) -> list[ScoredImage]:
    """One row per image file in name order; unreadable files get an error and no score."""
    transform = eval_transform(preset.input)
    objective = PointwiseObjective(preset)
    paths = image_files(folder)
    results: list[ScoredImage] = []
    for chunk in tqdm(list(_batches(paths, batch_size)), desc="scoring", unit="batch"):
        tensors, names = [], []
        for path in chunk:
            try:
                tensors.append(transform(open_rgb(path)))
                names.append(path.name)
            except DECODE_ERRORS as exc:
                message = exc.message if isinstance(exc, DecodeError) else str(exc)
                results.append(ScoredImage(path.name, None, (), message))
        if not tensors:
            continue
        with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=amp and device.type == "cuda"):
            outputs = model(torch.stack(tensors).to(device)).float().cpu().numpy().astype(np.float64)
        outputs = outputs.reshape(len(outputs), -1)
        for name, row, score in zip(names, outputs, objective.scores(outputs)):
            results.append(ScoredImage(name, float(score), tuple(float(v) for v in row)))
    return sorted(results, key=lambda r: r.name)
