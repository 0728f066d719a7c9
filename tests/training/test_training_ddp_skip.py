"""Under DDP, a rank whose whole batch fails to decode still takes part in the step (all ranks skip it together).

Without that, the empty rank skips the gradient all-reduce the other rank waits in: the ranks'
collectives fall out of step (a hang, or a gloo size-mismatch error), and they count different steps.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
mp = pytest.importorskip("torch.multiprocessing")
dist = pytest.importorskip("torch.distributed")

import tests.helpers.training_tiny as training_tiny  # noqa: E402
import training.loop as loop  # noqa: E402
from training.datasets.images import collate_skipping  # noqa: E402
from training.loop import RunConfig, train  # noqa: E402

TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _FirstBatchUndecodable:
    """collate_skipping, except that every image of the first batch counts as failed to decode."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, items):
        self.calls += 1
        return collate_skipping([None] * len(items) if self.calls == 1 else items)


def _rank_main(rank: int, world_size: int, port: int, config: RunConfig, results: Path) -> None:
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    # Joined here with a short timeout, so a rank left waiting fails instead of hanging for 30 minutes.
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=TIMEOUT_S))
    if rank == 1:
        loop.collate_skipping = _FirstBatchUndecodable()
    summary = train(config)
    (results / f"rank{rank}.json").write_text(json.dumps({"steps": summary["steps"], "last": summary["last"]}))


def test_a_rank_with_an_undecodable_batch_still_joins_the_step(tmp_path):
    labels, images = training_tiny.make_tiny_ava(tmp_path, n_train=16, n_val=5)
    # 16 images, global batch 8 over 2 ranks: 2 steps per epoch; rank 1's first batch (4 images) fails.
    preset = training_tiny.TINY_PRESET.with_overrides(epochs=2)
    config = RunConfig(preset=preset, labels=labels, data_root=images, out=tmp_path / "ddp", seed=3)
    context = mp.spawn(_rank_main, args=(2, _free_port(), config, tmp_path), nprocs=2, join=False)
    deadline = time.monotonic() + 4 * TIMEOUT_S
    while not context.join(timeout=5):  # False while a rank is still running; raises if a rank failed
        if time.monotonic() > deadline:
            for process in context.processes:
                process.terminate()
            pytest.fail("the ranks did not finish: one waited in a collective the other skipped")

    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["steps"] for r in ranks] == [3, 3]  # 2 epochs × 2 steps, less the one step skipped by both ranks
    for rank in ranks:
        del rank["last"]["seconds"]
    assert ranks[0]["last"] == ranks[1]["last"]  # same losses and metrics: the ranks stayed in step
    assert ranks[0]["last"]["train_skipped_at_decode"] == 4
