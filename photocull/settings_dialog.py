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
from engine.inference.registry import SORTING_TASKS, ModelRegistry, describe

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
            names = [m.name for m in registry.candidates(task)] if registry else []
            combo = _combo([("", "Automatic (newest that passed its checks)")]
                           + [(n, n) for n in names],
                           settings.chosen_models.get(task, ""))
            self.model_choice[task] = combo
            form.addRow(f"{task.capitalize()} model", combo)
        self.models = QListWidget()
        self.models.setMinimumHeight(150)
        self.models.setWordWrap(True)
        if registry is None:
            self.models.addItem("Looking for installed models…")
        else:
            for model in registry.models:
                m = model.manifest
                checks = "; failed its checks: used only when chosen above" if model.failed_checks else ""
                item = QListWidgetItem(f"{describe(model)} — {m.task}{checks}")
                item.setToolTip(f"{m.architecture}\ntrained on {m.training_data}")
                self.models.addItem(item)
            for refused in registry.refused:
                item = QListWidgetItem(f"refused: {refused.path.name} — {refused.reason}")
                item.setForeground(Qt.GlobalColor.gray)
                item.setToolTip(refused.reason)
                self.models.addItem(item)
            if not registry.models and not registry.refused:
                self.models.addItem("No models installed.")
        form.addRow(self.models)
        if registry is not None:
            message = QLabel(registry.sort_score().message, wordWrap=True)
            # a wrapped label in a form layout gets one line's height unless told its real one
            message.setMinimumHeight(message.heightForWidth(self.minimumWidth() - 40))
            form.addRow(message)
        return box

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
    for value, text in choices:
        combo.addItem(text, value)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    return combo
