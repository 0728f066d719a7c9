"""Burst grouping and best-shot ranking: pure functions over per-photo records.

Grouping (:func:`group_bursts`) links two photos when they look alike, and only when they
were taken close together in time if capture times are known:

* photos with a capture time are sorted by it and each is compared with the following
  ones inside a time window (O(n log n + n*w)); photos without one (no EXIF: mtime is not
  a capture time, copies share one) are compared all-pairs among themselves by looks
  alone, vectorised in blocks (O(n^2) but numpy-fast); timed and untimed never link;
* looks: a perceptual-hash Hamming distance small enough links at once (fast first pass);
  otherwise the cosine similarity of the embeddings decides (a learned embedding whose
  thresholds were calibrated, see :data:`CALIBRATED_SCALES`, or :mod:`engine.analysis.descriptor`
  otherwise, each with its own :class:`SimilarityScale`);
* frames within :data:`RAPID_GAP_S` of each other are judged more leniently (a burst's
  frames change fast), and so are exposure-bracket frames whose exposure settings differ;
* links are joined transitively (union-find): a burst is a chain of similar neighbours.

One ``sensitivity`` in 0..1 (0.5 default) moves every threshold together: higher groups
more readily (looser look thresholds, longer time window).

A group is a ``bracket`` (kept together and not culled to one winner) only on evidence: every
frame has an EXIF capture time and EXIF exposure settings, and the settings step through
exposure levels (span >= 1 stop in distinct levels) within seconds. A brighter or darker
*picture* is no evidence (two different subjects differ in brightness too), so look-alikes
without EXIF are at most a burst.
Records sharing a ``key`` (a RAW+JPEG pair is one catalog photo) count once.

Ranking (:func:`rank_group`) combines, within a group, the burst ranker's pairwise
probabilities, eyes open, subject sharpness and the quality score into one number, marks
the best, and writes short reasons a photographer can check.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from engine.analysis.phash import hamming_matrix

#: Frames this close in time are a rapid sequence: looks thresholds are relaxed.
RAPID_GAP_S = 2.0
#: Longest time a bracket may span.
BRACKET_SPAN_S = 10.0
#: Two exposures closer than this (in stops) are the same level; a bracket spans >= 1 stop.
BRACKET_LEVEL_STEP = 0.5
BRACKET_MIN_SPAN = 1.0
#: Untimed photos are compared all-pairs in blocks of this many rows (bounded memory).
_BLOCK = 512

GroupKind = Literal["single", "burst", "bracket"]


@dataclass(frozen=True)
class SimilarityScale:
    """Cosine thresholds for one kind of embedding, at sensitivity 0 (strict) and 1 (loose)."""

    name: str
    strict_cosine: float
    loose_cosine: float
    #: Extra leniency for frames in a rapid sequence.
    rapid_bonus: float

    def threshold(self, sensitivity: float) -> float:
        return self.strict_cosine + (self.loose_cosine - self.strict_cosine) * sensitivity


#: :mod:`engine.analysis.descriptor`: ARI >= 0.9 on the bursts benchmark for thresholds 0.78..0.97.
DESCRIPTOR_SCALE = SimilarityScale("descriptor", strict_cosine=0.95, loose_cosine=0.80, rapid_bonus=0.05)

#: The shipped ``embedding_mobilenetv2`` (ImageNet MobileNetV2 pooled features, unit length, read
#: from the shared quality/embedding file at 256 px). Calibrated with ``bench/grouping.py --model
#: --calibrate`` on the bursts benchmark (the research-only ``bursts`` set of the project's shared
#: data: 107 video frames in 19 scenes, no capture times; used to choose these two numbers and
#: nothing else): single thresholds 0.73..0.94 reach ARI >= 0.9 and 0.77..0.89 group perfectly;
#: same-scene pairs reach down to 0.75, other-scene pairs up to 0.76. Both ends sit inside the
#: ARI >= 0.9 band, the default (sensitivity 0.5, cosine 0.84) in the perfect one.
MOBILENETV2_SCALE = SimilarityScale("embedding_mobilenetv2", strict_cosine=0.92, loose_cosine=0.76, rapid_bonus=0.05)

#: Embedding models with calibrated thresholds, by manifest name. A model not listed (and
#: whose manifest carries no ``similarity_scale``) is not used for grouping: the descriptor is.
CALIBRATED_SCALES: dict[str, SimilarityScale] = {MOBILENETV2_SCALE.name: MOBILENETV2_SCALE}


@dataclass(frozen=True)
class PhotoRecord:
    """What grouping needs to know about one photo.

    key: the photo's identity (catalog id or file path); records with equal keys are one photo.
    capture_time: seconds (e.g. POSIX) from EXIF; None when unknown (do not pass file mtimes).
    phash: 64-bit perceptual hash (:func:`engine.analysis.phash.phash`) or None.
    embedding: unit-length vector or None; all records of one call come from one embedder.
    ev: light let in by the camera's EXIF exposure settings, in stops (:func:`exposure_stops`;
        larger = brighter); None when the settings are unknown. Not the picture's measured
        brightness: only settings that differ make a bracket.
    """

    key: Hashable
    capture_time: float | None = None
    phash: int | None = None
    embedding: np.ndarray | None = None
    ev: float | None = None


@dataclass(frozen=True)
class GroupingSettings:
    sensitivity: float = 0.5
    scale: SimilarityScale = DESCRIPTOR_SCALE

    def __post_init__(self) -> None:
        if not 0.0 <= self.sensitivity <= 1.0:
            raise ValueError("sensitivity must be within 0..1")

    @property
    def window_s(self) -> float:
        """Longest time gap between two photos that may still be linked: 10 s .. 120 s."""
        return 10.0 * 12.0**self.sensitivity

    @property
    def phash_distance(self) -> int:
        """Hamming distance (of 64 bits) at or below which two photos are near-duplicates: 6..14."""
        return round(6 + 8 * self.sensitivity)

    @property
    def cosine(self) -> float:
        return self.scale.threshold(self.sensitivity)


@dataclass(frozen=True)
class BurstGroup:
    members: tuple[Hashable, ...]  # capture-time order when known, else input order
    kind: GroupKind


def group_bursts(records: Sequence[PhotoRecord], settings: GroupingSettings = GroupingSettings()) -> list[BurstGroup]:
    """Partition photos into groups (singles included), each photo in exactly one."""
    photos = _unique_by_key(records)
    links = _UnionFind(len(photos))
    timed = sorted((i for i, p in enumerate(photos) if p.capture_time is not None), key=lambda i: photos[i].capture_time)
    untimed = [i for i, p in enumerate(photos) if p.capture_time is None]
    _link_timed(photos, timed, settings, links)
    _link_untimed(photos, untimed, settings, links)
    order = timed + untimed
    groups: dict[int, list[int]] = {}
    for i in order:
        groups.setdefault(links.find(i), []).append(i)
    return [_make_group([photos[i] for i in members]) for members in groups.values()]


def exposure_stops(shutter_s: float | None, aperture: float | None, iso: float | None) -> float | None:
    """Light recorded by the exposure settings, in stops (EV100 sign-flipped: +1 = twice as bright).

    log2(t * ISO/100 / N^2). Brackets step it by their bracketing interval.
    """
    if not shutter_s or not aperture or not iso or shutter_s <= 0 or aperture <= 0 or iso <= 0:
        return None
    return math.log2(shutter_s * (iso / 100.0) / (aperture * aperture))


def _unique_by_key(records: Sequence[PhotoRecord]) -> list[PhotoRecord]:
    seen: dict[Hashable, PhotoRecord] = {}
    for record in records:
        seen.setdefault(record.key, record)
    return list(seen.values())


def _link_timed(photos: list[PhotoRecord], order: list[int], settings: GroupingSettings, links: _UnionFind) -> None:
    for pos, i in enumerate(order):
        for j in (order[k] for k in range(pos + 1, len(order))):
            gap = photos[j].capture_time - photos[i].capture_time  # type: ignore[operator]
            if gap > settings.window_s:
                break
            if _alike(photos[i], photos[j], gap, settings):
                links.union(i, j)


def _alike(a: PhotoRecord, b: PhotoRecord, gap_s: float, settings: GroupingSettings) -> bool:
    """The pairwise rule for timed photos (see the module docstring)."""
    rapid = gap_s <= RAPID_GAP_S
    bracket_pair = rapid and a.ev is not None and b.ev is not None and abs(a.ev - b.ev) >= BRACKET_LEVEL_STEP
    phash_limit = settings.phash_distance + (8 if bracket_pair else 4 if rapid else 0)
    if a.phash is not None and b.phash is not None and (a.phash ^ b.phash).bit_count() <= phash_limit:
        return True
    if a.embedding is None or b.embedding is None:
        return False
    cosine_limit = settings.cosine - (settings.scale.rapid_bonus if rapid else 0.0)
    return float(np.dot(a.embedding, b.embedding)) >= cosine_limit


def _link_untimed(photos: list[PhotoRecord], members: list[int], settings: GroupingSettings, links: _UnionFind) -> None:
    """All pairs by looks alone, in blocks: without times there is no neighbourhood to exploit."""
    if len(members) < 2:
        return
    for idx_a, idx_b in _similar_pairs(photos, members, settings):
        links.union(members[idx_a], members[idx_b])


def _similar_pairs(photos: list[PhotoRecord], members: list[int], settings: GroupingSettings):
    hashes = [photos[i].phash for i in members]
    have_hash = np.array([h is not None for h in hashes])
    hash_arr = np.array([h if h is not None else 0 for h in hashes], dtype=np.uint64)
    embeddings = [photos[i].embedding for i in members]
    have_emb = np.array([e is not None for e in embeddings])
    dim = next((len(e) for e in embeddings if e is not None), 0)
    emb_arr = np.stack([e if e is not None else np.zeros(dim) for e in embeddings]).astype(np.float32) if dim else None
    n = len(members)
    for start in range(0, n, _BLOCK):
        rows = slice(start, min(start + _BLOCK, n))
        near = (hamming_matrix(hash_arr[rows], hash_arr) <= settings.phash_distance) & have_hash[rows, None] & have_hash
        if emb_arr is not None:
            near |= (emb_arr[rows] @ emb_arr.T >= settings.cosine) & have_emb[rows, None] & have_emb
        a, b = np.nonzero(near)
        keep = a + start < b
        yield from zip((a[keep] + start).tolist(), b[keep].tolist())


def _make_group(members: list[PhotoRecord]) -> BurstGroup:
    keys = tuple(p.key for p in members)
    if len(members) == 1:
        return BurstGroup(keys, "single")
    return BurstGroup(keys, "bracket" if _is_bracket(members) else "burst")


def _is_bracket(members: list[PhotoRecord]) -> bool:
    """Exposure settings in distinct levels spanning >= 1 stop, every frame timed, within seconds."""
    evs = [p.ev for p in members]
    times = [p.capture_time for p in members]
    if any(ev is None for ev in evs) or any(t is None for t in times):
        return False
    if max(times) - min(times) > BRACKET_SPAN_S:  # type: ignore[type-var, operator]
        return False
    levels = _exposure_levels(sorted(evs))  # type: ignore[arg-type]
    return len(levels) >= 2 and levels[-1] - levels[0] >= BRACKET_MIN_SPAN


def _exposure_levels(sorted_evs: list[float]) -> list[float]:
    levels = [sorted_evs[0]]
    for ev in sorted_evs[1:]:
        if ev - levels[-1] >= BRACKET_LEVEL_STEP:
            levels.append(ev)
    return levels


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def capture_seconds(capture_time: str | None, source: str = "exif") -> float | None:
    """Catalog capture time (ISO 8601) -> seconds for :class:`PhotoRecord`; None unless it came from EXIF.

    File mtimes are not capture times (a copied card shares one), so they must not gate grouping.
    """
    if capture_time is None or source != "exif":
        return None
    try:
        return datetime.fromisoformat(capture_time).timestamp()
    except ValueError:
        return None
