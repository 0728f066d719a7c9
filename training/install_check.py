"""Whether an exported model has earned a place in the app (``export`` installs it only then).

The evidence comes from the checkpoint the training run wrote: how many
validation photos its metrics were measured on, how widely its predictions
spread over them (a collapsed model gives every photo the same score), and
its provenance (were the validation photos training photos; what the weights
started from). A model that fails is still exported, but the app does not
pick it up unless ``--install-anyway``; the verdict goes into the manifest
(``provenance.install_check``), and the registry never adopts a failed model
on its own, only when the user chooses it by name.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Fewer validation photos than this and an SRCC says little (its standard error is about 0.1 at 100).
MIN_VALIDATION_IMAGES = 100
#: A spread of predicted scores below this share of the score scale's width counts as collapsed.
MIN_SPREAD_SHARE = 0.001
_SCALE_WIDTH = {"1-10": 9.0, "0-1": 1.0}


@dataclass(frozen=True)
class InstallCheck:
    passed: bool
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "problems": list(self.problems), "notes": list(self.notes),
                "min_validation_images": MIN_VALIDATION_IMAGES, **self.evidence}


def check_for_install(checkpoint: Any, preset: Any) -> InstallCheck:
    """Judge a :class:`training.checkpoints.Checkpoint` of ``preset`` by the evidence it carries."""
    provenance, metrics = checkpoint.provenance, checkpoint.metrics
    if "imported_from" in provenance:
        return InstallCheck(True, notes=(f"authors' release file {provenance['imported_from']}; "
                                         "their reported numbers, not re-measured",))
    count = metrics.get("val_n")
    spread = metrics.get("val_prediction_spread")
    leaked = (provenance.get("splits") or {}).get("val_on_training_rows")
    start = (provenance.get("starting_weights") or {}).get("start")
    evidence = {"validation_images": count, "prediction_spread": spread, "val_on_training_rows": leaked,
                "starting_weights": start, "train_size": provenance.get("train_size")}
    problems = []
    if count is None:
        problems.append("the checkpoint records no validation measurement")
    elif count < MIN_VALIDATION_IMAGES:
        problems.append(f"measured on {int(count)} validation photos, fewer than {MIN_VALIDATION_IMAGES}")
    if preset.objective == "pointwise":
        floor = MIN_SPREAD_SHARE * _SCALE_WIDTH.get(preset.metric_scale, 9.0)
        if spread is None:
            problems.append("the checkpoint records no spread of its predictions (written before photocull "
                            "measured it)")
        elif spread < floor:
            problems.append(f"collapsed: its scores for the validation photos spread by only {spread:.2g} "
                            f"(needs at least {floor:.2g})")
    if leaked is None:
        problems.append("the checkpoint does not record whether its validation photos were kept apart")
    elif leaked:
        problems.append("its validation photos were training photos (the metrics are measured on training data)")
    notes = ("trained from random weights, not the recipe's pretrained start",) if start in ("random",
                                                                                            "partly random") else ()
    return InstallCheck(not problems, tuple(problems), notes, evidence)


def install(onnx_path: Path, manifest_path: Path, models_dir: Path) -> Path:
    """Copy an exported pair into the app's models folder (the manifest last: the registry looks for it)."""
    models_dir.mkdir(parents=True, exist_ok=True)
    for source in (onnx_path, manifest_path):
        temporary = models_dir / (source.name + ".partial")
        shutil.copyfile(source, temporary)
        os.replace(temporary, models_dir / source.name)
    return models_dir / manifest_path.name
