"""Navigation: which page shows (grid, loupe, compare), the current photo, and keeping it through relists.

The current photo is the grid's current index, or the loupe's photo. Whenever the
list is rebuilt (a new sort or filter, bursts regrouped, the catalog re-read after
personalizing) :meth:`NavigationController.keeping_current` finds the same photo
again (or its burst's tile) and keeps it where it was on screen, so nothing jumps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image
from PySide6.QtCore import QItemSelectionModel, QTimer
from PySide6.QtWidgets import QAbstractItemView

from engine.analysis.focus_region import sharpest_region
from photocull.workers import PREVIEW_CACHE_ITEMS, EngineJob, preview_path

if TYPE_CHECKING:
    from photocull.main_window import MainWindow

SURVEY_MAX = PREVIEW_CACHE_ITEMS   # more panes than cached previews would evict each other forever
PLACE_TRIES = 20                   # event-loop turns to wait for the grid's batched layout to reach a row


@dataclass
class _Keeper:
    relist: bool


class NavigationController:
    HANDLES = ("show_grid", "show_loupe", "show_compare", "step", "loupe_toggle_zoom", "loupe_next_face",
               "loupe_sharpest", "toggle_face_strip", "toggle_quality_map")

    def __init__(self, window: MainWindow):
        self.window = window
        self.current_row = 0
        window.grid.selectionModel().currentChanged.connect(self._grid_current_changed)

    def _grid_current_changed(self, current, previous) -> None:
        if current.isValid():
            self.current_row = current.row()

    @property
    def page(self) -> str:
        """The page showing: welcome, grid, loupe or compare."""
        window = self.window
        return {window.grid: "grid", window.loupe: "loupe", window.compare: "compare"}.get(
            window.stack.currentWidget(), "welcome")

    def current_photo(self):
        return self.window.model.photo_at(self.current_row)

    def focus_page(self) -> None:
        """Give the keyboard back to the page showing (after a dialog closed, say)."""
        self.window.stack.currentWidget().setFocus()

    # -- keeping the current photo through a relist ------------------------------------------------

    @contextmanager
    def keeping_current(self, relist: bool = True) -> Iterator[_Keeper]:
        """Around a change of the session's list: afterwards (when ``keeper.relist``) the grid is relisted,
        the selection and the current photo are restored and the current tile stays where it was on screen."""
        keeper = _Keeper(relist)
        current, selected = self.current_photo(), self.selected_ids()
        offset, scrolled = self._tile_offset(self.current_row), self.window.grid.verticalScrollBar().value()
        yield keeper
        if keeper.relist:
            self.window.model.reset()
            self._restore(selected, current.id if current else None)
            self._place(self.current_row, offset, scrolled, PLACE_TRIES)

    def relist(self, change: Callable[[], object]) -> None:
        """Run ``change`` (a new sort, filter or grouping of the session's list) and show the result,
        keeping the current photo."""
        with self.keeping_current():
            change()
        self.window.filters.update_counts()

    def _restore(self, selected: list[int], current_id: int | None) -> None:
        session, model = self.window.session, self.window.model
        selection = self.window.grid.selectionModel()
        for row in (session.row_of(pid) for pid in selected):
            if row is not None:
                selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
        row = session.shown_row(current_id) if current_id is not None else None
        self.current_row = row if row is not None else min(self.current_row, max(0, model.rowCount() - 1))
        if model.rowCount():
            selection.setCurrentIndex(model.index(self.current_row), QItemSelectionModel.SelectionFlag.NoUpdate)

    def _tile_offset(self, row: int) -> int | None:
        """How far below the grid's top edge the tile of ``row`` is, None when it is not on screen."""
        grid = self.window.grid
        rect = grid.visualRect(self.window.model.index(row))
        return rect.top() if rect.isValid() and rect.intersects(grid.viewport().rect()) else None

    def _place(self, row: int, offset: int | None, scrolled: int, tries: int) -> None:
        """Scroll so the tile of ``row`` is ``offset`` below the top again, or, when it was not on screen,
        back to where the grid was scrolled. The grid lays out in batches, so a far row may need a few turns."""
        grid, index = self.window.grid, self.window.model.index(row)
        bar = grid.verticalScrollBar()
        if offset is None:
            if bar.maximum() >= scrolled or tries <= 0:
                bar.setValue(scrolled)
                return
        else:
            rect = grid.visualRect(index)
            if rect.isValid() or tries <= 0 or not index.isValid():
                if rect.isValid():
                    bar.setValue(bar.value() + rect.top() - offset)
                return
        QTimer.singleShot(0, lambda: self._place(row, offset, scrolled, tries - 1))

    def go_to(self, row: int) -> None:
        """Make ``row`` the current photo, in view, on whichever page shows."""
        self.current_row = row
        if self.page == "loupe":
            self.show_loupe(row)
        elif self.page == "grid":
            index = self.window.model.index(row)
            self.window.grid.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.window.grid.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    # -- what keys apply to ----------------------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        model = self.window.model
        rows = sorted(index.row() for index in self.window.grid.selectionModel().selectedIndexes())
        return [model.photo_at(r).id for r in rows if model.photo_at(r) is not None]

    def target_ids(self) -> list[int]:
        """What a key applies to: the grid's selection, the loupe's photo, compare's active pane."""
        if self.page == "compare":
            active = self.window.compare.active_photo
            return [active.id] if active else []
        if self.page == "grid":
            selected = self.selected_ids()
            if selected:
                return selected
        photo = self.current_photo()
        return [photo.id] if photo else []

    # -- pages --------------------------------------------------------------------------------------------

    def show_grid(self) -> None:
        window = self.window
        if window.session is None:
            return
        window.stack.setCurrentWidget(window.grid)
        if window.model.rowCount():
            index = window.model.index(self.current_row)
            window.grid.setCurrentIndex(index)
            window.grid.scrollTo(index)
        window.grid.setFocus()

    def show_loupe(self, row: int | None = None) -> None:
        window = self.window
        if window.session is None or not window.model.rowCount():
            return
        if row is None:
            row = window.grid.currentIndex().row() if self.page == "grid" else self.current_row
        self.current_row = window.session.next_row(max(row, 0), 0)
        model = window.model
        neighbours = [p for p in (model.photo_at(self.current_row + 1), model.photo_at(self.current_row - 1)) if p]
        window.loupe.show_photo(self.current_photo(), neighbours)
        window.stack.setCurrentWidget(window.loupe)
        window.loupe.setFocus()

    def show_compare(self, mode: str) -> None:
        window = self.window
        if window.session is None or not window.model.rowCount():
            return
        if self.page == "grid":
            self.current_row = max(0, window.grid.currentIndex().row())
        photos = self._compare_photos(mode, self.current_photo())
        window.compare.show_photos(photos, mode, active=1 if mode == "2-up" and len(photos) > 1 else 0)
        window.stack.setCurrentWidget(window.compare)
        window.compare.setFocus()

    def _compare_photos(self, mode: str, current):
        session = self.window.session
        selected = [session.photo(pid) for pid in self.selected_ids()]
        if mode == "burst":
            return session.burst_members(current.id)
        if mode == "survey":
            if len(selected) > SURVEY_MAX:
                self.window.say(f"Survey shows the first {SURVEY_MAX} of the {len(selected)} selected photos.")
            return selected[:SURVEY_MAX] if len(selected) >= 2 else [current]
        if len(selected) >= 2:
            return selected[:2]
        return [current] + self._candidate_for(current)

    def _candidate_for(self, current) -> list:
        """2-up's first challenger: the burst's next frame, else the next photo (the previous at the end)."""
        session = self.window.session
        members = session.burst_members(current.id)
        if len(members) > 1:
            return [next(p for p in members if p.id != current.id)]
        for step in (1, -1):
            candidate = self.window.model.photo_at(session.next_row(self.current_row, step))
            if candidate is not None and candidate.id != current.id:
                return [candidate]
        return []

    def step(self, step: int) -> None:
        compare = self.window.compare
        if self.page == "loupe":
            self.show_loupe(self.window.session.next_row(self.current_row, step))
        elif self.page == "compare" and compare.mode == "2-up" and len(compare.photos) == 2:
            self._step_candidate(step)
        elif self.page == "compare":
            compare.step_active(step)

    def _step_candidate(self, step: int) -> None:
        """Champion stays; the candidate walks the list, skipping the champion."""
        session, compare = self.window.session, self.window.compare
        champion = compare.photos[0]
        row = session.row_of(compare.photos[1].id) or 0
        for _ in range(2):
            row = session.next_row(row, step)
            candidate = self.window.model.photo_at(row)
            if candidate is not None and candidate.id != champion.id:
                compare.set_candidate(candidate)
                return

    def refresh_open_views(self) -> None:
        window = self.window
        if window.session is None:
            return
        if self.page == "loupe" and window.loupe.photo is not None:
            window.loupe.show_photo(self.current_photo())
        if self.page == "compare":
            window.compare.refresh({p.id: p for p in window.session.photos})

    # -- loupe tools ------------------------------------------------------------------------------------

    def toggle_face_strip(self) -> None:
        """Every face up close, under the loupe or compare."""
        page = self.window.stack.currentWidget()
        if page in (self.window.loupe, self.window.compare):
            page.toggle_faces()

    def toggle_quality_map(self) -> None:
        """Tint where the loupe's photo loses image quality; say so when it has no such picture."""
        if self.page == "loupe":
            message = self.window.loupe.toggle_quality_map()
            if message:
                self.window.say(message)

    def loupe_toggle_zoom(self) -> None:
        if self.page == "loupe":
            self.window.loupe.toggle_zoom()

    def loupe_next_face(self) -> None:
        if self.page == "loupe" and not self.window.loupe.next_face():
            self.window.say("No faces were found in this photo.")

    def loupe_sharpest(self) -> None:
        """Find the sharpest region of the loupe's photo (in a worker) and zoom there."""
        window = self.window
        photo = window.loupe.photo
        if self.page != "loupe" or photo is None:
            return
        root = window.session.root

        def locate(photo=photo):
            with Image.open(preview_path(root, photo.record)) as image:
                return photo.id, sharpest_region(image)

        def show(result) -> None:
            photo_id, region = result
            if window.loupe.photo is not None and window.loupe.photo.id == photo_id:
                window.loupe.focus_on(region)

        window.jobs.start(EngineJob(locate), finished=show, failed=window.work.failed)
