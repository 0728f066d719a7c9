"""The models one analysis run uses: chosen from the registry, opened once, checked, and fingerprinted.

Per photo the run feeds every *image model* (the ``aesthetic`` and ``technical``
scorers and the ``embedding``) in batches, plus the three face/eye models through
:class:`engine.analysis.faces.FaceAnalyzer`. The ``pairwise`` burst ranker comes in two forms:
a ``frame_score`` model (one image in, a score s per frame; P(a better than b) =
sigmoid(s_a − s_b)) is an image model like the others, run in the same batches (the
shipped one is a head of the quality/embedding file, so it adds no run of its own),
and grouping compares bursts from its stored scores; a two-input ``pair_logit`` or
``score01`` model (:class:`PairwiseModel`) compares two frames of a burst after
grouping (:mod:`engine.analysis.grouping`).

Every model is *probed* once when the set is loaded: a batch of two grey images must
run and give one finite result per image. A model the registry accepted but that
fails here (wrong output width, a runtime error in an operator) is refused with
its reason, and the analysis goes on without it. Refusal never stops a run.

Shared files: several manifests may name one ONNX file, each reading its own output
(a shared backbone with a quality head and an embedding head). The set opens one
session per file (by sha256) and groups the image models into :class:`BatchRun` s:
one per file and input spec, run once per batch, each model taking its named output.
The decoding threads likewise preprocess once per distinct input spec.

The set's *signature* names what per-photo results depend on: the pipeline version
and the sha256 of every per-photo model. A photo analysed with the same signature
and unchanged file is skipped; changing, adding or removing a model re-analyses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image

from engine.analysis.bursts import CALIBRATED_SCALES, DESCRIPTOR_SCALE, SimilarityScale
from engine.analysis.faces import DETECTOR_MODEL, IRIS_MODEL, LANDMARK_MODEL, FaceAnalyzer
from engine.analysis.quality_map import MAP_OUTPUT, QualityMap
from engine.inference.contract import ContractError, score_from_output
from engine.inference.preprocess import InputSpec, preprocess
from engine.inference.registry import InstalledModel, ModelRegistry, output_index
from engine.inference.runtime import ModelSession, RuntimeSettings, create_session

#: Bump when the per-photo code (cues, faces use, hashes) changes what it stores:
#: every photo is then analysed again. 2: analysis images shrunk with a box filter, eyes under
#: 12 px judged by their face, faces too small to be prominent left without eyes. 3: eye openness
#: is the upper lid's rise (smiles no longer read as blinks), weak detections confirmed by the mesh.
#: 4: the technical score's map (engine.analysis.quality_map) is stored when the model gives one.
#: 5: a small weak face the mesh doubts gets a second look up close (engine.analysis.faces).
PIPELINE_VERSION = 5

SCORING_TASKS = ("aesthetic", "technical")
PER_PHOTO_TASKS = (*SCORING_TASKS, "embedding")
FACE_MODELS = {"face_detection": DETECTOR_MODEL, "face_landmarks": LANDMARK_MODEL, "iris_landmarks": IRIS_MODEL}

#: Photos per ONNX run. On the CPU, small batches are cheaper *inside the pipeline*: alone, the
#: shared MobileNetV2 costs the same per photo at any batch, but next to two decoding threads a
#: larger batch's activations no longer stay in cache (measurements: assets/models/PROVENANCE.md,
#: "Analysis speed"). A GPU wants more.
CPU_BATCH = 2
GPU_BATCH = 32


@dataclass(frozen=True)
class ModelOutput:
    """One photo's result from one image model."""

    score: float | None  # 1..10 for scoring tasks, the frame score s of a frame_score burst ranker, else None
    raw: list[float]  # the output row as produced (JSON-able); empty for embeddings
    vector: np.ndarray | None  # embeddings only, float32
    quality_map: QualityMap | None = None  # technical scores from a file with a map output only


class LoadedModel:
    """An installed model with its open session: what every model of the set has in common."""

    def __init__(self, installed: InstalledModel, session: ModelSession):
        self.installed = installed
        self.session = session

    @property
    def name(self) -> str:
        return self.installed.name

    @property
    def task(self) -> str:
        return self.installed.task

    @property
    def sha256(self) -> str:
        return self.installed.manifest.onnx_sha256

    @property
    def spec(self) -> InputSpec:
        return self.installed.manifest.input

    def prepare(self, image: Image.Image) -> np.ndarray:
        """One decoded photo as this model's input (the shared engine.inference.preprocess)."""
        return preprocess(image, self.spec)


class ImageModel(LoadedModel):
    """A per-photo model (score or embedding) run in batches on preprocessed images.

    It reads one output of its file's run: the one its manifest names, else the first; a
    technical scorer also reads the same run's ``quality_map`` when the file has one
    (:func:`map_index`).
    """

    def __init__(self, installed: InstalledModel, session: ModelSession):
        super().__init__(installed, session)
        self.output_index = output_index(installed.manifest, session.output_names, installed.onnx_path.name)
        self.map_index = map_index(installed, session.output_names, self.output_index)

    def run(self, batch: np.ndarray) -> list[ModelOutput]:
        """This model alone over a stacked batch (probing, benchmarks); one output per photo, in order."""
        return self.read(self.session.run(batch), len(batch))

    def read(self, outputs: Sequence[np.ndarray], count: int) -> list[ModelOutput]:
        """This model's rows of one run of its file over ``count`` photos."""
        output = np.asarray(outputs[self.output_index])
        if output.shape[:1] != (count,):
            raise ContractError(f"{self.name}: {count} images in, output shaped {output.shape}")
        if self.task == "embedding":
            rows = output.reshape(count, -1).astype(np.float32)
            return [ModelOutput(None, [], row) for row in rows]
        rows = output.reshape(count, -1)
        if is_frame_score(self.installed):  # only differences of s mean anything: stored as is
            return [ModelOutput(float(row[0]), [round(float(row[0]), 6)], None) for row in rows]
        scores = score_from_output(output, self.installed.manifest.output)
        maps = self._maps(outputs, count)
        return [ModelOutput(float(s), [round(float(v), 6) for v in row], None, m)
                for s, row, m in zip(scores, rows, maps)]

    def _maps(self, outputs: Sequence[np.ndarray], count: int) -> list[QualityMap | None]:
        """Each photo's map in score units (the manifest's slope applied), or None each without one. A map
        output of another shape, or not finite, is no map: the score stands without it."""
        maps = None if self.map_index is None else np.asarray(outputs[self.map_index], dtype=np.float32)
        if maps is None or maps.ndim != 3 or len(maps) != count or not np.isfinite(maps).all():
            return [None] * count
        slope = np.float32(self.installed.manifest.output.linear_a)
        return [QualityMap.from_array(cells * slope) for cells in maps]


def map_index(installed: InstalledModel, output_names: Sequence[str], score_index: int) -> int | None:
    """Where the file's ``quality_map`` output is, for the technical scorer whose linear score it splits; None
    for any other model, a file without one (an older shared file, a user's model), or when the map *is* the
    model's own output."""
    names = list(output_names)
    if installed.task != "technical" or installed.manifest.output.score_rule != "linear" or MAP_OUTPUT not in names:
        return None
    index = names.index(MAP_OUTPUT)
    return None if index == score_index else index


@dataclass(frozen=True)
class BatchRun:
    """One ONNX file fed one preprocessed batch, and every image model that reads one of its outputs."""

    session: ModelSession
    spec: InputSpec
    models: tuple[ImageModel, ...]

    def run(self, batch: np.ndarray) -> list[tuple[ImageModel, list[ModelOutput]]]:
        """One session run for all of this file's models: (model, one output per photo) each."""
        outputs = self.session.run(batch)
        return [(model, model.read(outputs, len(batch))) for model in self.models]


def batch_runs(models: Sequence[ImageModel]) -> tuple[BatchRun, ...]:
    """Image models grouped by session and input spec, in first-seen order.

    Models sharing a file share its session (see :func:`load_model_set`); two manifests
    naming one file with different input specs get a run each, since they feed different tensors.
    """
    groups: dict[tuple[int, InputSpec], list[ImageModel]] = {}
    for model in models:
        groups.setdefault((id(model.session), model.spec), []).append(model)
    return tuple(BatchRun(members[0].session, spec, tuple(members)) for (_, spec), members in groups.items())


def is_frame_score(installed: InstalledModel) -> bool:
    """A burst ranker that scores frames one at a time (a per-photo image model), not pairs."""
    return installed.task == "pairwise" and installed.manifest.output.kind == "frame_score"


class PairwiseModel(LoadedModel):
    """A two-input burst ranker: P(first frame is better than second) from two images."""

    def probabilities(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Batched: row i is P(first[i] better than second[i]) (sigmoid of the pair logit)."""
        values = np.asarray(self.session.run(first, second)[0], dtype=np.float64).reshape(len(first), -1)[:, 0]
        if self.installed.manifest.output.kind == "score01":
            return values
        return 1.0 / (1.0 + np.exp(-values))  # pair_logit


#: The name photo_embeddings rows of :mod:`engine.analysis.descriptor`'s look vectors carry.
DESCRIPTOR_MODEL = "descriptor"


@dataclass(frozen=True)
class LookSpace:
    """Which stored vectors grouping compares, and the thresholds calibrated for them."""

    model: str
    scale: SimilarityScale


DESCRIPTOR_LOOKS = LookSpace(DESCRIPTOR_MODEL, DESCRIPTOR_SCALE)


def look_space(embedding: InstalledModel | None) -> LookSpace:
    """The embedding model's space when calibrated for grouping (manifest first, then by name), else the descriptor's."""
    if embedding is None:
        return DESCRIPTOR_LOOKS
    scale = _manifest_scale(embedding) or CALIBRATED_SCALES.get(embedding.name)
    return LookSpace(embedding.name, scale) if scale else DESCRIPTOR_LOOKS


def _manifest_scale(embedding: InstalledModel) -> SimilarityScale | None:
    calibrated = embedding.manifest.provenance.get("similarity_scale")
    if not isinstance(calibrated, dict):
        return None
    try:
        return SimilarityScale(embedding.name, float(calibrated["strict_cosine"]), float(calibrated["loose_cosine"]),
                               float(calibrated.get("rapid_bonus", DESCRIPTOR_SCALE.rapid_bonus)))
    except (KeyError, TypeError, ValueError):
        return None


@dataclass
class ModelSet:
    image_models: tuple[ImageModel, ...]  # a frame_score burst ranker is one of them
    pairwise: PairwiseModel | None  # a two-input burst ranker
    #: The FaceAnalyzer shared by the decoding threads; None without face models.
    face_factory: Callable[[], FaceAnalyzer] | None
    face_models: tuple[InstalledModel, ...]
    refused: tuple[str, ...]
    provider: str
    provider_note: str
    sort_task: str | None
    sort_message: str
    batch_size: int

    @cached_property
    def runs(self) -> tuple[BatchRun, ...]:
        """The ONNX runs one batch needs: one per shared file and input spec."""
        return batch_runs(self.image_models)

    @cached_property
    def input_specs(self) -> tuple[InputSpec, ...]:
        """Each distinct model input, so a photo is preprocessed once per spec, not once per model."""
        return tuple(dict.fromkeys(run.spec for run in self.runs))

    @cached_property
    def looks(self) -> LookSpace:
        """The look vectors grouping will compare: the embedding's when calibrated, else the descriptor's."""
        return look_space(next((m.installed for m in self.image_models if m.task == "embedding"), None))

    @property
    def signature(self) -> str:
        """Fingerprint of everything per-photo results depend on (see the module docstring)."""
        return hashlib.sha256(self.describe_json().encode()).hexdigest()[:16]

    def describe(self) -> list[dict[str, Any]]:
        """The per-photo models as ``{task, name, sha256}``, stored with the signature."""
        used = [*(m.installed for m in self.image_models), *self.face_models]
        return [{"task": m.task, "name": m.name, "sha256": m.manifest.onnx_sha256} for m in sorted(used, key=_order)]

    def describe_json(self) -> str:
        return json.dumps({"pipeline": PIPELINE_VERSION, "models": self.describe()}, sort_keys=True)

    def labels(self) -> tuple[str, ...]:
        extra = [self.pairwise.installed] if self.pairwise else []
        return tuple(f"{m['task']}: {m['name']}" for m in self.describe()) + tuple(
            f"{m.task}: {m.name}" for m in extra
        )

    def sort_model(self) -> ImageModel | None:
        return next((m for m in self.image_models if m.task == self.sort_task), None)

    @property
    def frame_ranker(self) -> InstalledModel | None:
        """The frame_score burst ranker run per photo, whose stored scores grouping compares."""
        return next((m.installed for m in self.image_models if m.task == "pairwise"), None)


def load_model_set(registry: ModelRegistry, settings: RuntimeSettings, batch_size: int | None = None) -> ModelSet:
    """Open and probe the models serving each analysis task; never raises for a bad model.

    The face models open on a second thread meanwhile. Session creation itself is serialised
    (engine.inference.runtime silences ORT's process-wide logger under a lock), but reading and hashing
    their manifests and their test run overlap the image models' opening.
    """
    refused = [f"{r.path.name}: {r.reason}" for r in registry.refused]
    face_refused: list[str] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="photocull-face-models") as pool:
        faces = pool.submit(_face_factory, registry, settings, face_refused)
        image_models, sessions, pairwise = _image_models(registry, settings, refused)
        face_factory, face_models = faces.result()
    refused.extend(face_refused)
    provider, note = _provider(sessions, settings)
    sort_task, sort_message = _sort_rule(registry, image_models)
    if batch_size is None:
        batch_size = GPU_BATCH if provider.startswith("GPU") else CPU_BATCH
    return ModelSet(
        tuple(image_models), pairwise, face_factory, face_models, tuple(refused), provider, note,
        sort_task, sort_message, max(1, batch_size),
    )


def _image_models(registry: ModelRegistry, settings: RuntimeSettings, refused: list[str],
                  ) -> tuple[list[ImageModel], list[ModelSession], PairwiseModel | None]:
    """The per-photo image models (a frame_score burst ranker among them), their sessions, and a
    two-input burst ranker when that is what is installed."""
    sessions: list[ModelSession] = []
    image_models: list[ImageModel] = []
    opened: dict[str, ModelSession] = {}  # one session per file content, shared by its manifests
    probe = ProbeRuns()  # and one test run per file, read by each of its manifests
    for task in PER_PHOTO_TASKS:
        found = _first_working(registry.candidates(task), settings, probe.image_model, refused, opened)
        if found is not None:
            image_models.append(ImageModel(*found))
            sessions.append(found[1])
    pairwise = load_pairwise(registry, settings, refused, opened, probe)
    if pairwise is not None:
        sessions.append(pairwise.session)
        if isinstance(pairwise, ImageModel):
            image_models.append(pairwise)
            pairwise = None
    return image_models, sessions, pairwise


def load_pairwise(registry: ModelRegistry, settings: RuntimeSettings, refused: list[str],
                  opened: dict[str, ModelSession] | None = None,
                  probe: ProbeRuns | None = None) -> PairwiseModel | ImageModel | None:
    """The burst ranker, opened and probed: a per-photo :class:`ImageModel` for kind ``frame_score``,
    else a two-input :class:`PairwiseModel`. Failures are appended to ``refused``."""
    found = _first_working(registry.candidates("pairwise"), settings, (probe or ProbeRuns()).pairwise, refused, opened)
    if found is None:
        return None
    return ImageModel(*found) if is_frame_score(found[0]) else PairwiseModel(*found)


def ranker_for_regrouping(registry: ModelRegistry, settings: RuntimeSettings) -> PairwiseModel | InstalledModel | None:
    """The burst ranker re-grouping uses, opening as little as possible.

    In the registry's order: a ``frame_score`` model is returned unopened (its scores are
    in the catalog, stored by the per-photo pass); a two-input model is opened and probed
    (it compares pairs the cache lacks), and skipped if that fails.
    """
    for installed in registry.candidates("pairwise"):
        if is_frame_score(installed):
            return installed
        found = _first_working([installed], settings, ProbeRuns().pairwise, [])
        if found is not None:
            return PairwiseModel(*found)
    return None


def _open_checked(installed: InstalledModel, settings: RuntimeSettings, probe, refused: list[str],
                  opened: dict[str, ModelSession]) -> ModelSession | None:
    """The model's session (the one already open for the same file, else a new one), after its probe."""
    sha256 = installed.manifest.onnx_sha256
    try:
        session = opened.get(sha256) or create_session(installed.onnx_path, settings)
        opened[sha256] = session
        probe(installed, session)
    except Exception as exc:  # ORT and numpy raise many types; any of them means "cannot use"
        refused.append(f"{installed.onnx_path.name}: {installed.task} model {installed.name!r} "
                       f"failed its test run ({_first_line(exc)})")
        return None
    return session


class ProbeRuns:
    """Test runs of freshly opened models: each must give finite outputs of the right shape on grey images.

    A file shared by several manifests is run once per input size and each manifest reads its
    own output of that run (the shipped MobileNetV2 file serves three tasks; three runs were a
    third of the analysis's start-up time).
    """

    def __init__(self) -> None:
        self._outputs: dict[tuple[int, InputSpec], Sequence[np.ndarray]] = {}

    def image_model(self, installed: InstalledModel, session: ModelSession) -> None:
        model = ImageModel(installed, session)
        key = (id(session), model.spec)
        if key not in self._outputs:
            grey = Image.new("RGB", (model.spec.width, model.spec.height), (128, 128, 128))
            self._outputs[key] = session.run(np.stack([model.prepare(grey)] * 2))
        outputs = model.read(self._outputs[key], 2)
        values = [o.score for o in outputs] if model.task != "embedding" else [float(o.vector.sum()) for o in outputs]
        if not all(np.isfinite(v) for v in values):
            raise ContractError("output is not finite")

    def pairwise(self, installed: InstalledModel, session: ModelSession) -> None:
        if is_frame_score(installed):
            self.image_model(installed, session)
            return
        inputs = session.session.get_inputs()
        if len(inputs) != 2 or any(len(i.shape) != 4 for i in inputs):
            raise ContractError("only pairwise models over two images are supported (two N,C,H,W inputs)")
        model = PairwiseModel(installed, session)
        grey = model.prepare(Image.new("RGB", (model.spec.width, model.spec.height), (128,) * 3))
        probabilities = model.probabilities(np.stack([grey] * 2), np.stack([grey] * 2))
        if probabilities.shape != (2,) or not np.isfinite(probabilities).all():
            raise ContractError(f"expected one probability per pair, got shape {probabilities.shape}")


def _first_working(candidates: list[InstalledModel], settings: RuntimeSettings, probe, refused: list[str],
                   opened: dict[str, ModelSession] | None = None) -> tuple[InstalledModel, ModelSession] | None:
    """The task's models in registry order (the chosen, user, newest first): the first that passes its probe."""
    opened = {} if opened is None else opened
    for installed in candidates:
        session = _open_checked(installed, settings, probe, refused, opened)
        if session is not None:
            return installed, session
    return None


def _face_factory(registry: ModelRegistry, settings: RuntimeSettings,
                  refused: list[str]) -> tuple[Callable[[], FaceAnalyzer] | None, tuple[InstalledModel, ...]]:
    """Faces need all three models, by their fixed names, in one folder (engine.analysis.faces loads them so).

    One analyzer serves every decoding thread: it only reads its sessions and anchors
    (onnxruntime's ``run`` is thread-safe), and opening three sessions per thread cost
    about 25 CPU ms per photo on a 16-photo run.
    """
    found = [next((m for m in registry.candidates(task) if m.name == name), None) for task, name in FACE_MODELS.items()]
    if any(m is None for m in found):
        return None, ()
    models = tuple(m for m in found if m is not None)
    folder = models[0].onnx_path.parent
    if any(m.onnx_path.parent != folder for m in models):
        refused.append("face models: the detector, face mesh and iris models must be installed in one folder")
        return None, ()
    try:
        analyzer = FaceAnalyzer(folder, settings)
        analyzer.analyze(Image.new("RGB", (64, 48), (128, 128, 128)))
    except Exception as exc:
        refused.append(f"face models in {folder}: failed their test run ({_first_line(exc)})")
        return None, ()
    return (lambda: analyzer), models


def _provider(sessions: list[ModelSession], settings: RuntimeSettings) -> tuple[str, str]:
    if not sessions:
        return ("CPU", "") if settings.device != "gpu" else ("CPU", "no model to run on the GPU")
    first = sessions[0]
    return first.device_label, first.fallback_reason


def _sort_rule(registry: ModelRegistry, image_models: list[ImageModel]) -> tuple[str | None, str]:
    """The registry's rule (aesthetic, else technical), restricted to models that passed their probe."""
    loaded = {m.task for m in image_models}
    wanted = registry.sort_score()
    if wanted.task in loaded:
        return wanted.task, wanted.message
    task = next((t for t in SCORING_TASKS if t in loaded), None)
    if task is None:
        return None, "No usable scoring model; photos stay in capture-time order."
    model = next(m for m in image_models if m.task == task)
    return task, f"Sorting by the {task} score ({model.name}); the preferred model could not be used."


def _order(model: InstalledModel) -> tuple[str, str]:
    return (model.task, model.name)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
