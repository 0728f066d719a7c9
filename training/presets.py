"""Named recipes: one :class:`Preset` per reference recipe of docs/models.md.

A preset bundles what the paper/repo fixed (architecture, input, head semantics,
dataset, loss, optimiser, schedule, augmentation) so ``python -m training train
--preset tanet-ava`` reproduces a recipe, and CLI flags override single values
(:mod:`training.options`). Presets are plain data: no torch import, so
``--help`` and ``list_presets()`` stay fast.

Deviations from the originals are deliberate and written in ``notes``; the one
that applies everywhere: the EVAL transform is ``engine.inference.preprocess`` (Pillow
bilinear), so metrics measure exactly what the app runs, while TANet/EAT used
Pillow's default (bicubic) resize.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from engine.inference.contract import OutputSpec
from engine.inference.preprocess import InputSpec

SQUARE_224 = InputSpec(height=224, width=224, resize="squash")


@dataclass(frozen=True)
class TrainAugment:
    """Train-time augmentation: resize to ``resize`` (H, W) → optional flip → optional random crop.

    ``resize=None`` means "use the eval transform unchanged" (RankIQA.PyTorch has no augmentation).
    """

    resize: tuple[int, int] | None = None
    crop: int | None = None
    hflip: bool = False


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    source: str  # docs/models.md section(s) the numbers come from
    model: str  # training.models registry name
    model_kwargs: dict[str, Any]
    task: str  # manifest task: aesthetic | technical | pairwise
    input: InputSpec
    output_kind: str  # distribution10 | score01 | score (engine.inference.contract.OUTPUT_KINDS)
    score_rule: str  # mean_of_distribution | weighted_sum | linear
    softmax: bool  # True when the model emits logits that must be softmaxed into a distribution
    dataset: str  # training.datasets family
    target: str  # distribution | score01 (score/10) | score (native scale)
    loss: str  # training.losses name
    optimizer: str = "adam"
    lr: float = 1e-5
    weight_decay: float = 0.0
    momentum: float = 0.9
    #: Per-branch learning rates (submodule path → lr, one Adam param group each); others use ``lr``.
    param_group_lr: dict[str, float] = field(default_factory=dict)
    schedule: str = "constant"  # constant | step | rankiqa_warmup
    step_epochs: int = 10
    step_gamma: float = 0.1
    epochs: int = 20
    batch_size: int = 32
    loss_kwargs: dict[str, Any] = field(default_factory=dict)
    #: uniform | elta2_tail (training.sampling); ``sampler_kwargs`` configures it.
    train_sampler: str = "uniform"
    sampler_kwargs: dict[str, Any] = field(default_factory=dict)
    augment: TrainAugment = TrainAugment()
    #: Modes the architecture offers (TANet: faithful = batch-coupled as released, deployable = per image).
    modes: tuple[str, ...] = ()
    default_mode: str | None = None
    best_metric: str = "srcc"
    metric_scale: str = "1-10"  # scale scores are compared on; "0-1" for TAD66K-style sigmoid heads
    training_data: str = ""
    notes: str = ""
    #: Pretrained files the recipe starts from: branch (as ``load_backbone_weights`` names it) → the file.
    #: Without them a run refuses to start unless --random-init (training.starting_weights).
    pretrained: dict[str, str] = field(default_factory=dict)

    @property
    def objective(self) -> str:
        """pointwise (one image → one target) or pairwise (better/worse pairs)."""
        return "pairwise" if self.dataset == "ranking_pairs" else "pointwise"

    def output_spec(self) -> OutputSpec:
        """How the app reads this model's output (the manifest's ``output`` block)."""
        return OutputSpec(
            kind=self.output_kind,
            score_rule=self.score_rule,
            softmax=self.softmax,
            linear_a=10.0 if self.output_kind == "score01" else 1.0,
        )

    def model_arguments(self, mode: str | None = None) -> dict[str, Any]:
        """kwargs for ``create_model``; ``mode`` only for architectures that have modes."""
        kwargs = dict(self.model_kwargs)
        chosen = mode or self.default_mode
        if chosen is not None:
            if chosen not in self.modes:
                raise ValueError(f"preset {self.name} has modes {self.modes or '(none)'}, not {chosen!r}")
            kwargs["mode"] = chosen
        return kwargs

    def with_overrides(self, **changes: Any) -> Preset:
        """A copy with some fields changed (CLI overrides); unknown names raise TypeError.

        A new ``lr`` scales the per-branch rates of ``param_group_lr`` by the same
        factor, so ``--lr`` keeps TANet's branch ratios instead of touching only
        the (possibly empty) default group.
        """
        changes = {k: v for k, v in changes.items() if v is not None}
        if "lr" in changes and self.param_group_lr and "param_group_lr" not in changes:
            factor = changes["lr"] / self.lr
            changes["param_group_lr"] = {branch: lr * factor for branch, lr in self.param_group_lr.items()}
        return replace(self, **changes)


_PRESETS: dict[str, Preset] = {}


def register_preset(preset: Preset) -> Preset:
    if preset.name in _PRESETS:
        raise ValueError(f"preset {preset.name!r} already exists")
    _PRESETS[preset.name] = preset
    return preset


def get_preset(name: str) -> Preset:
    try:
        return _PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; available: {', '.join(list_presets())}") from None


def list_presets() -> list[str]:
    return sorted(_PRESETS)


AVA_DATA = "AVA (aesthetic labels: vote histograms; research-only images)"
TAD66K_DATA = "TAD66K (aesthetic labels; Flickr images, research-only)"

# --- TANet (docs/models.md#tanet) -------------------------------------------------------
#: TANet's Adam param groups, one per branch (docs/models.md#tanet): the frozen Places365
#: ResNet, the MobileNetV2 aesthetics branch, the fusion head (L6), the RGB head (L4),
#: the hypernetwork (L1) and the target net (L2/L3).
TANET_BRANCHES = ("res365_last", "mobileNet", "head", "head_rgb", "hypernet", "tygertnet")


def _tanet(variant: str, branch_lr: dict[str, float], **changes: Any) -> Preset:
    """A TANet preset; ``branch_lr`` gives each of :data:`TANET_BRANCHES` its learning rate."""
    if set(branch_lr) != set(TANET_BRANCHES):
        raise ValueError(f"TANet presets need a learning rate for each of {TANET_BRANCHES}")
    common: dict[str, Any] = dict(
        name=f"tanet-{variant}", source="docs/models.md#tanet", model="tanet", model_kwargs={"variant": variant},
        modes=("faithful", "deployable"), default_mode="deployable", task="aesthetic", input=SQUARE_224,
        softmax=False, dataset=variant, optimizer="adam", param_group_lr=branch_lr,
        pretrained={"res365_last": "the Places365 ResNet-18 (resnet18_places365.pth.tar)",
                    "mobileNet": "the ImageNet MobileNetV2 (mobilenetv2.pth.tar)"},
    )
    return Preset(**{**common, **changes})


register_preset(
    _tanet(
        "ava",
        # The tuned values were not released; chosen inside the AVA NNI space (pretrained and frozen
        # branches {1e-5, 1e-6} → 1e-6, new layers {1e-5, 1e-6} → 1e-5, heads {1e-5, 1e-7} → 1e-5).
        {"res365_last": 1e-6, "mobileNet": 1e-6, "head": 1e-5, "head_rgb": 1e-5, "hypernet": 1e-5,
         "tygertnet": 1e-5},
        description="TANet on AVA: 10-bin softmax head, batch-global EMD r=2",
        output_kind="distribution10",
        score_rule="mean_of_distribution",
        target="distribution",
        loss="emd_batch_global",
        lr=1e-5,
        epochs=20,
        batch_size=48,
        augment=TrainAugment(resize=(224, 224), hflip=True),
        training_data=AVA_DATA,
        notes="Train augment as shipped: squash to 224 + flip, no crop. No LR decay (paper supplement). "
              "Per-branch rates picked inside the NNI space; the released run's values are unknown.",
    )
)
register_preset(
    _tanet(
        "tad66k",
        # The TAD66K NNI space: res365 1e-6; mobileNet, head {1e-6, 1e-7}; head_rgb 1e-7; hypernet, tygertnet {1e-6, 3e-7}.
        {"res365_last": 1e-6, "mobileNet": 1e-6, "head": 1e-6, "head_rgb": 1e-7, "hypernet": 1e-6,
         "tygertnet": 1e-6},
        description="TANet on TAD66K: sigmoid head predicting score/10, MSE",
        source="docs/models.md#tanet, #datasets",
        output_kind="score01",
        score_rule="linear",
        target="score01",
        loss="mse",
        lr=1e-6,
        epochs=200,
        batch_size=40,
        augment=TrainAugment(resize=(256, 256), crop=224, hflip=True),
        metric_scale="0-1",
        training_data=TAD66K_DATA,
        notes="Issue #6: the released model was initialised from ImageNet + AVA training.",
    )
)

# --- NIMA (docs/models.md#nima) ---------------------------------------------------------


def imagenet_backbone(backbone: str) -> dict[str, str]:
    """``pretrained`` for models whose one ``backbone`` branch starts from an ImageNet file."""
    return {"backbone": f"an ImageNet {backbone} weight file (torchvision or timm release)"}


def _nima(backbone: str, label: str) -> Preset:
    return Preset(
        name=f"nima-{label}-ava",
        description=f"NIMA with a {backbone} backbone on AVA: Dropout(0.75)+FC(10)+softmax, per-sample EMD",
        source="docs/models.md#nima",
        model="nima",
        model_kwargs={"backbone": backbone},
        task="aesthetic",
        input=SQUARE_224,
        output_kind="distribution10",
        score_rule="mean_of_distribution",
        softmax=False,
        dataset="ava",
        target="distribution",
        loss="emd_per_sample",
        optimizer="adam",
        lr=3e-5,
        epochs=10,
        batch_size=96,
        augment=TrainAugment(resize=(256, 256), crop=224, hflip=True),
        training_data=AVA_DATA,
        pretrained=imagenet_backbone(backbone),
        notes="idealo's full fine-tune phase (Adam 3e-5, batch 96); the paper's SGD rates do not converge (titu1994 #50).",
    )


register_preset(_nima("mobilenet_v2", "mobilenetv2"))
register_preset(_nima("resnet50", "resnet50"))
register_preset(
    Preset(
        name="nima-mobilenetv2-tid2013",
        description="NIMA technical model on TID2013: MOS as a max-entropy 10-bin distribution",
        source="docs/models.md#nima, #datasets",
        model="nima",
        model_kwargs={"backbone": "mobilenet_v2"},
        task="technical",
        input=SQUARE_224,
        output_kind="distribution10",
        score_rule="mean_of_distribution",
        softmax=False,
        dataset="tid2013",
        target="distribution",
        loss="emd_per_sample",
        lr=3e-7,
        epochs=25,
        batch_size=64,
        augment=TrainAugment(resize=(256, 256), crop=224, hflip=True),
        training_data="TID2013 (technical quality MOS; research-only)",
        pretrained=imagenet_backbone("mobilenet_v2"),
        notes="idealo: technical scores are shifted by +1 because the support is 0..9 but the mean uses 1..10.",
    )
)

# --- RankIQA.PyTorch (docs/models.md#rankiqa) ----------------------------------------------
_RANKIQA_INPUT = InputSpec(height=224, width=224, resize="shorter_center_crop")


def _rankiqa(task: str, **changes: Any) -> Preset:
    base = Preset(
        name=f"rankiqa-mobilenetv3-{task}",
        description=f"RankIQA.PyTorch '{task}' task with a MobileNetV3-Large backbone",
        source="docs/models.md#rankiqa",
        model="rankiqa",
        model_kwargs={"backbone": "mobilenet_v3_large", "num_outputs": 1},
        task="technical",
        input=_RANKIQA_INPUT,
        output_kind="score",
        score_rule="linear",
        softmax=False,
        dataset="ranking_regress",
        target="score",
        loss="mse",
        optimizer="adam",
        lr=1e-4,
        weight_decay=1e-4,
        schedule="rankiqa_warmup",
        epochs=65,
        batch_size=64,
        training_data="image-quality labels given with --labels (label.txt, RankIQA layout)",
        pretrained=imagenet_backbone("mobilenet_v3_large"),
        notes="No augmentation (centre crop to aspect + resize, as the repo's OpenCV pipeline).",
    )
    return replace(base, **changes)


register_preset(
    _rankiqa(
        "rank",
        dataset="ranking_pairs",
        loss="margin_ranking",
        loss_kwargs={"margin": 0.1, "sigmoid": True},
        best_metric="pair_accuracy",
    )
)
register_preset(_rankiqa("regress"))
register_preset(
    _rankiqa(
        "emd",
        model_kwargs={"backbone": "mobilenet_v3_large", "num_outputs": 10},
        output_kind="distribution10",
        score_rule="mean_of_distribution",
        softmax=True,
        dataset="ranking_emd",
        target="distribution",
        loss="emd_per_sample",
    )
)

# --- EAT and ELTA (docs/models.md#eat, #elta) live in their own modules ------------------
from training import presets_eat, presets_elta  # noqa: E402,F401  (registers their presets)
