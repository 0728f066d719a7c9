"""torch.distributed setup for ``torchrun`` and gathering predictions across ranks.

A run is distributed when torchrun's environment (``WORLD_SIZE`` > 1) is set;
the backend is nccl on CUDA and gloo on CPU. Evaluation metrics such as SRCC
are not averages of per-rank values, so every rank's predictions are gathered
(all_gather of padded tensors) and the metric is computed once on the whole set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistributedContext:
    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def setup(device: str) -> DistributedContext:
    """Join the process group torchrun describes (if any) and pick this rank's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    chosen = torch.device(device)
    if chosen.type == "cuda":
        chosen = torch.device("cuda", local_rank if world_size > 1 else (chosen.index or 0))
        torch.cuda.set_device(chosen)
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if chosen.type == "cuda" else "gloo")
    return DistributedContext(rank, world_size, local_rank, chosen)


def teardown(context: DistributedContext) -> None:
    if context.enabled and dist.is_initialized():
        dist.destroy_process_group()


def gather_rows(tensor: torch.Tensor, context: DistributedContext) -> torch.Tensor:
    """Concatenate every rank's (n_r, ...) tensor along dim 0 (ranks may hold different n_r)."""
    if not context.enabled:
        return tensor
    local = tensor.to(context.device)
    sizes = [torch.zeros(1, dtype=torch.long, device=context.device) for _ in range(context.world_size)]
    dist.all_gather(sizes, torch.tensor([local.shape[0]], device=context.device))
    longest = int(max(s.item() for s in sizes))
    padded = torch.zeros((longest, *local.shape[1:]), dtype=local.dtype, device=context.device)
    padded[: local.shape[0]] = local
    parts = [torch.empty_like(padded) for _ in range(context.world_size)]
    dist.all_gather(parts, padded)
    return torch.cat([part[: int(size.item())] for part, size in zip(parts, sizes)]).cpu()


def sum_over_ranks(value: float, context: DistributedContext) -> float:
    if not context.enabled:
        return value
    total = torch.tensor([value], dtype=torch.float64, device=context.device)
    dist.all_reduce(total)
    return float(total.item())
