"""The GUI's link to analysis and the model registry (engine calls, run from workers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.analysis import AnalysisControl, AnalysisReport, analyze_library
from engine.models import ModelRegistry, discover
from engine.runtime import CUDA, create_session, providers_for
from engine.settings import AppSettings


def find_models(settings: AppSettings) -> tuple[ModelRegistry, str]:
    """The registry and the device the sort model really runs on ("GPU (CUDA)" / "CPU", with why)."""
    registry = discover(chosen=settings.chosen_models)
    model = registry.sort_score().model
    if model is None:
        provider = providers_for(settings.device)[0]
        return registry, "GPU (CUDA)" if provider == CUDA else "CPU"
    session = create_session(model.onnx_path, settings.runtime())
    return registry, session.device_label + (f" ({session.fallback_reason})" if session.fallback_reason else "")


def run_analysis(root: Path, settings: AppSettings, control: AnalysisControl,
                 emit: Callable[[object], None]) -> AnalysisReport:
    """Analyse the library; every analysis event is handed to ``emit`` (a Qt signal's emit)."""
    return analyze_library(root, settings=settings.runtime(), sensitivity=settings.burst_sensitivity,
                           registry=discover(chosen=settings.chosen_models), control=control, on_event=emit)
