"""Image → tensor transforms for training and evaluation.

The EVAL transform is ``engine.inference.preprocess.preprocess`` itself, so a metric
measured here is a metric of exactly what the app feeds the ONNX model. The
TRAIN transform applies a preset's :class:`~training.presets.TrainAugment`
(resize → flip → random crop, docs/models.md per recipe) on the PIL image and then
the same ``engine.inference.preprocess.to_array`` normalisation, so train and eval can
never disagree on scaling, mean/std or layout.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from PIL import Image

from engine.inference.preprocess import InputSpec, preprocess, to_array
from training.presets import TrainAugment

ImageTransform = Callable[[Image.Image], torch.Tensor]


def eval_transform(spec: InputSpec) -> ImageTransform:
    """The app's preprocessing, returning a CHW float32 tensor."""

    def transform(image: Image.Image) -> torch.Tensor:
        return torch.from_numpy(preprocess(image, spec))

    return transform


def train_transform(spec: InputSpec, augment: TrainAugment) -> ImageTransform:
    """Random augmentation from torch's RNG (seeded per worker by the DataLoader)."""
    if augment.resize is None:
        base = eval_transform(spec)
        return base if not augment.hflip else lambda image: _maybe_flip_tensor(base(image))
    out_h, out_w = (augment.crop, augment.crop) if augment.crop else augment.resize
    if (out_h, out_w) != (spec.height, spec.width):
        raise ValueError(f"augment yields {out_h}x{out_w} but the model input is {spec.height}x{spec.width}")

    def transform(image: Image.Image) -> torch.Tensor:
        image = image.convert("RGB").resize((augment.resize[1], augment.resize[0]), Image.Resampling.BILINEAR)
        if augment.hflip and torch.rand(()) < 0.5:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if augment.crop:
            image = _random_crop(image, augment.crop)
        return torch.from_numpy(to_array(image, spec))

    return transform


def _random_crop(image: Image.Image, size: int) -> Image.Image:
    width, height = image.size
    left = int(torch.randint(0, width - size + 1, ()))
    top = int(torch.randint(0, height - size + 1, ()))
    return image.crop((left, top, left + size, top + size))


def _maybe_flip_tensor(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.flip(-1) if torch.rand(()) < 0.5 else tensor
