"""The model registry: which ONNX models are installed, which are refused, which one serves each task.

Models live in two folders, each holding ``NAME.onnx`` + ``NAME.json`` pairs (the export
contract, :mod:`engine.inference.contract`):

* shipped: ``assets/models`` of the repository, or of the PyInstaller bundle (``sys._MEIPASS``);
* user: :func:`engine.config.paths.user_models_dir`, where ``python -m training export`` output is copied.

Every manifest is checked against its ONNX graph before the model is offered: a file that is
not ONNX, a manifest that breaks the contract, an input size that differs from the graph's
declared input, an ``output_name`` the graph does not have, or an output rank that cannot carry
the manifest's output kind makes the model *refused*, listed with a readable reason, never a crash.

Several manifests may name the same ONNX file, each reading its own output (``output.output_name``):
a shared backbone with several heads. Each is a model of its own here; the analysis opens that
file once and runs it once per batch (:mod:`engine.analysis.modelset`).

Which model serves a task (the rule, in order):

1. the model the user chose by name for that task (``chosen``: ``photocull-cli models --use NAME`` or
   Settings, stored in the app settings and read by :func:`discover` unless given), when installed and valid;
2. otherwise user models before shipped ones (a user who installed a model wants it used), except a
   model whose manifest records that it failed the export's checks (``provenance.install_check``,
   installed with ``--install-anyway``): that one serves only when chosen by name;
3. within the same origin, the most recently installed (newest manifest mtime), then by name.

Sorting: an ``aesthetic`` model (only accepted when trained on aesthetic labels, e.g. TANet/EAT
exported by the training package) is the aesthetic scorer; without one the registry says so
and sorts by the technical quality score instead.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from engine.config import paths
from engine.inference.contract import ContractError, ModelManifest, load_manifest
from engine.inference.runtime import RuntimeSettings, create_session

Origin = Literal["shipped", "user"]

#: Tasks whose models produce a 1..10 score a photo list can be sorted by, best first.
SORTING_TASKS = ("aesthetic", "technical")

#: Valid models that are listed but never used (random-weight smoke exports).
NEVER_SERVES = ("untrained",)

#: Output rank(s) each output kind may have; ``None`` means any (task-specific raw tensors).
_OUTPUT_RANKS: dict[str, tuple[int, ...] | None] = {
    "distribution10": (2,),
    "score": (1, 2),
    "score01": (1, 2),
    "embedding": (2,),
    "pair_logit": (1, 2),
    "frame_score": (1, 2),
    "raw": None,
}


@dataclass(frozen=True)
class InstalledModel:
    manifest: ModelManifest
    onnx_path: Path
    origin: Origin
    #: Manifest modification time: when the model was installed (drives "newest wins").
    installed_at: float

    @property
    def name(self) -> str:
        return self.manifest.name

    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def failed_checks(self) -> bool:
        """Installed although the export's checks failed (collapsed, measured on training rows, too few photos)."""
        check = self.manifest.provenance.get("install_check")
        return isinstance(check, dict) and check.get("passed") is False


@dataclass(frozen=True)
class RefusedModel:
    path: Path
    origin: Origin
    reason: str


@dataclass(frozen=True)
class SortScore:
    """What the photo list is sorted by, and a sentence saying so."""

    task: str | None
    model: InstalledModel | None
    message: str


@dataclass(frozen=True)
class ModelRegistry:
    models: tuple[InstalledModel, ...]
    refused: tuple[RefusedModel, ...]
    chosen: Mapping[str, str]

    def candidates(self, task: str) -> list[InstalledModel]:
        """Valid models for a task, the one in use first (see the module docstring for the rule)."""
        if task in NEVER_SERVES:
            return []
        wanted = self.chosen.get(task)
        return sorted(
            (m for m in self.models if m.task == task),
            key=lambda m: (m.name != wanted, m.failed_checks, m.origin != "user", -m.installed_at, m.name),
        )

    def for_task(self, task: str) -> InstalledModel | None:
        wanted = self.chosen.get(task)
        return next((m for m in self.candidates(task) if m.name == wanted or not m.failed_checks), None)

    def choose(self, name: str) -> tuple[str, dict[str, str]]:
        """``models --use NAME``: (the model's task, the new task → name choices). Raises ``KeyError``."""
        found = [m for m in self.models if m.name == name and m.task not in NEVER_SERVES]
        if not found:
            usable = sorted({m.name for m in self.models if m.task not in NEVER_SERVES})
            raise KeyError(f"no installed model named {name!r}; installed: {', '.join(usable) or 'none'}")
        return found[0].task, {**self.chosen, found[0].task: name}

    def sort_score(self) -> SortScore:
        aesthetic = self.for_task("aesthetic")
        if aesthetic:
            return SortScore("aesthetic", aesthetic, f"Sorting by aesthetic score ({describe(aesthetic)}).")
        technical = self.for_task("technical")
        failed = self.candidates("aesthetic")
        why = (f"The aesthetic model {failed[0].name} failed its export checks and is used only if you choose it"
               if failed else "No aesthetic model is installed")
        if technical:
            return SortScore(
                "technical", technical,
                f"{why}; sorting by the technical quality score ({describe(technical)}).",
            )
        return SortScore(None, None, "No scoring model is installed; photos stay in capture-time order.")

    def chosen_problems(self) -> list[str]:
        """Explicit choices that cannot be honoured (model missing or refused), as sentences."""
        return [
            f"The chosen {task} model {name!r} is not installed or was refused; using "
            f"{_name_or_none(self.for_task(task))} instead."
            for task, name in self.chosen.items()
            if all(m.name != name for m in self.models if m.task == task)
        ]


def shipped_models_dir() -> Path:
    """``assets/models`` next to the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle else Path(__file__).resolve().parent.parent.parent
    return root / "assets" / "models"


def discover(
    shipped_dir: Path | None = None,
    user_dir: Path | None = None,
    *,
    chosen: Mapping[str, str] | None = None,
) -> ModelRegistry:
    """Scan both folders, validate every model, and build the registry.

    ``chosen`` defaults to the user's saved choices (:class:`engine.config.settings.AppSettings`).
    """
    if chosen is None:
        from engine.config.settings import load_settings  # settings imports the runtime, not the registry

        chosen = load_settings().chosen_models
    folders: list[tuple[Path, Origin]] = [
        (shipped_dir or shipped_models_dir(), "shipped"),
        (user_dir or paths.user_models_dir(), "user"),
    ]
    models: list[InstalledModel] = []
    refused: list[RefusedModel] = []
    hashes: dict[Path, str] = {}  # each ONNX file hashed once, however many manifests name it
    for folder, origin in folders:
        claimed: set[str] = set()
        for json_path in _manifests_in(folder):
            claimed.add(f"{json_path.stem}.onnx")
            try:
                model = inspect_model(json_path, origin, hashes)
            except ContractError as exc:
                refused.append(RefusedModel(json_path, origin, str(exc)))
                continue
            models.append(model)
            claimed.add(model.onnx_path.name)
        refused.extend(_orphan_onnx_files(folder, origin, claimed))
    return ModelRegistry(tuple(models), tuple(refused), dict(chosen or {}))


def inspect_model(json_path: Path, origin: Origin = "user", hashes: dict[Path, str] | None = None) -> InstalledModel:
    """Load a manifest and check it against the ONNX graph. Raises :class:`ContractError`.

    ``hashes``: see :func:`engine.inference.contract.load_manifest`.
    """
    manifest = load_manifest(json_path, hashes=hashes)
    onnx_path = json_path.parent / manifest.onnx_file
    check_graph(manifest, onnx_path)
    return InstalledModel(manifest, onnx_path, origin, json_path.stat().st_mtime)


@dataclass(frozen=True)
class GraphSignature:
    """The names and shapes of an ONNX graph's inputs and outputs (what a manifest is checked against)."""

    inputs: tuple[tuple[str, tuple], ...]
    outputs: tuple[tuple[str, tuple | None], ...]  # None: rank unknown

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.outputs)


def check_graph(manifest: ModelManifest, onnx_path: Path) -> None:
    """The manifest's promises must match the graph: image input size, the named output, its rank."""
    try:
        graph = graph_signature(onnx_path, manifest.onnx_sha256)
    except Exception as exc:  # ORT raises several unrelated types for unreadable models
        raise ContractError(f"{manifest.name}: {onnx_path.name} is not a loadable ONNX model ({_first_line(exc)})") from exc
    image_inputs = [(name, shape) for name, shape in graph.inputs if len(shape) == 4]
    if not image_inputs and manifest.task != "pairwise":
        raise ContractError(f"{manifest.name}: the graph has no image input (N,C,H,W or N,H,W,C)")
    for name, shape in image_inputs:
        _check_input_size(manifest, name, list(shape))
    index = output_index(manifest, graph.output_names, onnx_path.name)
    shape = graph.outputs[index][1]
    _check_output_rank(manifest, None if shape is None else list(shape))


def output_index(manifest: ModelManifest, output_names: Sequence[str], file_name: str) -> int:
    """Position of the manifest's output among the graph's outputs (the first when it names none)."""
    wanted = manifest.output.output_name
    if not wanted:
        return 0
    if wanted not in output_names:
        raise ContractError(f"{manifest.name}: output {wanted!r} is not in {file_name} "
                            f"(its outputs: {', '.join(output_names)})")
    return list(output_names).index(wanted)


@lru_cache(maxsize=32)
def graph_signature(onnx_path: Path, sha256: str) -> GraphSignature:
    """Open the graph once per file content: manifests sharing one ONNX file are checked against one load.

    ``sha256`` (already verified by :func:`load_manifest`) is part of the cache key, so a
    replaced file is inspected again.
    """
    session = create_session(onnx_path, RuntimeSettings(device="cpu", threads=1), optimize=False).session
    return GraphSignature(
        inputs=tuple((i.name, tuple(i.shape)) for i in session.get_inputs()),
        outputs=tuple((o.name, tuple(o.shape) if o.shape is not None else None) for o in session.get_outputs()),
    )


def _check_input_size(manifest: ModelManifest, name: str, shape: list) -> None:
    spec = manifest.input
    if spec.layout == "NCHW":
        declared, expected = shape[1:4], [3, spec.height, spec.width]
    else:
        declared, expected = shape[1:4], [spec.height, spec.width, 3]
    for got, want in zip(declared, expected):
        if isinstance(got, int) and got > 0 and got != want:
            raise ContractError(
                f"{manifest.name}: manifest input {spec.height}x{spec.width} ({spec.layout}) does not match "
                f"the graph input {name!r} shaped {shape}"
            )


def _check_output_rank(manifest: ModelManifest, shape: list | None) -> None:
    allowed = _OUTPUT_RANKS[manifest.output.kind]
    if allowed is None or shape is None:
        return
    if len(shape) not in allowed:
        raise ContractError(
            f"{manifest.name}: output kind {manifest.output.kind!r} needs an output of rank "
            f"{' or '.join(map(str, allowed))}, the graph's output is shaped {shape}"
        )
    if manifest.output.kind == "distribution10" and isinstance(shape[-1], int) and shape[-1] != 10:
        raise ContractError(f"{manifest.name}: distribution10 output has {shape[-1]} classes, not 10")


def _manifests_in(folder: Path) -> Iterable[Path]:
    try:
        return sorted(p for p in folder.glob("*.json") if p.is_file())
    except OSError:
        return []


def _orphan_onnx_files(folder: Path, origin: Origin, claimed: set[str]) -> list[RefusedModel]:
    """An ONNX file with no manifest cannot be fed correctly: list it so the user knows why it is ignored."""
    try:
        onnx_files = sorted(folder.glob("*.onnx"))
    except OSError:
        return []
    return [
        RefusedModel(p, origin, f"{p.name}: no manifest ({p.stem}.json) beside it; export it with python -m training export")
        for p in onnx_files
        if p.name not in claimed
    ]


def describe(model: InstalledModel) -> str:
    """One line for the status bar: name, what it learned from (first clause only), how many photos,
    whether it started from random weights, origin."""
    m = model.manifest
    return f"{m.name}, trained on {_first_clause(m.training_data)}{_training_words(m.provenance)}, {model.origin}"


def _training_words(provenance: Mapping) -> str:
    """' (5 photos) from random weights' from an export's provenance; '' when it does not say."""
    size = provenance.get("train_size")
    start = (provenance.get("starting_weights") or {}).get("start")
    words = f" ({size:,} photos)" if isinstance(size, int) else ""
    return words + (" from random weights" if start in ("random", "partly random") else "")


_CODE_NAME = re.compile(r"\s*\((?:[a-z_]+\.)+[a-z_]+\)")


def _first_clause(text: str, limit: int = 100) -> str:
    """Up to the first colon or full stop (the manifest goes on with file lists and credits);
    a bracket the cut left open is dropped with what follows it, and so is a bracketed module
    name ("(training.distortions)"): the words are shown to photographers."""
    cut = min((i for i in (text.find(": "), text.find(". ")) if i >= 0), default=len(text))
    clause = _CODE_NAME.sub("", text[:cut]).strip()
    if clause.count("(") > clause.count(")"):
        clause = clause[: clause.rfind("(")].rstrip()
    return clause if len(clause) <= limit else clause[: limit - 1].rstrip() + "…"


def _name_or_none(model: InstalledModel | None) -> str:
    return repr(model.name) if model else "no model"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
