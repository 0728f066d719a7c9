"""Personalization: learning from the user's picks, "Help me calibrate", and the personal model's file chores."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMenu

from engine import personalize as taste
from photocull.calibrate_dialog import CalibrateDialog
from photocull.personalize_menu import calibration_pairs, personal_model_text, run_personalize
from photocull.workers import EngineJob

if TYPE_CHECKING:
    from photocull.main_window import MainWindow

PERSONAL_MODEL_FILES = "Personal model (*.npz)"


class PersonalizeController:
    HANDLES = ("personalize", "calibrate", "export_personal_model", "import_personal_model", "reset_personal_model")

    def __init__(self, window: MainWindow):
        self.window = window

    def add_state_line(self, menu: QMenu) -> None:
        """The menu's first line, read each time it opens: is a personal model on, on how many decisions,
        how it did on held-out choices."""
        state = menu.actions()[0] if menu.actions() else None
        self.state_line = menu.addAction("")
        self.state_line.setEnabled(False)
        if state is not None:
            menu.insertAction(state, self.state_line)
            menu.insertSeparator(state)
        menu.aboutToShow.connect(lambda: self.state_line.setText(
            personal_model_text(self.window.session.catalog if self.window.session else None)))

    def personalize(self) -> None:
        """Fit the personal model in a worker; its verdict goes to the status line."""
        window = self.window
        if window.session is None:
            return
        window.work.show_progress(True, "Personalizing from your picks…")
        window.jobs.start(EngineJob(run_personalize, window.session.root, with_progress=True),
                          failed=window.work.failed, finished=self._personalized,
                          progress=lambda d, t, p: window.work.stage_progress("Personalizing", d, t, p))

    def _personalized(self, message: str) -> None:
        self.window.work.show_progress(False)
        self.window.say(message)
        self.window.library.reload()

    def calibrate(self) -> None:
        """Ask the least-sure A/B questions (found in a worker), then personalize with the answers."""
        window = self.window
        if window.session is None:
            return
        window.jobs.start(EngineJob(calibration_pairs, window.session.root), finished=self._ask,
                          failed=window.work.failed)

    def _ask(self, pairs) -> None:
        window, session = self.window, self.window.session
        if session is None:
            return
        pairs = [p for p in pairs if session.has(p.first_id) and session.has(p.second_id)]
        if not pairs:
            window.say("Nothing to calibrate: analyse the library first (or you have ordered every close pair already).")
            return
        dialog = CalibrateDialog(pairs, session.photo, window.previews, self._record_choice, window)
        window.run_dialog(dialog)
        window.say(f"{dialog.answered} answer(s) recorded.")
        if dialog.answered:
            self.personalize()

    def _record_choice(self, winner_id: int, loser_id: int) -> None:
        taste.record_choice(self.window.session.catalog, winner_id, loser_id)

    def reset_personal_model(self) -> None:
        window = self.window
        if window.session is not None:
            removed = taste.reset(window.session.catalog)
            window.say(f"Personal model reset ({removed} version(s) and your calibration answers forgotten).")
            window.library.reload()

    def export_personal_model(self, destination: Path | None = None) -> None:
        window = self.window
        if window.session is None:
            return
        destination = destination or _chosen_path(QFileDialog.getSaveFileName(
            window, "Export personal model", str(Path.home() / "personal-model.npz"), PERSONAL_MODEL_FILES))
        if destination is None:
            return
        try:
            window.say(f"Personal model exported to {taste.export_model(window.session.catalog, destination)}.")
        except taste.PersonalModelError as exc:
            window.say(str(exc))

    def import_personal_model(self, source: Path | None = None) -> None:
        window = self.window
        if window.session is None:
            return
        source = source or _chosen_path(QFileDialog.getOpenFileName(window, "Import personal model", str(Path.home()),
                                                                     PERSONAL_MODEL_FILES))
        if source is None:
            return
        try:
            version, model = taste.import_model(window.session.catalog, source)
        except taste.PersonalModelError as exc:
            window.say(str(exc))
            return
        state = "in use" if model.active else "stored, but not in use (it did not beat the generic score)"
        window.say(f"Personal model imported as version {version}, {state}.")
        window.library.reload()


def _chosen_path(answer: tuple[str, str]) -> Path | None:
    """The path from a QFileDialog answer, None when the user cancelled."""
    return Path(answer[0]) if answer[0] else None
