"""Analysis results in the catalog (schema v2): how they are written, and how the GUI and CLI read them.

Tables (created by ``engine.library.catalog`` migration 2; every row goes when its photo goes):

* ``model_sets(signature, models, created_at)``: the per-photo model list (JSON
  ``{pipeline, models: [{task, name, sha256}]}``) behind each signature.
* ``photo_analysis``: one row per analysed photo: the ``model_set`` signature and the
  primary file's identity (path, size, mtime_ns) it was analysed with (the resume
  key), ``status`` ok | error with ``error_reason``/``error_message``, the
  ``sort_score`` (1..10, from ``sort_task``: aesthetic when installed, else technical),
  ``phash`` (signed 64-bit), ``ev`` (brightness in stops, for brackets), face count,
  photo-level ``eyes_closed`` flag and its confidence, and the provider that ran it.
* ``photo_scores(photo_id, task, model, model_sha256, score, raw, map_rows, map)``: one per scoring
  model, and one (task ``pairwise``) for a ``frame_score`` burst ranker, whose ``score`` is
  the frame score s that grouping compares (not on 1..10); ``raw`` is the output row as JSON;
  ``map``/``map_rows``: where a technical score comes from (:mod:`engine.analysis.quality_map`,
  float32 cells, migration 3), NULL for a model that gives none.
* ``photo_embeddings(photo_id, model, model_sha256, dim, vector)``: float32 little-endian
  blobs; ``model`` is the embedding model's name or ``descriptor`` (engine.analysis.descriptor).
* ``photo_cues(photo_id, cues, blurry, blur_reason, sharpness_region, subject_sharpness)``:
  ``cues`` is :meth:`engine.analysis.cues.CueReport.as_dict` as JSON.
* ``faces(photo_id, idx, x0, y0, x1, y1, score, prominent, right_eye_openness,
  left_eye_openness, eyes_closed, closed_probability)``: boxes as fractions (0..1) of the
  displayed (upright) photo; eyes are the subject's right/left; NULL when not measured.
* ``bursts(photo_id, group_id, kind, size, rank, is_best, score, reasons)``: every analysed
  photo; ``group_id`` is the smallest photo id of the group, ``kind`` single | burst |
  bracket, ``reasons`` a JSON list of short sentences.
* ``pair_scores(model_sha256, first_id, second_id, probability)``: a two-input burst ranker's
  P(first better) for ``first_id < second_id``, cached so re-grouping at another
  sensitivity reruns nothing already compared; cleared for a photo when it is re-analysed.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

import numpy as np
import orjson

from engine.analysis.modelset import DESCRIPTOR_MODEL, ImageModel, ModelOutput, ModelSet
from engine.analysis.photo_measures import PhotoJob, PreparedPhoto
from engine.analysis.quality_map import QualityMap
from engine.library.catalog import Catalog

_PHOTO_TABLES = ("photo_scores", "photo_embeddings", "photo_cues", "faces")


# ----------------------------------------------------------------------------- writing


def pending_jobs(catalog: Catalog, signature: str) -> tuple[list[PhotoJob], int]:
    """Photos needing analysis (new, changed, or analysed with other models), and how many are skipped."""
    rows = catalog.conn.execute(
        "SELECT p.id, a.model_set, a.file_path, a.file_size, a.file_mtime_ns FROM photos p "
        "LEFT JOIN photo_analysis a ON a.photo_id = p.id WHERE p.status = 'ok'"
    ).fetchall()
    done = {row[0]: tuple(row[1:]) for row in rows if row[1] is not None}
    jobs: list[PhotoJob] = []
    skipped = 0
    for photo in catalog.photos(sort="time"):
        if photo.status != "ok" or not photo.path or photo.size is None or photo.mtime_ns is None:
            continue
        if done.get(photo.id) == (signature, photo.path, photo.size, photo.mtime_ns):
            skipped += 1
            continue
        jobs.append(PhotoJob(photo.id, photo.path, catalog.abspath(photo.path), photo.size, photo.mtime_ns))
    return jobs, skipped


def register_model_set(conn: sqlite3.Connection, models: ModelSet) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO model_sets(signature, models, created_at) VALUES (?, ?, ?)",
        (models.signature, models.describe_json(), time.time()),
    )


def write_photo(conn: sqlite3.Connection, prepared: PreparedPhoto, outputs: Sequence[tuple[ImageModel, ModelOutput]],
                models: ModelSet) -> None:
    """Replace everything stored about one photo with this run's results (or its error)."""
    job = prepared.job
    clear_photo(conn, job.photo_id)
    if prepared.failed:
        _upsert_state(conn, job, models, status="error", error=(prepared.error_reason, prepared.error_message))
        return
    sort_score = None
    for model, output in outputs:
        if model.task == "embedding":
            _insert_embedding(conn, job.photo_id, model.name, model.sha256, output.vector)
        else:
            cells = output.quality_map
            conn.execute(
                "INSERT INTO photo_scores(photo_id, task, model, model_sha256, score, raw, map_rows, map) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job.photo_id, model.task, model.name, model.sha256, output.score, json.dumps(output.raw),
                 cells.rows if cells else None, cells.to_blob() if cells else None),
            )
            sort_score = output.score if model.task == models.sort_task else sort_score
    if prepared.descriptor is not None:
        _insert_embedding(conn, job.photo_id, DESCRIPTOR_MODEL, "", prepared.descriptor)
    _insert_cues(conn, prepared)
    _insert_faces(conn, prepared)
    _upsert_state(conn, job, models, status="ok", prepared=prepared, sort_score=sort_score)


def clear_photo(conn: sqlite3.Connection, photo_id: int) -> None:
    for table in _PHOTO_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE photo_id = ?", (photo_id,))
    conn.execute("DELETE FROM pair_scores WHERE first_id = ? OR second_id = ?", (photo_id, photo_id))


def _insert_embedding(conn, photo_id: int, model: str, sha256: str, vector: np.ndarray | None) -> None:
    if vector is None:
        return
    blob = np.asarray(vector, dtype="<f4").tobytes()
    conn.execute(
        "INSERT INTO photo_embeddings(photo_id, model, model_sha256, dim, vector) VALUES (?, ?, ?, ?, ?)",
        (photo_id, model, sha256, int(np.asarray(vector).size), blob),
    )


def _insert_cues(conn, prepared: PreparedPhoto) -> None:
    report = prepared.cues
    if report is None:
        return
    conn.execute(
        "INSERT INTO photo_cues(photo_id, cues, blurry, blur_reason, sharpness_region, subject_sharpness) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (prepared.job.photo_id, json.dumps(report.cues), int(report.blurry), report.blur_reason,
         report.sharpness_region, report.cues.get("subject_sharpness")),
    )


def _insert_faces(conn, prepared: PreparedPhoto) -> None:
    if prepared.faces is None:
        return
    width, height = prepared.image_size
    prominent = set(prepared.faces.prominent)
    for idx, face in enumerate(prepared.faces.faces):
        x0, y0, x1, y1 = face.box
        openness = {eye.side: eye.openness for eye in face.eyes}
        closed = None if face.openness is None else int(face.eyes_closed)
        conn.execute(
            "INSERT INTO faces(photo_id, idx, x0, y0, x1, y1, score, prominent, right_eye_openness, "
            "left_eye_openness, eyes_closed, closed_probability) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (prepared.job.photo_id, idx, _clip(x0 / width), _clip(y0 / height), _clip(x1 / width), _clip(y1 / height),
             face.score, int(idx in prominent), openness.get("right"), openness.get("left"), closed,
             face.closed_probability),
        )


def _upsert_state(conn, job: PhotoJob, models: ModelSet, *, status: str, prepared: PreparedPhoto | None = None,
                  sort_score: float | None = None, error: tuple[str | None, str | None] = (None, None)) -> None:
    faces = prepared.faces if prepared else None
    ev = prepared.cues.cues.get("brightness_stops") if prepared and prepared.cues else None
    conn.execute(
        "INSERT OR REPLACE INTO photo_analysis(photo_id, model_set, file_path, file_size, file_mtime_ns, status, "
        "error_reason, error_message, sort_score, sort_task, phash, ev, face_count, eyes_closed, "
        "eyes_closed_confidence, provider, analysed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job.photo_id, models.signature, job.path, job.size, job.mtime_ns, status, error[0], error[1],
         sort_score, models.sort_task if sort_score is not None else None,
         to_signed64(prepared.phash) if prepared and prepared.phash is not None else None, ev,
         len(faces.faces) if faces else (0 if models.face_factory and status == "ok" else None),
         int(faces.eyes_closed) if faces and faces.prominent else None,
         faces.confidence if faces and faces.prominent else None,
         models.provider, time.time()),
    )


def to_signed64(value: int) -> int:
    """SQLite integers are signed 64-bit: store a 64-bit hash in two's complement."""
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _clip(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class ScoreRow:
    task: str
    model: str
    model_sha256: str
    score: float | None
    raw: list[float]
    quality_map: QualityMap | None = None   # where the score comes from, when the model gives it

    def as_json(self) -> dict[str, Any]:
        """The ``analysis.scores`` entry of ``list --format json``: the map itself is the record's
        ``quality_map``; here only whether this score has one."""
        return {"task": self.task, "model": self.model, "model_sha256": self.model_sha256, "score": self.score,
                "raw": list(self.raw), "map_available": self.quality_map is not None}


@dataclass(frozen=True)
class FaceRow:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the displayed photo
    score: float
    prominent: bool
    right_eye_openness: float | None
    left_eye_openness: float | None
    eyes_closed: bool | None  # None when the eyes could not be measured
    closed_probability: float | None


@dataclass(frozen=True)
class BurstInfo:
    group_id: int
    kind: str  # single | burst | bracket
    size: int
    rank: int  # 1 = best of its group
    is_best: bool
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PhotoAnalysis:
    """Everything the analysis stored about one photo (read with :func:`read_analyses`)."""

    photo_id: int
    status: str  # ok | error
    error_reason: str | None
    error_message: str | None
    model_set: str
    sort_score: float | None
    sort_task: str | None
    scores: tuple[ScoreRow, ...]
    cues: dict[str, float] | None
    blurry: bool | None
    blur_reason: str | None
    sharpness_region: str | None
    faces: tuple[FaceRow, ...]
    eyes_closed: bool | None  # None: no prominent face measured
    eyes_closed_confidence: float | None
    burst: BurstInfo | None
    provider: str | None
    analysed_at: float

    @property
    def mapped_score(self) -> ScoreRow | None:
        """The score that comes with a map of where it comes from (the technical one), if any."""
        return next((row for row in self.scores if row.quality_map is not None), None)

    def as_json(self) -> dict[str, Any]:
        """The JSON form used by ``photocull-cli list --format json`` (``analysis`` object).

        Built field by field: ``dataclasses.asdict`` deep-copies every nested value, too slow
        for a listing of 100,000 analysed photos."""
        data = _fields_of(self)
        data.pop("photo_id")
        data["scores"] = [row.as_json() for row in self.scores]
        data["cues"] = dict(self.cues) if self.cues is not None else None
        data["faces"] = [{**_fields_of(face), "box": list(face.box)} for face in self.faces]
        data["burst"] = {**_fields_of(self.burst), "reasons": list(self.burst.reasons)} if self.burst else None
        return data


def _fields_of(instance: Any) -> dict[str, Any]:
    """A dataclass's fields as a flat dict (nested values are not copied)."""
    return {name: getattr(instance, name) for name in _field_names(type(instance))}


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in fields(cls))


def read_analyses(catalog: Catalog, photo_ids: Iterable[int] | None = None) -> dict[int, PhotoAnalysis]:
    """Analysis results by photo id: of the given photos, or of every analysed photo (one query per table)."""
    conn = catalog.conn
    wanted = None if photo_ids is None else sorted(set(photo_ids))
    states = _rows(conn, "photo_analysis", wanted)
    if not states:
        return {}
    scores = _grouped(_rows(conn, "photo_scores", wanted, "photo_id, task"))
    cues = {row["photo_id"]: row for row in _rows(conn, "photo_cues", wanted)}
    faces = _grouped(_rows(conn, "faces", wanted, "photo_id, idx"))
    bursts = {row["photo_id"]: row for row in _rows(conn, "bursts", wanted)}
    return {row["photo_id"]: _analysis(row, scores, cues, faces, bursts) for row in states}


def read_sort_scores(catalog: Catalog) -> dict[int, tuple[float, tuple[str, str] | None]]:
    """Every analysed photo's sort score with the (model, sha256) that gave it, in one query: what a
    library-wide ranking needs, without reading cues, faces and bursts."""
    rows = catalog.conn.execute(
        "SELECT a.photo_id, a.sort_score, s.model, s.model_sha256 FROM photo_analysis a "
        "LEFT JOIN photo_scores s ON s.photo_id = a.photo_id AND s.task = a.sort_task "
        "WHERE a.sort_score IS NOT NULL").fetchall()
    return {row[0]: (row[1], (row[2], row[3]) if row[2] is not None else None) for row in rows}


def analysis_of(catalog: Catalog, photo_id: int) -> PhotoAnalysis | None:
    """One photo's results (the GUI's detail panel), or None when it was never analysed."""
    return read_analyses(catalog, [photo_id]).get(photo_id)


_CHUNK = 500  # bound on SQL variables per query


def _rows(conn, table: str, wanted: list[int] | None, order: str = "photo_id") -> list[sqlite3.Row]:
    if wanted is None:
        return conn.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    rows: list[sqlite3.Row] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        rows += conn.execute(f"SELECT * FROM {table} WHERE photo_id IN ({marks}) ORDER BY {order}", chunk).fetchall()
    return rows


def _grouped(rows: list[sqlite3.Row]) -> dict[int, list[sqlite3.Row]]:
    grouped: dict[int, list[sqlite3.Row]] = {}
    for row in rows:
        grouped.setdefault(row["photo_id"], []).append(row)
    return grouped


def _analysis(state, scores, cues, faces, bursts) -> PhotoAnalysis:
    photo_id = state["photo_id"]
    cue_row = cues.get(photo_id)
    burst_row = bursts.get(photo_id)
    return PhotoAnalysis(
        photo_id=photo_id,
        status=state["status"],
        error_reason=state["error_reason"],
        error_message=state["error_message"],
        model_set=state["model_set"],
        sort_score=state["sort_score"],
        sort_task=state["sort_task"],
        scores=tuple(_score(r) for r in scores.get(photo_id, [])),
        cues=_loads(cue_row["cues"]) if cue_row else None,
        blurry=bool(cue_row["blurry"]) if cue_row else None,
        blur_reason=cue_row["blur_reason"] if cue_row else None,
        sharpness_region=cue_row["sharpness_region"] if cue_row else None,
        faces=tuple(_face(r) for r in faces.get(photo_id, [])),
        eyes_closed=None if state["eyes_closed"] is None else bool(state["eyes_closed"]),
        eyes_closed_confidence=state["eyes_closed_confidence"],
        burst=_burst(burst_row) if burst_row else None,
        provider=state["provider"],
        analysed_at=state["analysed_at"],
    )


def _score(row: sqlite3.Row) -> ScoreRow:
    stored = row["map"]
    cells = QualityMap.from_blob(stored, row["map_rows"]) if stored is not None and row["map_rows"] else None
    return ScoreRow(row["task"], row["model"], row["model_sha256"], row["score"], _loads(row["raw"]), cells)


def _face(row: sqlite3.Row) -> FaceRow:
    return FaceRow(
        box=(row["x0"], row["y0"], row["x1"], row["y1"]), score=row["score"], prominent=bool(row["prominent"]),
        right_eye_openness=row["right_eye_openness"], left_eye_openness=row["left_eye_openness"],
        eyes_closed=None if row["eyes_closed"] is None else bool(row["eyes_closed"]),
        closed_probability=row["closed_probability"],
    )


def _loads(text: str) -> Any:
    """A stored JSON column: orjson, several times faster when listing a big library, and the json module for
    text it refuses (the NaN that ``json.dumps`` writes for a measure that could not be taken)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _burst(row: sqlite3.Row) -> BurstInfo:
    return BurstInfo(row["group_id"], row["kind"], row["size"], row["rank"], bool(row["is_best"]), row["score"],
                     tuple(_loads(row["reasons"])))


def read_vectors(conn: sqlite3.Connection, model: str) -> dict[int, np.ndarray]:
    """Stored vectors of one embedder by photo id (float32)."""
    return {
        row[0]: np.frombuffer(row[1], dtype="<f4").astype(np.float32)
        for row in conn.execute("SELECT photo_id, vector FROM photo_embeddings WHERE model = ?", (model,))
    }
