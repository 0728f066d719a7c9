"""Auto-cull: proposals, never decisions.

The proposals cover the three cases the analysis is good at: the best frame of
each burst (pick), closed eyes (reject) and a soft subject (reject). A photo
the photographer already flagged gets no proposal: auto-cull fills gaps, it
never argues with a decision. Nothing is written until the user accepts the
proposals (all, or the ones still ticked), and then as one undoable action whose
catalog ``source`` is ``auto`` so it can be told apart later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.culling.cull_photo import CullPhoto
from engine.decisions.record import PICK, REJECT, UNFLAGGED, Decision, apply_changes, stored_decisions
from engine.library.catalog import Catalog


@dataclass(frozen=True)
class Proposal:
    photo_id: int
    flag: int          # PICK or REJECT
    reason: str


def propose(photos: Iterable[CullPhoto]) -> list[Proposal]:
    """One proposal per undecided photo that the analysis has a clear opinion about."""
    proposals = []
    for photo in photos:
        if photo.record.flag != UNFLAGGED:
            continue
        found = _proposal_for(photo)
        if found is not None:
            proposals.append(found)
    return proposals


def _proposal_for(photo: CullPhoto) -> Proposal | None:
    insight = photo.insight
    if insight.eyes_closed:
        return Proposal(photo.id, REJECT, "eyes closed")
    if insight.blurry:
        return Proposal(photo.id, REJECT, insight.blur_reason or "subject soft")
    if insight.is_burst_best:
        why = insight.reasons[0] if insight.reasons else "best combined score"
        return Proposal(photo.id, PICK, f"best of its {insight.burst_kind} of {insight.burst_size}: {why}")
    return None


def accept(catalog: Catalog, proposals: Sequence[Proposal]) -> int:
    """Apply accepted proposals as one undoable batch (stars and labels kept). Returns the batch."""
    current = stored_decisions(catalog, [p.photo_id for p in proposals])
    targets = {}
    for proposal in proposals:
        before = current[proposal.photo_id].decision if proposal.photo_id in current else Decision()
        targets[proposal.photo_id] = Decision(proposal.flag, before.rating, before.label)
    return apply_changes(catalog, targets, source="auto")
