"""What changed in a library's photo list since the last look: the GUI's incremental refresh.

While a scan or an analysis runs, the window must show new photos and new
scores as they land, but re-reading and re-listing every photo every few seconds
costs the event loop tens of milliseconds on a large library. So the process that
does the work also watches the catalog: :class:`PhotoWatcher` re-reads it there
(off the GUI's interpreter) and hands over only the photos that differ from what
it sent before, as a small picklable :class:`PhotoChanges`. The GUI merges them
with :meth:`engine.culling.session.CullingSession.merge`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.culling.cull_photo import CullPhoto
from engine.culling.session import read_photos
from engine.library.catalog import Catalog, CatalogNotFound


@dataclass(frozen=True)
class PhotoChanges:
    changed: tuple[CullPhoto, ...] = ()   # new photos, and photos whose record or insight differs
    removed: tuple[int, ...] = ()         # ids no longer in the list

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed)


def diff_photos(before: dict[int, CullPhoto], after: Iterable[CullPhoto]) -> PhotoChanges:
    """The changes that turn ``before`` (by id) into ``after``."""
    current = {photo.id: photo for photo in after}
    changed = tuple(photo for pid, photo in current.items() if before.get(pid) != photo)
    removed = tuple(pid for pid in before if pid not in current)
    return PhotoChanges(changed, removed)


class PhotoWatcher:
    """Re-reads a library's photos and reports what changed since the previous call.

    The first call reports against ``known`` (what the viewer already shows; empty
    means "everything is new"). Each call opens its own catalog connection, so the
    watcher can live on any thread; it never creates a catalog.
    """

    def __init__(self, root: Path, known: Iterable[CullPhoto] = ()):
        self.root = Path(root)
        self._last: dict[int, CullPhoto] = {photo.id: photo for photo in known}

    def poll(self) -> PhotoChanges:
        try:
            with Catalog.open(self.root, create=False) as catalog:
                photos = read_photos(catalog)
        except CatalogNotFound:
            return PhotoChanges()   # not scanned yet: nothing to show
        changes = diff_photos(self._last, photos)
        self._last = {photo.id: photo for photo in photos}
        return changes

    def prime(self) -> None:
        """Take the catalog as it is now as the baseline (nothing reported for it)."""
        self.poll()
