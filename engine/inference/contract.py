"""The model contract: the JSON manifest that travels beside every ONNX file.

The only thing that passes from the training package to the app is
``NAME.onnx`` plus ``NAME.json``. The manifest tells the engine how to feed
the model (input size, resize policy, normalisation), how to read its output
(distribution over 1..10, a score, an embedding...), and where the model came
from (architecture, training data, licence of every weight file, metrics and
the dataset each was measured on). The training package writes manifests with
:func:`write_manifest`; the engine reads them with :func:`load_manifest`, which
refuses anything that breaks the contract with a message a user can act on.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.inference.preprocess import RESIZE_POLICIES, InputSpec

CONTRACT_VERSION = 1

#: What the model is for. ``aesthetic`` is reserved for models trained on aesthetic labels.
TASKS = (
    "aesthetic",
    "technical",
    "pairwise",
    "embedding",
    "face_detection",
    "face_landmarks",
    "iris_landmarks",
    # Random weights (test fixtures, smoke exports): valid files that never serve a task.
    "untrained",
)

#: How the first output tensor is to be read.
#: distribution10: (N,10) probabilities (or logits, see ``to_score``) over scores 1..10.
#: score: (N,1) or (N,) raw score on the scale given by ``to_score``.
#: score01: (N,1) or (N,) in 0..1.
#: embedding: (N,D) feature vector (L2-normalised if ``normalized``).
#: pair_logit: (N,1) logit that the first of two inputs is better.
#: frame_score: task ``pairwise`` with ONE image input: (N,1) or (N,) score s per frame, only its
#:   differences meaningful: P(a better than b) = sigmoid(s_a - s_b). Being per frame, it runs in the
#:   per-photo batch (and may share a file's run with other heads); bursts then need no pair runs.
#: raw: task-specific tensors, documented in ``output.notes`` (face and eye models).
OUTPUT_KINDS = ("distribution10", "score", "score01", "embedding", "pair_logit", "frame_score", "raw")

#: How an output becomes a 1..10 score for sorting.
#: mean_of_distribution: sum_i p_i * i, i = 1..10 (softmax first if ``softmax`` is true).
#: weighted_sum: sum_i o_i * i over raw outputs, no softmax (the released EAT AVA head).
#: linear: score = a * output + b.
#: none: the output is not a score (embeddings, detectors).
SCORE_RULES = ("mean_of_distribution", "weighted_sum", "linear", "none")


class ContractError(ValueError):
    """A model file or manifest that breaks the contract, with a readable reason."""


@dataclass(frozen=True)
class OutputSpec:
    kind: str
    score_rule: str = "none"
    softmax: bool = False
    linear_a: float = 1.0
    linear_b: float = 0.0
    normalized: bool = False
    notes: str = ""
    #: Which ONNX output holds this task's result; "" means the first output.
    #: Several manifests may name the same ONNX file with different outputs:
    #: one backbone pass then serves several tasks (the engine runs the file once).
    output_name: str = ""


@dataclass(frozen=True)
class WeightSource:
    """One third-party file a model's weights came from."""

    file: str
    sha256: str
    licence: str
    package: str = ""
    package_version: str = ""
    url: str = ""


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    dataset: str
    split: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ScoreReference:
    """Where a scoring model's scores fall on a fixed reference set, measured when the model is built.

    ``quantiles[i]`` is the score (the value :func:`score_from_output` gives) below which the share
    ``probabilities[i]`` of the reference images fall. The app turns a score into 0..100 by
    interpolating between them (:mod:`engine.inference.score_scale`), so a score of 50 means "as good
    as the middle reference image" in every shoot. ``images`` is how many images were measured;
    ``description`` says which ones and how (the builder's command is in the manifest's provenance).
    """

    probabilities: tuple[float, ...]
    quantiles: tuple[float, ...]
    images: int
    description: str = ""


@dataclass(frozen=True)
class ModelManifest:
    name: str
    architecture: str
    task: str
    input: InputSpec
    output: OutputSpec
    onnx_file: str
    onnx_sha256: str
    opset: int
    training_data: str
    licence: str
    weight_sources: tuple[WeightSource, ...] = ()
    metrics: tuple[Metric, ...] = ()
    #: How to rebuild it: the exact command line, package versions, seeds.
    provenance: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    contract_version: int = CONTRACT_VERSION
    #: Optional (contract 1 manifests without it stay valid): the reference distribution of the score.
    score_reference: ScoreReference | None = None

    def to_json(self) -> str:
        data = asdict(self)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(path: Path, hashes: dict[Path, str] | None) -> str:
    if hashes is None:
        return sha256_of(path)
    if path not in hashes:
        hashes[path] = sha256_of(path)
    return hashes[path]


def write_manifest(manifest: ModelManifest, directory: Path) -> Path:
    """Write ``NAME.json`` next to ``NAME.onnx`` after validating it."""
    validate(manifest)
    path = Path(directory) / f"{manifest.name}.json"
    path.write_text(manifest.to_json(), encoding="utf-8")
    return path


def load_manifest(json_path: Path, *, check_hash: bool = True, hashes: dict[Path, str] | None = None) -> ModelManifest:
    """Read and validate a manifest; raise :class:`ContractError` with a clear reason.

    ``hashes``: digests already computed in this pass, by file path (filled in here). Several
    manifests can name one ONNX file (the shipped 16 MB MobileNetV2 file serves three); hashing
    it once per manifest cost a model scan about 30 of its 115 CPU ms.
    """
    json_path = Path(json_path)
    try:
        raw = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{json_path.name}: cannot read manifest ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ContractError(f"{json_path.name}: manifest is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    manifest = _from_dict(raw, json_path.name)
    validate(manifest)
    onnx_path = json_path.parent / manifest.onnx_file
    if not onnx_path.is_file():
        raise ContractError(f"{json_path.name}: model file {manifest.onnx_file} is missing")
    if check_hash and _digest(onnx_path, hashes) != manifest.onnx_sha256:
        raise ContractError(f"{json_path.name}: {manifest.onnx_file} does not match the sha256 in its manifest")
    return manifest


def validate(manifest: ModelManifest) -> None:
    """Check the fields a consumer relies on. Raises :class:`ContractError`."""
    name = manifest.name
    if manifest.contract_version != CONTRACT_VERSION:
        raise ContractError(f"{name}: contract version {manifest.contract_version} is not supported")
    if manifest.task not in TASKS:
        raise ContractError(f"{name}: unknown task {manifest.task!r}")
    if manifest.output.kind not in OUTPUT_KINDS:
        raise ContractError(f"{name}: unknown output kind {manifest.output.kind!r}")
    if manifest.output.score_rule not in SCORE_RULES:
        raise ContractError(f"{name}: unknown score rule {manifest.output.score_rule!r}")
    if manifest.output.kind == "frame_score" and (manifest.task != "pairwise" or manifest.output.score_rule != "none"):
        raise ContractError(f"{name}: output kind 'frame_score' is for task 'pairwise' with score rule 'none' "
                            f"(a difference of two scores, not a 1..10 score)")
    if manifest.task == "aesthetic" and "aesthetic" not in manifest.training_data.lower():
        raise ContractError(
            f"{name}: task 'aesthetic' needs training data with aesthetic labels; "
            f"training_data says {manifest.training_data!r}"
        )
    if not (1 <= manifest.input.height <= 4096 and 1 <= manifest.input.width <= 4096):
        raise ContractError(f"{name}: input size {manifest.input.height}x{manifest.input.width} is out of range")
    if manifest.opset < 11:
        raise ContractError(f"{name}: opset {manifest.opset} is too old")
    if not manifest.onnx_file.endswith(".onnx") or "/" in manifest.onnx_file or "\\" in manifest.onnx_file:
        raise ContractError(f"{name}: onnx_file must be a bare file name ending in .onnx")
    if manifest.score_reference is not None:
        _validate_reference(name, manifest.score_reference, manifest.output.score_rule)


def _validate_reference(name: str, reference: ScoreReference, score_rule: str) -> None:
    """A usable reference distribution: a score to place, and increasing pairs of probability and score."""
    probabilities, quantiles = reference.probabilities, reference.quantiles
    if score_rule == "none":
        raise ContractError(f"{name}: score_reference needs a score (its score rule is 'none')")
    if len(probabilities) < 2 or len(probabilities) != len(quantiles):
        raise ContractError(f"{name}: score_reference needs at least 2 probabilities and as many quantiles")
    if not all(math.isfinite(v) for v in (*probabilities, *quantiles)):
        raise ContractError(f"{name}: score_reference holds a value that is not a finite number")
    if any(not 0.0 <= p <= 1.0 for p in probabilities) or any(b <= a for a, b in zip(probabilities, probabilities[1:])):
        raise ContractError(f"{name}: score_reference probabilities must rise strictly within 0..1")
    if any(b < a for a, b in zip(quantiles, quantiles[1:])) or quantiles[-1] <= quantiles[0]:
        raise ContractError(f"{name}: score_reference quantiles must not fall, and the last must exceed the first")
    if reference.images < 1:
        raise ContractError(f"{name}: score_reference must say how many images it measured")


def score_from_output(output: Any, spec: OutputSpec) -> Any:
    """Turn a batch of raw model outputs into 1..10 scores (numpy in, numpy out)."""
    import numpy as np

    out = np.asarray(output, dtype=np.float64)
    if spec.score_rule == "mean_of_distribution":
        probs = out
        if spec.softmax:
            probs = np.exp(out - out.max(axis=1, keepdims=True))
            probs = probs / probs.sum(axis=1, keepdims=True)
        return probs @ np.arange(1, probs.shape[1] + 1, dtype=np.float64)
    if spec.score_rule == "weighted_sum":
        return out @ np.arange(1, out.shape[1] + 1, dtype=np.float64)
    if spec.score_rule == "linear":
        return spec.linear_a * out.reshape(len(out), -1)[:, 0] + spec.linear_b
    raise ContractError(f"output kind {spec.kind!r} with score rule 'none' is not a score")


def _reference(raw: Any) -> ScoreReference | None:
    if raw is None:
        return None
    return ScoreReference(probabilities=tuple(float(p) for p in raw["probabilities"]),
                          quantiles=tuple(float(q) for q in raw["quantiles"]), images=int(raw["images"]),
                          description=str(raw.get("description", "")))


def _from_dict(raw: Any, label: str) -> ModelManifest:
    if not isinstance(raw, dict):
        raise ContractError(f"{label}: manifest must be a JSON object")
    try:
        inp = dict(raw["input"])
        inp["mean"], inp["std"] = tuple(inp["mean"]), tuple(inp["std"])
        if inp.get("resize") not in RESIZE_POLICIES:
            raise ContractError(f"{label}: unknown resize policy {inp.get('resize')!r}")
        return ModelManifest(
            name=str(raw["name"]),
            architecture=str(raw["architecture"]),
            task=str(raw["task"]),
            input=InputSpec(**inp),
            output=OutputSpec(**raw["output"]),
            onnx_file=str(raw["onnx_file"]),
            onnx_sha256=str(raw["onnx_sha256"]),
            opset=int(raw["opset"]),
            training_data=str(raw["training_data"]),
            licence=str(raw["licence"]),
            weight_sources=tuple(WeightSource(**w) for w in raw.get("weight_sources", ())),
            metrics=tuple(Metric(**m) for m in raw.get("metrics", ())),
            provenance=dict(raw.get("provenance", {})),
            description=str(raw.get("description", "")),
            contract_version=int(raw.get("contract_version", CONTRACT_VERSION)),
            score_reference=_reference(raw.get("score_reference")),
        )
    except ContractError:
        raise
    except KeyError as exc:
        raise ContractError(f"{label}: manifest lacks the field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise ContractError(f"{label}: manifest has a malformed field ({exc})") from exc
