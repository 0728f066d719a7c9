"""Personal taste on real photos with SIMULATED users: how many decisions before it beats the generic score?

There are no real users here. Each simulated user likes a property of the real photos that the
personal model does not get as a feature (it sees embeddings, cues and generic scores only):

* ``warm``: mean red minus mean blue of the pixels (colour temperature of the rendering);
* ``wide``: aspect ratio width / height (the embedding input is squashed to a square);
* ``animals``: ImageNet animal classes (synset below n02666196), from the file name only.

Decisions: a random half of the library is the user's "decided" pool, the rest is held out.
For N decisions, N photos of the pool get stars by quintile of ``z(property) + noise * N(0,1)``
(5 stars also picked, 1 star also rejected), are written to the catalog, and
``engine.personalize.personalize`` runs (cross-validation, gate, storage) exactly as in the
app. Held-out accuracy: share of held-out photo pairs with different (noise-free) property
that the score orders correctly; the generic score (the library's sort score) on the same
pairs is the baseline. The photos contain no bursts, so burst pairs are not simulated here.

Timing: a 6,000-photo catalog made of the library's real feature rows (jittered copies)
gets 5,000 decisions and ``personalize`` is timed end to end, beside the time to just read
the features (the floor any method pays) measured in the same run.

    photocull-cli analyze /path/to/photos          # once: features come from the shipped models
    python bench/personalize.py /path/to/photos --repeats 5
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from engine.decisions.record import find_catalog_for
from engine.library.catalog import Catalog
from engine.personalize import load_model, personalize
from engine.personalize.features import read_raw_features

ANIMAL_LIMIT = "n02666196"


def properties(catalog: Catalog, ids: np.ndarray) -> dict[str, np.ndarray]:
    """The hidden properties each simulated user likes, per photo id."""
    photos = {p.id: p for p in catalog.photos()}
    warm, wide, animals = [], [], []
    for pid in ids:
        photo = photos[int(pid)]
        with Image.open(catalog.abspath(photo.path)) as image:
            pixels = np.asarray(image.convert("RGB").reduce(8), dtype=np.float64)
        warm.append(pixels[..., 0].mean() - pixels[..., 2].mean())
        wide.append((photo.width or 1) / max(photo.height or 1, 1))
        name = Path(photo.path).name
        animals.append(float(name.startswith("inet_n") and name[5:14] < ANIMAL_LIMIT))
    return {"warm": np.array(warm), "wide": np.array(wide), "animals": np.array(animals)}


def simulate(catalog: Catalog, liked: np.ndarray, ids: np.ndarray, sizes: list[int], repeats: int,
             noise: float, generic: np.ndarray) -> list[dict]:
    rows = []
    z = (liked - liked.mean()) / (liked.std() or 1.0)
    for n in sizes:
        personal_acc, generic_acc, on = [], [], []
        for repeat in range(repeats):
            rng = np.random.default_rng(1000 * n + repeat)
            order = rng.permutation(len(ids))
            pool, held = order[: len(ids) // 2], order[len(ids) // 2:]
            chosen = pool[:n]
            noisy = z[chosen] + noise * rng.normal(size=n)
            stars = 1 + np.searchsorted(np.quantile(noisy, [0.2, 0.4, 0.6, 0.8]), noisy)
            _write_decisions(catalog, ids[chosen], stars)
            report = personalize(catalog)
            model = load_model(catalog)
            generic_acc.append(_pair_accuracy(generic[held], liked[held]))
            if model is None or report.status == "too_few":
                personal_acc.append(generic_acc[-1])  # nothing to use: the app keeps the generic order
                on.append(False)
                continue
            scores = model.scores(read_raw_features(catalog, model.space.look_model))
            personal_acc.append(_pair_accuracy(scores[held], liked[held]))
            on.append(report.active)
        rows.append({"decisions": n, "personal": float(np.mean(personal_acc)), "generic": float(np.mean(generic_acc)),
                     "switched_on": float(np.mean(on))})
        print(f"  N={n:4d}  held-out accuracy personal {rows[-1]['personal']:.3f}  generic {rows[-1]['generic']:.3f}"
              f"  model on in {rows[-1]['switched_on']:.0%} of runs", flush=True)
    return rows


def timing(catalog: Catalog, photos: int = 6000, decisions: int = 5000) -> dict:
    """Copy real feature rows into a big scratch catalog and time personalize on 5,000 decisions."""
    scratch_root = Path(tempfile.mkdtemp(prefix="personal-bench-")) / "big"
    scratch_root.mkdir()
    big = Catalog.open(scratch_root)
    source = catalog.conn
    analysed = [r[0] for r in source.execute("SELECT photo_id FROM photo_analysis WHERE status='ok'")]
    rng = np.random.default_rng(0)
    with big.transaction() as conn:
        conn.execute("INSERT INTO model_sets VALUES ('bench', '{}', 0)")
        for new_id in range(1, photos + 1):
            old = analysed[rng.integers(len(analysed))]
            conn.execute("INSERT INTO photos(id, folder, stem) VALUES (?, '', ?)", (new_id, f"p{new_id}"))
            row = source.execute("SELECT sort_score, face_count, eyes_closed FROM photo_analysis WHERE photo_id=?", (old,)).fetchone()
            conn.execute("INSERT INTO photo_analysis(photo_id, model_set, file_path, file_size, file_mtime_ns, status, "
                         "sort_score, sort_task, face_count, eyes_closed, analysed_at) "
                         "VALUES (?, 'bench', '', 0, 0, 'ok', ?, 'technical', ?, ?, 0)", (new_id, *row))
            for model, sha, dim, vector in source.execute(
                    "SELECT model, model_sha256, dim, vector FROM photo_embeddings WHERE photo_id=?", (old,)):
                jittered = np.frombuffer(vector, "<f4") + rng.normal(0, 0.01, dim).astype("<f4")
                conn.execute("INSERT INTO photo_embeddings VALUES (?, ?, ?, ?, ?)", (new_id, model, sha, dim, jittered.tobytes()))
            cue = source.execute("SELECT cues, blurry, blur_reason, sharpness_region, subject_sharpness FROM photo_cues "
                                 "WHERE photo_id=?", (old,)).fetchone()
            if cue:
                conn.execute("INSERT INTO photo_cues VALUES (?, ?, ?, ?, ?, ?)", (new_id, *cue))
            for (task, model, sha, score, raw) in source.execute(
                    "SELECT task, model, model_sha256, score, raw FROM photo_scores WHERE photo_id=?", (old,)):
                conn.execute("INSERT INTO photo_scores VALUES (?, ?, ?, ?, ?, ?)", (new_id, task, model, sha, score, raw))
        stars = rng.integers(1, 6, decisions)
        conn.executemany("INSERT INTO decisions(photo_id, flag, rating, updated_at, source) VALUES (?, ?, ?, 0, 'user')",
                         [(i + 1, 1 if s == 5 else -1 if s == 1 else 0, int(s)) for i, s in enumerate(stars)])
    started = time.perf_counter()
    read_raw_features(big)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = personalize(big)
    seconds = time.perf_counter() - started
    big.close()
    return {"photos": photos, "decisions": report.decisions, "pairs": report.pairs, "personalize_seconds": seconds,
            "read_features_seconds": read_seconds, "ratio_to_feature_read": seconds / max(read_seconds, 1e-9),
            "target_seconds": 10.0, "within_target": seconds < 10.0}


def _write_decisions(catalog: Catalog, ids: np.ndarray, stars: np.ndarray) -> None:
    with catalog.transaction() as conn:
        conn.execute("DELETE FROM decisions")
        conn.executemany("INSERT INTO decisions(photo_id, flag, rating, updated_at, source) VALUES (?, ?, ?, 0, 'user')",
                         [(int(i), 1 if s == 5 else -1 if s == 1 else 0, int(s)) for i, s in zip(ids, stars)])


def _pair_accuracy(scores: np.ndarray, truth: np.ndarray) -> float:
    """Share of pairs with different truth that ``scores`` order the same way (ties half)."""
    s = np.sign(scores[:, None] - scores[None, :])
    t = np.sign(truth[:, None] - truth[None, :])
    mask = t > 0
    return float(((s[mask] > 0) + 0.5 * (s[mask] == 0)).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("library", type=Path, help="an analysed library (photocull-cli analyze DIR)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 50, 100, 200, 400])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.5, help="decision noise, in standard deviations of the taste")
    parser.add_argument("--users", nargs="+", default=["warm", "wide", "animals"])
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results: dict = {"noise": args.noise, "repeats": args.repeats, "users": {}}
    with find_catalog_for(args.library) as catalog:
        raw = read_raw_features(catalog)
        hidden = properties(catalog, raw.photo_ids)
        generic = np.nan_to_num(raw.generic, nan=float(np.nanmean(raw.generic)))
        print(f"{len(raw.photo_ids)} analysed photos; look features from {raw.look_model}")
        for user in args.users:
            print(f"simulated user who likes {user}:")
            rows = simulate(catalog, hidden[user], raw.photo_ids, args.sizes, args.repeats, args.noise, generic)
            beats = [r["decisions"] for r in rows if r["personal"] > r["generic"] + 0.02]
            results["users"][user] = {"rows": rows, "decisions_to_beat_generic": beats[0] if beats else None}
            print(f"  -> beats the generic ranking from N = {beats[0] if beats else 'never (in the sizes tried)'}")
        with catalog.transaction() as conn:
            conn.execute("DELETE FROM decisions")
        if not args.no_timing:
            results["timing"] = timing(catalog)
            t = results["timing"]
            print(f"timing: personalize on {t['decisions']} decisions / {t['photos']} photos: {t['personalize_seconds']:.2f} s "
                  f"({t['ratio_to_feature_read']:.1f}x reading the features, {t['read_features_seconds']:.2f} s); target < 10 s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
