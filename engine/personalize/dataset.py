"""The user's decisions as training examples: a utility per decided photo, and preference pairs.

Utility (an ordinal "how much did the user want this photo"), from the catalog's decisions:

========================  =======
decision                  utility
========================  =======
rejected                  0
1..5 stars                stars
picked, no stars          3
picked                    +0.5 on top (a pick beats an unpicked photo with the same stars)
========================  =======

Only decisions made by the user count (source ``user`` or ``sidecar``, i.e. made in
photocull or in another editor): ``auto`` decisions are accepted auto-cull proposals,
which come from the generic scores and would teach the model its own opinion.

Pairs ("winner beat loser"), three kinds:

* **burst**: inside a burst (the ``bursts`` table, kind ``burst``) that holds at least one
  decision, the frames the user left alone count as "not chosen" (utility
  :data:`NOT_CHOSEN`), and every two frames with different utility make a pair. This is the
  cleanest signal there is: same scene, same moment, the user chose one.
* **calibration**: answers to "help me calibrate" A/B questions (:mod:`engine.personalize.calibrate`).
* **overall**: decided photos with different utilities anywhere in the library; all such
  pairs up to :data:`ALL_PAIRS_UP_TO` decided photos, then :data:`PARTNERS_PER_PHOTO` random
  partners each, so 5,000 decisions stay a few hundred thousand pairs.

Cross-validation folds must keep near-twins together, so each photo gets a ``group``: its
burst's id, or its own id outside bursts.

:func:`export_dataset` writes these examples, with each photo's path, to a versioned JSON
file (:data:`DATASET_FORMAT`); :func:`load_dataset` reads it back. That file is how the
training side (``python -m training personalize --dataset FILE``) gets a photographer's
decisions without knowing the catalog's schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.config.atomic_write import write_atomic
from engine.library.catalog import Catalog

NOT_CHOSEN = 1.0
PICKED_STARS = 3.0
PICK_BONUS = 0.5
USER_SOURCES = ("user", "sidecar")
ALL_PAIRS_UP_TO = 400
PARTNERS_PER_PHOTO = 40
BURST, CALIBRATION, OVERALL = 0, 1, 2
PAIR_KINDS = {BURST: "burst", CALIBRATION: "calibration", OVERALL: "overall"}
#: Burst and calibration pairs compare near-identical content: they weigh more.
PAIR_WEIGHTS = {BURST: 2.0, CALIBRATION: 2.0, OVERALL: 1.0}
#: The exported file's layout; a reader refuses any other value.
DATASET_FORMAT = "photocull.personal-dataset/1"


class DatasetFileError(ValueError):
    """An exported personal dataset that cannot be read (missing, not JSON, other format)."""


@dataclass(frozen=True)
class Preferences:
    """Everything the heads learn from, keyed by photo id."""

    photo_ids: np.ndarray    # (N,) decided photos
    utility: np.ndarray      # (N,)
    stars: np.ndarray        # (N,) 0 = no stars
    pairs: np.ndarray        # (P, 2) winner id, loser id
    pair_kind: np.ndarray    # (P,) BURST | CALIBRATION | OVERALL
    groups: dict[int, int]   # photo id -> fold group (burst id or own id)

    @property
    def decisions(self) -> int:
        return len(self.photo_ids)

    @property
    def pair_weights(self) -> np.ndarray:
        return np.array([PAIR_WEIGHTS[int(k)] for k in self.pair_kind], dtype=np.float64)

    def count(self, kind: int) -> int:
        return int((self.pair_kind == kind).sum())


def utility_of(flag: int, rating: int) -> float | None:
    """The ordinal utility of one decision; None when the photo carries no decision."""
    if flag < 0:
        return 0.0
    if rating > 0:
        return float(rating) + (PICK_BONUS if flag > 0 else 0.0)
    if flag > 0:
        return PICKED_STARS + PICK_BONUS
    return None


def read_preferences(catalog: Catalog, choices: Iterable[tuple[int, int]] = (), *,
                     known: set[int] | None = None, seed: int = 0) -> Preferences:
    """Decisions (and calibration ``choices``) as examples, restricted to photo ids in ``known``."""
    decided = _decided(catalog, known)
    bursts = _bursts(catalog, known)
    groups = {pid: pid for pid in decided}
    pairs: list[tuple[int, int, int]] = []
    for group_id, members in bursts.items():
        utilities = {pid: decided.get(pid, (None, 0))[0] for pid in members}
        if all(u is None for u in utilities.values()):
            continue
        for pid in members:
            groups[pid] = group_id
        pairs += _ordered_pairs({pid: NOT_CHOSEN if u is None else u for pid, u in utilities.items()}, BURST)
    pairs += [(w, l, CALIBRATION) for w, l in choices if known is None or (w in known and l in known)]
    for pid in {p for w, l, _ in pairs for p in (w, l)}:
        groups.setdefault(pid, pid)
    pairs += _overall_pairs({pid: u for pid, (u, _) in decided.items()}, np.random.default_rng(seed))
    ids = np.array(sorted(decided), dtype=np.int64)
    array = np.array([(w, l) for w, l, _ in pairs], dtype=np.int64).reshape(-1, 2)
    return Preferences(
        photo_ids=ids,
        utility=np.array([decided[int(p)][0] for p in ids], dtype=np.float64),
        stars=np.array([decided[int(p)][1] for p in ids], dtype=np.float64),
        pairs=array,
        pair_kind=np.array([k for _, _, k in pairs], dtype=np.int64),
        groups=groups,
    )


@dataclass(frozen=True)
class PersonalDataset:
    """An exported dataset read back: the examples, and where each photo's file is."""

    preferences: Preferences
    paths: dict[int, Path]   # photo id -> absolute path, for every id in photo_ids and pairs
    library: str


def export_dataset(catalog: Catalog, destination: Path, choices: Iterable[tuple[int, int]] = (), *,
                   seed: int = 0) -> Path:
    """Write the library's examples (:func:`read_preferences`) with photo paths to ``destination``."""
    prefs = read_preferences(catalog, choices, seed=seed)
    utility = dict(zip(prefs.photo_ids.tolist(), prefs.utility.tolist()))
    stars = dict(zip(prefs.photo_ids.tolist(), prefs.stars.tolist()))
    ids = sorted(set(utility) | set(prefs.pairs.ravel().tolist()))
    relative = {p.id: p.path for p in catalog.photos()}
    photos = [{"id": pid, "path": catalog.abspath(relative[pid]).as_posix(), "utility": utility.get(pid),
               "stars": int(stars[pid]) if pid in stars else None, "group": prefs.groups.get(pid, pid)}
              for pid in ids if pid in relative]
    pairs = [{"winner": int(w), "loser": int(l), "kind": PAIR_KINDS[int(k)]}
             for (w, l), k in zip(prefs.pairs.tolist(), prefs.pair_kind.tolist())]
    record = {"format": DATASET_FORMAT, "library": catalog.root.as_posix(), "decisions": prefs.decisions,
              "photos": photos, "pairs": pairs}
    destination = Path(destination)
    write_atomic(destination, json.dumps(record, indent=1).encode("utf-8"))
    return destination


def load_dataset(source: Path) -> PersonalDataset:
    """Read a file written by :func:`export_dataset`; :class:`DatasetFileError` when it is not one."""
    try:
        record = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetFileError(f"{source}: cannot read a personal dataset ({exc})") from exc
    if not isinstance(record, dict) or record.get("format") != DATASET_FORMAT:
        found = record.get("format") if isinstance(record, dict) else type(record).__name__
        raise DatasetFileError(f"{source}: not a {DATASET_FORMAT} file (format {found!r})")
    try:
        photos = sorted(record["photos"], key=lambda photo: photo["id"])
        decided = [photo for photo in photos if photo["utility"] is not None]
        kinds = {name: kind for kind, name in PAIR_KINDS.items()}
        prefs = Preferences(
            photo_ids=np.array([p["id"] for p in decided], dtype=np.int64),
            utility=np.array([p["utility"] for p in decided], dtype=np.float64),
            stars=np.array([p["stars"] or 0 for p in decided], dtype=np.float64),
            pairs=np.array([(q["winner"], q["loser"]) for q in record["pairs"]], dtype=np.int64).reshape(-1, 2),
            pair_kind=np.array([kinds[q["kind"]] for q in record["pairs"]], dtype=np.int64),
            groups={int(p["id"]): int(p["group"]) for p in photos},
        )
        return PersonalDataset(prefs, {int(p["id"]): Path(p["path"]) for p in photos}, str(record["library"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetFileError(f"{source}: malformed personal dataset ({exc!r})") from exc


def _decided(catalog: Catalog, known: set[int] | None) -> dict[int, tuple[float, int]]:
    marks = ", ".join("?" for _ in USER_SOURCES)
    rows = catalog.conn.execute(
        f"SELECT photo_id, flag, rating FROM decisions WHERE source IN ({marks})", USER_SOURCES
    ).fetchall()
    decided = {}
    for pid, flag, rating in rows:
        utility = utility_of(flag, rating)
        if utility is not None and (known is None or pid in known):
            decided[pid] = (utility, rating)
    return decided


def _bursts(catalog: Catalog, known: set[int] | None) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = {}
    for pid, group_id in catalog.conn.execute(
            "SELECT photo_id, group_id FROM bursts WHERE kind = 'burst' AND size > 1 ORDER BY group_id, photo_id"):
        if known is None or pid in known:
            groups.setdefault(group_id, []).append(pid)
    return {g: m for g, m in groups.items() if len(m) > 1}


def _ordered_pairs(utilities: dict[int, float], kind: int) -> list[tuple[int, int, int]]:
    items = list(utilities.items())
    return [(a, b, kind) for a, ua in items for b, ub in items if ua > ub]


def _overall_pairs(utilities: dict[int, float], rng: np.random.Generator) -> list[tuple[int, int, int]]:
    if len(utilities) <= ALL_PAIRS_UP_TO:
        return _ordered_pairs(utilities, OVERALL)
    ids = np.array(list(utilities), dtype=np.int64)
    values = np.array([utilities[int(p)] for p in ids])
    first = np.repeat(np.arange(len(ids)), PARTNERS_PER_PHOTO)
    second = rng.integers(0, len(ids), size=len(first))
    keep = values[first] != values[second]
    first, second = first[keep], second[keep]
    winner_first = values[first] > values[second]
    winners = np.where(winner_first, ids[first], ids[second])
    losers = np.where(winner_first, ids[second], ids[first])
    unique = np.unique(np.stack([winners, losers], axis=1), axis=0)
    return [(int(w), int(l), OVERALL) for w, l in unique]
