"""Choosing the scorer: ``photocull-cli models --use NAME`` (saved in the settings), models installed
although they failed the export's checks, and how the status line names a model."""

from __future__ import annotations

import json
import os

from engine.cli import main
from engine.config import paths
from engine.config.settings import load_settings
from engine.inference.registry import discover
from tests.helpers.onnx_factory import install_model

FAILED = {"install_check": {"passed": False, "problems": ["collapsed"]}}


def _two_aesthetic_models():
    user = paths.user_models_dir()
    old = install_model(user, "older-aesthetic", task="aesthetic", training_data="AVA aesthetic ratings")
    os.utime(old, (1_000_000, 1_000_000))
    install_model(user, "newer-aesthetic", task="aesthetic", training_data="AVA aesthetic ratings")
    install_model(user, "quality", task="technical")


def _sort_line(capsys) -> str:
    assert main(["models", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["sort"]


def test_models_use_switches_the_sort_and_is_saved(capsys):
    _two_aesthetic_models()
    assert "(newer-aesthetic," in _sort_line(capsys)
    assert main(["models", "--use", "older-aesthetic"]) == 0
    assert "Sorting by aesthetic score (older-aesthetic," in capsys.readouterr().out
    assert load_settings().chosen_models == {"aesthetic": "older-aesthetic"}
    assert "(older-aesthetic," in _sort_line(capsys)
    assert discover().sort_score().model.name == "older-aesthetic"  # the engine's default reads the choice
    assert main(["models", "--use", "auto:aesthetic"]) == 0
    capsys.readouterr()
    assert load_settings().chosen_models == {} and "(newer-aesthetic," in _sort_line(capsys)


def test_models_use_refuses_an_unknown_name_and_changes_nothing(capsys):
    _two_aesthetic_models()
    assert main(["models", "--use", "nope"]) == 1
    err = capsys.readouterr().err
    assert "no installed model named 'nope'; installed: " in err and "newer-aesthetic, older-aesthetic" in err
    assert load_settings().chosen_models == {}


def test_a_model_that_failed_its_checks_serves_only_when_chosen(tmp_path):
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    install_model(shipped, "quality", task="technical")
    install_model(user, "collapsed", task="aesthetic", training_data="AVA aesthetic ratings", provenance=FAILED)
    registry = discover(shipped, user, chosen={})
    assert registry.for_task("aesthetic") is None and registry.sort_score().task == "technical"
    assert "collapsed failed its export checks" in registry.sort_score().message
    chosen = discover(shipped, user, chosen={"aesthetic": "collapsed"})
    assert chosen.sort_score().model.name == "collapsed"


def test_the_status_line_names_training_size_and_random_start_with_balanced_brackets(tmp_path):
    user = tmp_path / "user"
    install_model(user, "smoke", task="aesthetic",
                  training_data="AVA (aesthetic labels: vote histograms; research-only images)",
                  provenance={"train_size": 5, "starting_weights": {"start": "random"}})
    message = discover(tmp_path / "shipped", user, chosen={}).sort_score().message
    assert message == "Sorting by aesthetic score (smoke, trained on AVA (5 photos) from random weights, user)."
