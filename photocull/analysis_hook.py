"""The GUI's link to analysis and the model registry (engine calls, run from workers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.analysis import AnalysisControl
from engine.config.settings import AppSettings
from engine.inference.registry import ModelRegistry, discover
from engine.inference.runtime import CUDA, create_session, providers_for
from photocull.library_process import WorkReport, run_in_process


def find_models(settings: AppSettings) -> tuple[ModelRegistry, str]:
    """The registry and the device the sort model really runs on ("GPU (CUDA)" / "CPU", with why)."""
    registry = discover(chosen=settings.chosen_models)
    model = registry.sort_score().model
    if model is None:
        provider = providers_for(settings.device)[0]
        return registry, "GPU (CUDA)" if provider == CUDA else "CPU"
    session = create_session(model.onnx_path, settings.runtime())
    return registry, session.device_label + (f" ({session.fallback_reason})" if session.fallback_reason else "")


def run_library_work(root: Path, settings: AppSettings, control: AnalysisControl, stages: tuple[str, ...],
                     emit: Callable[[object], None]) -> WorkReport:
    """Scan and/or analyse the library in a child process (see :mod:`photocull.library_process`);
    events, including photo changes, go to ``emit``."""
    return run_in_process(root, settings, control, emit, stages=stages)
