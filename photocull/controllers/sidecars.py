"""Writing XMP sidecars in the background: after each decision (when set so) or on request."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from engine.decisions import sidecars
from engine.library.catalog import Catalog
from photocull.workers import EngineJob

if TYPE_CHECKING:
    from photocull.main_window import MainWindow


class SidecarController:
    HANDLES = ("write_all_sidecars",)

    def __init__(self, window: MainWindow):
        self.window = window

    def write(self, photo_ids: list[int] | None) -> None:
        """Write the sidecars of ``photo_ids`` (all photos when None) in a worker, then say how it went."""
        window = self.window
        root, settings = window.session.root, window.settings.sidecars()

        def write(root: Path = root):
            with Catalog.open(root) as catalog:
                photos = catalog.photos() if photo_ids is None else [p for p in catalog.photos() if p.id in set(photo_ids)]
                return sidecars.write_sidecars(catalog, settings, photos=photos)

        window.jobs.start(EngineJob(write), failed=window.work.failed,
                          finished=lambda report: window.say(f"Sidecars: {len(report.written)} written, "
                                                             f"{len(report.problems)} problems."))

    def write_all_sidecars(self) -> None:
        if self.window.session is not None:
            self.write(None)
