"""Build the shipped burst ranker: which of two frames of one scene is the better shot.

Design (RankIQA / Siamese-NIMA style, docs/models.md#rankiqa, #nima): one MobileNetV2
scorer s, initialised from the quality ranker's checkpoint and trained as a Siamese
pair, ``logit = s(first) − s(second)``, P(first better) = sigmoid(logit): exactly
antisymmetric, P(a, b) = 1 − P(b, a).

Shipped as a *per-frame* score: the scorer's blocks ``0..trainable_from-1`` are the
frozen ImageNet blocks the quality ranker and the embedding already share, so the
shipped file computes s as a third head of that one graph (output ``burst``, manifest
kind ``frame_score``, see ``training.assets.quality_embedding``). The app scores
every photo once in its batched per-photo pass and compares bursts from the stored
scores: no pair runs, no frames kept in memory. :func:`export_pairwise` still writes
the two-input ``pair_logit`` graph (the same scorer twice) for anyone who wants it.

Pretraining pairs imitate burst frames: two independent crops of one permissive
photo (85–100 % of the area, so the framing shifts a little between them), each
with its own degradation — either one clean and one degraded frame (any defect,
level 1–5), or both degraded by one defect at different levels. The frame with
the lower level is the better one. Loss: binary cross-entropy on the logit.
Only the last two MobileNetV2 blocks and the head learn (the rest stays frozen
and is computed once per frame, as in the quality builder). Later fine-tuning
from a user's burst picks uses the same loss on (picked, rejected) pairs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from engine.inference.contract import Metric, ModelManifest, OutputSpec, sha256_of, write_manifest
from engine.inference.preprocess import InputSpec
from training.assets import imagenet_weights, quality
from training.assets.photo_sets import HELDOUT_PHOTOS, TRAIN_PHOTOS, TRAINING_DATA, Photo, load_photos, photo_record
from training.assets.quality_eval import OnnxModel, evaluate_burst
from training.assets.shipping import AssetRecipe, build_provenance, seed_everything
from training.checkpoints import build_model, load_checkpoint
from training.distortions import DEFECTS, LEVELS, distort
from training.export import OPSET, export_provenance, ort_cpu_ms_per_image, write_verified_onnx
from training.models.distortion_ranker import DistortionRanker, scorer_architecture
from training.models.siamese import SiameseRanker

NAME = "burst_ranker"
EXPOSURE_DEFECTS = ("underexposure", "overexposure")
INPUT_NAMES = ("first", "second")
BURST_TRAINING_DATA = TRAINING_DATA + " Pairs: shifted crops of one photo with different degradations."
HELDOUT_DATASET = "synthetic bursts (3 shifted crops) of 7 held-out permissive photos"

#: The shipped form: one frame in, its score out (a head of the shared MobileNetV2 file).
RECIPE = AssetRecipe(
    name="burst-ranker-mobilenetv2",
    model="siamese_ranker",
    task="pairwise",
    input=quality.QUALITY_INPUT,
    output=OutputSpec(
        kind="frame_score",
        score_rule="none",
        notes="(N,1) score s of each frame, the Siamese burst ranker's scorer: for two frames of one scene "
        "P(a is the better frame) = sigmoid(s_a - s_b), so P(a,b) = 1 - P(b,a) exactly. Only differences "
        "of s within a burst mean anything; it is not a 1..10 score.",
    ),
    training_data=BURST_TRAINING_DATA,
    description="Burst ranker: a MobileNetV2 scorer trained as a Siamese pair (logit = s(first) - s(second)), "
    "initialised from quality_ranker and fine-tuned on synthetic burst-like pairs (shifted crops of one photo, "
    "different degradations); shipped per frame as a head of the shared quality/embedding file.",
)
#: The two-input form (:func:`export_pairwise`): both frames in, the pair's logit out.
PAIR_OUTPUT = OutputSpec(
    kind="pair_logit",
    score_rule="none",
    notes="Inputs 'first' and 'second' (N,3,H,W), two frames of one scene; output (N,1) logit that 'first' "
    "is the better frame: P = sigmoid(logit). logit = s(first) - s(second) with one shared scorer, so "
    "P(a,b) = 1 - P(b,a) exactly.",
)
PAIR_DESCRIPTION = (
    "Siamese burst ranker: one MobileNetV2 scorer (weights stored once) applied to both frames; "
    "initialised from quality_ranker and fine-tuned on synthetic burst-like pairs (shifted crops of one photo, "
    "different degradations)."
)


@dataclass(frozen=True)
class BurstTraining:
    pairs_per_photo: int = 16
    steps: int = 120
    pairs_per_step: int = 16
    lr: float = 5e-5
    seed: int = 20251124
    threads: int = 1
    exposure_share: float = 0.35  # share of pairs that are clean vs mildly mis-exposed (see burst_pair)


@dataclass
class FrozenPairs:
    first: torch.Tensor  # (pairs, C, h, w) frozen-block activations, fp16
    second: torch.Tensor
    first_better: torch.Tensor  # (pairs,) 1.0 or 0.0
    first_tone: torch.Tensor | None = None  # (pairs, T) input tone statistics, when the scorer reads them
    second_tone: torch.Tensor | None = None

    def batch(self, picked: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The picked pairs' first frames then second frames, as one batch (float32)."""
        frozen = torch.cat([self.first[picked], self.second[picked]]).float()
        if self.first_tone is None or self.second_tone is None:
            return frozen, None
        return frozen, torch.cat([self.first_tone[picked], self.second_tone[picked]])


def build_burst_ranker(out_dir: Path, **options) -> list[Path]:
    """``build-assets --only burst``: the shared file again, quality weights from the cached checkpoint.

    The burst ranker is a head of the shared MobileNetV2 file, so building it rewrites
    that file with all three heads; only the quality ranker's training (most of the
    build time) is skipped when its checkpoint is in ``work_dir`` (trained when missing).
    """
    # Imported here: the shared file's builder imports this module for the burst head.
    from training.assets.quality_embedding import build_quality_and_embedding

    return build_quality_and_embedding(out_dir, quality_from_checkpoint=True, **options)


def fine_tune_scorer(
    checkpoint_path: Path, photos: Path, config: BurstTraining = BurstTraining(),
    command: str = "python -m training build-assets", spec: InputSpec = quality.QUALITY_INPUT,
) -> tuple[DistortionRanker, dict]:
    """The quality checkpoint's scorer fine-tuned as a Siamese pair on burst-like pairs; and its provenance.

    ``spec`` is the input the checkpoint was trained at and the shared file is exported at.
    """
    seed_everything(config.seed, config.threads)
    scorer = build_model(load_checkpoint(checkpoint_path))
    training_photos = load_photos(Path(photos), TRAIN_PHOTOS)
    started = time.perf_counter()
    train_pairs(scorer, cache_pairs(scorer, training_photos, config, spec), config)
    minutes = (time.perf_counter() - started) / 60.0
    provenance = build_provenance(
        command, config.seed, training=asdict(config), training_minutes=round(minutes, 2),
        initialised_from=f"{quality.NAME} checkpoint ({quality.CHECKPOINT})",
        training_photos=photo_record(training_photos), heldout_photos=list(HELDOUT_PHOTOS),
    )
    return scorer.eval(), provenance


def architecture(scorer: DistortionRanker) -> str:
    """How a manifest names the Siamese ranker around ``scorer``."""
    return f"siamese_ranker({scorer_architecture(scorer)})"


def heldout_metrics(manifest_path: Path, photos: Path) -> list[Metric]:
    """Pick-the-untouched-frame accuracy per degradation on synthetic bursts of the held-out photos."""
    heldout = [p.pixels for p in load_photos(Path(photos), HELDOUT_PHOTOS)]
    bursts = [synthetic_burst(photo, index) for index, photo in enumerate(heldout)]
    report = evaluate_burst(pair_probability(OnnxModel(manifest_path)), bursts)
    return [Metric(f"pick_untouched_accuracy_{kind}", round(value, 4), HELDOUT_DATASET, "held out")
            for kind, value in report.accuracy.items()]


@torch.no_grad()
def cache_pairs(
    scorer: DistortionRanker, photos: Sequence[Photo], config: BurstTraining, spec: InputSpec = quality.QUALITY_INPUT
) -> FrozenPairs:
    """Make ``pairs_per_photo`` burst-like pairs per photo and run each frame through the frozen blocks once."""
    rng = np.random.default_rng(config.seed)
    scorer.eval()
    frozen, tones, labels = [], [], []
    jobs = [photo for photo in photos for _ in range(config.pairs_per_photo)]
    for photo in tqdm(jobs, desc="burst pairs", unit="pair"):
        (frame_a, level_a), (frame_b, level_b) = burst_pair(photo.pixels, rng, exposure_share=config.exposure_share)
        batch = quality.model_batch([frame_a, frame_b], spec)
        frozen.append(scorer.frozen_features(batch).half())
        tones.append(scorer.tone_features(batch))
        labels.append(float(level_a < level_b))
    first, second = torch.stack(frozen).unbind(1)
    first_tone, second_tone = torch.stack(tones).unbind(1) if tones[0] is not None else (None, None)
    return FrozenPairs(first, second, torch.tensor(labels), first_tone, second_tone)


def burst_pair(
    pixels: np.ndarray, rng: np.random.Generator, *, exposure_share: float = 0.0
) -> tuple[tuple[np.ndarray, int], tuple[np.ndarray, int]]:
    """Two reframed copies of one photo with different distortion levels, in random order.

    ``exposure_share`` of the pairs are one clean frame against one under- or over-exposed
    at a mild level (1-3): in a real burst the exposure of neighbouring frames drifts by
    a fraction of a stop to a stop and a half, the hardest and commonest case.
    """
    if rng.random() < exposure_share:
        kind = EXPOSURE_DEFECTS[rng.integers(len(EXPOSURE_DEFECTS))]
        levels = [0, int(rng.integers(1, 4))]
        rng.shuffle(levels)
        return tuple(_reframed(pixels, kind, level, rng) for level in levels)  # type: ignore[return-value]
    kind = DEFECTS[rng.integers(len(DEFECTS))]
    if rng.random() < 0.6:
        levels = [0, int(rng.integers(1, LEVELS + 1))]
    else:
        levels = sorted(rng.choice(np.arange(1, LEVELS + 1), size=2, replace=False).tolist())
    rng.shuffle(levels)
    return _reframed(pixels, kind, levels[0], rng), _reframed(pixels, kind, levels[1], rng)


def _reframed(pixels: np.ndarray, kind: str, level: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """One burst-like frame: a random 85-100 % crop of the photo, then ``kind`` at ``level``."""
    crop = random_crop(pixels, rng, min_area=0.85)
    return distort(crop, kind, level, seed=int(rng.integers(2**31))), level


def random_crop(pixels: np.ndarray, rng: np.random.Generator, *, min_area: float) -> np.ndarray:
    height, width = pixels.shape[:2]
    side = math.sqrt(rng.uniform(min_area, 1.0))
    crop_h, crop_w = round(height * side), round(width * side)
    top, left = int(rng.integers(height - crop_h + 1)), int(rng.integers(width - crop_w + 1))
    return pixels[top : top + crop_h, left : left + crop_w]


def train_pairs(scorer: DistortionRanker, pairs: FrozenPairs, config: BurstTraining) -> list[float]:
    """Binary cross-entropy on s(first) − s(second), sampling cached pairs."""
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam([p for p in scorer.parameters() if p.requires_grad], lr=config.lr)
    scorer.train()
    losses = []
    for _ in tqdm(range(config.steps), desc="burst ranker", unit="step"):
        picked = torch.randint(len(pairs.first_better), (config.pairs_per_step,), generator=generator)
        first, second = scorer.score_frozen(*pairs.batch(picked)).view(2, -1)
        loss = F.binary_cross_entropy_with_logits(first - second, pairs.first_better[picked])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    return losses


def synthetic_burst(photo: np.ndarray, index: int, frames: int = 3) -> list[np.ndarray]:
    """Reframed copies of one held-out photo, standing in for burst frames at build time."""
    rng = np.random.default_rng(index)
    return [random_crop(photo, rng, min_area=0.85) for _ in range(frames)]


def pair_probability(model: OnnxModel):
    """``prefer_first`` for :func:`evaluate_burst`: sigmoid of the pair logit, read the way the app reads it.

    A ``frame_score`` model scores each frame alone (logit = s_first − s_second); a
    ``pair_logit`` model takes both frames and gives the logit.
    """

    def prefer_first(firsts: list[np.ndarray], seconds: list[np.ndarray]) -> np.ndarray:
        if model.manifest.output.kind == "frame_score":
            logits = model(firsts).reshape(-1) - model(seconds).reshape(-1)
        else:
            logits = model(firsts, seconds).reshape(-1)
        return 1.0 / (1.0 + np.exp(-logits))

    return prefer_first


def export_pairwise(model: SiameseRanker, out_dir: Path, provenance: dict, name: str = NAME) -> tuple[Path, Path]:
    """Two-input export (the Siamese pair, kind ``pair_logit``), verified like every export; then its manifest.

    Not what ships (that is the per-frame head, see the module docstring); kept for a
    ranker whose scorer does not share the quality ranker's frozen blocks, e.g. one
    fine-tuned deeper on a user's burst picks.
    """
    spec = quality.QUALITY_INPUT
    onnx_path = Path(out_dir) / f"{name}.onnx"
    parity = write_verified_onnx(model, spec, onnx_path, input_names=INPUT_NAMES)
    manifest = ModelManifest(
        name=name,
        architecture=architecture(model.scorer),
        task="pairwise",
        input=spec,
        output=PAIR_OUTPUT,
        onnx_file=onnx_path.name,
        onnx_sha256=sha256_of(onnx_path),
        opset=OPSET,
        training_data=BURST_TRAINING_DATA,
        licence=quality.DERIVED_LICENCE,
        weight_sources=(imagenet_weights.weight_source(),),
        provenance={
            **export_provenance(parity, ort_cpu_ms_per_image(onnx_path, spec)),
            "timing": "ort_cpu_ms_per_image is per pair (one image in each input)",
            **provenance,
        },
        description=PAIR_DESCRIPTION,
    )
    return onnx_path, write_manifest(manifest, out_dir)
