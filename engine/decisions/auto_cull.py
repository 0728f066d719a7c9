"""Auto-cull: proposals, never decisions.

The proposals cover the three cases the analysis is good at: the best frame of
each burst (pick), closed eyes (reject) and a soft subject (reject). A photo
the photographer already flagged gets no proposal: auto-cull fills gaps, it
never argues with a decision. Nothing is written until the user accepts the
proposals (all, or the ones still ticked), and then as one undoable action whose
catalog ``source`` is ``auto`` so it can be told apart later.

For review the proposals are grouped by burst (:func:`by_burst`), so a pick is judged
beside the frames of its burst that are proposed for rejection.
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


@dataclass(frozen=True)
class ProposalGroup:
    """The proposals of one burst (best frame first), or of the photos outside any burst."""

    title: str
    items: tuple[tuple[CullPhoto, Proposal], ...]
    others: tuple[CullPhoto, ...] = ()   # the burst's other frames, to judge the proposals against


def by_burst(proposals: Sequence[Proposal], photos: Iterable[CullPhoto]) -> list[ProposalGroup]:
    """``proposals`` with their photos, one group per burst in capture order, then the single photos."""
    photos = list(photos)
    by_id = {photo.id: photo for photo in photos}
    bursts: dict[int, list[tuple[CullPhoto, Proposal]]] = {}
    singles: list[tuple[CullPhoto, Proposal]] = []
    for proposal in proposals:
        photo = by_id.get(proposal.photo_id)
        if photo is None:
            continue
        burst = photo.insight.burst_id
        (singles if burst is None else bursts.setdefault(burst, [])).append((photo, proposal))
    frames: dict[int, list[CullPhoto]] = {}
    for photo in photos:
        if photo.insight.burst_id in bursts:
            frames.setdefault(photo.insight.burst_id, []).append(photo)
    order = sorted(bursts, key=lambda burst: min(_taken(photo) for photo in frames[burst]))
    groups = [_burst_group(bursts[burst], frames[burst]) for burst in order]
    if singles:
        groups.append(ProposalGroup("Single photos", tuple(sorted(singles, key=lambda item: _taken(item[0])))))
    return groups


def _taken(photo: CullPhoto) -> tuple:
    """Capture order (photos without a time last, then by path)."""
    record = photo.record
    return (record.capture_time is None, record.capture_time or "", record.path)


def _in_burst_order(photo: CullPhoto) -> tuple:
    """Best frame first (by the burst's rank), then capture order."""
    return (photo.insight.burst_rank or 10**6, *_taken(photo))


def _burst_group(items: list[tuple[CullPhoto, Proposal]], frames: list[CullPhoto]) -> ProposalGroup:
    insight = items[0][0].insight
    first = min(frames, key=_taken).record.capture_time
    when = f", taken {first.replace('T', ' ')[:19]}" if first else ""
    title = f"{insight.burst_kind.capitalize()} of {insight.burst_size} frames{when}"
    proposed = {photo.id for photo, _ in items}
    return ProposalGroup(title, tuple(sorted(items, key=lambda item: _in_burst_order(item[0]))),
                         tuple(sorted((p for p in frames if p.id not in proposed), key=_in_burst_order)))


def accept(catalog: Catalog, proposals: Sequence[Proposal]) -> int:
    """Apply accepted proposals as one undoable batch (stars and labels kept). Returns the batch."""
    current = stored_decisions(catalog, [p.photo_id for p in proposals])
    targets = {}
    for proposal in proposals:
        before = current[proposal.photo_id].decision if proposal.photo_id in current else Decision()
        targets[proposal.photo_id] = Decision(proposal.flag, before.rating, before.label)
    return apply_changes(catalog, targets, source="auto")
