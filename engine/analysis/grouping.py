"""Library-wide burst grouping and best-shot ranking, from the stored per-photo analysis.

Runs after the per-photo pass, over every analysed photo of the library (a burst
may span photos analysed in different runs): :func:`engine.analysis.bursts.group_bursts`
on the stored pHash, look vector, EXIF exposure settings and capture time, then
:func:`engine.analysis.best_shot.rank_group` inside each burst with the burst ranker's
pairwise probabilities, eyes open (prominent faces), framing (stored face boxes,
:mod:`engine.analysis.framing`), subject sharpness, blur and the sort score. The result replaces the ``bursts`` table.

Look vectors: the installed embedding model's when its thresholds are calibrated:
its manifest carries a similarity scale (``provenance["similarity_scale"]`` with
``strict_cosine`` and ``loose_cosine``, measured with ``bench/grouping.py --model --calibrate``),
or :data:`engine.analysis.bursts.CALIBRATED_SCALES` knows the model by name (the shipped embedding).
Otherwise :mod:`engine.analysis.descriptor`'s, calibrated, which the per-photo pass stores exactly then
(:attr:`engine.analysis.modelset.ModelSet.looks`).

Burst ranker, shipped form (output kind ``frame_score``): the per-photo pass stored a
score s for every photo (``photo_scores``, task ``pairwise``), and P(a better than b) =
sigmoid(s_a − s_b) comes from those (:class:`FrameScores`): no model is loaded, no pixels
are kept, no pairs are run or cached, and a photo without a score ties (0.5).

Burst ranker with two inputs (``pair_logit`` or ``score01``, e.g. a user's export): it
compares two *images*. The per-photo pass hands over each photo's ranker input image
(resized, not normalised: ~0.2 MB at 256 px) in a :class:`KeptImages` store bounded by
:data:`KEPT_IMAGES_BUDGET`; members of multi-photo bursts that are not in it (analysed in an earlier run, over the budget, or re-grouping
from the GUI's slider) are decoded a second time here (the same reduced decode as the
per-photo pass, so the ranker sees the same pixels). Every probability is cached in
``pair_scores``: re-grouping at another sensitivity only compares new pairs.
Only ``first_id < second_id`` is run; P(b, a) is taken as 1 - P(a, b). In a long
burst each frame is compared with its :data:`PAIR_NEIGHBOURS` nearest frames on each
side (capture order) only; pairs not compared count as a tie (0.5).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine.analysis.best_shot import RankedShot, ShotEvidence, rank_group
from engine.analysis.bursts import (
    BurstGroup,
    GroupingSettings,
    PhotoRecord,
    capture_seconds,
    exposure_stops,
    group_bursts,
)
from engine.analysis.control import AnalysisControl
from engine.analysis.framing import Box, frame_check
from engine.analysis.modelset import DESCRIPTOR_LOOKS, LookSpace, PairwiseModel
from engine.analysis.storage import from_signed64, read_vectors
from engine.inference.preprocess import to_array
from engine.inference.registry import InstalledModel
from engine.library.catalog import Catalog
from engine.library.decode import DecodeError
from engine.library.thumbnails import analysis_image

PAIR_NEIGHBOURS = 8
#: Memory for burst-ranker inputs kept from the per-photo pass (about 1300 photos at 256 px).
KEPT_IMAGES_BUDGET = 256 * 2**20
SENSITIVITY_KEY = "analysis.burst_sensitivity"
_PAIR_BATCH = 8


class KeptImages:
    """Burst-ranker input images kept from the per-photo pass, by photo id, up to a memory budget.

    Decoding a burst member again costs as much as its whole per-photo analysis minus the
    models; a resized copy costs 0.2 MB. Past the budget, photos are simply not kept.
    """

    def __init__(self, budget_bytes: int = KEPT_IMAGES_BUDGET):
        self.budget_bytes = budget_bytes
        self.used_bytes = 0
        self._images: dict[int, Image.Image] = {}

    def keep(self, photo_id: int, image: Image.Image) -> None:
        size = image.width * image.height * len(image.getbands())
        if self.used_bytes + size <= self.budget_bytes:
            self._images[photo_id] = image
            self.used_bytes += size

    def get(self, photo_id: int) -> Image.Image | None:
        return self._images.get(photo_id)

    def __len__(self) -> int:
        return len(self._images)


@dataclass(frozen=True)
class GroupingSummary:
    groups: int  # multi-photo groups
    grouped_photos: int
    compared_pairs: int  # burst-ranker runs in this call (cached pairs excluded)


def regroup(catalog: Catalog, *, sensitivity: float = 0.5, looks: LookSpace = DESCRIPTOR_LOOKS,
            pairwise: PairwiseModel | None = None, frame_ranker: InstalledModel | None = None,
            control: AnalysisControl | None = None, kept: KeptImages | None = None) -> GroupingSummary | None:
    """Group and rank the whole library; returns None (and changes nothing) when cancelled.

    The burst ranker is ``pairwise`` (a two-input model, run on pairs) or ``frame_ranker``
    (a frame_score model whose per-photo scores are in the catalog); see the module docstring.
    ``kept``: two-input ranker inputs from the per-photo pass that just ran.
    """
    conn = catalog.conn
    photos = photo_rows(conn)
    vectors = read_vectors(conn, looks.model)
    records = [_grouping_record(row, vectors.get(row["photo_id"])) for row in photos.values()]
    groups = group_bursts(records, GroupingSettings(sensitivity=sensitivity, scale=looks.scale))
    pairs = _pair_source(catalog, pairwise, frame_ranker, kept)
    ranked: list[tuple[BurstGroup, list[RankedShot]]] = []
    for group in groups:
        if control is not None and not control.wait_while_paused():
            return None
        ranked.append((group, _rank(group, photos, pairs, conn)))
    with catalog.transaction() as write:
        write.execute("DELETE FROM bursts")
        for group, shots in ranked:
            _write_group(write, group, shots)
        write.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (SENSITIVITY_KEY, str(sensitivity)))
        if pairs:
            pairs.store(write)
    multi = [g for g, _ in ranked if len(g.members) > 1]
    return GroupingSummary(len(multi), sum(len(g.members) for g in multi), pairs.computed if pairs else 0)


def photo_rows(conn: sqlite3.Connection) -> dict[int, sqlite3.Row]:
    """Per analysed photo: what grouping and best-shot ranking read (one query for the library)."""
    query = """
        SELECT a.photo_id, a.file_path, a.phash, a.sort_score, p.capture_time, p.capture_time_source,
               p.width, p.height, p.orientation, p.shutter, p.aperture, p.iso,
               c.subject_sharpness, c.blurry, c.blur_reason,
               (SELECT COUNT(*) FROM faces f WHERE f.photo_id = a.photo_id AND f.prominent AND f.eyes_closed IS NOT NULL) AS faces,
               (SELECT COUNT(*) FROM faces f WHERE f.photo_id = a.photo_id AND f.prominent AND f.eyes_closed) AS closed
        FROM photo_analysis a JOIN photos p ON p.id = a.photo_id LEFT JOIN photo_cues c ON c.photo_id = a.photo_id
        WHERE a.status = 'ok' AND p.status = 'ok' ORDER BY a.photo_id
    """
    return {row["photo_id"]: row for row in conn.execute(query)}


def _grouping_record(row: sqlite3.Row, vector: np.ndarray | None) -> PhotoRecord:
    if vector is not None:
        norm = float(np.linalg.norm(vector))
        vector = vector / norm if norm > 0 else None
    return PhotoRecord(
        key=row["photo_id"],
        capture_time=capture_seconds(row["capture_time"], row["capture_time_source"] or ""),
        phash=None if row["phash"] is None else from_signed64(row["phash"]),
        embedding=vector,
        ev=exposure_stops(row["shutter"], row["aperture"], row["iso"]),
    )


def _evidence(row: sqlite3.Row, boxes: list[Box]) -> ShotEvidence:
    return ShotEvidence(key=row["photo_id"], quality=row["sort_score"], subject_sharpness=row["subject_sharpness"],
                        faces=row["faces"], faces_eyes_closed=row["closed"], blurry=bool(row["blurry"]),
                        blur_reason=row["blur_reason"], framing=frame_check(boxes, *upright_size(row)))


def upright_size(row: sqlite3.Row) -> tuple[int | None, int | None]:
    """The photo's displayed width and height (EXIF orientations 5..8 turn it a quarter)."""
    turned = (row["orientation"] or 1) in (5, 6, 7, 8)
    return (row["height"], row["width"]) if turned else (row["width"], row["height"])


def face_boxes(conn: sqlite3.Connection, photo_ids: list[int]) -> dict[int, list[Box]]:
    """Every stored face box of the given photos, by photo id."""
    boxes: dict[int, list[Box]] = {pid: [] for pid in photo_ids}
    marks = ",".join("?" * len(photo_ids))
    for pid, *box in conn.execute(f"SELECT photo_id, x0, y0, x1, y1 FROM faces WHERE photo_id IN ({marks})", photo_ids):
        boxes[pid].append(tuple(box))  # type: ignore[arg-type]
    return boxes


def _rank(group: BurstGroup, photos: dict[int, sqlite3.Row], pairs: PairSource | None,
          conn: sqlite3.Connection) -> list[RankedShot]:
    members = list(group.members)
    if group.kind == "bracket":
        note = f"exposure bracket of {len(members)}: kept whole for merging"
        return [RankedShot(key, rank, 0.0, False, (note,)) for rank, key in enumerate(members, start=1)]
    probability = pairs.for_group(members, photos) if pairs and len(members) > 1 else None
    return rank_group(burst_evidence(conn, photos, members), probability)


def burst_evidence(conn: sqlite3.Connection, photos: dict[int, sqlite3.Row], members: list[int]) -> list[ShotEvidence]:
    """What best-shot ranking knows of each frame (``photos``: :func:`photo_rows`), in ``members`` order."""
    boxes = face_boxes(conn, members) if len(members) > 1 else {key: [] for key in members}
    return [_evidence(photos[key], boxes[key]) for key in members]


def _write_group(conn: sqlite3.Connection, group: BurstGroup, shots: list[RankedShot]) -> None:
    group_id = min(group.members)  # type: ignore[type-var]
    conn.executemany(
        "INSERT INTO bursts(photo_id, group_id, kind, size, rank, is_best, score, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(s.key, group_id, group.kind, len(group.members), s.rank, int(s.is_best), s.score, json.dumps(list(s.reasons)))
         for s in shots],
    )


def _pair_source(catalog: Catalog, pairwise: PairwiseModel | None, frame_ranker: InstalledModel | None,
                 kept: KeptImages | None) -> PairSource | None:
    """Where a burst's pairwise probabilities come from: pair runs (two-input ranker) or stored frame scores."""
    if pairwise is not None:
        return PairCache(catalog, pairwise, kept)
    return FrameScores(catalog, frame_ranker) if frame_ranker is not None else None


class FrameScores:
    """A frame_score ranker's probabilities from the per-frame scores the per-photo pass stored."""

    computed = 0  # nothing is run here

    def __init__(self, catalog: Catalog, model: InstalledModel):
        self.scores: dict[int, float] = dict(catalog.conn.execute(
            "SELECT photo_id, score FROM photo_scores WHERE task = 'pairwise' AND model = ? AND model_sha256 = ? "
            "AND score IS NOT NULL", (model.name, model.manifest.onnx_sha256)).fetchall())

    def for_group(self, members: list[int], photos: dict[int, sqlite3.Row]) -> Callable[[Hashable, Hashable], float]:
        scores = self.scores

        def probability(a: Hashable, b: Hashable) -> float:
            if a not in scores or b not in scores:
                return 0.5
            return float(1.0 / (1.0 + np.exp(scores[b] - scores[a])))  # type: ignore[index]

        return probability

    def store(self, conn: sqlite3.Connection) -> None:
        """Nothing to cache: the scores are already in the catalog."""


class PairCache:
    """A two-input ranker's probabilities: cached rows first, the missing pairs run in batches."""

    def __init__(self, catalog: Catalog, model: PairwiseModel, kept: KeptImages | None = None):
        self.catalog = catalog
        self.model = model
        self.kept = kept or KeptImages(budget_bytes=0)
        self.known: dict[tuple[int, int], float] = {
            (a, b): p for a, b, p in catalog.conn.execute(
                "SELECT first_id, second_id, probability FROM pair_scores WHERE model_sha256 = ?", (model.sha256,))
        }
        self.fresh: dict[tuple[int, int], float] = {}
        self.computed = 0

    def for_group(self, members: list[int], photos: dict[int, sqlite3.Row]) -> Callable[[Hashable, Hashable], float]:
        wanted = _neighbour_pairs(members)
        missing = [pair for pair in wanted if pair not in self.known]
        if missing:
            self._compute(missing, photos)

        def probability(a: Hashable, b: Hashable) -> float:
            if (a, b) in self.known:
                return self.known[(a, b)]  # type: ignore[index]
            if (b, a) in self.known:
                return 1.0 - self.known[(b, a)]  # type: ignore[index]
            return 0.5

        return probability

    def store(self, conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO pair_scores(model_sha256, first_id, second_id, probability) VALUES (?, ?, ?, ?)",
            [(self.model.sha256, a, b, p) for (a, b), p in self.fresh.items()],
        )

    def _compute(self, pairs: list[tuple[int, int]], photos: dict[int, sqlite3.Row]) -> None:
        tensors = {}
        for photo_id in sorted({i for pair in pairs for i in pair}):
            kept = self.kept.get(photo_id)
            if kept is not None:
                tensors[photo_id] = to_array(kept, self.model.spec)
                continue
            try:
                image = analysis_image(self.catalog.abspath(photos[photo_id]["file_path"]))
            except DecodeError:
                continue  # gone or damaged since its analysis: its pairs stay ties
            tensors[photo_id] = self.model.prepare(image)
        runnable = [(a, b) for a, b in pairs if a in tensors and b in tensors]
        for start in range(0, len(runnable), _PAIR_BATCH):
            chunk = runnable[start:start + _PAIR_BATCH]
            first = np.stack([tensors[a] for a, _ in chunk])
            second = np.stack([tensors[b] for _, b in chunk])
            for pair, p in zip(chunk, self.model.probabilities(first, second)):
                self.known[pair] = self.fresh[pair] = float(p)
        self.computed += len(runnable)


PairSource = FrameScores | PairCache


def _neighbour_pairs(members: list[int]) -> list[tuple[int, int]]:
    """(smaller id, larger id) for each frame and its PAIR_NEIGHBOURS next frames in group order."""
    pairs = set()
    for i, a in enumerate(members):
        for b in members[i + 1:i + 1 + PAIR_NEIGHBOURS]:
            pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)
