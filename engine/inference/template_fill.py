"""Weight-free ONNX templates of the research models, and filling one with a release file's weights.

A template is the deployable graph of one architecture (TANet or EAT, one head
variant each), exported by ``python -m training build-assets --only templates``
with every weight stored as ONNX *external data*: the graph file keeps each
initializer's name, shape and type, plus a pointer ``(NAME.weights, offset,
length)`` into a weights file that does not exist yet. Installing a release file
writes that weights file, byte for byte from the file's tensors at the recorded
offsets, next to a copy of the graph stamped with that file's sha256
(:func:`stamped_graph`); ONNX Runtime reads the weights when the model is
opened. So the engine fills a model with no ONNX or protobuf library, and the
shipped template is under a megabyte (external placeholders
rather than graph inputs: a model with weight inputs would need them fed at
every run, and no other app code could open it as an ordinary model).

The template's JSON (``TEMPLATE_FORMAT``) lists every tensor of the authors'
``state_dict`` in their order, with its shape and dtype, including those the
deployable graph never reads (TANet's Places365 branch, BatchNorm counters):
a release file must have exactly these names with exactly these shapes, or it
is refused with the differences in words.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

TEMPLATE_FORMAT = "photocull-research-template/1"
TEMPLATES_FOLDER = "templates"


class TemplateMismatch(ValueError):
    """Weights that do not fit a template exactly (names, shapes or types), in words."""


@dataclass(frozen=True)
class TemplateTensor:
    """One tensor of the authors' state dict; ``offset`` is None when the deployable graph does not read it."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    offset: int | None

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize


@dataclass(frozen=True)
class ResearchTemplate:
    """A template graph plus what installing it needs (see the module docstring)."""

    preset: str
    title: str
    json_path: Path
    onnx_path: Path
    weights_file: str
    weights_bytes: int
    tensors: tuple[TemplateTensor, ...]
    manifest: dict[str, Any]
    licence: str
    #: The authors' file name for this preset's weights (lets the app recognise a download), or None.
    release_file: str | None
    reported: dict[str, list[dict[str, Any]]]
    source: dict[str, Any]

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        return {t.name: t.shape for t in self.tensors}


def templates_dir() -> Path:
    """``assets/models/templates`` of the install (or bundle)."""
    from engine.inference.registry import shipped_models_dir

    return shipped_models_dir() / TEMPLATES_FOLDER


def available_templates(folder: Path | None = None) -> list[str]:
    """Preset names that have a template, sorted."""
    folder = folder or templates_dir()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_template(preset: str, folder: Path | None = None) -> ResearchTemplate:
    """Read ``PRESET.json`` from the templates folder; raise :class:`TemplateMismatch` for an unknown preset."""
    folder = folder or templates_dir()
    json_path = folder / f"{preset}.json"
    if not json_path.is_file():
        known = ", ".join(available_templates(folder)) or "none"
        raise TemplateMismatch(f"no research model template {preset!r} (available: {known})")
    raw = json.loads(json_path.read_text(encoding="utf-8"))
    if raw.get("format") != TEMPLATE_FORMAT:
        raise TemplateMismatch(f"{json_path.name}: not a {TEMPLATE_FORMAT} template")
    return ResearchTemplate(
        preset=raw["preset"],
        title=raw["title"],
        json_path=json_path,
        onnx_path=folder / raw["onnx_file"],
        weights_file=raw["weights_file"],
        weights_bytes=int(raw["weights_bytes"]),
        tensors=tuple(
            TemplateTensor(t["name"], tuple(t["shape"]), t["dtype"], t["offset"]) for t in raw["tensors"]
        ),
        manifest=dict(raw["manifest"]),
        licence=raw["licence"],
        release_file=raw.get("release_file"),
        reported=dict(raw.get("reported", {})),
        source=dict(raw.get("source", {})),
    )


def check_weights(template: ResearchTemplate, state: Mapping[str, np.ndarray]) -> None:
    """Every name, shape and kind of number must be the template's; raise :class:`TemplateMismatch` otherwise."""
    expected = template.expected_shapes()
    missing = [name for name in expected if name not in state]
    unexpected = sorted(set(state) - set(expected))
    reshaped = [f"{t.name} is {tuple(state[t.name].shape)}, expected {t.shape}"
                for t in template.tensors if t.name in state and tuple(state[t.name].shape) != t.shape]
    retyped = [f"{t.name} holds {state[t.name].dtype}, expected {t.dtype}"
               for t in template.tensors if t.name in state and not _same_kind(state[t.name].dtype, t.dtype)]
    if missing or unexpected or reshaped or retyped:
        parts = [
            f"{len(missing)} missing (e.g. {', '.join(missing[:3])})" if missing else "",
            f"{len(unexpected)} unexpected (e.g. {', '.join(unexpected[:3])})" if unexpected else "",
            f"{len(reshaped)} with another shape ({'; '.join(reshaped[:3])})" if reshaped else "",
            f"{len(retyped)} of another type ({'; '.join(retyped[:3])})" if retyped else "",
        ]
        raise TemplateMismatch(
            f"the weights are not a {template.title} file: " + ", ".join(p for p in parts if p)
        )


def write_weights(template: ResearchTemplate, state: Mapping[str, np.ndarray], path: Path) -> Path:
    """Write the weights file the template graph points to (after :func:`check_weights`)."""
    check_weights(template, state)
    path = Path(path)
    with open(path, "wb") as handle:
        handle.truncate(template.weights_bytes)
        for tensor in template.tensors:
            if tensor.offset is None:
                continue
            data = np.ascontiguousarray(state[tensor.name], dtype=np.dtype(tensor.dtype).newbyteorder("<"))
            handle.seek(tensor.offset)
            handle.write(data.tobytes())
        handle.flush()
        os.fsync(handle.fileno())
    return path


def stamped_graph(template: ResearchTemplate, metadata: Mapping[str, str]) -> bytes:
    """The template graph with ``metadata`` appended as ONNX ``metadata_props`` entries.

    The installed graph must differ when its weights differ: the analysis keys its results by
    the graph's sha256, so two TANet files sharing one template would otherwise pass for one
    model and a replaced file would never be re-scored. Appending repeated fields to a
    serialised protobuf message is a valid edit of that message, so no ONNX library is needed.
    """
    entries = b"".join(
        _field(_METADATA_PROPS, _field(1, key.encode()) + _field(2, value.encode())) for key, value in metadata.items()
    )
    return template.onnx_path.read_bytes() + entries


#: ``ModelProto.metadata_props`` (repeated StringStringEntryProto {1: key, 2: value}).
_METADATA_PROPS = 14


def _field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _same_kind(actual: np.dtype, expected: str) -> bool:
    """Floating weights may come as float16/32/64 (cast on writing); integer counters must stay integers."""
    return np.dtype(actual).kind == np.dtype(expected).kind
