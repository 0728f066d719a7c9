"""Run the analysis in a child process, so it never competes with the GUI for the GIL.

Measured with ``bench/ui_stall.py`` (150 photos, 2 cores): with the analysis on a
worker *thread*, every Qt call that releases the GIL (each ``drawPixmap`` of a
tile) had to win it back from the pipeline's Python threads, and the event loop
stalled for up to 300 ms. In a child process the GUI keeps its interpreter to
itself. The child is a plain :func:`engine.analysis.analyze_library` run; its
progress events (picklable dataclasses) come back over a queue, and pause /
resume / cancel go the other way over a pipe to an :class:`AnalysisControl`
living in the child. Results reach the GUI through the catalog, as before.
The child runs at a lower CPU priority (``nice`` 10 on POSIX): on a loaded
machine the scheduler then serves the event loop before the background work.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

from engine.analysis import AnalysisControl, AnalysisFinished, AnalysisReport, analyze_library
from engine.models import discover
from engine.settings import AppSettings

POLL_S = 0.1
CHILD_NICENESS = 10
_DONE = "done"
_FAILED = "failed"


def run_in_process(root: Path, settings: AppSettings, control: AnalysisControl,
                   emit: Callable[[object], None]) -> AnalysisReport:
    """Analyse ``root`` in a spawned process; blocks (call it from a worker thread) until it ends.

    ``control`` is the GUI's: its pause/resume/cancel are forwarded to the child.
    Raises RuntimeError with the child's message when the analysis fails.
    """
    context = mp.get_context("spawn")
    events = context.Queue()
    commands, child_end = context.Pipe()
    child = context.Process(target=_child_main, args=(root, settings, events, child_end), daemon=True,
                            name="photocull-analysis")
    child.start()
    report: AnalysisReport | None = None
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
                    raise RuntimeError(f"the analysis process ended unexpectedly (exit code {child.exitcode})")
                continue
            if kind == _DONE:
                report = payload
                break
            if kind == _FAILED:
                raise RuntimeError(payload)
            if isinstance(payload, AnalysisFinished):
                report = payload.report
            emit(payload)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
    return report


def _child_main(root: Path, settings: AppSettings, events, commands) -> None:
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)   # on a busy machine the scheduler serves the GUI first
    control = AnalysisControl()
    threading.Thread(target=_obey, args=(commands, control), daemon=True).start()
    try:
        report = analyze_library(root, settings=settings.runtime(), sensitivity=settings.burst_sensitivity,
                                 registry=discover(chosen=settings.chosen_models), control=control,
                                 on_event=lambda event: events.put(("event", event)))
    except Exception as exc:  # reported to the GUI as one line
        events.put((_FAILED, f"{type(exc).__name__}: {exc}"))
        return
    events.put((_DONE, report))


def _obey(commands, control: AnalysisControl) -> None:
    actions = {"pause": control.pause, "resume": control.resume, "cancel": control.cancel}
    try:
        while True:
            actions[commands.recv()]()
    except (EOFError, OSError):
        control.cancel()   # the GUI went away: stop, keeping finished work
