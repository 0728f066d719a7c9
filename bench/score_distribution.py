"""How the 0..100 score spreads over a library: ``python bench/score_distribution.py DIR [--home TMP]``.

Runs ``photocull-cli analyze DIR`` and ``photocull-cli list DIR --format json`` with the catalog in a
temporary XDG home (``--home`` reuses one, so a second run skips the analysis), then prints the
minimum, percentiles, maximum and a text histogram of ``score`` (and of ``score_raw`` beside it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PERCENTILES = (1, 5, 10, 25, 50, 75, 90, 95, 99)


def run_cli(home: Path, *argv: str) -> str:
    env = {**os.environ, **{var: str(home / var.lower()) for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}}
    done = subprocess.run([sys.executable, "-m", "engine", *argv], env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):   # 1: some files unreadable, reported and kept
        raise SystemExit(f"photocull-cli {' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def histogram(values: np.ndarray, low: float, high: float, bins: int = 20, width: int = 50) -> list[str]:
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    scale = width / max(counts.max(), 1)
    return [f"{a:6.1f}–{b:<6.1f} {c:5d} {'#' * round(c * scale)}" for a, b, c in zip(edges, edges[1:], counts)]


def summary(name: str, values: np.ndarray) -> list[str]:
    cuts = np.percentile(values, PERCENTILES)
    return [f"{name}: n={len(values)} min={values.min():.1f} "
            + " ".join(f"p{p}={c:.1f}" for p, c in zip(PERCENTILES, cuts)) + f" max={values.max():.1f}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--home", type=Path, help="XDG home to keep the catalog in (default: a new temporary one)")
    args = parser.parse_args(argv)
    home = args.home or Path(tempfile.mkdtemp(prefix="photocull-scores-"))
    run_cli(home, "analyze", str(args.folder), "--quiet")
    document = json.loads(run_cli(home, "list", str(args.folder), "--format", "json", "--sort", "score"))
    photos = [p for p in document["photos"] if p["score"] is not None]
    scores = np.array([p["score"] for p in photos], dtype=float)
    raw = np.array([p["score_raw"] for p in photos], dtype=float)
    scales = sorted({p["score_scale"] for p in photos})
    lines = [f"{document['schema']}, {len(document['photos'])} photos, {len(photos)} scored, scale: {', '.join(scales)}",
             *summary("score (0-100)", scores), *summary("score_raw", raw),
             f"share at 99.5 or more: {np.mean(scores >= 99.5):.1%}; at 0.5 or less: {np.mean(scores <= 0.5):.1%}",
             "histogram of score:", *histogram(scores, 0, 100)]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
