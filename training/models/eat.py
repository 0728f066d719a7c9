"""EAT (He et al., ACM MM 2023): DAT-Base with learned interest points and directional offset gating.

The network is :class:`training.models.dat.DAT` itself (the authors save the
DAT's ``state_dict`` with no wrapper or prefix), with a 10-way head for AVA and
a 1-way head for TAD66K. Outputs are raw (docs/models.md#eat): the AVA score is
Σ k·y_k over the ten raw outputs, no softmax (``score_rule="weighted_sum"``);
the TAD66K output is score/10, no sigmoid.

Parameter count (asserted in the tests): 86,878,166 with the AVA head,
86,868,941 with the TAD66K head, of which 11,284 are the ``ref_point14`` convs.

Two modes share one ``state_dict``:

``faithful``
    The released computation: the interest points of every deformable block are
    tanh of the *batch mean* of ``ref_point14(x)``, so an image's score depends
    on the other images of its batch (the published metrics used batch 16).
``deployable``
    Each image gets its own interest points: independent of the batch and
    exportable. Identical to ``faithful`` at batch size 1 (and on a batch of
    copies); tests/test_models_eat.py checks both to 1e-6.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from training.models.dat import CONFIGS, DAT
from training.models.registry import register_model

VARIANT_OUTPUTS = {"ava": 10, "tad66k": 1}
MODES = ("faithful", "deployable")
#: Keys of an ImageNet DAT file that EAT does not use, and EAT keys that file cannot have.
CLASSIFIER_PREFIX = "cls_head."
EAT_ONLY_MARKER = ".ref_point14."


class EAT(DAT):
    """DAT with EAT's deformable blocks and an aesthetics head; see the module docstring for modes."""

    def __init__(self, variant: str = "ava", mode: str = "faithful", config: str = "base") -> None:
        if variant not in VARIANT_OUTPUTS:
            raise ValueError(f"EAT variant must be one of {tuple(VARIANT_OUTPUTS)}, not {variant!r}")
        if config not in CONFIGS:
            raise ValueError(f"EAT config must be one of {tuple(CONFIGS)}, not {config!r}")
        super().__init__(CONFIGS[config], num_outputs=VARIANT_OUTPUTS[variant])
        self.variant = variant
        self.mode = mode

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"EAT mode must be one of {MODES}, not {value!r}")
        self._mode = value
        for block in self.deformable_blocks():
            block.batch_mean_interest_points = value == "faithful"

    def load_backbone_weights(self, state_dict: Mapping[str, torch.Tensor]) -> str:
        """Load the ImageNet DAT file (``dat_base_in1k_224.pth``'s ``model`` dict) the way EAT starts.

        Its classifier (1000-way ``cls_head``) is dropped and the ``ref_point14``
        convs, which plain DAT has not, keep their initialisation; every other key
        must be present with the same shape (strict otherwise), unlike the
        authors' ``strict=False`` load, which would silently skip a wrong file.
        """
        own = self.state_dict()
        kept = {k: v for k, v in state_dict.items() if not k.startswith(CLASSIFIER_PREFIX)}
        expected = {k for k in own if not k.startswith(CLASSIFIER_PREFIX) and EAT_ONLY_MARKER not in k}
        missing, unexpected = sorted(expected - set(kept)), sorted(set(kept) - expected)
        mismatched = sorted(k for k in expected & set(kept) if own[k].shape != kept[k].shape)
        if missing or unexpected or mismatched:
            raise ValueError(
                f"not an ImageNet DAT file of this size: {len(missing)} missing (e.g. {missing[:3]}), "
                f"{len(unexpected)} unexpected (e.g. {unexpected[:3]}), {len(mismatched)} with another shape"
            )
        self.load_state_dict({**own, **kept}, strict=True)
        return "dat"


@register_model("eat")
def eat(variant: str = "ava", mode: str = "faithful", config: str = "base") -> EAT:
    """EAT. ``variant``: ava (10 raw outputs) | tad66k (1 raw output, score/10).
    ``mode``: faithful | deployable (same weights). ``config``: base (224) | tiny (64, tests)."""
    return EAT(variant=variant, mode=mode, config=config)
