"""Settings → Models: add the authors' TANet file with one button, see the list sort by it, remove it with one click."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.config import paths
from engine.config.settings import AppSettings
from engine.inference.registry import discover
from photocull.research_models import USER_MODEL_ROLE
from photocull.settings_dialog import SettingsDialog
from tests.engine.test_research_model_install import tanet_state
from tests.helpers.pth_writer import write_pth


@pytest.fixture
def messages(monkeypatch):
    said: list[tuple[str, str]] = []
    for kind in ("information", "warning"):
        monkeypatch.setattr(QMessageBox, kind, lambda parent, title, text, k=kind: said.append((k, text)))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return said


def choose_file(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def listed(dialog):
    return [dialog.models.item(i).text() for i in range(dialog.models.count())]


def test_add_a_research_model_file_then_remove_it(qtbot, tmp_path, monkeypatch, messages):
    dialog = SettingsDialog(AppSettings(), discover(), "CPU")
    qtbot.addWidget(dialog)
    assert not any(line.startswith("tanet-ava, ") for line in listed(dialog))
    choose_file(monkeypatch, write_pth(tmp_path / "SRCC_758_LCC_765.pth", tanet_state(), prefix="module."))

    qtbot.mouseClick(dialog.research_buttons.add_button, Qt.MouseButton.LeftButton)

    assert messages[-1][0] == "information" and "Installed tanet-ava" in messages[-1][1]
    assert "Sorting by aesthetic score (tanet-ava" in messages[-1][1]
    assert "select tanet-ava in the list and press Remove" in messages[-1][1]
    assert dialog.models_changed and any(
        line.startswith("tanet-ava, trained on") and line.endswith("user — aesthetic") for line in listed(dialog))
    assert "Sorting by aesthetic score (tanet-ava" in dialog.sort_message.text()
    assert dialog.model_choice["aesthetic"].findData("tanet-ava") >= 0
    dialog.show()
    dialog.grab().save(str(tmp_path / "settings.png"))

    row = next(i for i, line in enumerate(listed(dialog)) if line.startswith("tanet-ava, trained on"))
    dialog.models.setCurrentRow(row)
    assert dialog.models.item(row).data(USER_MODEL_ROLE) == "tanet-ava"
    assert dialog.research_buttons.remove_button.isEnabled()
    qtbot.mouseClick(dialog.research_buttons.remove_button, Qt.MouseButton.LeftButton)
    assert not any(line.startswith("tanet-ava, ") for line in listed(dialog))
    assert list(paths.user_models_dir().iterdir()) == []


def test_a_file_that_does_not_fit_is_refused_in_words(qtbot, tmp_path, monkeypatch, messages):
    dialog = SettingsDialog(AppSettings(), discover(), "CPU")
    qtbot.addWidget(dialog)
    state = tanet_state()
    del state["head.2.bias"]
    choose_file(monkeypatch, write_pth(tmp_path / "SRCC_758_LCC_765.pth", state))
    qtbot.mouseClick(dialog.research_buttons.add_button, Qt.MouseButton.LeftButton)
    kind, text = messages[-1]
    assert kind == "warning" and "head.2.bias" in text and "Nothing was installed" in text
    assert not dialog.models_changed and list(paths.user_models_dir().iterdir()) == []
    # the shipped models cannot be removed from here
    dialog.models.setCurrentRow(0)
    assert not dialog.research_buttons.remove_button.isEnabled()


def test_the_window_scores_with_a_model_added_in_settings_even_after_cancel(window, qtbot, tmp_path, monkeypatch,
                                                                           messages):
    choose_file(monkeypatch, write_pth(tmp_path / "SRCC_758_LCC_765.pth", tanet_state(), prefix="module."))

    def add_then_cancel() -> None:
        dialog = window.open_dialog
        qtbot.mouseClick(dialog.research_buttons.add_button, Qt.MouseButton.LeftButton)
        dialog.reject()

    qtbot.waitUntil(lambda: window.work.registry is not None, timeout=20_000)
    QTimer.singleShot(200, add_then_cancel)
    window.preferences.open_settings()
    qtbot.waitUntil(lambda: window.work.registry.sort_score().task == "aesthetic", timeout=20_000)
    assert window.work.registry.sort_score().model.name == "tanet-ava"
    assert window.filters.score_label == "Aesthetic score"
    qtbot.waitUntil(lambda: not window.working, timeout=60_000)
    qtbot.waitUntil(lambda: all(p.insight.score_task == "aesthetic" for p in window.session.photos), timeout=60_000)
