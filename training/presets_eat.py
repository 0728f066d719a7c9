"""EAT presets (docs/models.md#eat), registered when :mod:`training.presets` is imported.

The recipe as the released ``AVA/main_nni.py`` / ``TAD66K/main_nni.py`` have it:
plain Adam on every parameter, no weight decay; AVA: lr 1e-6 (the default of the
NNI space {1e-5, 1e-6}), batch 16, 20 epochs, lr ×0.1 every 5 epochs, the
batch-global EMD applied to the ten *raw* outputs; TAD66K: lr 1e-5, 25 epochs,
no decay, MSE between the raw output and score/10. Augmentation as TANet's
(docs/models.md#tanet). Initialise from ``dat_base_in1k_224.pth``: ``train --backbone-weights dat_base_in1k_224.pth``.
"""

from __future__ import annotations

from training.presets import AVA_DATA, SQUARE_224, TAD66K_DATA, Preset, TrainAugment, register_preset

_COMMON = dict(
    source="docs/models.md#eat",
    model="eat",
    modes=("faithful", "deployable"),
    default_mode="deployable",
    task="aesthetic",
    input=SQUARE_224,
    softmax=False,
    optimizer="adam",
    weight_decay=0.0,
    pretrained={"dat": "the ImageNet DAT-Base (dat_base_in1k_224.pth)"},
)

register_preset(
    Preset(
        name="eat-ava",
        description="EAT (DAT-Base + interest points + offset gating) on AVA: 10 raw outputs, score = Σk·y_k",
        model_kwargs={"variant": "ava"},
        output_kind="distribution10",
        score_rule="weighted_sum",
        dataset="ava",
        target="distribution",
        loss="emd_batch_global",
        lr=1e-6,
        schedule="step",
        step_epochs=5,
        step_gamma=0.1,
        epochs=20,
        batch_size=16,
        augment=TrainAugment(resize=(224, 224), hflip=True),
        training_data=AVA_DATA,
        notes="EMD on raw outputs (no softmax), as released; the released metrics were measured in faithful mode "
              "at batch 16 (batch-mean interest points).",
        **_COMMON,
    )
)
register_preset(
    Preset(
        name="eat-tad66k",
        description="EAT on TAD66K: one raw output predicting score/10 (no sigmoid), MSE",
        model_kwargs={"variant": "tad66k"},
        output_kind="score01",
        score_rule="linear",
        dataset="tad66k",
        target="score01",
        loss="mse",
        lr=1e-5,
        epochs=25,
        batch_size=16,
        augment=TrainAugment(resize=(256, 256), crop=224, hflip=True),
        metric_scale="0-1",
        training_data=TAD66K_DATA,
        notes="The LR decay call is commented out in the released script: constant lr.",
        **_COMMON,
    )
)
