"""ONNX Runtime sessions: which execution provider runs a model, and the truth about it.

Two facts about onnxruntime shape this module (measured; docs/toolchain.md#onnxruntime):

* ``onnxruntime-gpu`` lists ``CUDAExecutionProvider`` as *available* on machines with no
  GPU or no CUDA libraries: the list is what the wheel was compiled with, not what works.
  A session asked for CUDA there silently falls back to the CPU. So the only honest
  answer to "what runs this model?" is ``session.get_providers()[0]`` after creation.
* Provider loading prints red ``[E:onnxruntime ...]`` lines on stderr and a Python
  ``UserWarning`` when a provider is missing. Those are not errors for a culling app, so
  session creation raises the ORT logger severity to FATAL and ignores the warning;
  what happened is reported through :class:`ModelSession` instead.

The CPU ``onnxruntime`` wheel is the default dependency; GPU users swap it for
``onnxruntime-gpu`` (never both: they write the same import package).
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort

Device = Literal["auto", "gpu", "cpu"]
DEVICES: tuple[str, ...] = ("auto", "gpu", "cpu")

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"

#: ORT's own default logger severity (WARNING). There is no getter, so this is what we restore.
_ORT_DEFAULT_SEVERITY = 2
_ORT_FATAL = 4
_quiet_lock = threading.Lock()


@dataclass(frozen=True)
class RuntimeSettings:
    """The user's inference settings.

    device: ``auto`` uses the GPU when one really works, else the CPU; ``gpu`` asks for the
    GPU and falls back to the CPU (reported, not raised); ``cpu`` never tries the GPU.
    threads: ORT intra-op threads; ``None`` or 0 lets ORT decide (one per physical core).
    """

    device: Device = "auto"
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {DEVICES}, not {self.device!r}")
        if self.threads is not None and self.threads < 0:
            raise ValueError("threads must be >= 0")


@dataclass(frozen=True)
class ModelSession:
    """An inference session plus what really happened when it was created."""

    session: ort.InferenceSession
    requested: Device
    #: The provider that runs the model, as the session reports it.
    provider: str
    #: Why the provider differs from what was asked, in one sentence; "" when it does not.
    fallback_reason: str

    @property
    def on_gpu(self) -> bool:
        return self.provider == CUDA

    @property
    def device_label(self) -> str:
        """Short name for status bars and logs: ``GPU (CUDA)`` or ``CPU``."""
        return "GPU (CUDA)" if self.on_gpu else "CPU"

    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]

    @property
    def output_names(self) -> list[str]:
        return [o.name for o in self.session.get_outputs()]

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """Run with positional inputs (in the graph's input order); returns every output."""
        names = self.input_names
        if len(inputs) != len(names):
            raise ValueError(f"model takes {len(names)} input(s) ({', '.join(names)}), got {len(inputs)}")
        return self.session.run(None, dict(zip(names, inputs)))


def providers_for(device: Device, available: Sequence[str] | None = None) -> list[str]:
    """The provider list to ask ORT for: CUDA first when wanted and compiled in, CPU always last."""
    available = list(ort.get_available_providers() if available is None else available)
    wanted = [CUDA, CPU] if device in ("auto", "gpu") else [CPU]
    return [p for p in wanted if p in available] or [CPU]


def session_options(settings: RuntimeSettings, *, optimize: bool = True) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.log_severity_level = _ORT_FATAL
    if settings.threads:
        options.intra_op_num_threads = settings.threads
    if not optimize:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return options


def create_session(model: Path | bytes, settings: RuntimeSettings = RuntimeSettings(), *,
                   optimize: bool = True) -> ModelSession:
    """Open an ONNX model on the best provider the settings allow, quietly and truthfully.

    ``optimize=False`` skips ORT's graph optimisations: several times quicker to open, for a
    session that is only inspected (its inputs and outputs), never run for speed.
    Raises whatever ORT raises for a model it cannot load (the registry turns that into a
    refusal with a message); provider fallback never raises.
    """
    providers = providers_for(settings.device)
    source = str(model) if isinstance(model, (str, os.PathLike)) else model
    with quiet_onnxruntime():
        session = ort.InferenceSession(source, session_options(settings, optimize=optimize), providers=providers)
    active = session.get_providers()[0]
    return ModelSession(session, settings.device, active, _fallback_reason(settings.device, providers, active))


@contextmanager
def quiet_onnxruntime() -> Iterator[None]:
    """Silence provider-load log lines and warnings while a session is being created.

    The logger severity is process-wide in ORT, so concurrent creators share one lock.
    """
    with _quiet_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ort.set_default_logger_severity(_ORT_FATAL)
        try:
            yield
        finally:
            ort.set_default_logger_severity(_ORT_DEFAULT_SEVERITY)


def _fallback_reason(device: Device, providers: list[str], active: str) -> str:
    if device == "cpu" or active == CUDA:
        return ""
    if CUDA not in providers:
        if device == "auto":
            return ""  # a CPU-only install running on the CPU is the expected case, not a fallback
        return "GPU requested, but this onnxruntime build has no CUDA support (install onnxruntime-gpu); running on the CPU"
    return "CUDA could not start (no GPU, driver, or CUDA/cuDNN libraries); running on the CPU"
