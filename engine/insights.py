"""What analysis says about each photo, in the shape the culling views need.

The analysis pipeline (:mod:`engine.analysis`) stores scores, cues, faces and
bursts in the catalog. The views need a small, stable, read-only summary per
photo: the sort score and which kind it is, the blurry / eyes-closed verdicts
with their reasons, the burst it belongs to and its rank there, and regions of
interest for the loupe (faces). This module is that
summary, so the GUI never reads analysis tables itself.

Regions are normalised (0..1 of the displayed width/height) so they apply to a
grid thumbnail, a preview and the full-size image alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.analysis import PhotoAnalysis, read_analyses

Region = tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1 of the displayed image


@dataclass(frozen=True)
class PhotoInsight:
    score: float | None = None                 # 1..10, the sort score (aesthetic, or technical quality)
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

    @property
    def is_burst_best(self) -> bool:
        return self.burst_id is not None and self.burst_rank == 1

    def summary(self) -> list[str]:
        """Short lines for a tooltip or the loupe info panel (empty when nothing is known)."""
        lines: list[str] = []
        if self.score is not None:
            kind = "aesthetic" if self.score_task == "aesthetic" else "quality"
            lines.append(f"{kind} score {self.score:.1f}")
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
    """Insights for every analysed photo of ``catalog`` (an empty dict before any analysis)."""
    return {pid: insight_of(analysis) for pid, analysis in read_analyses(catalog).items()}


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
