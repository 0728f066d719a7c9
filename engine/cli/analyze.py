"""``photocull-cli analyze DIR``: score, measure and group every photo, with a progress bar.

Scans first (new and changed files only), then analyses what is not analysed yet
with the installed models (``photocull-cli models``), then groups bursts over the
whole library. Ctrl-C keeps every finished photo and exits 130; run it again to resume.
Exit code 1 when some photos could not be read or analysed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from engine.analysis import (
    AnalysisEvent,
    AnalysisReport,
    AnalysisStarted,
    GroupingStarted,
    PhotoAnalyzed,
    analyze_library,
)
from engine.analysis.pipeline import DEFAULT_ORT_THREADS
from engine.inference.runtime import DEVICES, RuntimeSettings
from engine.library.scan import scan_library

NAME = "analyze"
HELP = "analyse a library (scanning it first): quality scores, cues, faces and eyes, bursts and best shots"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="library folder")
    parser.add_argument("--device", choices=DEVICES, default="auto",
                        help="where models run: auto (GPU when one works), gpu, cpu (default: auto)")
    parser.add_argument("--threads", type=int, default=DEFAULT_ORT_THREADS,
                        help="onnxruntime threads per model; 0 lets onnxruntime decide (default: 1, because the "
                             "decoding threads already use the other cores)")
    parser.add_argument("--workers", type=int, default=2, help="decoding threads (default: 2)")
    parser.add_argument("--sensitivity", type=_unit_interval, default=0.5,
                        help="burst grouping sensitivity 0..1; higher groups more readily (default: 0.5)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")


def run(args: argparse.Namespace) -> int:
    if args.threads < 0 or args.workers < 1:
        print("photocull-cli analyze: --threads must be >= 0 and --workers >= 1", file=sys.stderr)
        return 2
    scan = scan_library(args.dir, workers=args.workers)
    bar = tqdm(unit="photo", desc="analysing", disable=args.quiet or None, dynamic_ncols=True)
    try:
        report = analyze_library(
            args.dir, settings=RuntimeSettings(device=args.device, threads=args.threads or None),
            sensitivity=args.sensitivity, workers=args.workers,
            on_event=lambda event: _show(event, bar, args.quiet),
        )
    finally:
        bar.close()
    if not args.quiet:
        print(summary(report), file=sys.stderr)
    return 1 if report.errors or scan.errors else 0


def _show(event: AnalysisEvent, bar: tqdm, quiet: bool) -> None:
    if isinstance(event, AnalysisStarted):
        bar.total = event.total
        if not quiet:
            for line in _start_lines(event):
                tqdm.write(line, file=sys.stderr)
    elif isinstance(event, PhotoAnalyzed):
        bar.update(event.done - bar.n)
        bar.set_postfix_str(event.path[-40:], refresh=False)
        if event.error and not quiet:
            tqdm.write(f"{event.path}: {event.error}", file=sys.stderr)
    elif isinstance(event, GroupingStarted):
        bar.set_description_str("grouping bursts")


def _start_lines(event: AnalysisStarted) -> list[str]:
    provider = event.provider + (f" ({event.provider_note})" if event.provider_note else "")
    lines = [f"models on {provider}: {', '.join(event.models) or 'none installed'}", event.sort_message]
    lines += [f"refused: {reason}" for reason in event.refused]
    lines.append(f"{event.total} photos to analyse, {event.skipped} already analysed")
    return lines


def summary(report: AnalysisReport) -> str:
    text = (f"{report.analysed} photos analysed in {report.seconds:.1f} s, {report.skipped} unchanged; "
            f"{report.groups} bursts/brackets holding {report.grouped_photos} photos")
    if report.errors:
        text += f"; {report.errors} could not be analysed"
    if report.cancelled:
        text += " (cancelled: run again to resume)"
    return text


def _unit_interval(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be within 0..1")
    return value
