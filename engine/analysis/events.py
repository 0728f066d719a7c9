"""Progress events of an analysis: plain frozen dataclasses, handed to one callback.

The GUI passes ``on_event`` to :func:`engine.analysis.analyze_library` and forwards
each event through a Qt signal; the CLI feeds a tqdm bar. Events are delivered on
the thread that runs the analysis, in this order::

    AnalysisStarted
    PhotoAnalyzed * n           (one per photo handed to the writer, error or not)
    GroupingStarted             (skipped when the run was cancelled)
    AnalysisFinished            (always last, also after a cancel)

A photo reported by ``PhotoAnalyzed`` is committed to the catalog within the
writer's batch interval (half a second), and at the latest before ``AnalysisFinished``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class AnalysisStarted:
    total: int  # photos to analyse in this run
    skipped: int  # photos already analysed with the same models and unchanged files
    models: tuple[str, ...]  # "task: name" of every model in use
    refused: tuple[str, ...]  # one sentence per model that cannot be used, and why
    provider: str  # what runs the models: "GPU (CUDA)" or "CPU"
    provider_note: str  # why the provider differs from what was asked; "" when it does not
    sort_message: str  # what the photo list sorts by, as a sentence


@dataclass(frozen=True)
class PhotoAnalyzed:
    done: int
    total: int
    photo_id: int
    path: str  # primary file, library-relative
    error: str | None = None  # the readable message when the photo could not be analysed


@dataclass(frozen=True)
class GroupingStarted:
    photos: int  # analysed photos taking part in burst grouping (the whole library)


@dataclass
class AnalysisReport:
    """What a run did; ``AnalysisFinished`` carries it and ``analyze_library`` returns it."""

    root: Path
    total: int = 0
    analysed: int = 0
    skipped: int = 0
    errors: int = 0
    cancelled: bool = False
    seconds: float = 0.0
    provider: str = "CPU"
    models: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    sort_message: str = ""
    groups: int = 0  # multi-photo groups (bursts and brackets) after grouping
    grouped_photos: int = 0  # photos inside those groups
    error_paths: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AnalysisFinished:
    report: AnalysisReport


AnalysisEvent = AnalysisStarted | PhotoAnalyzed | GroupingStarted | AnalysisFinished
EventCallback = Callable[[AnalysisEvent], None]
