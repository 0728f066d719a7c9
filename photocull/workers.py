"""Background work: engine calls on a QThreadPool, results back through signals.

Rules that keep the UI from ever blocking:

* every engine call that touches the disk or decodes pixels runs in a
  ``QRunnable``; the GUI thread only receives results via queued signals;
* workers build ``QImage`` (safe off the GUI thread); ``QPixmap`` is made in the
  GUI thread; images made from Pillow bytes are ``.copy()``-ed so they own them;
* each job opens its own :class:`~engine.library.catalog.Catalog` (SQLite connections
  belong to one thread; WAL lets them read while the GUI writes decisions);
* progress is throttled in the worker (at most every 50 ms), so a 20,000-photo
  scan does not flood the event loop with 20,000 status updates;
* thumbnails are requested lazily by the model (only rows the view paints), the
  most recently requested first, and kept in a bounded LRU of pixmaps.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from engine.culling.cull_photo import CullPhoto
from engine.library.decode import DecodeError, open_image
from engine.library.scan import grid_thumbnail
from engine.library.thumbnails import PREVIEW_SIZE, FileIdentity, ThumbnailCache

THUMB_SIDE = 200           # grid tiles draw thumbnails at most this big
THUMB_CACHE_ITEMS = 3000   # about 350 MB at worst; a 20k library scrolls through it
THUMBS_PER_JOB = 12
MAX_THUMB_JOBS = 2
PREVIEW_CACHE_ITEMS = 24   # the survey's largest grid must fit, or its panes evict each other's previews
PROGRESS_INTERVAL_S = 0.05


def qimage_from_pil(image: Image.Image) -> QImage:
    rgb = image.convert("RGB")
    data = rgb.tobytes()
    return QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888).copy()


class JobSignals(QObject):
    progress = Signal(int, int, str)
    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str)


class EngineJob(QRunnable):
    """Runs ``fn(*args, progress=..., **kwargs)`` off the GUI thread.

    ``fn`` receives a throttled ``progress(done, total, text)`` callable when
    ``with_progress`` is true, and ``emit(event)`` (any object, delivered to the GUI
    thread's ``event`` slot) when ``with_events`` is true. Exceptions become ``failed`` with one readable line.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, with_progress: bool = False, with_events: bool = False,
                 **kwargs: Any):
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.with_progress = with_progress
        self.with_events = with_events
        self.signals = JobSignals()  # an attribute, so it outlives run()
        self._last_progress = 0.0

    def report(self, done: int, total: int, text: str = "") -> None:
        now = time.monotonic()
        if done >= total or now - self._last_progress >= PROGRESS_INTERVAL_S:
            self._last_progress = now
            self.signals.progress.emit(done, total, text)

    def run(self) -> None:
        kwargs = dict(self.kwargs)
        if self.with_progress:
            kwargs["progress"] = self.report
        if self.with_events:
            kwargs["emit"] = self.signals.event.emit
        try:
            result = self.fn(*self.args, **kwargs)
        except Exception as exc:  # shown in the status bar; the window stays usable
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.signals.finished.emit(result)


class JobRunner(QObject):
    """Starts :class:`EngineJob`s and keeps them (and their slots) alive until they report.

    PySide does not keep a plain function or closure connected to a signal alive on its
    own, so a job's callbacks are held here until the job has finished or failed.
    """

    def __init__(self, pool: QThreadPool, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool
        self._live: dict[int, tuple] = {}

    def start(self, job: EngineJob, *, finished=None, failed=None, progress=None, event=None) -> EngineJob:
        self._live[id(job)] = (job, finished, failed, progress, event)
        if progress is not None:
            job.signals.progress.connect(progress)
        if event is not None:
            job.signals.event.connect(event)
        job.signals.finished.connect(lambda result, key=id(job): self._settle(key, 1, result))
        job.signals.failed.connect(lambda message, key=id(job): self._settle(key, 2, message))
        self.pool.start(job)
        return job

    @property
    def running(self) -> int:
        return len(self._live)

    def _settle(self, key: int, slot: int, value) -> None:
        entry = self._live.pop(key, None)
        if entry is not None and entry[slot] is not None:
            entry[slot](value)


# -- thumbnails --------------------------------------------------------------------------


class _ThumbnailSignals(QObject):
    loaded = Signal(object, QImage)   # key, image (null image = could not be read)
    done = Signal()


class _ThumbnailJob(QRunnable):
    def __init__(self, root: Path, photos: list[tuple[tuple, CullPhoto]], cache: ThumbnailCache):
        super().__init__()
        self.root, self.photos, self.cache = root, photos, cache
        self.signals = _ThumbnailSignals()

    def run(self) -> None:
        for key, photo in self.photos:
            image = QImage()
            try:
                image = QImage(str(grid_thumbnail(self.root, photo.record, self.cache)))
            except (DecodeError, OSError):
                pass  # the tile says "unreadable"; `photocull-cli errors` lists why
            if not image.isNull() and max(image.width(), image.height()) > THUMB_SIDE:
                image = image.scaled(THUMB_SIDE, THUMB_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)
            self.signals.loaded.emit(key, image)
        self.signals.done.emit()


class _PixmapStore(QObject):
    """Pixmaps by key in a bounded LRU (None = known unreadable), loaded by pool jobs."""

    ready = Signal(int)   # photo id

    def __init__(self, pool: QThreadPool, capacity: int, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = pool
        self.capacity = capacity
        self.root: Path | None = None
        self._store: OrderedDict[tuple, QPixmap | None] = OrderedDict()

    def _remember(self, key: tuple, image: QImage) -> None:
        self._store[key] = None if image.isNull() else QPixmap.fromImage(image)
        while len(self._store) > self.capacity:
            self._store.popitem(last=False)
        self.ready.emit(key[0])

    def _lookup(self, key: tuple) -> tuple[bool, QPixmap | None]:
        if key in self._store:
            self._store.move_to_end(key)
            return True, self._store[key]
        return False, None


class ThumbnailLoader(_PixmapStore):
    """Lazy grid thumbnails: ``pixmap(photo)`` answers from memory or queues a load."""

    def __init__(self, pool: QThreadPool, parent: QObject | None = None):
        super().__init__(pool, THUMB_CACHE_ITEMS, parent)
        self.cache = ThumbnailCache()
        self._queue: OrderedDict[tuple, CullPhoto] = OrderedDict()
        self._in_flight: set[tuple] = set()
        self._jobs = 0
        self._kick = QTimer(self, singleShot=True, interval=0)
        self._kick.timeout.connect(self._dispatch)

    @staticmethod
    def key(photo: CullPhoto) -> tuple:
        return (photo.id, photo.record.path, photo.record.mtime_ns, photo.record.size)

    def set_root(self, root: Path) -> None:
        self.root = root
        self._queue.clear()

    def pixmap(self, photo: CullPhoto) -> QPixmap | None:
        """The thumbnail if loaded (None while loading or when unreadable); queues it otherwise."""
        key = self.key(photo)
        known, pixmap = self._lookup(key)
        if known:
            return pixmap
        if key not in self._in_flight:
            self._queue[key] = photo
            self._queue.move_to_end(key)  # newest requests (what is on screen now) first
            self._kick.start()
        return None

    def is_settled(self, photo: CullPhoto) -> bool:
        """Loaded or known unreadable."""
        return self.key(photo) in self._store

    def failed(self, photo: CullPhoto) -> bool:
        key = self.key(photo)
        return key in self._store and self._store[key] is None

    def _dispatch(self) -> None:
        while self._queue and self._jobs < MAX_THUMB_JOBS and self.root is not None:
            batch = [self._queue.popitem(last=True) for _ in range(min(THUMBS_PER_JOB, len(self._queue)))]
            self._in_flight.update(key for key, _ in batch)
            job = _ThumbnailJob(self.root, batch, self.cache)
            job.signals.loaded.connect(self._loaded)
            job.signals.done.connect(self._job_done)
            self._jobs += 1
            self.pool.start(job)

    def _job_done(self) -> None:
        self._jobs -= 1
        self._kick.start()

    def _loaded(self, key: tuple, image: QImage) -> None:
        self._in_flight.discard(key)
        self._remember(key, image)


# -- loupe previews -----------------------------------------------------------------------


class _PreviewSignals(QObject):
    loaded = Signal(object, QImage)   # (photo id, full), image


def preview_path(root: Path, record) -> Path:
    """The 1600-px preview of a catalogued photo, made on demand. Raises DecodeError."""
    path = root / record.path
    return ThumbnailCache().ensure(FileIdentity(str(path), record.size or 0, record.mtime_ns or 0), PREVIEW_SIZE, path)


class _PreviewJob(QRunnable):
    def __init__(self, root: Path, photo: CullPhoto, full: bool):
        super().__init__()
        self.root, self.photo, self.full = root, photo, full
        self.signals = _PreviewSignals()

    def run(self) -> None:
        record = self.photo.record
        path = self.root / record.path
        image = QImage()
        try:
            if self.full:
                image = qimage_from_pil(open_image(path))
            else:
                image = QImage(str(preview_path(self.root, record)))
        except (DecodeError, OSError):
            pass
        self.signals.loaded.emit((self.photo.id, self.full), image)


class PreviewLoader(_PixmapStore):
    """1600-px previews for the loupe and compare (full size on demand for 100 %)."""

    def __init__(self, pool: QThreadPool, parent: QObject | None = None):
        super().__init__(pool, PREVIEW_CACHE_ITEMS, parent)
        self._pending: set[tuple[int, bool]] = set()

    def set_root(self, root: Path) -> None:
        self.root = root
        self._store.clear()

    def best(self, photo: CullPhoto, *, want_full: bool = False) -> QPixmap | None:
        """The sharpest image at hand (full if loaded, else preview); requests what is missing."""
        full = self._get(photo, True) if want_full else self._store.get((photo.id, True))
        return full or self._get(photo, False)

    @property
    def loading(self) -> bool:
        """Whether any requested preview is still being read."""
        return bool(self._pending)

    def prefetch(self, photo: CullPhoto) -> None:
        self._get(photo, False)

    def _get(self, photo: CullPhoto, full: bool) -> QPixmap | None:
        key = (photo.id, full)
        known, pixmap = self._lookup(key)
        if known:
            return pixmap
        if key not in self._pending and self.root is not None:
            self._pending.add(key)
            job = _PreviewJob(self.root, photo, full)
            job.signals.loaded.connect(self._loaded)
            self.pool.start(job, priority=1)
        return None

    def _loaded(self, key: tuple[int, bool], image: QImage) -> None:
        self._pending.discard(key)
        self._remember(key, image)
