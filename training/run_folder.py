"""The run folder (``--out``): never overwritten by accident, and only as big as asked.

A folder that already holds a checkpoint belongs to an earlier run: a new run
into it stops unless ``--resume`` (continue it) or ``--overwrite`` (replace it:
its checkpoints and report are removed first, so no stale ``best.pt`` survives).

What is kept (``--save``):

* ``best`` (default): ``best.pt`` and a light ``last.pt`` (weights only). When the
  last epoch is also the best, ``last.pt`` is a hard link to ``best.pt``: one copy on disk.
* ``last``: only ``last.pt``.
* ``all``: ``best.pt``, ``last.pt`` and ``epoch_N.pt`` for every epoch.

``last.pt`` keeps the optimiser state (twice the weights again with Adam) only
with ``--resume-state``; a resume without it restarts the optimiser.
"""

from __future__ import annotations

import os
from pathlib import Path

SAVE_CHOICES = ("best", "last", "all")
CHECKPOINT_GLOB = "*.pt"
#: Files of an earlier run that --overwrite removes (checkpoints plus the report).
RUN_FILES = ("history.csv", "history.json", "steps.csv", "summary.json", "predictions.csv",
             "loss.png", "correlation.png", "scatter.png")


class RunFolderInUse(ValueError):
    """--out already holds an earlier run's checkpoint and neither --resume nor --overwrite was given."""


def prepare_run_folder(out: Path, *, resume: bool, overwrite: bool, is_main: bool = True) -> None:
    """Refuse to reuse a run folder silently; with ``overwrite`` clear the earlier run's files (main rank)."""
    if resume and overwrite:
        raise ValueError("--resume continues the run in --out, --overwrite replaces it: choose one")
    existing = sorted(p.name for p in Path(out).glob(CHECKPOINT_GLOB))
    if resume:
        if not (Path(out) / "last.pt").is_file():
            raise RunFolderInUse(f"--resume: {out} has no last.pt to continue from")
        return
    if not existing:
        return
    if not overwrite:
        raise RunFolderInUse(
            f"{out} already holds a run ({', '.join(existing)}); nothing was changed. "
            f"Use --resume to continue it, --overwrite to replace it, or another --out."
        )
    if is_main:
        for name in [*existing, *RUN_FILES]:
            (Path(out) / name).unlink(missing_ok=True)


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` becomes the same file as ``source`` (hard link; a copy where links are not allowed)."""
    temporary = target.with_name(target.name + ".partial")
    temporary.unlink(missing_ok=True)
    try:
        os.link(source, temporary)
    except OSError:
        temporary.write_bytes(source.read_bytes())
    os.replace(temporary, target)


def folder_size(out: Path) -> int:
    """Bytes on disk under ``out``, each hard-linked file counted once."""
    seen, total = set(), 0
    for path in Path(out).rglob("*"):
        if path.is_file():
            stat = path.stat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total
