"""Settings › Models: every valid model can be chosen per task, and a model that failed its export
checks is listed as such (the app uses it only when chosen here)."""

from __future__ import annotations

from engine.config.settings import AppSettings
from engine.inference.registry import discover
from photocull.settings_dialog import SettingsDialog
from tests.helpers.onnx_factory import install_model


def test_choosing_a_model_in_settings_sets_the_scorer(qtbot, tmp_path):
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    install_model(shipped, "quality", task="technical")
    install_model(user, "smoke", task="aesthetic", training_data="AVA aesthetic ratings",
                  provenance={"train_size": 5, "starting_weights": {"start": "random"},
                              "install_check": {"passed": False}})
    registry = discover(shipped, user, chosen={})
    dialog = SettingsDialog(AppSettings(), registry, "CPU")
    qtbot.addWidget(dialog)
    listed = [dialog.models.item(i).text() for i in range(dialog.models.count())]
    assert "smoke, trained on AVA aesthetic ratings (5 photos) from random weights, user — aesthetic; " \
           "failed its checks: used only when chosen above" in listed
    combo = dialog.model_choice["aesthetic"]
    assert combo.currentData() == "" and registry.for_task("aesthetic") is None
    combo.setCurrentIndex(combo.findData("smoke"))
    chosen = dialog.result_settings().chosen_models
    assert chosen == {"aesthetic": "smoke"}
    assert discover(shipped, user, chosen=chosen).sort_score().model.name == "smoke"
