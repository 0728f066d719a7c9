"""The settings dialog: saving what it returns and applying it to the views and the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.config.settings import AppSettings, save_settings
from photocull.library_process import ANALYSE
from photocull.settings_dialog import SettingsDialog

if TYPE_CHECKING:
    from photocull.main_window import MainWindow


class PreferencesController:
    HANDLES = ("open_settings",)

    def __init__(self, window: MainWindow):
        self.window = window

    def open_settings(self) -> None:
        window, work = self.window, self.window.work
        dialog = SettingsDialog(window.settings, work.registry, work.device_text, window)
        before, accepted = window.settings, window.run_dialog(dialog)
        if accepted:
            window.settings = dialog.result_settings()
            if window.persist:
                save_settings(window.settings)
            if window.session is not None:
                window.session.settings = window.settings
            self.apply_to_views()
        if not (accepted or dialog.models_changed):   # a model added or removed stays so, even on Cancel
            return
        work.find_models()
        changed = dialog.models_changed or _analysis_inputs(before) != _analysis_inputs(window.settings)
        if changed and window.session and not work.working:
            work.busy.add("analysis")   # re-score / re-group; unchanged photos are skipped by the engine
            work.start((ANALYSE,))

    def apply_to_views(self) -> None:
        window = self.window
        show = window.settings.show_insights
        window.model.show_insights = window.loupe.show_insights = window.compare.show_insights = show
        window.grid.viewport().update()
        window.navigation.refresh_open_views()


def _analysis_inputs(settings: AppSettings) -> tuple:
    return (settings.device, settings.chosen_models, settings.burst_sensitivity)
