"""Opening a library: the folder dialog, drops, the recent-folders menu, and loading and merging its photos.

What the catalog already knows is shown at once (thumbnails come from the cache);
photos changed by the background process are merged in and only their tiles repaint,
unless rows were added, removed or reordered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMenu

from engine.config.settings import save_settings
from engine.culling.session import CullingSession, read_photos
from engine.library.catalog import Catalog
from engine.library.photo_changes import PhotoChanges
from photocull.library_process import ANALYSE, SCAN
from photocull.workers import EngineJob

if TYPE_CHECKING:
    from photocull.main_window import MainWindow


FIRST_SCREEN = 200   # photos listed the moment a library opens (more than fit a screen)

class LibraryController:
    HANDLES = ("choose_folder",)

    def __init__(self, window: MainWindow):
        self.window = window
        self.recent_menu: QMenu | None = None

    def add_recent_menu(self, menu: QMenu) -> None:
        self.recent_menu = menu.addMenu("Open recent")
        self.fill_recent_menu()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open folder")
        if folder:
            self.open_folder(Path(folder))

    def open_folder(self, folder: Path) -> None:
        """Show what the catalog knows at once, then scan and analyse in the background."""
        window, work = self.window, self.window.work
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            window.say(f"{folder} is not a folder.")
            return
        work.stop()
        if window.session is not None:
            window.session.close()
        work.restart()
        session = window.session = CullingSession(Catalog.open(folder), window.settings)
        session.state.collapse_bursts = window.filters.bursts_button.isChecked()
        window.thumbnails.set_root(session.root)
        window.previews.set_root(session.root)
        session.show_first(FIRST_SCREEN)   # at once; reload() then lists the whole library
        window.model.set_session(session)
        window.stack.setCurrentWidget(window.grid)
        window.setWindowTitle(f"photocull — {session.root}")
        self.remember(folder)
        work.busy = {"load", "scan", "analysis"}
        self.reload(then=lambda: work.start((SCAN, ANALYSE)))

    def remember(self, folder: Path) -> None:
        window = self.window
        window.settings = window.settings.with_recent(folder)
        if window.persist:
            save_settings(window.settings)
        self.fill_recent_menu()

    def fill_recent_menu(self) -> None:
        recent = self.window.settings.recent_libraries
        self.recent_menu.clear()
        for entry in recent:
            self.recent_menu.addAction(entry, lambda _checked=False, e=entry: self.open_folder(Path(e)))
        self.recent_menu.setEnabled(bool(recent))

    def reload(self, then: Callable[[], None] | None = None) -> None:
        """Re-read the catalog in a worker, then show it (keeping the current photo and the selection)."""
        window = self.window
        if window.session is None:   # a job finished after the window closed
            return
        root = window.session.root
        window.work.refresh_pending = True

        def read(root: Path = root):
            with Catalog.open(root) as catalog:
                return root, read_photos(catalog)

        def done(result) -> None:
            window.work.refresh_pending = False
            loaded_root, photos = result
            if window.session is None or loaded_root != window.session.root:
                return
            self.show_photos(photos)
            window.work.busy.discard("load")
            if then is not None:
                then()

        window.jobs.start(EngineJob(read), finished=done, failed=window.work.failed)

    def show_photos(self, photos) -> None:
        with self.window.navigation.keeping_current():
            self.window.session.set_photos(photos)
        self.after_list_changed()

    def merge(self, changes: PhotoChanges) -> None:
        """Photos changed by the background process: repaint their tiles, or relist when rows moved."""
        window = self.window
        if window.session is None:
            return
        with window.navigation.keeping_current(relist=False) as keeper:
            keeper.relist = window.session.merge(changes)
        if not keeper.relist:
            window.model.photos_changed(photo.id for photo in changes.changed)
        self.after_list_changed()

    def after_list_changed(self) -> None:
        window = self.window
        window.navigation.refresh_open_views()
        window.filters.update_counts()
        window.filters.update_score_range()
        window.filters.update_sort_options()
