"""The training and evaluation loops (single process, or DDP under ``torchrun``).

One :func:`train` call runs a whole recipe: datasets from the preset, model
from the registry, per-epoch checkpoints (``last.pt``, ``best.pt`` by the
preset's metric) in the photocull checkpoint format, ``--resume`` from
``last.pt``, AMP on CUDA, and a report folder (:mod:`training.reports`).

Distributed runs shard both train and eval sets with ``DistributedSampler``
(or the preset's tail-aware sampler, :mod:`training.sampling`, sharded the same way).
The train sampler is used in single-process runs too (world size 1), which
makes a 2-rank run see exactly the same global batches as a 1-rank run with
the same seed; eval predictions are all-gathered and de-duplicated by index
before metrics, so metrics never depend on the number of ranks.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler
from tqdm import tqdm

from engine.inference.contract import sha256_of
from training.checkpoints import load_backbone_file, load_checkpoint, load_state_dict_strict, save_checkpoint
from training.datasets.build import build_dataset
from training.datasets.images import collate_skipping
from training.distributed import DistributedContext, gather_rows, setup, sum_over_ranks, teardown
from training.metrics import constant_predictions_warning
from training.objectives import objective_for
from training.optim import build_optimizer, lr_factor, set_epoch_lr
from training.presets import Preset
from training.reports import RunReport
from training.run_folder import link_or_copy, prepare_run_folder
from training.sampling import build_train_sampler
from training.split_check import SplitOverlap, image_names, split_overlap
from training.starting_weights import resumed, starting_weights


@dataclass
class RunConfig:
    """Everything a run needs besides the preset's recipe (the CLI fills it)."""

    preset: Preset
    labels: Path
    data_root: Path
    out: Path
    device: str = "cpu"
    amp: bool = False
    workers: int = 0
    seed: int = 0
    resume: bool = False
    max_steps: int | None = None
    mode: str | None = None
    image_check: str = "header"
    eval_batch_size: int | None = None
    command: list[str] = field(default_factory=list)
    #: Authors' pretrained backbone files loaded before training (not when resuming).
    backbone_weights: list[Path] = field(default_factory=list)
    #: image,category CSV for ELTA 2.0's scene-tail sampler weights.
    scene_labels: Path | None = None
    #: Train from random weights although the preset expects pretrained files (training.starting_weights).
    random_init: bool = False
    #: Replace an earlier run in ``out`` (training.run_folder).
    overwrite: bool = False
    #: Carve this share of the train labels out as the validation split.
    val_fraction: float | None = None
    #: Which checkpoints to keep: best | last | all (training.run_folder).
    save: str = "best"
    #: Keep the optimiser state in last.pt (an exact --resume; twice the weights again with Adam).
    resume_state: bool = False


@dataclass
class Evaluation:
    indices: np.ndarray
    outputs: np.ndarray
    targets: np.ndarray
    loss: float
    skipped: int
    metrics: dict[str, float]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(dataset: Dataset, batch_size: int, context: DistributedContext, *, shuffle: bool,
                workers: int, seed: int, sampler: Sampler[int] | None = None) -> DataLoader:
    """Batches of ``batch_size`` over all ranks; ``sampler`` (already sharded) replaces the DistributedSampler."""
    if sampler is None:
        sampler = DistributedSampler(dataset, num_replicas=context.world_size, rank=context.rank,
                                     shuffle=shuffle, seed=seed, drop_last=False)
    per_rank = max(1, batch_size // context.world_size)
    return DataLoader(dataset, batch_size=per_rank, sampler=sampler, num_workers=workers,
                      collate_fn=collate_skipping, worker_init_fn=_seed_worker,
                      pin_memory=context.device.type == "cuda", persistent_workers=False)


def _autocast(context: DistributedContext, amp: bool):
    return torch.autocast(device_type=context.device.type, dtype=torch.float16,
                          enabled=amp and context.device.type == "cuda")


@torch.no_grad()
def evaluate(model: nn.Module, dataset: Dataset, preset: Preset, context: DistributedContext, *,
             batch_size: int, workers: int = 0, amp: bool = False, desc: str = "eval") -> Evaluation:
    """Outputs for every image of ``dataset`` (gathered from all ranks) and the preset's metrics."""
    objective = objective_for(preset)
    loader = make_loader(dataset, batch_size, context, shuffle=False, workers=workers, seed=0)
    model.eval()
    indices, outputs, targets, skipped = [], [], [], 0
    for batch in tqdm(loader, desc=desc, disable=not context.is_main, leave=False):
        skipped += batch["skipped"]
        if "index" not in batch:
            continue
        with _autocast(context, amp):
            out = objective.outputs(model, batch, context.device)
        indices.append(batch["index"])
        outputs.append(out.float().cpu())
        targets.append(objective.targets(batch).float())
    width_out = outputs[0].shape[1] if outputs else 1
    width_target = targets[0].shape[1] if targets else 1
    all_indices = gather_rows(torch.cat(indices) if indices else torch.zeros(0, dtype=torch.long), context)
    all_outputs = gather_rows(torch.cat(outputs) if outputs else torch.zeros(0, width_out), context)
    all_targets = gather_rows(torch.cat(targets) if targets else torch.zeros(0, width_target), context)
    # DistributedSampler pads the last shard with repeats: keep each index once, in dataset order.
    unique, first = np.unique(all_indices.numpy(), return_index=True)
    outputs_np, targets_np = all_outputs.numpy()[first].astype(np.float64), all_targets.numpy()[first].astype(np.float64)
    # The loss of the whole split at once: independent of batch size and rank count.
    whole = {"target": torch.from_numpy(targets_np).float()}
    loss = float(objective.loss(torch.from_numpy(outputs_np).float(), whole, torch.device("cpu"))) if len(unique) else 0.0
    metrics = objective.metrics(outputs_np, targets_np) if len(unique) > 1 else {}
    return Evaluation(unique, outputs_np, targets_np, loss, int(sum_over_ranks(skipped, context)), metrics)


def create_preset_model(preset: Preset, mode: str | None = None) -> nn.Module:
    from training.models import create_model

    return create_model(preset.model, **preset.model_arguments(mode))


def train(config: RunConfig) -> dict[str, Any]:
    """Run the preset's recipe; return the summary also written to ``summary.json``."""
    context = setup(config.device)
    try:
        return _train(config, context)
    finally:
        teardown(context)


def _train(config: RunConfig, context: DistributedContext) -> dict[str, Any]:
    preset = config.preset
    prepare_run_folder(config.out, resume=config.resume, overwrite=config.overwrite, is_main=context.is_main)
    seed_everything(config.seed)
    model = create_preset_model(preset, config.mode)
    start = None if config.resume else starting_weights(  # refuses before the (slow) image checks
        preset, load_backbones(model, config.backbone_weights), random_init=config.random_init).as_dict()
    if start and context.is_main:
        print(start["line"], file=sys.stderr)
    datasets = {split: build_dataset(preset, config.labels, config.data_root, split, train=split == "train",
                                     check=config.image_check, seed=config.seed, val_fraction=config.val_fraction)
                for split in ("train", "val")}
    train_set, val_set = datasets["train"], datasets["val"]
    if len(train_set) == 0 or len(val_set) < 2:
        raise RuntimeError(f"not enough images: {len(train_set)} train, {len(val_set)} val under {config.data_root}")
    overlap = check_splits(config, train_set, val_set)
    model = model.to(context.device)
    optimizer = build_optimizer(model, preset)
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    report = RunReport(config.out, title=config.out.name) if context.is_main else None
    start_epoch, step, best, history, steps = 0, 0, -np.inf, [], []
    if config.resume:
        start_epoch, step, best, history, start = _resume(config, model, optimizer, context)
        steps = [r for r in RunReport(config.out).read_steps() if r["step"] <= step]
    if context.is_main:
        if config.resume:
            print(start["line"], file=sys.stderr)
        for line in overlap.warnings(str(config.labels)):
            print(line, file=sys.stderr)
    record = {"starting_weights": start, "splits": {**overlap.as_dict(), "val_fraction": config.val_fraction},
              "train_size": len(train_set), "val_size": len(val_set)}
    wrapped = DistributedDataParallel(model, device_ids=[context.device.index] if context.device.type == "cuda" else None) \
        if context.enabled else model
    scaler = torch.amp.GradScaler("cuda", enabled=config.amp and context.device.type == "cuda")
    objective = objective_for(preset)
    sampler = build_train_sampler(preset, train_set, context, seed=config.seed, scene_labels=config.scene_labels)
    loader = make_loader(train_set, preset.batch_size, context, shuffle=True, workers=config.workers,
                         seed=config.seed, sampler=sampler)
    eval_batch = config.eval_batch_size or preset.batch_size
    best_metric = f"val_{preset.best_metric}"
    train_skipped = 0
    for epoch in range(start_epoch, preset.epochs):
        if config.max_steps is not None and step >= config.max_steps:
            break
        started = time.monotonic()
        loader.sampler.set_epoch(epoch)
        set_epoch_lr(optimizer, base_lrs, lr_factor(preset, epoch))
        wrapped.train()
        loss_sum, seen = 0.0, 0
        for batch in tqdm(loader, desc=f"epoch {epoch + 1}/{preset.epochs}", disable=not context.is_main):
            train_skipped += batch["skipped"]
            # A rank whose whole batch failed to decode has nothing to step on, but DDP's backward
            # all-reduces gradients across every rank: so all ranks skip that step together.
            if sum_over_ranks(0.0 if "index" in batch else 1.0, context) > 0:
                continue
            with _autocast(context, config.amp):
                outputs = objective.outputs(wrapped, batch, context.device)
            loss = objective.loss(outputs, batch, context.device)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += float(loss.detach()) * len(batch["index"])
            seen += len(batch["index"])
            step += 1
            steps.append({"step": step, "epoch": epoch + 1, "train_loss": float(loss.detach())})
            if config.max_steps is not None and step >= config.max_steps:
                break
        train_loss = sum_over_ranks(loss_sum, context) / max(sum_over_ranks(seen, context), 1)
        result = evaluate(model, val_set, preset, context, batch_size=eval_batch, workers=config.workers,
                          amp=config.amp, desc="val")
        row = {"epoch": epoch + 1, "step": step, "lr": optimizer.param_groups[0]["lr"], "train_loss": train_loss,
               "val_loss": result.loss, **{f"val_{k}": v for k, v in result.metrics.items()},
               "val_prediction_spread": prediction_spread(preset, result),
               "train_skipped_at_decode": int(sum_over_ranks(train_skipped, context)),
               "val_skipped_at_decode": result.skipped, "seconds": time.monotonic() - started}
        history.append(row)
        # Nothing measurable yet (NaN metric, e.g. a collapsed smoke run): the latest is the best so far.
        value = row.get(best_metric, np.nan)
        improved = value > best or (best == -np.inf and not np.isfinite(value))
        best = max(best, row.get(best_metric, -np.inf))
        if report is not None:
            _save_epoch(config, model, optimizer, row, step, best, improved, record)
            report.write_history(history, steps)
            if improved:
                write_prediction_report(report, val_set, result, preset, f"{preset.name} val, epoch {epoch + 1}")
            print(_epoch_line(row), file=sys.stderr)
            if row["val_prediction_spread"] is not None and not np.isfinite(row.get("val_srcc", 0.0)):
                print(constant_predictions_warning(row["val_prediction_spread"]), file=sys.stderr)
    summary = {
        "preset": preset.name, "mode": config.mode or preset.default_mode, "command": config.command,
        "world_size": context.world_size, "device": str(context.device), "seed": config.seed,
        "steps": step, "epochs_run": len(history), "best_metric": best_metric,
        "best": max(history, key=lambda r: r.get(best_metric, -np.inf)) if history else None,
        "last": history[-1] if history else None,
        "skipped_images": {"train": train_set.skipped.as_dict(), "val": val_set.skipped.as_dict()},
        "train_sampler": preset.train_sampler, "backbone_weights": list(start.get("loaded", [])),
        "val_fraction": config.val_fraction, "save": config.save, **record,
    }
    if report is not None:
        report.write_summary(summary)
    return summary


def check_splits(config: RunConfig, train_set: Dataset, val_set: Dataset) -> SplitOverlap:
    """Images the val split (and the test split, when its labels can be read) share with the train split."""
    from training.datasets.splits import MissingLabels, load_split

    others = {"val": image_names(val_set)}
    if not config.val_fraction and config.preset.objective == "pointwise":
        try:
            test = load_split(config.preset.dataset, config.labels, "test", config.seed)
            others["test"] = {row.name for row in test.rows}
        except (MissingLabels, ValueError):
            pass
    return split_overlap(image_names(train_set), others)


def prediction_spread(preset: Preset, result: Evaluation) -> float | None:
    """Standard deviation of the predicted scores over the validation images (0: a collapsed model)."""
    if preset.objective == "pairwise" or not len(result.outputs):
        return None
    return float(np.std(objective_for(preset).scores(result.outputs)))


def load_backbones(model: nn.Module, paths: list[Path]) -> list[dict[str, str]]:
    """Load each pretrained backbone file into the branch it fits; what was loaded, for provenance."""
    loaded = []
    for path in paths:
        branch = load_backbone_file(model, path)
        loaded.append({"file": Path(path).name, "sha256": sha256_of(Path(path)), "branch": branch})
    return loaded


def _save_epoch(config: RunConfig, model: nn.Module, optimizer: torch.optim.Optimizer, row: dict[str, Any],
                step: int, best: float, improved: bool, record: dict[str, Any]) -> None:
    """Write the checkpoints ``config.save`` asks for (training.run_folder explains the choices)."""
    preset = config.preset
    metrics = {k: float(v) for k, v in row.items() if isinstance(v, (int, float))}
    metrics.update(global_step=float(step), best=float(best))
    common = dict(model_name=preset.model, model_kwargs=preset.model_arguments(config.mode), preset=preset.name,
                  epoch=row["epoch"], metrics=metrics,
                  provenance={"command": config.command, "seed": config.seed, "labels": str(config.labels),
                              "backbone_weights": record["starting_weights"].get("loaded", []), **record})
    out = config.out
    if config.save != "last" and improved:
        save_checkpoint(out / "best.pt", model, **common)
    if config.resume_state:
        save_checkpoint(out / "last.pt", model, optimizer=optimizer, **common)
    elif config.save != "last" and improved:
        link_or_copy(out / "best.pt", out / "last.pt")
    else:
        save_checkpoint(out / "last.pt", model, **common)
    if config.save == "all":
        link_or_copy(out / "last.pt", out / f"epoch_{row['epoch']}.pt")


def _resume(config: RunConfig, model: nn.Module, optimizer: torch.optim.Optimizer,
            context: DistributedContext) -> tuple[int, int, float, list[dict[str, Any]], dict[str, Any]]:
    path = config.out / "last.pt"
    checkpoint = load_checkpoint(path, map_location=context.device)
    if checkpoint.preset != config.preset.name:
        raise ValueError(f"{path} was written by preset {checkpoint.preset!r}, not {config.preset.name!r}")
    load_state_dict_strict(model, checkpoint.state_dict, source=str(path))
    if checkpoint.optimizer is not None:
        optimizer.load_state_dict(checkpoint.optimizer)
    history = [r for r in RunReport(config.out).read_history() if r["epoch"] <= checkpoint.epoch]
    if context.is_main:
        print(f"resuming {config.preset.name} after epoch {checkpoint.epoch} from {path}", file=sys.stderr)
        if checkpoint.optimizer is None:
            print("last.pt holds no optimiser state (the run was not saved with --resume-state): "
                  "the optimiser starts afresh", file=sys.stderr)
    return (checkpoint.epoch, int(checkpoint.metrics.get("global_step", 0)),
            float(checkpoint.metrics.get("best", -np.inf)), history,
            resumed(checkpoint.provenance.get("starting_weights")))


def write_prediction_report(report: RunReport, dataset: Dataset, result: Evaluation, preset: Preset,
                            title: str) -> None:
    """predictions.csv + scatter.png (pointwise presets; pairs have no per-image truth)."""
    if preset.objective == "pairwise":
        return
    objective = objective_for(preset)
    names = [dataset.table.rows[i].name for i in result.indices]
    report.write_predictions(names, objective.true_scores(result.targets), objective.scores(result.outputs), title)


def _epoch_line(row: dict[str, Any]) -> str:
    shown = {k: v for k, v in row.items() if k.startswith(("train_loss", "val_"))}
    return f"epoch {row['epoch']}: " + ", ".join(f"{k} {v:.4f}" for k, v in shown.items() if isinstance(v, float))
