"""Best shot benchmark: does the app pick the frame where the subject is whole?

    python bench/best_shot.py DATA [--faces 12] [--photos 8] [--cut 0.3]

Framing pairs: two-frame bursts, one frame showing a face whole and the other the same scene
with the frame moved so that ``--cut`` of the face box lies outside one edge (left, right,
top, bottom). They are built from real faces and photos of DATA_DIR:

* ``eyes/open`` face crops, each at its own size on a plain backdrop (its border colour)
  twice as large, the crop in the middle (whole) or pushed over one edge (cut);
* ``photos`` with one clear face (found by the app's face detector), a window of half
  the photo's sides around the face (whole) or moved so the face is cut by one edge.

The two frames get EXIF capture times one second apart (a real burst), each pair an hour
from the next, and are analysed by the app itself (scan, analyze with the installed models,
grouping, best-shot ranking); a source is used only when the app finds its face in the whole
frame (the premise of the pair). Reported: pairs grouped as a burst, and the share of pairs whose
best frame is the whole one (a pair that is not grouped counts as a miss), separately for the
*tune* part (even source index: used to choose the framing constants) and the *report* part
(odd index: never looked at while tuning).

On ``bursts/`` (real video frames, no labels of the best frame) each multi-frame group's best
frame and its reasons are listed.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EDGES = ("left", "right", "top", "bottom")
WINDOW = 0.5
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003


def face_sources(data: Path, faces: int, photos: int) -> list[tuple[str, Image.Image, tuple[float, ...], bool]]:
    """(name, image, face box, on_backdrop) for the sources of the pairs: crops first, then photos."""
    from engine.analysis.faces import FaceAnalyzer

    analyzer = FaceAnalyzer()
    found = []
    for path in sorted((data / "eyes" / "open").glob("*.jpg"))[: faces * 3]:
        image = Image.open(path).convert("RGB")
        canvas, offset = _on_backdrop(image)
        box = _single_face(analyzer, canvas)
        if box is not None and _single_face(analyzer, backdrop_frame(image, np.subtract(box, offset * 2), None, 0)):
            found.append((path.name, image, tuple(np.subtract(box, offset * 2)), True))
        if sum(1 for f in found if f[3]) == faces:
            break
    chosen = 0
    for path in sorted((data / "photos").glob("*.jpg")):
        if chosen == photos:
            break
        image = Image.open(path).convert("RGB")
        box = _single_face(analyzer, image, min_side=0.12, max_side=0.3)
        window = _photo_window(image.size, box, None) if box is not None else None
        if window and _single_face(analyzer, image.crop(window)) and \
                sum(_photo_window(image.size, box, edge) is not None for edge in EDGES) >= 2:
            found.append((path.name, image, box, False))
            chosen += 1
    return found


def _single_face(analyzer, image: Image.Image, min_side: float = 0.0, max_side: float = 1.0):
    faces = analyzer.detect(image)
    if len(faces) != 1:
        return None
    x0, y0, x1, y1 = faces[0].box
    short = min(image.size)
    if not min_side * short <= max(x1 - x0, y1 - y0) <= max_side * short:
        return None
    if x0 < 0 or y0 < 0 or x1 > image.width or y1 > image.height:
        return None
    return x0, y0, x1, y1


def _on_backdrop(crop: Image.Image) -> tuple[Image.Image, tuple[int, int]]:
    w, h = crop.size
    pixels = np.asarray(crop)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    colour = tuple(int(c) for c in np.median(border, axis=0))
    canvas = Image.new("RGB", (2 * w, 2 * h), colour)
    canvas.paste(crop, (w // 2, h // 2))
    return canvas, (w // 2, h // 2)


def backdrop_frame(crop: Image.Image, box, edge: str | None, cut: float) -> Image.Image:
    """The crop on a backdrop twice its size: centred, or moved so ``cut`` of the face box is past ``edge``."""
    canvas, (ox, oy) = _on_backdrop(crop)
    frame = Image.new("RGB", canvas.size, canvas.getpixel((0, 0)))
    x0, y0, x1, y1 = (box[0] + ox, box[1] + oy, box[2] + ox, box[3] + oy)
    dx = dy = 0
    if edge == "left":
        dx = -(x0 + cut * (x1 - x0))
    elif edge == "right":
        dx = canvas.width - (x1 - cut * (x1 - x0))
    elif edge == "top":
        dy = -(y0 + cut * (y1 - y0))
    elif edge == "bottom":
        dy = canvas.height - (y1 - cut * (y1 - y0))
    frame.paste(crop, (int(round(ox + dx)), int(round(oy + dy))))
    return frame


def _photo_window(size, box, edge: str | None, cut: float = 0.3) -> tuple[int, int, int, int] | None:
    """A window of :data:`WINDOW` of the photo's sides: face centred (whole), or the face cut by ``cut`` at ``edge``."""
    width, height = size
    ww, wh = int(WINDOW * width), int(WINDOW * height)
    x0, y0, x1, y1 = box
    left = (x0 + x1) / 2 - ww / 2
    top = (y0 + y1) / 2 - wh / 2
    if edge == "left":
        left = x0 + cut * (x1 - x0)
    elif edge == "right":
        left = x1 - cut * (x1 - x0) - ww
    elif edge == "top":
        top = y0 + cut * (y1 - y0)
    elif edge == "bottom":
        top = y1 - cut * (y1 - y0) - wh
    if edge is None:
        left = min(max(left, 0), width - ww)
        top = min(max(top, 0), height - wh)
        if not (left + 0.05 * ww <= x0 and x1 <= left + 0.95 * ww and top + 0.05 * wh <= y0 and y1 <= top + 0.95 * wh):
            return None
    if left < 0 or top < 0 or left + ww > width or top + wh > height:
        return None
    return int(left), int(top), int(left) + ww, int(top) + wh


def build_pairs(root: Path, sources, cut: float) -> list[dict]:
    pairs = []
    for index, (name, image, box, backdrop) in enumerate(sources):
        for edge in EDGES:
            if not backdrop and _photo_window(image.size, box, edge, cut) is None:
                continue
            folder = root / f"{len(pairs):03d}_{Path(name).stem}_{edge}"
            frames = {}
            for label, which in (("whole", None), ("cut", edge)):
                if backdrop:
                    frames[label] = backdrop_frame(image, box, which, cut)
                else:
                    frames[label] = image.crop(_photo_window(image.size, box, which, cut))
            hour = len(pairs)
            order = ("whole", "cut") if hour % 2 else ("cut", "whole")  # neither position wins by default
            for second, label in enumerate(order):
                exif = Image.Exif()
                exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = f"2024:01:{1 + hour // 24:02d} {hour % 24:02d}:00:0{second}"
                folder.mkdir(parents=True, exist_ok=True)
                frames[label].save(folder / f"{label}.jpg", "JPEG", quality=92, exif=exif)
            pairs.append({"folder": folder.name, "source": name, "edge": edge, "part": "tune" if index % 2 == 0 else "report",
                          "kind": "face crop" if backdrop else "photo"})
    return pairs


def analyse(root: Path) -> None:
    from engine.analysis import analyze_library
    from engine.library.scan import scan_library

    scanned = scan_library(root)
    if scanned.errors:
        print(f"  {scanned.errors} files of {root} could not be read (see photocull-cli errors)", flush=True)
    analyze_library(root)


def burst_rows(root: Path) -> dict[str, dict]:
    from engine.library.catalog import Catalog

    with Catalog.open(root, create=False) as catalog:
        catalog.conn.row_factory = sqlite3.Row
        rows = catalog.conn.execute(
            "SELECT f.path, b.group_id, b.kind, b.size, b.rank, b.is_best, b.reasons FROM bursts b "
            "JOIN files f ON f.photo_id = b.photo_id").fetchall()
    return {row["path"]: dict(row) for row in rows}


def framing(data: Path, args) -> dict:
    root = Path(tempfile.mkdtemp(prefix="best-shot-pairs-"))
    sources = face_sources(data, args.faces, args.photos)
    pairs = build_pairs(root, sources, args.cut)
    print(f"{len(pairs)} framing pairs from {sum(s[3] for s in sources)} face crops and "
          f"{sum(not s[3] for s in sources)} photos (cut {args.cut:.0%} of the face box)", flush=True)
    analyse(root)
    result = {}
    for penalty in args.tune or []:
        _regroup_with(root, penalty)
        result[f"penalty {penalty}"] = tally_pairs(pairs, burst_rows(root), quiet=True)
        print(f"  CUT_PENALTY {penalty}: " + ", ".join(
            f"{part} {v['whole_best']}/{v['pairs']}" for part, v in result[f"penalty {penalty}"].items()
            if part.endswith("/all")), flush=True)
    if args.tune:
        _regroup_with(root, None)
    result.update(tally_pairs(pairs, burst_rows(root)))
    return result


def _regroup_with(root: Path, penalty: float | None) -> None:
    """Group and rank again with another cut penalty (None: the shipped one)."""
    from engine.analysis import best_shot, regroup_library

    shipped = getattr(_regroup_with, "shipped", best_shot.CUT_PENALTY)
    _regroup_with.shipped = shipped  # type: ignore[attr-defined]
    best_shot.CUT_PENALTY = shipped if penalty is None else penalty
    regroup_library(root)


def tally_pairs(pairs: list[dict], rows: dict[str, dict], quiet: bool = False) -> dict:
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    misses = []
    for pair in pairs:
        whole = rows.get(f"{pair['folder']}/whole.jpg")
        cut = rows.get(f"{pair['folder']}/cut.jpg")
        grouped = bool(whole and cut and whole["group_id"] == cut["group_id"] and whole["size"] == 2)
        right = grouped and bool(whole["is_best"])
        for key in ((pair["part"], "all"), (pair["part"], pair["kind"]), (pair["part"], pair["edge"])):
            tally[key][0] += 1
            tally[key][1] += grouped
            tally[key][2] += right
        if not right:
            misses.append((pair, json.loads(cut["reasons"]) if cut and grouped else None))
    result = {}
    for part in ("tune", "report"):
        for what in ("all", "face crop", "photo", *EDGES):
            n, grouped, right = tally[(part, what)]
            if n:
                result[f"{part}/{what}"] = {"pairs": n, "grouped": grouped, "whole_best": right}
            if n and not quiet:
                print(f"  {part:6s} {what:9s}: {n:3d} pairs, grouped {grouped:3d}, best frame whole {right:3d} "
                      f"= {right / n:.0%}")
    for pair, reasons in [] if quiet else misses:
        print(f"  miss: {pair['part']} {pair['kind']} {pair['source']} cut at {pair['edge']}: "
              f"{'not grouped' if reasons is None else 'cut frame won: ' + '; '.join(reasons)}")
    return result


def bursts(data: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="best-shot-bursts-"))
    for path in sorted((data / "bursts").glob("*.jpg")):
        os.symlink(path.resolve(), root / path.name)   # a relative link would point nowhere from here
    analyse(root)
    groups: dict[int, list[dict]] = defaultdict(list)
    for path, row in burst_rows(root).items():
        groups[row["group_id"]].append({**row, "path": path})
    print(f"bursts: {sum(1 for g in groups.values() if len(g) > 1)} groups of several frames")
    for members in sorted(groups.values(), key=lambda g: min(m["path"] for m in g)):
        if len(members) < 2:
            continue
        best = min(members, key=lambda m: m["rank"])
        print(f"  {members[0]['kind']} of {len(members)}: best {best['path']}: {'; '.join(json.loads(best['reasons']))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="the shared data folder (eyes/open, photos, bursts)")
    parser.add_argument("--faces", type=int, default=12, help="face crops from eyes/open")
    parser.add_argument("--photos", type=int, default=8, help="photos with one clear face")
    parser.add_argument("--cut", type=float, default=0.3, help="share of the face box outside the frame")
    parser.add_argument("--skip-bursts", action="store_true")
    parser.add_argument("--tune", type=float, nargs="*", help="cut penalties to try (regrouping only)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="best-shot-home-") as home:
        for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
            os.environ[name] = str(Path(home) / name)
        framing(args.data, args)
        if not args.skip_bursts:
            bursts(args.data)


if __name__ == "__main__":
    main()
