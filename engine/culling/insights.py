"""What analysis says about each photo, in the shape the culling views need.

The analysis pipeline (:mod:`engine.analysis`) stores scores, cues, faces and
bursts in the catalog. The views need a small, stable, read-only summary per
photo: the sort score and which kind it is, the blurry / eyes-closed verdicts
with their reasons, the burst it belongs to and its rank there, and regions of
interest for the loupe (faces), and — when the user's personal model is on
(:mod:`engine.personalize`) — the personal score, with bursts ranked by it. This
module is that summary, so the GUI never reads analysis tables itself.

Scores are shown as the model gives them. The shipped technical-quality ranker's
manifest says "linear, calibrated so a clean photo scores about 8 and a heavily
distorted one about 2": it is not clamped, so a badly damaged photo may score
below 1 (−4.9 was seen). Clamping would tie all the damaged photos together, so the
views keep the real value and the score filter takes its bounds from the library
(:func:`engine.culling.filters.score_bounds`). Personal scores are ranks, always 1..10.

Regions are normalised (0..1 of the displayed width/height) so they apply to a
grid thumbnail, a preview and the full-size image alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from engine import personalize as taste
from engine.analysis import PhotoAnalysis, read_analyses
from engine.analysis.best_shot import RankedShot

Region = tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1 of the displayed image


@dataclass(frozen=True)
class PhotoInsight:
    score: float | None = None                 # the sort score (aesthetic, or technical quality), about 1..10
    score_task: str | None = None              # "aesthetic" | "technical" | None
    blurry: bool | None = None                 # None = not analysed
    blur_reason: str = ""
    eyes_closed: bool | None = None
    faces: tuple[Region, ...] = ()
    burst_id: int | None = None                # None for a single
    burst_kind: str = "single"                 # single | burst | bracket
    burst_size: int = 1
    burst_rank: int | None = None              # 1 = best of its burst
    reasons: tuple[str, ...] = field(default=())  # why it won / lost its burst, in words
    personal_score: float | None = None        # 1..10 by the personal model (None when it is off)

    @property
    def is_burst_best(self) -> bool:
        return self.burst_id is not None and self.burst_rank == 1

    def summary(self) -> list[str]:
        """Short lines for a tooltip or the loupe info panel (empty when nothing is known)."""
        lines: list[str] = []
        if self.score is not None:
            kind = "aesthetic" if self.score_task == "aesthetic" else "quality"
            lines.append(f"{kind} score {self.score:.1f}")
        if self.personal_score is not None:
            lines.append(f"personal score {self.personal_score:.1f}")
        if self.eyes_closed:
            lines.append("eyes closed")
        if self.blur_reason:
            lines.append(self.blur_reason)
        if self.burst_id is not None:
            lines.append(f"{self.burst_kind} of {self.burst_size}, #{self.burst_rank or '?'}")
        lines.extend(self.reasons)
        return lines


NO_INSIGHT = PhotoInsight()


def load_insights(catalog) -> dict[int, PhotoInsight]:
    """Insights for every analysed photo of ``catalog`` (an empty dict before any analysis),
    with the personal score and personal burst ranking when a personal model is on."""
    insights = {pid: insight_of(analysis) for pid, analysis in read_analyses(catalog).items()}
    return with_personal(insights, taste.personal_scores(catalog), taste.rank_bursts(catalog))


def with_personal(insights: Mapping[int, PhotoInsight], scores: Mapping[int, float],
                  ranked: Mapping[int, RankedShot]) -> dict[int, PhotoInsight]:
    """``insights`` with personal scores added and burst ranks replaced by the personal ranking."""
    merged = dict(insights)
    for pid, insight in insights.items():
        shot = ranked.get(pid)
        if pid in scores or (shot is not None and insight.burst_id is not None):
            merged[pid] = replace(
                insight, personal_score=scores.get(pid),
                burst_rank=shot.rank if shot is not None and insight.burst_id is not None else insight.burst_rank,
                reasons=shot.reasons if shot is not None and insight.burst_id is not None else insight.reasons)
    return merged


def insight_of(analysis: PhotoAnalysis) -> PhotoInsight:
    burst = analysis.burst
    grouped = burst is not None and burst.kind != "single" and burst.size > 1
    return PhotoInsight(
        score=analysis.sort_score,
        score_task=analysis.sort_task,
        blurry=analysis.blurry,
        blur_reason=(analysis.blur_reason or "") if analysis.blurry else "",
        eyes_closed=analysis.eyes_closed,
        faces=tuple(face.box for face in analysis.faces),
        burst_id=burst.group_id if grouped else None,
        burst_kind=burst.kind if grouped else "single",
        burst_size=burst.size if grouped else 1,
        burst_rank=burst.rank if grouped else None,
        reasons=burst.reasons if grouped else (),
    )
