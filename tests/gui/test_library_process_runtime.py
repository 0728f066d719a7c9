"""The window's analysis runs models with the command line's thread count, so it costs what the CLI costs."""

from __future__ import annotations

from engine.analysis.pipeline import DEFAULT_ORT_THREADS
from engine.config.settings import AppSettings
from engine.inference.runtime import RuntimeSettings
from photocull.library_process import analysis_runtime


def test_the_window_uses_one_ort_thread_per_model_like_the_cli():
    settings = AppSettings(device="cpu")
    assert settings.runtime().threads is None, "left alone, ORT would start a spinning thread per core"
    runtime = analysis_runtime(settings)
    assert runtime.threads == DEFAULT_ORT_THREADS == 1
    assert runtime.device == "cpu"


def test_an_explicit_thread_count_is_kept(monkeypatch):
    monkeypatch.setattr(AppSettings, "runtime", lambda self: RuntimeSettings(device="cpu", threads=3))
    assert analysis_runtime(AppSettings()).threads == 3
