"""RankIQA-style technical-quality scorer on torchvision's MobileNetV2 (docs/models.md#rankiqa).

ImageNet MobileNetV2 features → global average *and* max pooling (+ optionally the
input's tone statistics, :class:`ToneStatistics`) → Linear(2560 [+ 13] → 1):
one score per photo, higher = fewer technical defects. The max pool lets the
head see "some region is sharp" next to "the frame is sharp on average", which is
what tells a shallow depth of field (sharp subject, soft background) from a
blurred photo. RankIQA trains it with a
hinge on the order of synthetic distortion levels of one photo, so only score
*differences* carry meaning; the builder folds a linear calibration into the
final layer so the exported score lands roughly on 1..10 (see
``training.assets.quality``).

``trainable_from`` names the first ``features`` block that learns; the blocks
before it stay frozen *and* run in ``eval`` mode (BatchNorm statistics fixed),
which is what lets a few hundred CPU steps on a couple of dozen photos work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn
from torchvision.models import mobilenet_v2

from training.models.registry import register_model

MOBILENETV2_FEATURES = 1280


class MobileNetV2Trunk(nn.Module):
    """torchvision's MobileNetV2 ``features`` + global average pooling: (N,3,H,W) → (N,1280)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = mobilenet_v2(weights=None).features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=(2, 3))

    def load_imagenet(self, state_dict: Mapping[str, torch.Tensor]) -> None:
        """Load torchvision's ImageNet file (``mobilenet_v2-b0353104.pth``) strictly, dropping its classifier."""
        features = {k.removeprefix("features."): v for k, v in state_dict.items() if k.startswith("features.")}
        classifier = {k for k in state_dict if not k.startswith("features.")}
        if classifier != {"classifier.1.weight", "classifier.1.bias"}:
            raise ValueError(f"not torchvision's MobileNetV2 ImageNet file: unexpected keys {sorted(classifier)[:4]}")
        self.features.load_state_dict(features, strict=True)


#: Luminance levels (0..1, display-referred) at which :class:`ToneStatistics` reads the cumulative histogram.
TONE_LEVELS: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.98)
_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class ToneStatistics(nn.Module):
    """(N,3,H,W) normalised photos → (N, len(levels)+2): cumulative luminance histogram, mean and spread.

    Why: ImageNet features are trained to *ignore* brightness (a dark dog is still
    a dog), so a head on them alone barely sees a photo darkened by half a stop.
    The share of pixels below each luminance level says directly how much of the
    frame sits in crushed shadows or clipped highlights; the head weighs it with
    the deep features. Hard comparisons, so no gradient flows here (none is needed:
    these are statistics of the input).
    """

    def __init__(self, levels: Sequence[float] = TONE_LEVELS) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("luma", torch.tensor([0.2126, 0.7152, 0.0722]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("levels", torch.tensor(tuple(levels)).view(1, -1, 1, 1), persistent=False)

    @property
    def size(self) -> int:
        return self.levels.shape[1] + 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        luminance = ((x * self.std + self.mean) * self.luma).sum(dim=1, keepdim=True).clamp(0.0, 1.0)
        below = (luminance <= self.levels).float().mean(dim=(2, 3))
        flat = luminance.flatten(1)
        return torch.cat([below, flat.mean(dim=1, keepdim=True), flat.std(dim=1, keepdim=True)], dim=1)


class DistortionRanker(nn.Module):
    """(N,3,H,W) normalised photos → (N,1) technical-quality score.

    ``tone=True`` adds :class:`ToneStatistics` of the input to the head's features.
    """

    def __init__(self, trainable_from: int = 17, dropout: float = 0.0, tone: bool = False) -> None:
        super().__init__()
        self.trunk = MobileNetV2Trunk()
        self.tone = ToneStatistics() if tone else None
        tone_size = self.tone.size if self.tone is not None else 0
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * MOBILENETV2_FEATURES + tone_size, 1))
        self.trainable_from = trainable_from
        for block in self.trunk.features[:trainable_from]:
            block.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.score_frozen(self.frozen_features(x), self.tone_features(x))

    def tone_features(self, x: torch.Tensor) -> torch.Tensor | None:
        """Input statistics the head reads besides the deep features (None without ``tone``); cacheable too."""
        return None if self.tone is None else self.tone(x)

    def frozen_features(self, x: torch.Tensor) -> torch.Tensor:
        """Output of the frozen blocks: constant during training, so a builder may compute it once and cache it."""
        return self.trunk.features[: self.trainable_from](x)

    def score_frozen(self, frozen: torch.Tensor, tone: torch.Tensor | None = None) -> torch.Tensor:
        """Scores from :meth:`frozen_features` (and :meth:`tone_features`) through the trainable blocks and the head."""
        return self.score_maps(self.trunk.features[self.trainable_from :](frozen), tone)

    def score_maps(self, maps: torch.Tensor, tone: torch.Tensor | None = None) -> torch.Tensor:
        """The head alone, on the last block's feature maps: mean and max pooled (plus tone statistics)."""
        pooled = [maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))] + ([] if tone is None else [tone])
        return self.head(torch.cat(pooled, dim=1))

    def location_shares(self, maps: torch.Tensor) -> torch.Tensor:
        """(N,C,h,w) last-block maps → (N,h,w): each location's exact share of the score.

        The head is linear over the mean- and max-pooled maps, so location (i, j) owns its
        part of the mean term and, for every channel whose maximum lies there, that channel's
        max term (split evenly between tied locations). The shares add up to the score minus
        the photo-wide tone term and the bias. ``training.assets.score_map`` builds the same
        sum in the exported graph.
        """
        channels, height, width = maps.shape[1:]
        weight = self.head[-1].weight[0]
        w_mean, w_max = weight[:channels], weight[channels : 2 * channels]
        mean_term = torch.einsum("nchw,c->nhw", maps, w_mean) / (height * width)
        peak = maps.amax(dim=(2, 3), keepdim=True)
        at_peak = (maps == peak).to(maps.dtype)
        placed = at_peak * peak / at_peak.sum(dim=(2, 3), keepdim=True)
        return mean_term + torch.einsum("nchw,c->nhw", placed, w_max)

    def train(self, mode: bool = True) -> DistortionRanker:
        super().train(mode)
        self.trunk.features[: self.trainable_from].eval()  # frozen blocks keep their ImageNet BN statistics
        return self

    @torch.no_grad()
    def calibrate(self, scale: float, offset: float) -> None:
        """Fold ``score → scale·score + offset`` into the final Linear (exported graph unchanged in shape)."""
        linear = self.head[-1]
        linear.weight.mul_(scale)
        linear.bias.mul_(scale).add_(offset)


def scorer_architecture(model: DistortionRanker) -> str:
    """How a manifest names this architecture and its arguments."""
    return f"distortion_ranker(trainable_from={model.trainable_from}, tone={model.tone is not None})"


@register_model("distortion_ranker")
def distortion_ranker(trainable_from: int = 17, dropout: float = 0.0, tone: bool = False) -> DistortionRanker:
    """MobileNetV2 quality scorer; blocks ``features[:trainable_from]`` frozen; ``tone`` adds input tone statistics."""
    return DistortionRanker(trainable_from=trainable_from, dropout=dropout, tone=tone)
