"""Pause, resume and cancel a running analysis from another thread (the GUI's buttons, Ctrl-C).

A plain object around two :class:`threading.Event` flags, so the engine needs no
Qt: the GUI keeps the :class:`AnalysisControl` it passed to
:func:`engine.analysis.analyze_library` and calls its methods from the UI thread.
"""

from __future__ import annotations

import threading


class AnalysisControl:
    """Shared between the thread running an analysis and whoever steers it.

    Pausing stops handing out new photos and new model batches; photos already being
    decoded finish and wait. Cancelling ends the run after storing every finished
    photo; the next run resumes with the rest (finished photos are skipped).
    """

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # a paused run must wake up to notice

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, poll_s: float = 0.25) -> bool:
        """Block while paused; True when the work may go on, False when cancelled."""
        while not self._running.wait(poll_s):
            pass
        return not self.cancelled
