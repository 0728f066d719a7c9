"""Settings → Models: "Add a research model file…" (the authors' TANet/EAT download) and "Remove".

The install itself is the engine's (:mod:`engine.cli.model_install`: a restricted
reader, a strict template check, a probe run; nothing is installed on refusal).
This widget asks for the file, asks which model it is only when the file name does
not say so, and tells the photographer what happened in one message.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QMessageBox,
    QPushButton,
    QWidget,
)

from engine.cli.model_install import (
    InstallError,
    describe_install,
    install_research_model,
    preset_for_file,
    uninstall_model,
)
from engine.inference.template_fill import available_templates, load_template

#: Role on a model list item holding the name of a model the user installed (None for shipped ones).
USER_MODEL_ROLE = Qt.ItemDataRole.UserRole + 1
FILE_FILTER = "PyTorch weight files (*.pth *.pt *.tar);;All files (*)"


class ResearchModelButtons(QWidget):
    """Two buttons under the model list; ``changed`` fires after a model was installed or removed."""

    changed = Signal()

    def __init__(self, model_list: QListWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_list = model_list
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.add_button = QPushButton("Add a research model file…")
        self.add_button.setToolTip("Use the TANet or EAT weights its authors published (the .pth file as downloaded)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove a model you added (the models that come with photocull stay)")
        self.remove_button.setEnabled(False)
        layout.addWidget(self.add_button)
        layout.addWidget(self.remove_button)
        layout.addStretch(1)
        self.add_button.clicked.connect(self.add_file)
        self.remove_button.clicked.connect(self.remove_selected)
        model_list.currentItemChanged.connect(self._selection_changed)

    def add_file(self) -> None:
        answer = QFileDialog.getOpenFileName(self, "Add a research model file", "", FILE_FILTER)
        if not answer[0]:
            return
        path = Path(answer[0])
        preset = preset_for_file(path) or self._ask_which_model(path)
        if preset is None:
            return
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = install_research_model(path, preset)
        except InstallError as exc:
            QGuiApplication.restoreOverrideCursor()
            QMessageBox.warning(self, "Model not added", f"{exc}\n\nNothing was installed.")
            return
        QGuiApplication.restoreOverrideCursor()
        self.changed.emit()
        QMessageBox.information(self, "Model added", f"{describe_install(result)}\n\nPhotos are scored with it "
                                f"after you close Settings. To remove it, select {result.model.name} in the list "
                                f"and press Remove.")

    def remove_selected(self) -> None:
        item = self.model_list.currentItem()
        name = item.data(USER_MODEL_ROLE) if item is not None else None
        if not name:
            return
        if QMessageBox.question(self, "Remove model", f"Remove {name}? The file you added it from is kept.") \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            uninstall_model(name)
        except InstallError as exc:
            QMessageBox.warning(self, "Model not removed", str(exc))
            return
        self.changed.emit()

    def _ask_which_model(self, path: Path) -> str | None:
        titles = {f"{load_template(p).title} — {p}": p for p in available_templates()}
        choice, ok = QInputDialog.getItem(
            self, "Which model is this?", f"{path.name} is not one of the authors' file names. Which model is it?",
            list(titles), 0, False,
        )
        return titles.get(choice) if ok else None

    def _selection_changed(self, current, _previous) -> None:
        self.remove_button.setEnabled(bool(current is not None and current.data(USER_MODEL_ROLE)))
