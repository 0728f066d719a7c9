"""``python -m training eval-piaa``: the FLICKR-AES personalised IAA protocol (docs/models.md#flickr-aes).

For each test worker (``test_workers.csv``, 37 in the real split): take every image the
worker rated, draw K (10 and 100) of them ``--repeats`` times (10; seeded, unlike the
reference code), fine-tune a copy of the generic model on the K for ``--epochs`` (20) full
batch with Adam on MSE(score/10, rating/5), and compute SRCC on the worker's remaining
images. SRCC is averaged over the repeats, then over workers; the generic model's
"no-train" SRCC on the same splits is reported beside it. Workers with K or fewer usable
images are skipped for that K (and counted). Images are decoded by ``engine.library.decode``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.options import add_preset_arguments, resolve_device

NAME = "eval-piaa"
HELP = "FLICKR-AES personalised protocol: per-worker K-shot fine-tuning, SRCC averaged over splits and workers"

RATINGS_FILE = "FLICKR-AES_image_labeled_by_each_worker.csv"
WORKERS_FILE = "test_workers.csv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_preset_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, help="generic model checkpoint (.pt); without it the weights "
                        "are the architecture's initial ones and the report says so")
    parser.add_argument("--labels", type=Path, required=True,
                        help=f"folder holding {RATINGS_FILE} and {WORKERS_FILE}")
    parser.add_argument("--data-root", type=Path, required=True, help="the 40K image folder")
    parser.add_argument("--k", type=int, nargs="+", default=[10, 100], help="fine-tuning set sizes (default 10 100)")
    parser.add_argument("--repeats", type=int, default=10, help="random splits per worker (default 10)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--scope", choices=("head", "last", "all"), default="all",
                        help="what is fine-tuned (default all, lr 1e-5, as BLG-PIAA; head uses lr 1e-3 as PA-IAA)")
    parser.add_argument("--lr", type=float, help="override the scope's learning rate")
    parser.add_argument("--max-workers", type=int, help="only the first N test workers (smoke runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument("--out", type=Path, help="write the JSON report here as well")


def run(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from training.datasets.flickr_aes import read_worker_list, read_worker_ratings
    from training.datasets.table import LabelFormatError

    try:
        ratings = read_worker_ratings(args.labels / RATINGS_FILE)
        workers = read_worker_list(args.labels / WORKERS_FILE)
    except (OSError, LabelFormatError) as exc:
        print(f"eval-piaa: {exc}", file=sys.stderr)
        return 2
    if args.max_workers:
        workers = workers[:args.max_workers]
    device = torch.device(resolve_device(args.device))
    base, preset, weights = _base_model(args, device)
    per_k = {k: {"personal": {}, "generic": {}, "skipped": []} for k in args.k}
    problems: list[str] = []
    for worker in tqdm(workers, desc="workers", unit="worker"):
        table = ratings.get(worker)
        if table is None:
            problems.append(f"{worker}: no ratings in {RATINGS_FILE}")
            continue
        _evaluate_worker(args, base, preset, worker, table, per_k, problems, device)
    report = _report(args, preset, weights, per_k, problems, len(workers))
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if problems else 0


def _base_model(args, device):
    from training.inference import load_model
    from training.models.registry import create_model
    from training.options import preset_from_args

    preset = preset_from_args(args)
    if args.checkpoint:
        return load_model(args.checkpoint, preset, args.mode, device), preset, str(args.checkpoint)
    model = create_model(preset.model, **preset.model_arguments(args.mode)).to(device).eval()
    return model, preset, "initial weights (no checkpoint given): not an aesthetic-trained generic model"


def _evaluate_worker(args, base, preset, worker, table, per_k, problems, device) -> None:
    import torch

    from training.metrics import k_shot_splits, srcc
    from training.preference_tuning import TuneSettings, fine_tune, load_tensors, predict

    names = [row.name for row in table.rows]
    images, kept, errors = load_tensors([args.data_root / name for name in names], preset)
    problems.extend(f"{worker}: {e}" for e in errors)
    targets = torch.tensor([float(table.rows[i].target[0]) for i in kept], dtype=torch.float32)
    images = images.to(device)
    generic = predict(base, preset, images)
    settings = TuneSettings(scope=args.scope, epochs=args.epochs, lr=args.lr)
    for k in args.k:
        if len(kept) <= k + 2:
            per_k[k]["skipped"].append(worker)
            continue
        mine, theirs = [], []
        for repeat, split in enumerate(k_shot_splits(len(kept), k, args.repeats, seed=args.seed)):
            train = torch.as_tensor(split.train)
            tuned = fine_tune(base, preset, images[train], targets[train].to(device), settings=settings,
                              seed=args.seed + repeat)
            truth = targets[torch.as_tensor(split.test)].numpy()
            mine.append(srcc(predict(tuned, preset, images[torch.as_tensor(split.test)]), truth))
            theirs.append(srcc(generic[split.test], truth))
        per_k[k]["personal"][worker] = mine
        per_k[k]["generic"][worker] = theirs


def _report(args, preset, weights, per_k, problems, workers) -> dict:
    from training.metrics import personalized_srcc

    results = {}
    for k, found in per_k.items():
        entry = {"workers_evaluated": len(found["personal"]), "workers_skipped": found["skipped"]}
        if found["personal"]:
            mean, std = personalized_srcc(found["personal"])
            generic_mean, generic_std = personalized_srcc(found["generic"])
            entry.update(srcc=mean, srcc_std_over_workers=std, generic_srcc=generic_mean,
                         generic_srcc_std_over_workers=generic_std, improvement=mean - generic_mean)
        results[str(k)] = entry
    return {
        "format": "photocull.eval-piaa/1", "protocol": "FLICKR-AES personalised IAA (docs/models.md#flickr-aes)",
        "preset": preset.name, "weights": weights, "scope": args.scope, "epochs": args.epochs,
        "repeats": args.repeats, "seed": args.seed, "test_workers": workers, "results": results,
        "problems": problems[:50], "problem_count": len(problems),
    }
