"""The analysis's only catalog writer: a thread that commits finished photos in short transactions.

SQLite connections belong to the thread that opened them, so the writer opens its
own :class:`~engine.library.catalog.Catalog`. Results arrive on a queue from the inference
thread; they are committed every ``batch_photos`` photos or ``batch_seconds``,
whichever comes first, so a run killed at any instant keeps all but the last
fraction of a second, and a resumed run skips what was committed.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from engine.analysis.modelset import ImageModel, ModelOutput, ModelSet
from engine.analysis.photo_measures import PreparedPhoto
from engine.analysis.storage import write_photo
from engine.library.catalog import Catalog

Result = tuple[PreparedPhoto, Sequence[tuple[ImageModel, ModelOutput]]]
_STOP = object()


class ResultWriter:
    """``put`` results from any thread; ``close`` commits the rest and joins (re-raising a writer error)."""

    def __init__(self, root: Path, models: ModelSet, *, batch_photos: int = 32, batch_seconds: float = 0.5):
        self.root = root
        self.models = models
        self.batch_photos = batch_photos
        self.batch_seconds = batch_seconds
        self.written = 0
        self._queue: queue.Queue = queue.Queue(maxsize=4 * batch_photos)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="photocull-analysis-writer", daemon=True)
        self._thread.start()

    def put(self, result: Result) -> None:
        self._raise_if_failed()
        self._queue.put(result)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"writing analysis results failed: {self._error}") from self._error

    def _work(self) -> None:
        try:
            with Catalog.open(self.root, create=False) as catalog:
                self._drain(catalog)
        except BaseException as exc:  # reported to the producer thread by put/close
            self._error = exc
            while self._queue.get() is not _STOP:  # keep producers from blocking on a full queue
                pass

    def _drain(self, catalog: Catalog) -> None:
        pending: list[Result] = []
        deadline = time.monotonic() + self.batch_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = None
            if item is not None and item is not _STOP:
                pending.append(item)
            if item is _STOP or len(pending) >= self.batch_photos or time.monotonic() >= deadline:
                self._commit(catalog, pending)
                pending = []
                deadline = time.monotonic() + self.batch_seconds
            if item is _STOP:
                return

    def _commit(self, catalog: Catalog, pending: list[Result]) -> None:
        if not pending:
            return
        with catalog.transaction() as conn:
            for prepared, outputs in pending:
                write_photo(conn, prepared, outputs, self.models)
        self.written += len(pending)
