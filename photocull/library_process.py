"""Scan and analyse a library in a child process, streaming progress and photo changes back.

Every piece of Python work in the app's own process competes with the event loop
for the GIL. Each Qt draw call releases it and must win it back, so a scan on worker
threads (decoding, hashing, thumbnailing, SQLite batches) or a catalog re-read stalls
the window visibly (``bench/ui_stall.py`` measures it). So all of it runs in one spawned child:

* the scan (:func:`engine.library.scan.scan_library`), then the analysis
  (:func:`engine.analysis.analyze_library`), under ``nice`` 10 so that on a busy
  machine the scheduler serves the event loop first;
* a :class:`engine.library.photo_changes.PhotoWatcher` thread that re-reads the catalog
  there every ``PUBLISH_S`` and sends only the photos that changed (new files with
  their fresh grid thumbnail in the cache, new scores, bursts): the GUI merges a
  small diff instead of re-reading and re-listing the library.

Events (picklable dataclasses) come back over a queue; pause / resume / cancel go
the other way over a pipe to an :class:`AnalysisControl` living in the child.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from engine.analysis import AnalysisControl, AnalysisReport, analyze_library
from engine.analysis.pipeline import DEFAULT_ORT_THREADS
from engine.config.settings import AppSettings
from engine.inference.registry import discover
from engine.inference.runtime import RuntimeSettings
from engine.library.photo_changes import PhotoChanges, PhotoWatcher
from engine.library.scan import ScanReport, scan_library

POLL_S = 0.1
PUBLISH_S = 1.0            # how often the child looks for changed photos (at most)
POLL_SHARE = 4             # ... and never sooner than this many times a poll's own duration
PROGRESS_INTERVAL_S = 0.1  # scan progress events at most this often
CHILD_NICENESS = 10
SCAN, ANALYSE = "scan", "analyse"
_DONE = "done"
_FAILED = "failed"


@dataclass(frozen=True)
class ScanProgress:
    done: int
    total: int
    path: str


@dataclass(frozen=True)
class ScanFinished:
    report: ScanReport


@dataclass
class WorkReport:
    scan: ScanReport | None = None
    analysis: AnalysisReport | None = None


def run_in_process(root: Path, settings: AppSettings, control: AnalysisControl,
                   emit: Callable[[object], None], *, stages: tuple[str, ...] = (ANALYSE,)) -> WorkReport:
    """Run ``stages`` (scan and/or analyse, in that order) on ``root`` in a spawned process.

    Blocks until it ends (call it from a worker thread). ``emit`` receives every event:
    ``ScanProgress``, ``ScanFinished``, the analysis's own events, and ``PhotoChanges``.
    ``control`` is the GUI's: pause/resume/cancel are forwarded to the child.
    Raises RuntimeError with the child's message when the work fails.
    """
    context = mp.get_context("spawn")
    events = context.Queue()
    commands, child_end = context.Pipe()
    child = context.Process(target=_child_main, args=(root, settings, stages, events, child_end), daemon=True,
                            name="photocull-library")
    child.start()
    sent = (False, False)   # (paused, cancelled) last told to the child
    try:
        while True:
            state = (control.paused, control.cancelled)
            if state != sent:
                commands.send("cancel" if state[1] else "pause" if state[0] else "resume")
                sent = state
            try:
                kind, payload = events.get(timeout=POLL_S)
            except queue.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the background process ended unexpectedly (exit code {child.exitcode})") from None
                continue
            if kind == _DONE:
                return payload
            if kind == _FAILED:
                raise RuntimeError(payload)
            emit(payload)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()


def _child_main(root: Path, settings: AppSettings, stages: tuple[str, ...], events, commands) -> None:
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)   # on a busy machine the scheduler serves the GUI first
    control = AnalysisControl()
    threading.Thread(target=_obey, args=(commands, control), daemon=True).start()
    send = events.put
    try:
        publisher = _Publisher(PhotoWatcher(root), lambda changes: send(("event", changes)))
        work = WorkReport()
        with publisher:
            if SCAN in stages:
                work.scan = _scan(root, control, send)
                publisher.publish()
            if ANALYSE in stages and not control.cancelled:
                work.analysis = analyze_library(
                    root, settings=analysis_runtime(settings), sensitivity=settings.burst_sensitivity,
                    registry=discover(chosen=settings.chosen_models), control=control,
                    on_event=lambda event: send(("event", event)))
    except Exception as exc:  # reported to the GUI as one line
        send((_FAILED, f"{type(exc).__name__}: {exc}"))
        return
    send((_DONE, work))


def analysis_runtime(settings: AppSettings) -> RuntimeSettings:
    """The app's inference settings with the command line's thread count (one ORT thread per model).

    Left to ORT (one thread per core, each spinning while it waits), the window's
    analysis used twice the CPU of ``photocull-cli analyze`` for the same photos
    (25.7 s against 12.4 s on 300 photos): the decoding threads already use the
    other core.
    """
    runtime = settings.runtime()
    return runtime if runtime.threads else replace(runtime, threads=DEFAULT_ORT_THREADS)


def _scan(root: Path, control: AnalysisControl, send: Callable[[tuple], None]) -> ScanReport:
    cancel = threading.Event()
    last = [0.0]

    def progress(done: int, total: int, path: str) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= PROGRESS_INTERVAL_S:
            last[0] = now
            send(("event", ScanProgress(done, total, path)))
        if not control.wait_while_paused():   # pausing the scan = holding its progress callback
            cancel.set()

    report = scan_library(root, progress=progress, cancel=cancel)
    send(("event", ScanFinished(report)))
    return report


class _Publisher:
    """Sends the catalog's photo changes every ``PUBLISH_S`` while in its ``with`` block, and once at the end."""

    def __init__(self, watcher: PhotoWatcher, send: Callable[[PhotoChanges], None]):
        self.watcher, self.send = watcher, send
        self.watcher.prime()   # the GUI has read the catalog as it is now
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="photo-publisher")
        self.poll_seconds = 0.0

    def __enter__(self) -> _Publisher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if exc[0] is None:
            self.publish()

    def publish(self) -> None:
        started = time.monotonic()
        with self._lock:
            changes = self.watcher.poll()
        self.poll_seconds = time.monotonic() - started
        if changes:
            self.send(changes)

    def _run(self) -> None:
        # A poll re-reads the whole catalog (about a second at 100,000 photos): waiting
        # POLL_SHARE times as long between polls keeps the watcher from taking more than
        # a fifth of a core from the scan and the analysis it reports on.
        while not self._stop.wait(max(PUBLISH_S, POLL_SHARE * self.poll_seconds)):
            self.publish()


def _obey(commands, control: AnalysisControl) -> None:
    actions = {"pause": control.pause, "resume": control.resume, "cancel": control.cancel}
    try:
        while True:
            actions[commands.recv()]()
    except (EOFError, OSError):
        control.cancel()   # the GUI went away: stop, keeping finished work
