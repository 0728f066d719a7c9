"""What the personal model sees of a photo: a fixed-length vector built from the stored analysis.

Three blocks, all read from the catalog (``engine.analysis`` wrote them), none needing pixels:

* the **look**: the installed embedding model's vector (1280-d for the shipped MobileNetV2),
  projected on its first :data:`LOOK_COMPONENTS` principal components. The projection is
  fitted on every analysed photo of the library (no labels involved), because a linear head
  on 1280 raw dimensions would need thousands of decisions to stop overfitting; the
  principal axes keep most of the variance (scene type, colour, layout) in a few numbers.
  Without an embedding model the analysis' own descriptor is used the same way.
* the **cues**: exposure, contrast, colourfulness, noise and sharpness (:mod:`engine.analysis.cues`),
  plus face count and the closed-eyes flag.
* the **scores**: every scoring model's output (technical quality; aesthetic when installed).

The technical defects and quality measures among them keep the sign of their weight whatever the
decisions say (:data:`TECHNICAL_SIGNS`, enforced by :mod:`engine.personalize.heads`): the model
learns content, subject and style, never that a defect is good. A sign alone allows a weight of 0,
and the look of a blurred frame can still please a taste (a softer face), so the defect flags also
order each burst: a blurred or closed-eyes frame scores below its clean frames for every user
(:data:`DEFECT_FLAGS`, :func:`engine.personalize.model.clean_frames_first`).

Every column is standardised with the mean and spread of the library's photos; a missing
value (no faces measured, a model not run on that photo) becomes the mean, i.e. 0. The
fitted :class:`FeatureSpace` is saved with the personal model so scores stay comparable.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

import numpy as np

from engine.library.catalog import Catalog

LOOK_COMPONENTS = 24
DESCRIPTOR_MODEL = "descriptor"
CUE_NAMES = (
    "mean_luminance", "highlights_clipped", "shadows_clipped", "brightness_stops", "contrast_rms",
    "colourfulness", "noise_sigma", "subject_sharpness", "background_sharpness",
)
_EXTRA_NAMES = ("blurry", "face_count", "eyes_closed")
#: Technical defects and quality measures, and the sign their weight must keep whatever the
#: decisions say (+1: more is better, -1: more is worse). Everything else (the look, exposure
#: level, contrast, colour, background blur, faces, an aesthetic score) is taste and learnt freely.
TECHNICAL_SIGNS = {
    "highlights_clipped": -1, "shadows_clipped": -1, "noise_sigma": -1, "subject_sharpness": +1,
    "blurry": -1, "eyes_closed": -1, "score_technical": +1, "score_pairwise": +1,
}
#: The learnt taste part of a personal score is squashed into -TASTE_CAP..TASTE_CAP (a monotone
#: map: the taste order of photos is unchanged). When the user's decisions clearly favour a defect
#: (utility falls as a technical measure improves or rises with a blurry / eyes-closed flag, with a
#: correlation of at least :data:`DEFECT_EFFECT` and beyond :data:`DEFECT_EVIDENCE` standard errors;
#: a taste that merely leans the same way, such as liking animals that are often noisier, does not),
#: the model could learn the defect by another name (the look of a blurred photo), so the defect
#: then gets a fixed cost on top of the taste: a flag costs more than the whole taste range, a
#: technical measure :data:`DEFECT_SLOPE` per standard deviation. A blurred or closed-eyes copy
#: of a photo then ranks below the photo whatever the user picked. Decisions that do not favour a
#: defect pay nothing for it, so ordinary tastes keep their order (a fixed cost for everyone
#: measurably hurt them).
TASTE_CAP = 1.5
DEFECT_PENALTIES = {"blurry": 3.5, "eyes_closed": 3.5}
#: Flags that mark a frame as a defective copy of its picture: inside a burst (or bracket), a frame
#: carrying more of them always scores below every frame of the group carrying fewer, by at least
#: :data:`FLAG_GAP` (:func:`engine.personalize.model.clean_frames_first`), for every user.
DEFECT_FLAGS = ("blurry", "eyes_closed")
FLAG_GAP = 0.5
DEFECT_SLOPE = 3.5
DEFECT_EVIDENCE = 3.0
DEFECT_EFFECT = 0.4
_PCA_SAMPLE = 4000


@dataclass(frozen=True)
class RawFeatures:
    """Unprojected features of the analysed photos, one row per photo (``photo_ids`` order)."""

    photo_ids: np.ndarray          # (N,) int64
    look: np.ndarray | None        # (N, D) float32, NaN rows where a photo has no vector
    look_model: str | None         # embedding model name (or "descriptor")
    tabular: np.ndarray            # (N, T) float64, NaN = missing
    tabular_names: tuple[str, ...]
    generic: np.ndarray            # (N,) the library's sort score (1..10), NaN when none
    #: (N,) the burst (or bracket) each photo belongs to, -1 for a single: frames of one picture.
    groups: np.ndarray | None = None

    def index_of(self) -> dict[int, int]:
        return {int(pid): i for i, pid in enumerate(self.photo_ids)}

    def flags(self) -> np.ndarray:
        """(N,) how many defect flags (:data:`DEFECT_FLAGS`) each photo carries; one not measured is not raised."""
        raised = np.zeros(len(self.photo_ids))
        for name in DEFECT_FLAGS:
            if name in self.tabular_names and name in TECHNICAL_SIGNS:
                raised += np.nan_to_num(self.tabular[:, self.tabular_names.index(name)]) > 0.5
        return raised


@dataclass(frozen=True)
class FeatureSpace:
    """The fitted projection: look PCA + per-column standardisation. Pure arrays, so it saves to .npz."""

    look_model: str | None
    look_mean: np.ndarray          # (D,)
    look_basis: np.ndarray         # (D, k)
    tabular_names: tuple[str, ...]
    center: np.ndarray             # (k + T,)
    scale: np.ndarray              # (k + T,)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f"look_{i}" for i in range(self.look_basis.shape[1])) + self.tabular_names

    def defect_term(self, features: np.ndarray, decided: np.ndarray, utility: np.ndarray) -> np.ndarray:
        """Weights (standardised columns) that take :data:`DEFECT_PENALTIES` off flagged photos, for the
        flags the decisions favour (``decided`` rows of ``features`` with their ``utility``); zero elsewhere."""
        term = np.zeros(len(self.names))
        for j, name in enumerate(self.names):
            if name not in TECHNICAL_SIGNS or not _clearly_falling(TECHNICAL_SIGNS[name] * features[decided, j], utility):
                continue
            if name in DEFECT_PENALTIES:
                term[j] = -DEFECT_PENALTIES[name] * self.scale[j]
            else:
                term[j] = TECHNICAL_SIGNS[name] * DEFECT_SLOPE
        return term

    def signs(self) -> np.ndarray:
        """Per feature, the sign its weight must keep (:data:`TECHNICAL_SIGNS`), 0 where free."""
        return np.array([TECHNICAL_SIGNS.get(name, 0) for name in self.names], dtype=np.float64)

    @classmethod
    def fit(cls, raw: RawFeatures, components: int = LOOK_COMPONENTS) -> FeatureSpace:
        look_mean, basis = _principal_axes(raw.look, components)
        empty = cls(raw.look_model, look_mean, basis, raw.tabular_names,
                    np.zeros(basis.shape[1] + len(raw.tabular_names)), np.ones(basis.shape[1] + len(raw.tabular_names)))
        center, spread = _column_moments(empty._unscaled(raw))
        return cls(raw.look_model, look_mean, basis, raw.tabular_names, center, spread)

    def transform(self, raw: RawFeatures) -> np.ndarray:
        """(N, k + T) standardised features; missing values become 0 (the library mean)."""
        if raw.tabular_names != self.tabular_names or raw.look_model != self.look_model:
            raise ValueError(
                f"features differ from the ones the personal model was fitted on "
                f"({raw.look_model}, {raw.tabular_names} vs {self.look_model}, {self.tabular_names}); "
                "personalize again after re-analysing"
            )
        values = (self._unscaled(raw) - self.center) / self.scale
        return np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)

    def _unscaled(self, raw: RawFeatures) -> np.ndarray:
        n = len(raw.photo_ids)
        if raw.look is None or self.look_basis.shape[1] == 0:
            look = np.zeros((n, self.look_basis.shape[1]))
        else:
            look = (raw.look.astype(np.float64) - self.look_mean) @ self.look_basis
        return np.hstack([look, raw.tabular])

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"look_mean": self.look_mean, "look_basis": self.look_basis, "center": self.center, "scale": self.scale}

    def describe(self) -> dict:
        return {"look_model": self.look_model, "tabular_names": list(self.tabular_names)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], description: dict) -> FeatureSpace:
        return cls(description["look_model"], arrays["look_mean"], arrays["look_basis"],
                   tuple(description["tabular_names"]), arrays["center"], arrays["scale"])


def read_raw_features(catalog: Catalog, look_model: str | None = None) -> RawFeatures:
    """Features of every successfully analysed photo, from the catalog's analysis tables.

    ``look_model``: which stored vectors to use; by default the embedding model stored for
    most photos, else the descriptor.
    """
    conn = catalog.conn
    rows = conn.execute(
        "SELECT a.photo_id, a.sort_score, a.face_count, a.eyes_closed, c.cues, c.blurry "
        "FROM photo_analysis a LEFT JOIN photo_cues c ON c.photo_id = a.photo_id "
        "WHERE a.status = 'ok' ORDER BY a.photo_id"
    ).fetchall()
    ids = np.array([row["photo_id"] for row in rows], dtype=np.int64)
    index = {int(pid): i for i, pid in enumerate(ids)}
    look_model = look_model or _preferred_look_model(conn)
    look = _look_matrix(conn, look_model, index) if look_model else None
    score_tasks = [r[0] for r in conn.execute("SELECT DISTINCT task FROM photo_scores ORDER BY task")]
    tabular = np.full((len(ids), len(CUE_NAMES) + len(_EXTRA_NAMES) + len(score_tasks)), np.nan)
    for i, row in enumerate(rows):
        cues = json.loads(row["cues"]) if row["cues"] else {}
        tabular[i, :len(CUE_NAMES)] = [_number(cues.get(name)) for name in CUE_NAMES]
        tabular[i, len(CUE_NAMES):len(CUE_NAMES) + 3] = [_number(row["blurry"]), _number(row["face_count"]),
                                                         _number(row["eyes_closed"])]
    offset = len(CUE_NAMES) + len(_EXTRA_NAMES)
    for column, task in enumerate(score_tasks):
        for pid, score in conn.execute("SELECT photo_id, score FROM photo_scores WHERE task = ?", (task,)):
            if pid in index:
                tabular[index[pid], offset + column] = _number(score)
    names = CUE_NAMES + _EXTRA_NAMES + tuple(f"score_{task}" for task in score_tasks)
    generic = np.array([_number(row["sort_score"]) for row in rows], dtype=np.float64)
    return RawFeatures(ids, look, look_model, tabular, names, generic, _groups(conn, index))


def _groups(conn: sqlite3.Connection, index: dict[int, int]) -> np.ndarray:
    groups = np.full(len(index), -1, dtype=np.int64)
    for pid, group in conn.execute("SELECT photo_id, group_id FROM bursts WHERE size > 1"):
        if pid in index:
            groups[index[pid]] = group
    return groups


def _preferred_look_model(conn: sqlite3.Connection) -> str | None:
    counts = conn.execute(
        "SELECT model, COUNT(*) AS n FROM photo_embeddings GROUP BY model ORDER BY (model = ?), n DESC, model",
        (DESCRIPTOR_MODEL,),
    ).fetchall()
    return counts[0]["model"] if counts else None


def _look_matrix(conn: sqlite3.Connection, model: str, index: dict[int, int]) -> np.ndarray | None:
    rows = conn.execute("SELECT photo_id, dim, vector FROM photo_embeddings WHERE model = ?", (model,)).fetchall()
    if not rows:
        return None
    dim = max(row["dim"] for row in rows)
    matrix = np.full((len(index), dim), np.nan, dtype=np.float32)
    for row in rows:
        i = index.get(row["photo_id"])
        if i is not None and row["dim"] == dim:
            matrix[i] = np.frombuffer(row["vector"], dtype="<f4")
    return matrix


def _principal_axes(look: np.ndarray | None, components: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and top principal axes of the rows that have a vector (SVD of the centred rows)."""
    if look is None:
        return np.zeros(0), np.zeros((0, 0))
    present = look[np.isfinite(look).all(axis=1)]
    if len(present) > _PCA_SAMPLE:  # the axes of a few thousand photos are the library's axes
        present = present[np.random.default_rng(0).choice(len(present), _PCA_SAMPLE, replace=False)]
    present = present.astype(np.float64)
    k = min(components, max(len(present) - 1, 0), look.shape[1])
    if k == 0:
        return np.zeros(look.shape[1]), np.zeros((look.shape[1], 0))
    mean = present.mean(axis=0)
    _, _, vt = np.linalg.svd(present - mean, full_matrices=False)
    return mean, vt[:k].T.copy()


def _clearly_falling(x: np.ndarray, y: np.ndarray) -> bool:
    """``y`` falls as ``x`` grows, strongly (Pearson's r at most -:data:`DEFECT_EFFECT`) and surely
    (more than :data:`DEFECT_EVIDENCE` standard errors below zero)."""
    if len(x) < 4 or x.std() == 0 or y.std() == 0:
        return False
    r = float(np.corrcoef(x, y)[0, 1])
    sure = abs(r) * np.sqrt((len(x) - 2) / max(1.0 - r * r, 1e-12)) > DEFECT_EVIDENCE
    return r <= -DEFECT_EFFECT and sure


def _column_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each column over its finite entries (0 and 1 when it has none)."""
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    filled = np.where(finite, values, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    variance = (np.where(finite, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count, 1)
    spread = np.sqrt(variance)
    return mean, np.where(spread > 1e-9, spread, 1.0)


def _number(value: object) -> float:
    try:
        return float(value) if value is not None else np.nan
    except (TypeError, ValueError):
        return np.nan
