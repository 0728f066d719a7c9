"""TANet (He et al., IJCAI 2022): theme, RGB-attention and aesthetics branches, two heads.

Written from docs/models.md#tanet and the authors' code as a reference for names and
shapes (woshidandan/TANet-image-aesthetics-and-quality-assessment,
``code/{AVA,TAD66K}/train_nni.py``). Submodule attribute names are the authors'
(``res365_last``, ``hypernet``, ``tygertnet``, ``mobileNet``, ``head_rgb``,
``head``), because that is what makes their released ``state_dict`` files load
with strict key matching. Parameter count: 13,882,975 (AVA head) of which
2,519,218 trainable; the Places365 ResNet-18 (11,363,757) is frozen.

Two modes share one ``state_dict``:

``faithful``
    The authors' computation, batch coupling included. The theme branch builds a
    B×B matrix T[i,j] = q_i·w_j + b_i from every pair of images in the batch,
    normalises it with a fresh, always-training BatchNorm1d(B) and PReLU (AVA) or
    a softmax over the batch (TAD66K), and averages each row into 10 bins. An
    image's score therefore depends on its batch-mates, and the AVA variant
    raises at batch size 1, exactly as the original does (issue #11).
    The RGB branch uses ``AdaptiveAvgPool2d(12)``, which ONNX cannot export at 224.

``deployable``
    One image at a time, independent of the batch, exportable. The theme features
    are what the authors' own computation gives for an image judged alone: a
    batch without variation normalises to 0, so AVA's features are PReLU(0) = 0,
    and TAD66K's softmax over one column is 1 (the authors' batch-1 output,
    issue #8, where batch 1 and 64 score the same SRCC: 0.5069). Both are
    constants, so the Places365 ResNet-18 is not evaluated at all. The 12×12 RGB
    pooling uses PyTorch's adaptive bins written as two fixed averaging matrices
    (docs/models.md#tanet), identical in value and exportable.

Agreement (tests/test_models_tanet.py): deployable(x) equals faithful on a batch
of copies of x (AVA) and faithful at batch 1 (TAD66K) to 1e-6. At realistic batch
sizes the faithful theme features differ; that gap is a property of the original
model and is what ``eval --mode faithful`` vs ``--mode deployable`` measures.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from training.models.backbones import (
    MOBILENETV2_FEATURES,
    PLACES365_CLASSES,
    TonylinsMobileNetV2,
    places365_resnet18,
)
from training.models.registry import register_model

VARIANTS = ("ava", "tad66k")
MODES = ("faithful", "deployable")
THEME_FEATURES = 100
RGB_GRID = 12
NUM_BINS = 10

#: The theme features of an image judged alone (see the module docstring).
THEME_VALUE_ALONE = {"ava": 0.0, "tad66k": 1.0}


class ThemeHyperNet(nn.Module):
    """L1: from the 365 Places logits, predict the weights (100) and bias (1) of a linear layer."""

    def __init__(self) -> None:
        super().__init__()
        self.last_out_w = nn.Linear(PLACES365_CLASSES, THEME_FEATURES)
        self.last_out_b = nn.Linear(PLACES365_CLASSES, 1)

    def forward(self, scene_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.last_out_w(scene_logits), self.last_out_b(scene_logits)


class ThemeTargetNet(nn.Module):
    """L2 (fc1 → bn1 → PReLU → dropout) plus the PReLU that follows L3's dynamic linear layer.

    ``relu7`` exists in both variants (it is in both released files) but only the
    AVA variant uses it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(PLACES365_CLASSES, THEME_FEATURES)
        self.bn1 = nn.BatchNorm1d(THEME_FEATURES)
        self.relu1 = nn.PReLU()
        self.drop1 = nn.Dropout(0.5)
        self.relu7 = nn.PReLU()

    def forward(self, scene_logits: torch.Tensor) -> torch.Tensor:
        return self.drop1(self.relu1(self.bn1(self.fc1(scene_logits))))


class AestheticBranch(nn.Module):
    """L5 (APNet): MobileNetV2 features, pooled to 1280, then ReLU → Dropout(0.75) → 10 logits."""

    def __init__(self, input_size: int) -> None:
        super().__init__()
        mobilenet = TonylinsMobileNetV2(input_size=input_size)
        self.base_model = nn.Sequential(mobilenet.features, mobilenet.avgpool)
        self.head = nn.Sequential(nn.ReLU(inplace=True), nn.Dropout(0.75), nn.Linear(MOBILENETV2_FEATURES, NUM_BINS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.base_model(x).flatten(1))


class TANet(nn.Module):
    """TANet; returns (N,10) probabilities (``variant="ava"``) or (N,1) score/10 in 0..1 (``"tad66k"``)."""

    def __init__(self, variant: str = "ava", mode: str = "faithful", input_size: int = 224) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"TANet variant must be one of {VARIANTS}, not {variant!r}")
        self.variant = variant
        self.mode = mode
        self.input_size = input_size
        self.res365_last = places365_resnet18()
        self.res365_last.requires_grad_(False)  # frozen, as the authors train it
        self.hypernet = ThemeHyperNet()
        self.tygertnet = ThemeTargetNet()
        self.mobileNet = AestheticBranch(input_size)
        self.head_rgb = nn.Sequential(
            nn.ReLU(), nn.Dropout(0.75), nn.Linear(RGB_GRID**4, NUM_BINS), nn.Softmax(dim=1)
        )
        fused = 3 * NUM_BINS
        if variant == "ava":
            self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.75), nn.Linear(fused, NUM_BINS), nn.Softmax(dim=1))
        else:
            self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.75), nn.Linear(fused, 1), nn.Sigmoid())
        rows, cols = adaptive_pool_matrix(input_size, RGB_GRID), adaptive_pool_matrix(input_size, RGB_GRID)
        self.register_buffer("rgb_pool_rows", rows, persistent=False)
        self.register_buffer("rgb_pool_cols", cols, persistent=False)

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"TANet mode must be one of {MODES}, not {value!r}")
        self._mode = value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rgb = self.head_rgb(colour_similarity(self._pool_rgb(x)).flatten(1))
        theme = self._theme_faithful(x) if self.mode == "faithful" else self._theme_alone(rgb)
        aesthetic = self.mobileNet(x)
        return self.head(torch.cat([aesthetic, theme, rgb], dim=1))

    def load_backbone_weights(self, state_dict: Mapping[str, torch.Tensor]) -> str:
        """Load a pretrained backbone file's weights (keys already unwrapped) into its branch.

        Recognises the Places365 ResNet-18 (``fc.weight`` of 365 rows) and the tonylins
        MobileNetV2 (``features.*`` + ``classifier.1.*``); loads strictly; returns the
        branch name. Anything else raises ``ValueError``.
        """
        fc = state_dict.get("fc.weight")
        if fc is not None and tuple(fc.shape) == (PLACES365_CLASSES, 512):
            self.res365_last.load_state_dict(state_dict, strict=True)
            return "res365_last"
        if "classifier.1.weight" in state_dict and "features.1.conv.0.weight" in state_dict:
            features = {k: v for k, v in state_dict.items() if not k.startswith("classifier.")}
            self.mobileNet.base_model[0].load_state_dict(
                {k.removeprefix("features."): v for k, v in features.items()}, strict=True
            )
            return "mobileNet"
        raise ValueError(
            "not a TANet backbone file: expected resnet18_places365 (fc 365×512) "
            "or the tonylins mobilenetv2.pth.tar (features.* + classifier.1.*)"
        )

    def _pool_rgb(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "faithful":
            return F.adaptive_avg_pool2d(x, RGB_GRID)
        return torch.matmul(torch.matmul(self.rgb_pool_rows, x), self.rgb_pool_cols.t())

    def _theme_faithful(self, x: torch.Tensor) -> torch.Tensor:
        scene_logits = self.res365_last(x)
        weight, bias = self.hypernet(scene_logits)
        q = self.tygertnet(scene_logits)
        pairwise = F.linear(q, weight, bias)  # (B,B): q_i·w_j + b_i — every image against every other
        if self.variant == "ava":
            # A freshly built BatchNorm1d(B) in training mode: batch statistics, unit affine.
            pairwise = F.batch_norm(pairwise, None, None, training=True)
            pairwise = self.tygertnet.relu7(pairwise)
        else:
            pairwise = torch.softmax(pairwise, dim=1)
        # AdaptiveAvgPool2d((10,1)) on the 3-D (B,B,1) tensor: each row's B values into 10 bins.
        return F.adaptive_avg_pool2d(pairwise.unsqueeze(2), (NUM_BINS, 1)).squeeze(2)

    def _theme_alone(self, like: torch.Tensor) -> torch.Tensor:
        return torch.full_like(like, THEME_VALUE_ALONE[self.variant])


def adaptive_pool_matrix(length: int, bins: int) -> torch.Tensor:
    """(bins, length) averaging matrix with PyTorch's adaptive-pooling bins.

    Bin i covers [floor(i·L/n), ceil((i+1)·L/n)); for 224→12 the bins overlap by one
    pixel at some edges, which is why a plain strided AvgPool cannot replace it.
    """
    matrix = torch.zeros(bins, length)
    for i in range(bins):
        start, end = (i * length) // bins, -(-((i + 1) * length) // bins)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def colour_similarity(pooled: torch.Tensor) -> torch.Tensor:
    """Cosine similarity between every pair of pooled colour cells: (N,3,h,w) → (N,hw,hw).

    The "attention" of the RGB branch: no learned query/key (docs/models.md#tanet, L4).
    """
    cells = pooled.flatten(2)  # (N,3,hw)
    dots = torch.matmul(cells.transpose(1, 2), cells)
    norms = torch.linalg.vector_norm(cells, dim=1, keepdim=True)  # (N,1,hw)
    return dots / torch.matmul(norms.transpose(1, 2), norms).clamp(min=1e-8)


@register_model("tanet")
def tanet(variant: str = "ava", mode: str = "faithful", input_size: int = 224) -> TANet:
    """TANet. ``variant``: ava | tad66k. ``mode``: faithful | deployable (same weights)."""
    return TANet(variant=variant, mode=mode, input_size=input_size)
