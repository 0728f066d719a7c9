"""What analysis says about each photo, in the shape the culling views need.

The analysis pipeline (:mod:`engine.analysis`) stores scores, cues, faces and
bursts in the catalog. The views need a small, stable, read-only summary per
photo: the sort score and which kind it is, the blurry / eyes-closed verdicts
with their reasons, the burst it belongs to and its rank there, and regions of
interest for the loupe (faces), and — when the user's personal model is on
(:mod:`engine.personalize`) — the personal score, with bursts ranked by it. This
module is that summary, so the GUI never reads analysis tables itself.

Every score a photographer sees is on 0..100. The sort score is the model's own score
placed against the fixed reference distribution in its manifest
(:mod:`engine.inference.score_scale`, whose ``SCORE_MEANING`` is the sentence the GUI shows):
50 is a typical photo, and a 70 means the same in every shoot. The model's own value stays
in ``raw_score`` (it breaks ties where the 0..100 score rounds two photos together). The
personal score is a rank within this shoot (:func:`personal_percent`): 100 is the photo most
to your taste, 0 the least.

Regions are normalised (0..1 of the displayed width/height) so they apply to a
grid thumbnail, a preview and the full-size image alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from engine import personalize as taste
from engine.analysis import PhotoAnalysis, read_analyses
from engine.analysis.best_shot import RankedShot, blur_words
from engine.culling.map_words import region_reason
from engine.inference.score_scale import ScoreScale, installed_scales

FALLBACK_SCALE = ScoreScale()

Region = tuple[float, float, float, float]  # x0, y0, x1, y1 in 0..1 of the displayed image


@dataclass(frozen=True)
class PhotoInsight:
    score: float | None = None                 # the sort score (aesthetic, or technical quality), 0..100
    score_task: str | None = None              # "aesthetic" | "technical" | None
    raw_score: float | None = None             # the model's own score behind ``score``
    blurry: bool | None = None                 # None = not analysed
    blur_reason: str = ""
    eyes_closed: bool | None = None
    faces: tuple[Region, ...] = ()
    burst_id: int | None = None                # None for a single
    burst_kind: str = "single"                 # single | burst | bracket
    burst_size: int = 1
    burst_rank: int | None = None              # 1 = best of its burst
    reasons: tuple[str, ...] = field(default=())  # why it won / lost its burst, in words
    personal_score: float | None = None        # 0..100, rank in this shoot by the personal model (None: off)
    #: Where the image quality score comes from (:mod:`engine.analysis.quality_map`): rows of cells in
    #: score units, row 0 at the top; None when the photo's technical scorer gives no map.
    quality_map: tuple[tuple[float, ...], ...] | None = None
    score_model: str = ""                      # the name of the model behind ``score``
    weak_region: str = ""                      # "soft in the upper left" (engine.culling.map_words), or ""

    @property
    def is_burst_best(self) -> bool:
        return self.burst_id is not None and self.burst_rank == 1

    def summary(self) -> list[str]:
        """Short lines for a tooltip or the loupe info panel (empty when nothing is known)."""
        lines: list[str] = []
        if self.score is not None:
            lines.append(f"score {self.score:.0f}" + ("" if self.score_task == "aesthetic" else " (image quality)"))
        if self.personal_score is not None:
            lines.append(f"personal score {self.personal_score:.0f}")
        if self.eyes_closed:
            lines.append("eyes closed")
        if self.blur_reason:
            lines.append(self.blur_reason)
        if self.burst_id is not None:
            place = "best" if self.burst_rank == 1 else f"#{self.burst_rank or '?'}"
            lines.append(f"{place} of a {self.burst_kind} of {self.burst_size}")
        said_blur = blur_words(self.blur_reason) if self.blur_reason else None
        lines.extend(reason for reason in self.reasons if reason != said_blur)   # the blur line above says it
        if self.weak_region:
            lines.append(self.weak_region)
        return lines


NO_INSIGHT = PhotoInsight()


def load_insights(catalog) -> dict[int, PhotoInsight]:
    """Insights for every analysed photo of ``catalog`` (an empty dict before any analysis),
    with the personal score and personal burst ranking when a personal model is on."""
    scales = installed_scales()
    insights = {pid: insight_of(analysis, scales) for pid, analysis in read_analyses(catalog).items()}
    return with_personal(insights, taste.personal_scores(catalog), taste.rank_bursts(catalog))


def shoot_ranks(keys: Mapping[int, tuple]) -> dict[int, float]:
    """Each photo's place among ``keys`` (photo id → sortable score key) on 0..100: 100 for the best,
    0 for the lowest, equal keys sharing their mean place; a lone photo is 100.

    The CLI lists it beside the score; insights do not carry it, because every new score would move
    every photo's place and so make every photo "changed" for the GUI while analysis runs.
    """
    ordered = sorted(keys, key=keys.__getitem__)
    top = max(len(ordered) - 1, 1)
    ranks: dict[int, float] = {}
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and keys[ordered[end + 1]] == keys[ordered[start]]:
            end += 1
        place = 100.0 if len(ordered) == 1 else round(100.0 * (start + end) / 2 / top, 1)
        ranks.update((pid, place) for pid in ordered[start:end + 1])
        start = end + 1
    return ranks


def personal_percent(score: float | None) -> float | None:
    """A personal score (:func:`engine.personalize.personal_scores`: 1..10 by rank in the library) on 0..100."""
    return None if score is None else round((score - 1.0) * 100.0 / 9.0, 1)


def sort_score_of(analysis: PhotoAnalysis | None,
                  scales: Mapping[tuple[str, str], ScoreScale]) -> tuple[float | None, float | None]:
    """(0..100 score, the model's own score) of a photo's sort score, placed by the scale of the model
    that gave it (the documented fallback when that model's manifest has no reference or is gone)."""
    if analysis is None or analysis.sort_score is None:
        return None, None
    row = next((s for s in analysis.scores if s.task == analysis.sort_task), None)
    return placed_score(analysis.sort_score, (row.model, row.model_sha256) if row else None, scales)


def placed_score(raw: float | None, model: tuple[str, str] | None,
                 scales: Mapping[tuple[str, str], ScoreScale]) -> tuple[float | None, float | None]:
    """(0..100 score, ``raw``) for a model's own score, by the scale of ``model`` (name, sha256)."""
    if raw is None:
        return None, None
    percent = scales.get(model, FALLBACK_SCALE).percent(raw) if model else FALLBACK_SCALE.percent(raw)
    return (None if percent is None else round(percent, 1)), raw


def with_personal(insights: Mapping[int, PhotoInsight], scores: Mapping[int, float],
                  ranked: Mapping[int, RankedShot]) -> dict[int, PhotoInsight]:
    """``insights`` with personal scores added and burst ranks replaced by the personal ranking."""
    merged = dict(insights)
    for pid, insight in insights.items():
        shot = ranked.get(pid)
        if pid in scores or (shot is not None and insight.burst_id is not None):
            merged[pid] = replace(
                insight, personal_score=personal_percent(scores.get(pid)),
                burst_rank=shot.rank if shot is not None and insight.burst_id is not None else insight.burst_rank,
                reasons=shot.reasons if shot is not None and insight.burst_id is not None else insight.reasons)
    return merged


def insight_of(analysis: PhotoAnalysis, scales: Mapping[tuple[str, str], ScoreScale] | None = None) -> PhotoInsight:
    burst = analysis.burst
    grouped = burst is not None and burst.kind != "single" and burst.size > 1
    scales = installed_scales() if scales is None else scales
    score, raw = sort_score_of(analysis, scales)
    sort_row = next((s for s in analysis.scores if s.task == analysis.sort_task), None)
    cells = quality_cells(analysis)
    where = map_reason(analysis, scales)
    return PhotoInsight(
        score=score,
        score_task=analysis.sort_task,
        raw_score=raw,
        blurry=analysis.blurry,
        blur_reason=(analysis.blur_reason or "") if analysis.blurry else "",
        eyes_closed=analysis.eyes_closed,
        faces=tuple(face.box for face in analysis.faces),
        burst_id=burst.group_id if grouped else None,
        burst_kind=burst.kind if grouped else "single",
        burst_size=burst.size if grouped else 1,
        burst_rank=burst.rank if grouped else None,
        reasons=burst.reasons if grouped else (),
        weak_region=where or "",
        quality_map=cells,
        score_model=sort_row.model if sort_row else "",
    )


def quality_cells(analysis: PhotoAnalysis | None) -> tuple[tuple[float, ...], ...] | None:
    """The photo's map as rows of cells, or None (see :attr:`PhotoInsight.quality_map`)."""
    row = analysis.mapped_score if analysis else None
    return tuple(tuple(line) for line in row.quality_map.array().tolist()) if row else None


def map_reason(analysis: PhotoAnalysis, scales: Mapping[tuple[str, str], ScoreScale]) -> str | None:
    """Where the photo's technical weakness lies ("soft in the upper left"), by
    :func:`engine.culling.map_words.region_reason`; None when nothing clear."""
    row = analysis.mapped_score
    if row is None:
        return None
    quality, _ = placed_score(row.score, (row.model, row.model_sha256), scales)
    noise = (analysis.cues or {}).get("noise_sigma")
    return region_reason(row.quality_map, soft=bool(analysis.blurry), noise_sigma=noise, quality=quality)
