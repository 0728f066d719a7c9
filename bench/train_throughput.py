"""TANet and EAT training and inference throughput, against an APNet-only baseline measured in the same run.

    python bench/train_throughput.py [--device auto|cpu|cuda] [--gpu-batch 16 64] [--cpu-batch 4]
                                     [--steps 20] [--cpu-steps 3] [--families tanet eat] [--json OUT.json]

On CUDA (when present) at batch 64, 224×224, float16 autocast (AMP), and on the
CPU at a small batch, it measures:

* training: optimiser steps/s and images/s of TANet in faithful mode (the
  authors' batch-coupled computation, Places365 ResNet-18 frozen, Adam on the
  2.52 M trainable parameters, batch-global EMD);
* inference: images/s of TANet deployable (what is exported) and faithful;
* EAT-Base (``--families eat``): training in faithful mode (Adam on all 86.9 M
  parameters, batch-global EMD on the raw outputs), inference in deployable mode;
* the baseline: the same for NIMA on MobileNetV2, i.e. TANet's aesthetics
  branch alone. The TANet paper's ablation reports APNet-only 13.89 it/s vs the
  full TANet 10.01 it/s on a 2080Ti (ratio 0.72); the printed ratios compare.

Inputs are random tensors: this measures the model, not data loading (the data
pipeline has its own benchmark). Prints a table, then one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.losses import emd_batch_global  # noqa: E402
from training.models import create_model  # noqa: E402

PAPER_APNET_ONLY_ITS, PAPER_TANET_ITS = 13.89, 10.01


@dataclass
class Measurement:
    device: str
    model: str
    phase: str  # train | infer
    batch: int
    amp: bool
    steps_per_s: float
    images_per_s: float


def synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step: Callable[[], None], device: torch.device, warmup: int, steps: int) -> float:
    """Seconds per step, after ``warmup`` untimed steps."""
    for _ in range(warmup):
        step()
    synchronise(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronise(device)
    return (time.perf_counter() - start) / steps


def autocast(device: torch.device, amp: bool):
    return torch.autocast(device.type, dtype=torch.float16) if amp else nullcontext()


def train_step(model: nn.Module, batch: torch.Tensor, target: torch.Tensor, amp: bool) -> Callable[[], None]:
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=1e-6)
    scaler = torch.amp.GradScaler(batch.device.type, enabled=amp)
    model.train()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast(batch.device, amp):
            loss = emd_batch_global(model(batch).float(), target)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step


def infer_step(model: nn.Module, batch: torch.Tensor, amp: bool) -> Callable[[], None]:
    model.eval()

    def step() -> None:
        with torch.inference_mode(), autocast(batch.device, amp):
            model(batch)

    return step


BASELINE = "nima-mobilenetv2 (APNet-only baseline)"
#: What each family measures: (model name, create_model arguments, phase).
PLANS = {
    "tanet": [("tanet-faithful", ("tanet", {"variant": "ava", "mode": "faithful"}), "train"),
              ("tanet-deployable", ("tanet", {"variant": "ava", "mode": "deployable"}), "infer"),
              ("tanet-faithful", ("tanet", {"variant": "ava", "mode": "faithful"}), "infer")],
    "eat": [("eat-base-faithful", ("eat", {"variant": "ava", "mode": "faithful"}), "train"),
            ("eat-base-deployable", ("eat", {"variant": "ava", "mode": "deployable"}), "infer")],
}


def measure_device(device: torch.device, batch_size: int, amp: bool, warmup: int, steps: int,
                   families: tuple[str, ...] = ("tanet",)) -> list[Measurement]:
    torch.manual_seed(0)
    batch = torch.randn(batch_size, 3, 224, 224, device=device)
    target = torch.softmax(torch.randn(batch_size, 10, device=device), dim=1)
    plan = [entry for family in families for entry in PLANS[family]]
    plan += [(BASELINE, ("nima", {"backbone": "mobilenet_v2"}), "train"),
             (BASELINE, ("nima", {"backbone": "mobilenet_v2"}), "infer")]
    results = []
    for name, (architecture, kwargs), phase in plan:
        model = create_model(architecture, **kwargs).to(device)
        step = train_step(model, batch, target, amp) if phase == "train" else infer_step(model, batch, amp)
        seconds = timed(step, device, warmup, steps)
        results.append(Measurement(device.type, name, phase, batch_size, amp, 1.0 / seconds, batch_size / seconds))
        print(f"  {device.type} {phase:5s} {name}: {batch_size / seconds:.1f} images/s", file=sys.stderr, flush=True)
        del model
    return results


def ratios(results: list[Measurement]) -> dict[str, float]:
    by_key = {(m.device, m.batch, m.model, m.phase): m.images_per_s for m in results}
    out = {"paper_tanet_over_apnet_only": round(PAPER_TANET_ITS / PAPER_APNET_ONLY_ITS, 3)}
    for device, batch in sorted({(m.device, m.batch) for m in results}):
        for phase, model in (("train", "tanet-faithful"), ("infer", "tanet-deployable"),
                             ("train", "eat-base-faithful"), ("infer", "eat-base-deployable")):
            if (device, batch, model, phase) in by_key:
                out[f"{device}_b{batch}_{phase}_{model.split('-')[0]}_over_apnet_only"] = round(
                    by_key[(device, batch, model, phase)] / by_key[(device, batch, BASELINE, phase)], 3
                )
    return out


def print_table(results: list[Measurement]) -> None:
    header = f"{'device':6s} {'phase':5s} {'model':40s} {'batch':>5s} {'amp':>5s} {'steps/s':>8s} {'images/s':>9s}"
    print(header)
    print("-" * len(header))
    for m in results:
        print(f"{m.device:6s} {m.phase:5s} {m.model:40s} {m.batch:5d} {str(m.amp):>5s} "
              f"{m.steps_per_s:8.2f} {m.images_per_s:9.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto: CUDA when present, and the CPU in every case")
    parser.add_argument("--gpu-batch", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--cpu-batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20, help="timed steps on CUDA")
    parser.add_argument("--cpu-steps", type=int, default=3, help="timed steps on the CPU")
    parser.add_argument("--no-amp", action="store_true", help="float32 on CUDA too")
    parser.add_argument("--families", nargs="+", choices=sorted(PLANS), default=["tanet"],
                        help="which models to measure beside the baseline")
    parser.add_argument("--json", type=Path, help="also write the JSON result here")
    args = parser.parse_args(argv)

    results: list[Measurement] = []
    if args.device in ("auto", "cuda") and torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True
        for batch in args.gpu_batch:
            results += measure_device(torch.device("cuda"), batch, not args.no_amp, 3, args.steps, tuple(args.families))
    elif args.device == "cuda":
        print("CUDA is not available", file=sys.stderr)
        return 2
    if args.device in ("auto", "cpu"):
        results += measure_device(torch.device("cpu"), args.cpu_batch, False, 1, args.cpu_steps, tuple(args.families))

    print_table(results)
    report = {
        "results": [asdict(m) for m in results],
        "ratios": ratios(results),
        "torch": torch.__version__,
        "cpu_threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "machine": platform.machine(),
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
