"""Photo analysis: scores, embeddings, quality cues, faces and eyes, bursts and best shots.

The GUI's whole API::

    from engine.analysis import AnalysisControl, analyze_library, read_analyses

    control = AnalysisControl()                    # keep it: pause(), resume(), cancel()
    report = analyze_library(root, on_event=callback, control=control)   # on a worker thread
    results = read_analyses(catalog)               # {photo_id: PhotoAnalysis}; analysis_of(catalog, id)
    regroup_library(root, sensitivity=0.7)         # the grouping slider: stored burst-ranker scores reused

Modules: :mod:`~engine.analysis.pipeline` (the run), :mod:`~engine.analysis.modelset`
(which models, probing, the resume signature), :mod:`~engine.analysis.photo_measures` (one
decode, pixel measurements), :mod:`~engine.analysis.writer` (the single writer),
:mod:`~engine.analysis.storage` (tables, reading), :mod:`~engine.analysis.quality_map` (where the
image quality score comes from, and which quadrant it singles out), :mod:`~engine.analysis.grouping`
(bursts and best shots), :mod:`~engine.analysis.events` and
:mod:`~engine.analysis.control` (progress and steering, no Qt).
"""

from engine.analysis.control import AnalysisControl
from engine.analysis.events import (
    AnalysisEvent,
    AnalysisFinished,
    AnalysisReport,
    AnalysisStarted,
    EventCallback,
    GroupingStarted,
    PhotoAnalyzed,
)
from engine.analysis.grouping import regroup
from engine.analysis.pipeline import analyze_library, regroup_library
from engine.analysis.storage import BurstInfo, FaceRow, PhotoAnalysis, ScoreRow, analysis_of, read_analyses

__all__ = [
    "AnalysisControl", "AnalysisEvent", "AnalysisFinished", "AnalysisReport", "AnalysisStarted", "BurstInfo",
    "EventCallback", "FaceRow", "GroupingStarted", "PhotoAnalysis", "PhotoAnalyzed", "ScoreRow", "analysis_of",
    "analyze_library", "read_analyses", "regroup", "regroup_library",
]
