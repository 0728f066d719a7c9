"""``photocull-cli personalize DIR``: learn your taste from your decisions in that library.

Without options: fit the personal model from the library's picks, rejects, stars and burst
choices, cross-validate it against the generic score, store it (on only if it beats it),
and print the verdict (``--report json`` prints the whole report). Other actions, one at a
time: ``--reset`` forgets the personal model and calibration answers, ``--export FILE`` /
``--import FILE`` move the model as a file, ``--calibrate N`` prints the N A/B questions
the model is least sure about, ``--prefer WINNER LOSER`` records one answer (photo paths),
``--export-dataset FILE`` writes the decisions as training examples with photo paths
(:func:`engine.personalize.dataset.export_dataset`) for ``python -m training personalize``.
The app's "Personalize" button calls the same :mod:`engine.personalize` functions.

Exit code 1 when an import file is unusable or a ``--prefer`` path is not a photo.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine import personalize as taste
from engine.cli.library_scope import progress_bar
from engine.decisions.record import find_catalog_for
from engine.library.catalog import Catalog
from engine.personalize.dataset import export_dataset, load_dataset
from engine.personalize.store import read_choices

NAME = "personalize"
HELP = "learn your taste from your decisions (picks, rejects, stars, burst choices); reset/export/import it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder (scanned and analysed)")
    parser.add_argument("--report", choices=("text", "json"), default="text", help="how to print the result")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--reset", action="store_true", help="forget this library's personal model and answers")
    action.add_argument("--export", type=Path, metavar="FILE", help="write the personal model in use to FILE")
    action.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                        help="use the personal model in FILE (stored as a new version)")
    action.add_argument("--export-dataset", type=Path, metavar="FILE",
                        help="write your decisions as training examples (JSON, with photo paths) for "
                             "`python -m training personalize --dataset FILE`")
    action.add_argument("--calibrate", type=int, metavar="N", help="print the N pairs the model is least sure about")
    action.add_argument("--prefer", nargs=2, type=Path, metavar=("WINNER", "LOSER"),
                        help="record a calibration answer: WINNER is better than LOSER")


def run(args: argparse.Namespace) -> int:
    with find_catalog_for(args.dir) as catalog:
        if args.reset:
            removed = taste.reset(catalog)
            return _emit(args, {"action": "reset", "versions_removed": removed},
                         f"personal model reset ({removed} version(s) removed)")
        if args.export:
            try:
                path = taste.export_model(catalog, args.export)
            except taste.PersonalModelError as exc:
                return _fail(exc)
            return _emit(args, {"action": "export", "file": str(path)}, f"personal model written to {path}")
        if args.import_file:
            try:
                version, model = taste.import_model(catalog, args.import_file)
            except taste.PersonalModelError as exc:
                return _fail(exc)
            state = "on" if model.active else "off (it did not beat the generic score when fitted)"
            return _emit(args, {"action": "import", "version": version, "active": model.active},
                         f"imported as version {version}; it is {state}")
        if args.export_dataset:
            return _export_dataset(args, catalog)
        if args.calibrate is not None:
            return _calibrate(args, catalog)
        if args.prefer:
            return _prefer(args, catalog)
        with progress_bar("personalizing", unit="step") as progress:
            report = taste.personalize(catalog, progress=progress)
        return _emit(args, report.as_dict(), _text(report))


def _export_dataset(args: argparse.Namespace, catalog: Catalog) -> int:
    try:
        path = export_dataset(catalog, args.export_dataset, read_choices(catalog))
    except OSError as exc:
        return _fail(exc)
    prefs = load_dataset(path).preferences
    return _emit(args, {"action": "export-dataset", "file": str(path), "decisions": prefs.decisions,
                        "pairs": len(prefs.pairs)},
                 f"{prefs.decisions} decisions and {len(prefs.pairs)} pairs written to {path}")


def _calibrate(args: argparse.Namespace, catalog: Catalog) -> int:
    pairs = taste.least_sure_pairs(catalog, max(args.calibrate, 0))
    records = [{"first": catalog.abspath(p.first_path).as_posix(), "second": catalog.abspath(p.second_path).as_posix(),
                "probability_first": p.probability, "kind": p.kind} for p in pairs]
    lines = [f"{r['probability_first']:.0%}  {r['first']}  vs  {r['second']}  ({r['kind']})" for r in records]
    lines.append("answer with: photocull-cli personalize DIR --prefer BETTER WORSE")
    return _emit(args, {"action": "calibrate", "pairs": records}, "\n".join(lines))


def _prefer(args: argparse.Namespace, catalog: Catalog) -> int:
    winner, loser = (catalog.photo_by_path(p.expanduser().resolve()) for p in args.prefer)
    if winner is None or loser is None or winner.id == loser.id:
        print("photocull-cli personalize: --prefer needs two different photos of this library", file=sys.stderr)
        return 1
    taste.record_choice(catalog, winner.id, loser.id)
    return _emit(args, {"action": "prefer", "winner": winner.path, "loser": loser.path},
                 f"noted: {winner.path} over {loser.path}; run personalize again to learn from it")


def _text(report: taste.PersonalizeReport) -> str:
    lines = [report.message]
    if report.personal and report.generic:
        lines.append(f"held-out pairwise accuracy: personal ({report.head}) {_pct(report.personal['pairwise_accuracy'])}, "
                     f"generic {_pct(report.generic['pairwise_accuracy'])} over {report.personal['pairs']} pairs")
        lines.append(f"SRCC vs stars: personal {_num(report.personal['srcc_stars'])}, "
                     f"generic {_num(report.generic['srcc_stars'])} over {report.personal['rated']} rated photos")
    lines.append(f"{report.decisions} decisions, pairs: " + ", ".join(f"{k} {v}" for k, v in report.pairs.items()))
    return "\n".join(lines)


def _emit(args: argparse.Namespace, record: dict, text: str) -> int:
    if args.report == "json":
        json.dump(record, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(text)
    return 0


def _fail(exc: Exception) -> int:
    print(f"photocull-cli personalize: {exc}", file=sys.stderr)
    return 1


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
