"""Analyse a scanned library: every photo decoded once, every model fed in batches, one writer.

Threads of one run:

* **decoding pool** (``workers`` threads): :func:`engine.analysis.photo_measures.prepare_photo`
  decodes each photo once at the analysis size and measures everything pixel-based
  (faces and eyes, cues, hashes, model input tensors). Pillow, numpy and ORT release
  the GIL, so two threads use two cores.
* **the calling thread** hands out photos (at most ``2 * workers + batch`` in flight,
  which bounds memory and makes pause/cancel quick), collects prepared photos, and
  runs each image model once per batch of ``batch_size`` photos.
* **one writer** (:class:`engine.analysis.writer.ResultWriter`) commits results.

Resume: a photo is skipped when it was analysed with the same model-set signature
and its primary file still has the same path, size and mtime (see
:mod:`engine.analysis.modelset`). Cancel (``control.cancel()`` or Ctrl-C, which is
re-raised after the writer commits) keeps every finished photo.

When the per-photo pass completes, the whole library is grouped into bursts and
ranked (:mod:`engine.analysis.grouping`). A cancelled run leaves grouping for the next.

Default ORT threads: one per session. The decoding threads already keep the cores
busy, and onnxruntime's intra-op pool spin-waits between ops, taking CPU from them.
``bench/analyze.py`` measures where the CPU goes; its numbers, and the cheaper variants
tried and not kept, are in assets/models/PROVENANCE.md ("Analysis speed").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np

from engine.analysis.bursts import GroupingSettings
from engine.analysis.control import AnalysisControl
from engine.analysis.events import (
    AnalysisFinished,
    AnalysisReport,
    AnalysisStarted,
    EventCallback,
    GroupingStarted,
    PhotoAnalyzed,
)
from engine.analysis.grouping import GroupingSummary, KeptImages, regroup
from engine.analysis.modelset import ModelSet, PairwiseModel, load_model_set, look_space, ranker_for_regrouping
from engine.analysis.photo_measures import PhotoJob, PreparedPhoto, prepare_photo
from engine.analysis.storage import pending_jobs, register_model_set
from engine.analysis.writer import ResultWriter
from engine.inference import registry as model_registry
from engine.inference.registry import ModelRegistry
from engine.inference.runtime import RuntimeSettings
from engine.library.catalog import Catalog
from engine.library.thumbnails import ThumbnailCache

#: onnxruntime intra-op threads per model when the caller gives no settings (see the module docstring).
DEFAULT_ORT_THREADS = 1


def analyze_library(
    root: Path,
    *,
    settings: RuntimeSettings | None = None,
    sensitivity: float = 0.5,
    workers: int = 2,
    batch_size: int | None = None,
    control: AnalysisControl | None = None,
    on_event: EventCallback | None = None,
    registry: ModelRegistry | None = None,
    cache: ThumbnailCache | None = None,
) -> AnalysisReport:
    """Score, measure and group every photo of a scanned library; see the module docstring.

    Raises :class:`engine.library.catalog.CatalogNotFound` when the library was never scanned, and
    ValueError for a sensitivity outside 0..1 (before any work, not after the per-photo pass).
    """
    GroupingSettings(sensitivity=sensitivity)
    started = time.monotonic()
    settings = settings or RuntimeSettings(threads=DEFAULT_ORT_THREADS)
    control = control or AnalysisControl()
    emit = on_event or (lambda event: None)
    with Catalog.open(root, create=False) as catalog:
        models = load_model_set(registry or model_registry.discover(), settings, batch_size)
        jobs, skipped = pending_jobs(catalog, models.signature)
        with catalog.transaction() as conn:
            register_model_set(conn, models)
        report = AnalysisReport(catalog.root, total=len(jobs), skipped=skipped, provider=models.provider,
                                models=models.labels(), refused=models.refused, sort_message=models.sort_message)
        emit(AnalysisStarted(len(jobs), skipped, report.models, report.refused, models.provider,
                             models.provider_note, models.sort_message))
        kept = KeptImages()
        _analyse_photos(catalog.root, jobs, models, control, cache or ThumbnailCache(), workers, report, emit, kept)
        report.cancelled = control.cancelled
        if not report.cancelled:
            _group(catalog, models, sensitivity, control, report, emit, kept)
    report.seconds = time.monotonic() - started
    emit(AnalysisFinished(report))
    return report


def regroup_library(
    root: Path,
    *,
    sensitivity: float = 0.5,
    settings: RuntimeSettings | None = None,
    registry: ModelRegistry | None = None,
    control: AnalysisControl | None = None,
) -> GroupingSummary | None:
    """Group an analysed library again, e.g. at another sensitivity (the GUI's slider).

    The shipped (frame_score) burst ranker's scores are in the catalog, so no model is
    loaded; a two-input ranker is loaded, and pairs it already compared come from the
    cache. Either way this takes a fraction of a second per thousand photos. None when cancelled.
    """
    registry = registry or model_registry.discover()
    ranker = ranker_for_regrouping(registry, settings or RuntimeSettings(threads=DEFAULT_ORT_THREADS))
    pairwise, frame_ranker = (ranker, None) if isinstance(ranker, PairwiseModel) else (None, ranker)
    with Catalog.open(root, create=False) as catalog:
        return regroup(catalog, sensitivity=sensitivity, looks=look_space(registry.for_task("embedding")),
                       pairwise=pairwise, frame_ranker=frame_ranker, control=control)


def _analyse_photos(root: Path, jobs: list[PhotoJob], models: ModelSet, control: AnalysisControl,
                    cache: ThumbnailCache, workers: int, report: AnalysisReport, emit: EventCallback,
                    kept: KeptImages) -> None:
    writer = ResultWriter(root, models)
    batch: list[PreparedPhoto] = []
    try:
        for prepared in _prepared(jobs, models, cache, workers, control):
            if prepared.failed:
                _hand_over(writer, prepared, [], report, emit)
                continue
            if prepared.ranker_image is not None:
                kept.keep(prepared.job.photo_id, prepared.ranker_image)
                prepared.ranker_image = None
            batch.append(prepared)
            if len(batch) >= models.batch_size:
                _run_batch(writer, batch, models, report, emit)
                batch = []
        if batch and control.wait_while_paused():
            _run_batch(writer, batch, models, report, emit)
    finally:
        writer.close()


def _prepared(jobs: list[PhotoJob], models: ModelSet, cache: ThumbnailCache, workers: int,
              control: AnalysisControl) -> Iterator[PreparedPhoto]:
    """Prepared photos as they finish; stops handing out work while paused, and at cancel."""
    queue = iter(jobs)
    limit = 2 * workers + models.batch_size
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="photocull-analysis") as pool:
        in_flight: set[Future[PreparedPhoto]] = set()
        try:
            while True:
                while len(in_flight) < limit and control.wait_while_paused():
                    job = next(queue, None)
                    if job is None:
                        break
                    in_flight.add(pool.submit(prepare_photo, job, models, cache))
                if not in_flight or control.cancelled:
                    return
                done, in_flight = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    if control.cancelled:
                        return
                    yield future.result()
        finally:  # cancelled or interrupted: drop what has not started; running decodes finish
            for future in in_flight:
                future.cancel()


def _run_batch(writer: ResultWriter, batch: list[PreparedPhoto], models: ModelSet, report: AnalysisReport,
               emit: EventCallback) -> None:
    """One ONNX run per model file over the batch (a shared file serves all its manifests' tasks);
    a model failure marks the batch's photos, not the run."""
    outputs: list[list] = [[] for _ in batch]
    for run in models.runs:
        try:
            results = run.run(np.stack([p.inputs[run.spec] for p in batch]))
        except Exception as exc:  # recorded on each photo; the next run retries them
            names = " and ".join(f"{m.task} model {m.name}" for m in run.models)
            for prepared in batch:
                prepared.error_reason = "model_failed"
                prepared.error_message = f"The {names} failed ({type(exc).__name__}: {exc})."
            break
        for model, per_photo in results:
            for row, result in zip(outputs, per_photo):
                row.append((model, result))
    for prepared, row in zip(batch, outputs):
        prepared.inputs = {}  # used: the writer queue need not hold ~1 MB of tensors per photo
        _hand_over(writer, prepared, row, report, emit)


def _hand_over(writer: ResultWriter, prepared: PreparedPhoto, outputs: list, report: AnalysisReport,
               emit: EventCallback) -> None:
    writer.put((prepared, outputs))
    if prepared.failed:
        report.errors += 1
        report.error_paths.append(prepared.job.path)
    else:
        report.analysed += 1
    done = report.analysed + report.errors
    emit(PhotoAnalyzed(done, report.total, prepared.job.photo_id, prepared.job.path, prepared.error_message))


def _group(catalog: Catalog, models: ModelSet, sensitivity: float, control: AnalysisControl,
           report: AnalysisReport, emit: EventCallback, kept: KeptImages) -> None:
    analysed = catalog.conn.execute("SELECT COUNT(*) FROM photo_analysis WHERE status = 'ok'").fetchone()[0]
    emit(GroupingStarted(analysed))
    summary = regroup(catalog, sensitivity=sensitivity, looks=models.looks, pairwise=models.pairwise,
                      frame_ranker=models.frame_ranker, control=control, kept=kept)
    if summary is None:
        report.cancelled = True
        return
    report.groups, report.grouped_photos = summary.groups, summary.grouped_photos
