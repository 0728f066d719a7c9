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

The anti-quality user (``--anti-quality PHOTOS``): a library of 20 real photos and a heavily
blurred copy of each (Gaussian blur, radius 1/50 of the long side) is analysed; the user rejects
the 18 photos with the best generic score (technically best) and picks 18 of the others at
random. After personalizing, the share of the 20 clean/blurred pairs whose clean photo gets the
higher personal score must be 100 %: technical defects keep their sign whatever the decisions
say (:data:`engine.personalize.features.TECHNICAL_SIGNS`). The same library then gets a plain
content user, who picks both frames (clean and blurred) of 9 pictures and rejects both of 9 others:
decisions that say nothing about sharpness, so only the guarantee that a flagged frame ranks below
its clean frames in a burst keeps the pairs right (each copy is grouped with its photo as a
two-frame burst by the analysis). Every measurement is printed twice in
the same run, with the sign constraints off (``before``: the old behaviour) and on (``after``),
so held-out accuracy on the ordinary users can be compared.

    photocull-cli analyze /path/to/photos          # once: features come from the shipped models
    python bench/personalize.py /path/to/photos --repeats 5 --anti-quality /path/to/photos
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from engine.decisions.record import find_catalog_for
from engine.library.catalog import Catalog
from engine.personalize import features as feature_module
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
                conn.execute("INSERT INTO photo_embeddings(photo_id, model, model_sha256, dim, vector) VALUES (?, ?, ?, ?, ?)",
                             (new_id, model, sha, dim, jittered.tobytes()))
            cue = source.execute("SELECT cues, blurry, blur_reason, sharpness_region, subject_sharpness FROM photo_cues "
                                 "WHERE photo_id=?", (old,)).fetchone()
            if cue:
                conn.execute("INSERT INTO photo_cues(photo_id, cues, blurry, blur_reason, sharpness_region, subject_sharpness) "
                             "VALUES (?, ?, ?, ?, ?, ?)", (new_id, *cue))
            for (task, model, sha, score, raw) in source.execute(
                    "SELECT task, model, model_sha256, score, raw FROM photo_scores WHERE photo_id=?", (old,)):
                conn.execute("INSERT INTO photo_scores(photo_id, task, model, model_sha256, score, raw) VALUES (?, ?, ?, ?, ?, ?)",
                             (new_id, task, model, sha, score, raw))
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


@contextlib.contextmanager
def constraints(on: bool):
    """The technical sign constraints as shipped (on) or switched off (the behaviour before them)."""
    shipped = dict(feature_module.TECHNICAL_SIGNS)
    if not on:
        feature_module.TECHNICAL_SIGNS.clear()
    try:
        yield
    finally:
        feature_module.TECHNICAL_SIGNS.update(shipped)


def anti_quality_library(photos: Path, count: int = 20, blur: float = 50.0) -> Path:
    """``count`` real photos (evenly spread over the sorted folder) and a copy of each blurred with a
    Gaussian of radius long side / ``blur``."""
    from engine.analysis import analyze_library
    from engine.library.scan import scan_library

    files = sorted(photos.glob("*.jpg"))
    root = Path(tempfile.mkdtemp(prefix="anti-quality-"))
    for path in files[:: max(1, len(files) // count)][:count]:
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((800, 800))
            image.save(root / f"{path.stem}.jpg", quality=92)
            image.filter(ImageFilter.GaussianBlur(max(image.size) / blur)).save(root / f"{path.stem}_blurred.jpg", quality=92)
    scan_library(root)
    analyze_library(root)
    return root


def anti_quality(root: Path, rejects: int = 18, picks: int = 18) -> dict:
    """Reject the technically best, pick others at random, personalize; clean above blurred?"""
    with Catalog.open(root, create=False) as catalog:
        raw = read_raw_features(catalog)
        names = {p.id: Path(p.path).stem for p in catalog.photos()}
        order = np.argsort(-np.nan_to_num(raw.generic, nan=-np.inf))
        rest = np.random.default_rng(0).permutation(order[rejects:])[:picks]
        ids = np.r_[raw.photo_ids[order[:rejects]], raw.photo_ids[rest]]
        _write_decisions(catalog, ids, np.r_[np.ones(rejects), np.full(picks, 5)])
        blurred_picked = sum(names[int(i)].endswith("_blurred") for i in raw.photo_ids[rest])
        return {**_clean_above_blurred(catalog, raw, names), "blurred_among_picks": int(blurred_picked)}


def content_user(root: Path, pictures: int = 9, seed: int = 0) -> dict:
    """A plain taste on the anti-quality library: both frames of ``pictures`` pictures picked, both frames of
    as many others rejected (the decisions say nothing about sharpness); clean above blurred?"""
    with Catalog.open(root, create=False) as catalog:
        raw = read_raw_features(catalog)
        names = {p.id: Path(p.path).stem for p in catalog.photos()}
        ids = {name: pid for pid, name in names.items()}
        clean = sorted(n for n in ids if f"{n}_blurred" in ids)
        chosen = np.random.default_rng(seed).permutation(clean)[: 2 * pictures]
        frames = [ids[name + suffix] for name in chosen for suffix in ("", "_blurred")]
        _write_decisions(catalog, np.array(frames), np.r_[np.full(2 * pictures, 5), np.ones(2 * pictures)])
        return _clean_above_blurred(catalog, raw, names)


def _clean_above_blurred(catalog: Catalog, raw, names: dict[int, str]) -> dict:
    """Personalize on the decisions written, then count the clean photos scored above their blurred copy."""
    report = personalize(catalog)
    model = load_model(catalog)
    scores = dict(zip(raw.photo_ids.tolist(), model.scores(raw).tolist())) if model else {}
    by_name = {names[pid]: score for pid, score in scores.items()}
    pairs = [(by_name[n], by_name[f"{n}_blurred"]) for n in by_name if f"{n}_blurred" in by_name]
    return {"status": report.status, "pairs": len(pairs), "clean_above_blurred": sum(c > b for c, b in pairs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("library", type=Path, nargs="?", help="an analysed library (photocull-cli analyze DIR)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 50, 100, 200, 400])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.5, help="decision noise, in standard deviations of the taste")
    parser.add_argument("--users", nargs="+", default=["warm", "wide", "animals"])
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--anti-quality", type=Path, metavar="PHOTOS",
                        help="also build and test the anti-quality user from this folder of photos")
    parser.add_argument("--blur", type=float, default=50.0,
                        help="anti-quality copies: Gaussian blur radius = long side / BLUR (50: heavy)")
    args = parser.parse_args()
    results: dict = {"noise": args.noise, "repeats": args.repeats, "users": {}}
    if args.anti_quality:
        results["anti_quality"] = run_anti_quality(args.anti_quality, args.blur)
    if args.library:
        with find_catalog_for(args.library) as catalog:
            raw = read_raw_features(catalog)
            hidden = properties(catalog, raw.photo_ids)
            generic = np.nan_to_num(raw.generic, nan=float(np.nanmean(raw.generic)))
            print(f"{len(raw.photo_ids)} analysed photos; look features from {raw.look_model}")
            for user in args.users:
                for label, on in (("before", False), ("after", True)):
                    print(f"simulated user who likes {user}, technical sign constraints {'on' if on else 'off'} ({label}):")
                    with constraints(on):
                        rows = simulate(catalog, hidden[user], raw.photo_ids, args.sizes, args.repeats, args.noise, generic)
                    beats = [r["decisions"] for r in rows if r["personal"] > r["generic"] + 0.02]
                    results["users"][f"{user}/{label}"] = {"rows": rows, "decisions_to_beat_generic": beats[0] if beats else None}
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


def run_anti_quality(photos: Path, blur: float = 50.0) -> dict:
    """Build the anti-quality library (isolated catalog folders) and measure it before and after."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="anti-quality-home-") as home:
        saved = {name: os.environ.get(name) for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME")}
        os.environ.update({name: str(Path(home) / name) for name in saved})
        try:
            root = anti_quality_library(photos, blur=blur)
            for label, on in (("before", False), ("after", True)):
                with constraints(on):
                    results[label] = found = anti_quality(root)
                    results[f"content/{label}"] = plain = content_user(root)
                print(f"anti-quality user, blur 1/{blur:g} ({label}: technical sign constraints {'on' if on else 'off'}): model "
                      f"{found['status']}, clean photo above its blurred copy in {found['clean_above_blurred']} of "
                      f"{found['pairs']} pairs ({found['blurred_among_picks']} blurred copies among the 18 picks)",
                      flush=True)
                print(f"content user (both frames of 9 pictures picked, of 9 others rejected; {label}): model "
                      f"{plain['status']}, clean photo above its blurred copy in {plain['clean_above_blurred']} of "
                      f"{plain['pairs']} pairs", flush=True)
        finally:
            for name, value in saved.items():
                os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    return results


if __name__ == "__main__":
    main()
