"""Decisions: culling keys on what is selected, undo and redo (back to the photo they changed), auto-cull."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from engine.decisions import auto_cull
from photocull.auto_cull_dialog import AutoCullDialog

if TYPE_CHECKING:
    from photocull.main_window import MainWindow


class DecisionController:
    HANDLES = ("decide", "undo", "redo", "open_auto_cull")

    def __init__(self, window: MainWindow):
        self.window = window

    def decide(self, key: str) -> None:
        """A culling key (P, X, U, 0–9) on the selection, the loupe's photo or compare's active pane;
        the loupe then moves on when the setting says so (never after a colour label)."""
        window = self.window
        if window.session is None:
            return
        navigation = window.navigation
        changed = window.session.apply_key(key, navigation.target_ids())
        self.after_decisions(changed)
        if navigation.page == "loupe":
            navigation.show_loupe(window.session.advance_after(key, navigation.current_row))

    def undo(self) -> None:
        if self.window.session is not None:
            self._step_history(self.window.session.undo, "Undid", "Nothing to undo.")

    def redo(self) -> None:
        if self.window.session is not None:
            self._step_history(self.window.session.redo, "Redid", "Nothing to redo.")

    def _step_history(self, step: Callable[[], list[int]], verb: str, nothing: str) -> None:
        """Undo or redo one action, then go back to the photo it changed."""
        window, navigation = self.window, self.window.navigation
        changed = step()
        self.after_decisions(changed)
        current = navigation.current_photo()
        row = window.session.landing_row(changed, prefer=current.id if current else None)
        if row is not None:
            navigation.go_to(row)
        window.say(f"{verb} a change to {len(changed)} photo(s)." if changed else nothing)

    def after_decisions(self, changed: list[int]) -> None:
        window = self.window
        if not changed:
            return
        window.model.photos_changed(changed)
        window.navigation.refresh_open_views()
        window.filters.update_counts()
        if window.session.writes_sidecars_on_decision:
            window.sidecars.write(changed)

    def open_auto_cull(self) -> None:
        window = self.window
        session = window.session
        if session is None:
            return
        proposals = session.propose_auto_cull()
        if not proposals:
            window.say("Auto-cull has nothing to suggest (run analysis first, or everything is flagged already).")
            return
        dialog = AutoCullDialog(auto_cull.by_burst(proposals, session.photos), window.thumbnails, window)
        if window.run_dialog(dialog):
            changed = session.accept_proposals(dialog.accepted_proposals())
            self.after_decisions(changed)
            window.say(f"Applied {len(changed)} auto-cull suggestions (Ctrl+Z undoes them all at once).")
