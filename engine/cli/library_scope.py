"""Shared by the decision commands (decide, sidecars, export, trash, undo-trash):
find the library that holds a folder, and show a progress bar."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from engine.decisions.record import find_catalog_for, photos_under
from engine.decisions.sidecars import FileProblem, Progress
from engine.library.catalog import Catalog, PhotoRecord


@contextmanager
def library_of(folder: Path) -> Iterator[tuple[Catalog, list[PhotoRecord]]]:
    """The catalog of the library holding ``folder`` and the photos inside ``folder``.

    Raises CatalogNotFound (exit code 3) when no scanned library contains it.
    """
    with find_catalog_for(folder) as catalog:
        yield catalog, photos_under(catalog, folder)


@contextmanager
def progress_bar(description: str, unit: str = "photo") -> Iterator[Progress]:
    """A tqdm bar (on stderr, hidden when not a terminal) fed by engine progress callbacks."""
    bar = tqdm(desc=description, unit=unit, disable=None, dynamic_ncols=True)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def report_problems(problems: Sequence[FileProblem]) -> int:
    """Print each problem on stderr; the exit code: 1 when there were any, else 0."""
    for problem in problems:
        print(f"{problem.path}: {problem.message}", file=sys.stderr)
    return 1 if problems else 0
