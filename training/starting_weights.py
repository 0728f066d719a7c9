"""What a run's weights start from, said out loud.

A recipe such as TANet (Places365 ResNet-18 + ImageNet MobileNetV2), EAT
(ImageNet DAT-Base) or NIMA (an ImageNet backbone) is only the published
recipe when it starts from those pretrained files. Without them the run
trains from random weights and scores far worse, so a preset that expects
files (``Preset.pretrained``: branch → what file it wants) refuses to start
without them unless ``--random-init`` says that is meant. Whatever happens,
the run states one line about it, and the same record goes into
``summary.json``, the checkpoints and the exported manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from training.presets import Preset

#: The record's ``start`` values.
PRETRAINED, PARTLY_RANDOM, RANDOM, RESUMED = "pretrained", "partly random", "random", "resumed"


class MissingStartingWeights(ValueError):
    """A preset that expects pretrained files got none (or not all) and --random-init was not given."""


@dataclass(frozen=True)
class StartingWeights:
    """Where a run's weights came from: ``start`` plus the loaded files and the branches left random."""

    start: str
    loaded: tuple[dict[str, str], ...] = ()
    random_branches: tuple[str, ...] = ()
    line: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "loaded": list(self.loaded), "random_branches": list(self.random_branches),
                "line": self.line}

    @property
    def from_random(self) -> bool:
        return self.start in (RANDOM, PARTLY_RANDOM)


def expected_files(preset: Preset, branches: list[str] | tuple[str, ...]) -> str:
    """'Places365 ResNet-18 (resnet18_places365.pth.tar) and ...' for the named branches."""
    return " and ".join(preset.pretrained[b] for b in branches)


def starting_weights(preset: Preset, loaded: list[dict[str, str]], *, random_init: bool) -> StartingWeights:
    """The record for a fresh run; raises :class:`MissingStartingWeights` when files are missing and not allowed."""
    missing = [b for b in preset.pretrained if b not in {item["branch"] for item in loaded}]
    files = ", ".join(item["file"] for item in loaded)
    if not preset.pretrained:
        start = PRETRAINED if loaded else RANDOM
        line = f"starting weights: {files}" if loaded else \
            f"starting weights: random (preset {preset.name} expects no pretrained file)"
        return StartingWeights(start, tuple(loaded), (), line)
    if not missing:
        return StartingWeights(PRETRAINED, tuple(loaded), (), f"starting weights: {files} (as the recipe expects)")
    wanted = expected_files(preset, missing)
    if not random_init:
        raise MissingStartingWeights(
            f"preset {preset.name} starts from pretrained weights ({wanted}), but --backbone-weights gave no such "
            f"file. Pass each file with --backbone-weights PATH (nothing is downloaded), or add --random-init to "
            f"train from random weights on purpose (expect much worse scores)."
        )
    start = PARTLY_RANDOM if loaded else RANDOM
    line = (f"starting weights: RANDOM for {', '.join(missing)} (--random-init; the recipe expects {wanted})"
            + (f"; loaded {files}" if loaded else ""))
    return StartingWeights(start, tuple(loaded), tuple(missing), line)


def resumed(previous: dict[str, Any] | None) -> dict[str, Any]:
    """On --resume the weights come from last.pt; keep what the original run started from."""
    if previous:
        return dict(previous)
    return StartingWeights(RESUMED, line="starting weights: resumed from last.pt (its origin was not recorded)").as_dict()
