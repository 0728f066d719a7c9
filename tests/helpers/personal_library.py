"""A catalog whose analysis tables are filled directly (no images, no models), for the personalize tests.

Each photo gets a random 64-d "embedding" (variance decreasing along the axes) and cues; a simulated user's taste is a hidden
direction in the embedding space, so tests can plant a preference and check it is learnt.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from engine.library.catalog import Catalog

DIM = 64


def analysed_catalog(root: Path, photos: int, *, seed: int = 0, burst_size: int = 4,
                     bursts: int = 0) -> tuple[Catalog, np.ndarray]:
    """``photos`` analysed photos (the first ``bursts * burst_size`` in bursts); returns (catalog, embeddings)."""
    root.mkdir(parents=True, exist_ok=True)
    catalog = Catalog.open(root)
    rng = np.random.default_rng(seed)
    # Like real embeddings, a few directions carry most of the variance (here the first axes).
    vectors = (rng.normal(size=(photos, DIM)) * np.linspace(3.0, 0.5, DIM)).astype(np.float32)
    with catalog.transaction() as conn:
        conn.execute("INSERT INTO model_sets(signature, models, created_at) VALUES ('sig', '{}', 0)")
        for i in range(photos):
            pid = i + 1
            conn.execute("INSERT INTO photos(id, folder, stem) VALUES (?, '', ?)", (pid, f"p{pid:05d}"))
            conn.execute("INSERT INTO files(photo_id, path, ext, role, size, mtime_ns, scanned_at) "
                         "VALUES (?, ?, '.jpg', 'raster', 1, 1, 0)", (pid, f"p{pid:05d}.jpg"))
            conn.execute(
                "INSERT INTO photo_analysis(photo_id, model_set, file_path, file_size, file_mtime_ns, status, "
                "sort_score, sort_task, face_count, analysed_at) VALUES (?, 'sig', ?, 1, 1, 'ok', ?, 'technical', 0, 0)",
                (pid, f"p{pid:05d}.jpg", float(rng.uniform(3, 8))))
            conn.execute("INSERT INTO photo_embeddings(photo_id, model, model_sha256, dim, vector) "
                         "VALUES (?, 'embedding_test', '', ?, ?)", (pid, DIM, vectors[i].astype('<f4').tobytes()))
            cues = {"contrast_rms": float(rng.uniform(0.1, 0.3)), "subject_sharpness": float(rng.uniform(0.3, 0.9))}
            conn.execute("INSERT INTO photo_cues(photo_id, cues, blurry, blur_reason, sharpness_region, "
                         "subject_sharpness) VALUES (?, ?, 0, '', 'salient tiles', ?)",
                         (pid, json.dumps(cues), cues["subject_sharpness"]))
        for b in range(bursts):
            members = list(range(b * burst_size + 1, (b + 1) * burst_size + 1))
            for rank, pid in enumerate(members, start=1):
                conn.execute("INSERT INTO bursts(photo_id, group_id, kind, size, rank, is_best, score, reasons) "
                             "VALUES (?, ?, 'burst', ?, ?, ?, 0.5, '[]')", (pid, members[0], burst_size, rank, rank == 1))
    return catalog, vectors


def decide(catalog: Catalog, decisions: dict[int, tuple[int, int]], source: str = "user") -> None:
    """Store (flag, rating) per photo id directly."""
    with catalog.transaction() as conn:
        for pid, (flag, rating) in decisions.items():
            conn.execute("INSERT OR REPLACE INTO decisions(photo_id, flag, rating, label, updated_at, source) "
                         "VALUES (?, ?, ?, NULL, ?, ?)", (pid, flag, rating, time.time(), source))


def taste_decisions(vectors: np.ndarray, ids: list[int], direction: np.ndarray,
                    noise: float = 0.0, seed: int = 1) -> dict[int, tuple[int, int]]:
    """Stars 1..5 by quintile of the hidden taste (plus noise); 5 stars picked, 1 star rejected."""
    rng = np.random.default_rng(seed)
    taste = vectors[np.array(ids) - 1] @ direction + noise * rng.normal(size=len(ids))
    cuts = np.quantile(taste, [0.2, 0.4, 0.6, 0.8])
    out = {}
    for pid, t in zip(ids, taste):
        stars = 1 + int(np.searchsorted(cuts, t))
        out[pid] = (1 if stars == 5 else -1 if stars == 1 else 0, stars)
    return out
