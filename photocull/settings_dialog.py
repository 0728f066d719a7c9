"""Settings: device, models (with the refused ones and why), bursts, sidecars, culling.

The dialog edits an :class:`engine.config.settings.AppSettings` value and returns a
new one; saving and applying is the caller's job.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from engine.config.settings import AppSettings
from engine.inference.registry import SORTING_TASKS, ModelRegistry, describe, discover
from photocull.research_models import USER_MODEL_ROLE, ResearchModelButtons

DEVICE_CHOICES = (("auto", "Automatic (GPU when one works)"), ("gpu", "GPU (CUDA)"), ("cpu", "CPU only"))
NAMING_CHOICES = (("adobe", "IMG_0001.xmp (Lightroom, Bridge, Capture One)"),
                  ("darktable", "IMG_0001.CR2.xmp (darktable, digiKam)"))
WRITE_CHOICES = (("on_demand", "Only when I ask (File › Write sidecars)"), ("every_decision", "After every decision"))


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, registry: ModelRegistry | None, device_in_use: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("photocull settings")
        self.setMinimumWidth(560)
        self.original = settings
        #: True once a model was added or removed here (done at once, even if the dialog is then cancelled).
        self.models_changed = False
        layout = QVBoxLayout(self)
        layout.addWidget(self._scoring_box(settings, device_in_use))
        layout.addWidget(self._models_box(settings, registry))
        layout.addWidget(self._culling_box(settings))
        layout.addWidget(self._sidecar_box(settings))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _scoring_box(self, settings: AppSettings, device_in_use: str) -> QGroupBox:
        box = QGroupBox("Scoring device")
        form = QFormLayout(box)
        self.device = _combo(DEVICE_CHOICES, settings.device)
        form.addRow("Run models on", self.device)
        form.addRow("", QLabel(f"In use now: {device_in_use}"))
        return box

    def _models_box(self, settings: AppSettings, registry: ModelRegistry | None) -> QGroupBox:
        box = QGroupBox("Models")
        form = QFormLayout(box)
        self.model_choice: dict[str, QComboBox] = {}
        for task in SORTING_TASKS:
            combo = _combo(_model_choices(registry, task), settings.chosen_models.get(task, ""))
            self.model_choice[task] = combo
            form.addRow(f"{task.capitalize()} model", combo)
        self.models = QListWidget()
        self.models.setMinimumHeight(150)
        self.models.setWordWrap(True)
        form.addRow(self.models)
        self.research_buttons = ResearchModelButtons(self.models)
        self.research_buttons.changed.connect(self._models_changed)
        form.addRow(self.research_buttons)
        self.sort_message = QLabel(wordWrap=True)
        form.addRow(self.sort_message)
        self._show_models(registry)
        return box

    def _show_models(self, registry: ModelRegistry | None) -> None:
        self.models.clear()
        if registry is None:
            self.models.addItem("Looking for installed models…")
            return
        for model in registry.models:
            m = model.manifest
            checks = "; failed its checks: used only when chosen above" if model.failed_checks else ""
            item = QListWidgetItem(f"{describe(model)} — {m.task}{checks}")
            item.setToolTip(f"{m.architecture}\ntrained on {m.training_data}")
            item.setData(USER_MODEL_ROLE, m.name if model.origin == "user" else None)
            self.models.addItem(item)
        for refused in registry.refused:
            item = QListWidgetItem(f"refused: {refused.path.name} — {refused.reason}")
            item.setForeground(Qt.GlobalColor.gray)
            item.setToolTip(refused.reason)
            self.models.addItem(item)
        if not registry.models and not registry.refused:
            self.models.addItem("No models installed.")
        self.sort_message.setText(registry.sort_score().message)
        # a wrapped label in a form layout gets one line's height unless told its real one
        self.sort_message.setMinimumHeight(self.sort_message.heightForWidth(self.minimumWidth() - 40))

    def _models_changed(self) -> None:
        """A research model was added or removed: list what is installed now, and offer it for sorting."""
        self.models_changed = True
        registry = discover(chosen=self.original.chosen_models)
        self._show_models(registry)
        for task, combo in self.model_choice.items():
            _fill_combo(combo, _model_choices(registry, task), combo.currentData())

    def _culling_box(self, settings: AppSettings) -> QGroupBox:
        box = QGroupBox("Culling")
        form = QFormLayout(box)
        self.sensitivity = QSlider(Qt.Orientation.Horizontal)
        self.sensitivity.setRange(0, 100)
        self.sensitivity.setValue(round(settings.burst_sensitivity * 100))
        self.sensitivity.setToolTip("Left: only near-identical frames form a burst. Right: group more readily.")
        form.addRow("Burst sensitivity (strict … loose)", self.sensitivity)
        self.auto_advance = QCheckBox("Loupe: go to the next photo after a flag or stars (labels stay put)")
        self.auto_advance.setToolTip("After P, X, U or 0–5 the loupe shows the next photo; "
                                     "a colour label (6–9) never moves on, so labels can be stacked")
        self.auto_advance.setChecked(settings.auto_advance)
        form.addRow(self.auto_advance)
        self.show_insights = QCheckBox("Show scores and reasons on tiles and in the loupe")
        self.show_insights.setChecked(settings.show_insights)
        form.addRow(self.show_insights)
        return box

    def _sidecar_box(self, settings: AppSettings) -> QGroupBox:
        box = QGroupBox("XMP sidecars")
        form = QFormLayout(box)
        self.naming = _combo(NAMING_CHOICES, settings.sidecar_naming)
        form.addRow("Name new sidecars", self.naming)
        self.write_mode = _combo(WRITE_CHOICES, settings.sidecar_write)
        form.addRow("Write them", self.write_mode)
        self.lightroom_pick = QCheckBox("Also write Lightroom's pick tag (xmpDM:pick / xmpDM:good)")
        self.lightroom_pick.setChecked(settings.lightroom_pick)
        form.addRow(self.lightroom_pick)
        return box

    def result_settings(self) -> AppSettings:
        chosen = {task: combo.currentData() for task, combo in self.model_choice.items() if combo.currentData()}
        return replace(
            self.original, device=self.device.currentData(), chosen_models=chosen,
            burst_sensitivity=self.sensitivity.value() / 100, sidecar_naming=self.naming.currentData(),
            sidecar_write=self.write_mode.currentData(), lightroom_pick=self.lightroom_pick.isChecked(),
            auto_advance=self.auto_advance.isChecked(), show_insights=self.show_insights.isChecked(),
        )


def _combo(choices, current: str) -> QComboBox:
    combo = QComboBox()
    _fill_combo(combo, choices, current)
    return combo


def _fill_combo(combo: QComboBox, choices, current: str) -> None:
    combo.clear()
    for value, text in choices:
        combo.addItem(text, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))


def _model_choices(registry: ModelRegistry | None, task: str) -> list[tuple[str, str]]:
    names = [m.name for m in registry.candidates(task)] if registry else []
    return [("", "Automatic (newest that passed its checks)")] + [(n, n) for n in names]
