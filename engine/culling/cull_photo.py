"""One photo as the culling views see it: the catalog record plus its analysis summary."""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.culling.insights import NO_INSIGHT, PhotoInsight
from engine.decisions.record import Decision
from engine.library.catalog import PhotoRecord


@dataclass(frozen=True)
class CullPhoto:
    record: PhotoRecord
    insight: PhotoInsight = NO_INSIGHT

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.path.rsplit("/", 1)[-1] or self.record.stem   # (string ops: sorting 20k names by it)

    @property
    def decision(self) -> Decision:
        return Decision(self.record.flag, self.record.rating, self.record.label)

    def with_decision(self, decision: Decision) -> CullPhoto:
        record = replace(self.record, flag=decision.flag, rating=decision.rating, label=decision.label)
        return replace(self, record=record)
