"""``python -m training personalize``: fine-tune an aesthetic model on one photographer's decisions.

Reads ``--dataset FILE``, the photographer's decisions as the app exports them
(``photocull-cli personalize DIR --export-dataset FILE``, read with
:func:`engine.personalize.dataset.load_dataset`: utilities from picks, rejects and stars; pairs
from burst choices and calibration answers; each photo's path), so training never opens the
app's catalog. It decodes the photos, holds out
``--holdout`` of the burst groups, fine-tunes the head (``--scope head``) or head + last
blocks (``--scope last``) on the rest (:mod:`training.preference_tuning`), and reports held-out
pairwise accuracy and SRCC against stars for the base and the tuned model. Then it exports
ONNX + manifest into the user models folder, which the app picks up on its next analysis.

What the export is called, honestly: an aesthetic base (an aesthetic preset *with* a
``--checkpoint``) gives a personalised **aesthetic** model; a technical base stays task
``technical`` and says it was tuned toward one user's picks; no checkpoint means the base
had no trained weights, and the export is task ``untrained`` (listed, never used).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.options import add_preset_arguments, resolve_device

NAME = "personalize"
HELP = "fine-tune a model's head on your decisions in a photocull library and export it for the app"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--dataset", type=Path, required=True, metavar="FILE",
                        help="decisions exported by `photocull-cli personalize DIR --export-dataset FILE`")
    parser.add_argument("--checkpoint", type=Path, help="base model checkpoint (.pt), e.g. a trained TANet")
    parser.add_argument("--scope", choices=("head", "last"), default="head", help="head only, or head + last blocks")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, help="override the scope's learning rate")
    parser.add_argument("--holdout", type=float, default=0.2, help="share of burst groups held out (default 0.2)")
    parser.add_argument("--name", help="exported model name (default personal-<preset>)")
    parser.add_argument("--out", type=Path, help="export folder (default: the app's user models folder)")
    parser.add_argument("--no-export", action="store_true", help="evaluate only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")


def run(args: argparse.Namespace) -> int:
    import torch

    from engine.config import paths
    from engine.personalize.dataset import DatasetFileError, load_dataset
    from training.preference_tuning import TuneSettings, fine_tune, load_tensors, pairwise_accuracy, predict

    device = torch.device(resolve_device(args.device))
    try:
        dataset = load_dataset(args.dataset)
    except DatasetFileError as exc:
        print(f"personalize: {exc}", file=sys.stderr)
        return 3
    data = _decisions(dataset, args.holdout, args.seed)
    if data is None:
        print("personalize: too few decisions (need picks/rejects/stars on at least 10 photos)", file=sys.stderr)
        return 2
    base, preset, task = _base(args, device)
    images, kept, errors = load_tensors(data["paths"], preset)
    for error in errors:
        print(f"personalize: {error}", file=sys.stderr)
    rows = {old: new for new, old in enumerate(kept)}
    images = images.to(device)
    split = _remap(data, rows)
    tuned = fine_tune(base, preset, images[split["train_rows"]], split["train_targets"].to(device),
                      split["train_pairs"].to(device), TuneSettings(args.scope, args.epochs, args.lr), seed=args.seed)
    report = {"format": "photocull.training-personalize/1", "preset": preset.name, "task": task,
              "decisions": data["decisions"], "images": len(kept), "unreadable": len(errors), "scope": args.scope}
    for label, model in (("base", base), ("personal", tuned)):
        scores = predict(model, preset, images[split["test_rows"]])
        report[label] = {"pairwise_accuracy": pairwise_accuracy(scores, split["test_pairs"].numpy()),
                         "srcc_stars": _srcc(scores, split["test_stars"])}
    if not args.no_export:
        report["exported"] = _export(args, tuned, preset, task, report, paths.user_models_dir())
    print(json.dumps(report, indent=2))
    return 1 if errors else 0


def _decisions(dataset, holdout: float, seed: int) -> dict | None:
    """Decided photos and pairs of an exported dataset, with a train/test split by burst group."""
    import numpy as np

    prefs = dataset.preferences
    if prefs.decisions < 10:
        return None
    ids = sorted((set(prefs.photo_ids.tolist()) | set(prefs.pairs.ravel().tolist())) & set(dataset.paths))
    groups = sorted(set(prefs.groups.get(i, i) for i in ids))
    rng = np.random.default_rng(seed)
    test_groups = set(rng.choice(groups, size=max(1, int(round(holdout * len(groups)))), replace=False).tolist())
    utility = dict(zip(prefs.photo_ids.tolist(), prefs.utility.tolist()))
    stars = dict(zip(prefs.photo_ids.tolist(), prefs.stars.tolist()))
    return {"ids": ids, "paths": [dataset.paths[i] for i in ids], "decisions": prefs.decisions,
            "test": {i for i in ids if prefs.groups.get(i, i) in test_groups},
            "utility": utility, "stars": stars, "pairs": prefs.pairs.tolist()}


def _remap(data: dict, rows: dict[int, int]) -> dict:
    """Index everything by row of the loaded image tensor (unreadable photos dropped)."""
    import torch


    row_of = {pid: rows[i] for i, pid in enumerate(data["ids"]) if i in rows}
    test = [pid for pid in row_of if pid in data["test"]]
    train = [pid for pid in row_of if pid not in data["test"]]
    local = {pid: n for n, pid in enumerate(train)}
    test_local = {pid: n for n, pid in enumerate(test)}
    nan = float("nan")
    return {
        "train_rows": torch.tensor([row_of[p] for p in train], dtype=torch.long),
        "train_targets": torch.tensor([data["utility"].get(p, nan) / 5.5 for p in train], dtype=torch.float32),
        "train_pairs": torch.tensor([(local[w], local[l]) for w, l in data["pairs"] if w in local and l in local],
                                    dtype=torch.long).reshape(-1, 2),
        "test_rows": torch.tensor([row_of[p] for p in test], dtype=torch.long),
        "test_pairs": torch.tensor([(test_local[w], test_local[l]) for w, l in data["pairs"]
                                    if w in test_local and l in test_local], dtype=torch.long).reshape(-1, 2),
        "test_stars": [data["stars"].get(p, 0.0) for p in test],
    }


def _base(args, device):
    from training.inference import load_model
    from training.models.registry import create_model
    from training.options import preset_from_args

    preset = preset_from_args(args)
    if not args.checkpoint:
        model = create_model(preset.model, **preset.model_arguments(args.mode)).to(device).eval()
        return model, preset, "untrained"
    return load_model(args.checkpoint, preset, args.mode, device), preset, preset.task


def _export(args, tuned, preset, task, report, user_dir: Path) -> dict:
    from engine.inference.contract import Metric
    from training.export import export_onnx

    name = args.name or f"personal-{preset.name}"
    what = {"aesthetic": "personalised aesthetic model", "technical": "technical-quality model tuned toward one user's picks",
            "untrained": "head fitted to one user's picks on an untrained base (not aesthetic-trained)"}[task]
    metrics = [Metric(f"heldout_{key}", float(value), "own decisions (held-out bursts)", "test")
               for key, value in report["personal"].items() if value is not None]
    onnx_path, json_path = export_onnx(
        tuned.cpu(), preset.with_overrides(task=task), args.out or user_dir, name, metrics=metrics,
        trained=task != "untrained",
        training_data=f"{preset.training_data}; then {report['decisions']} personal decisions of one photographer",
        description=f"{what}: {preset.name} fine-tuned ({args.scope}) on decisions from a photocull library",
        provenance={"personalized_from": str(args.checkpoint or "initial weights"), "scope": args.scope},
    )
    return {"onnx": str(onnx_path), "manifest": str(json_path)}


def _srcc(scores, stars) -> float | None:
    import numpy as np

    from training.metrics import srcc

    rated = np.asarray(stars) > 0
    if rated.sum() < 3 or len(set(np.asarray(stars)[rated])) < 2:
        return None
    return float(srcc(scores[rated], np.asarray(stars)[rated]))
