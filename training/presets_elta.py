"""ELTA presets (docs/models.md#elta), registered when :mod:`training.presets` is imported.

``elta-swinv2-ava`` is ELTA 1.0's AVA recipe: timm SwinV2-B (window 8, 256×256;
ImageNet weights only from a local file: ``train --backbone-weights``), the EMD head,
Adam lr 1e-5 constant, batch 48, 20 epochs, batch-global EMD plus TFA (one pair,
τ₁ = 0.5, τ₂ = 2) and FLSA (weight 1, the README's example). Train: squash to
300 → flip → random 256 crop; eval: squash to 256.
``elta2-swinv2-ava`` is ELTA 2.0's README run without the generated images:
per-sample EMD + 0.10·SmoothL1 + 0.05·rank, TFA off, lr 1e-6, 10 epochs, and the
tail-aware sampler with the README's weights (0.5 label tail, 0.5 scene tail,
0.5 both; ``train --scene-labels`` supplies the scenes). ``elta-eat-ava`` puts
ELTA 1.0's heads and enhancers on EAT's DAT-Base (224, ``dat_base_in1k_224.pth``).
Self-training: ``python -m training pseudo-label`` on a scored pool.
"""

from __future__ import annotations

from engine.inference.preprocess import InputSpec
from training.presets import AVA_DATA, SQUARE_224, Preset, TrainAugment, register_preset

SQUARE_256 = InputSpec(height=256, width=256, resize="squash")

_ELTA1_LOSS = {"base": "emd_batch_global", "tfa": True, "tfa_pairs": 1, "tau1": 0.5, "tau2": 2.0, "flsa_weight": 1.0}
_COMMON = dict(
    source="docs/models.md#elta",
    model="elta",
    model_kwargs={"backbone": "timm/swinv2_base_window8_256", "head": "emd"},
    task="aesthetic",
    input=SQUARE_256,
    output_kind="distribution10",
    score_rule="mean_of_distribution",
    softmax=False,
    dataset="ava",
    target="distribution",
    loss="elta",
    optimizer="adam",
    batch_size=48,
    augment=TrainAugment(resize=(300, 300), crop=256, hflip=True),
    training_data=AVA_DATA,
    pretrained={"backbone": "an ImageNet SwinV2-B 256 (timm swinv2_base_window8_256 weights)"},
)

register_preset(
    Preset(
        name="elta-swinv2-ava",
        description="ELTA 1.0 on AVA: SwinV2-B 256, EMD head, TFA + FLSA",
        loss_kwargs=_ELTA1_LOSS,
        lr=1e-5,
        epochs=20,
        notes="Eval loaders keep the last partial batch (the original drops it). Self-training: "
              "training.elta.sharpening on an eval run's outputs.",
        **_COMMON,
    )
)
register_preset(
    Preset(
        name="elta2-swinv2-ava",
        description="ELTA 2.0 losses on AVA: per-sample EMD + 0.1 SmoothL1(MOS) + 0.05 pairwise rank",
        loss_kwargs={"base": "emd_per_sample", "tfa": False, "smooth_l1_weight": 0.10, "rank_weight": 0.05},
        lr=1e-6,
        epochs=10,
        train_sampler="elta2_tail",
        sampler_kwargs={"label_tail": 0.5, "scene_tail": 0.5, "both": 0.5, "multiplier": 1.0},
        notes="Without the generated tail images (their sampler term is unused).",
        **_COMMON,
    )
)
register_preset(
    Preset(
        name="elta-eat-ava",
        description="ELTA 1.0 heads and enhancers (TFA + FLSA) on EAT's DAT-Base backbone, AVA",
        **{
            **_COMMON,
            "source": "docs/models.md#eat, #elta",
            "model_kwargs": {"backbone": "eat", "head": "emd"},
            "input": SQUARE_224,
            "augment": TrainAugment(resize=(224, 224), hflip=True),
            "loss_kwargs": _ELTA1_LOSS,
            "lr": 1e-6,
            "batch_size": 16,
            "epochs": 20,
            "pretrained": {"backbone": "the ImageNet DAT-Base (dat_base_in1k_224.pth)"},
            "notes": "Not a published recipe: EAT's input, augmentation, lr and batch with ELTA 1.0's head and "
                     "losses; EAT in deployable mode (per-image interest points).",
        },
    )
)
