"""Culling keys (the Lightroom conventions photographers already know) as data.

P pick, X reject, U unflag; 1–5 stars, 0 clears them; 6–9 Red, Yellow, Green,
Blue. The GUI turns a key press into its text and asks :func:`decision_for_key`;
keeping the table here means the CLI, the docs and the tests share one source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.decisions.record import KEEP, LABELS, PICK, REJECT, UNFLAGGED


@dataclass(frozen=True)
class DecisionKey:
    key: str
    description: str
    flag: Any = KEEP
    rating: Any = KEEP
    label: Any = KEEP

    @property
    def changes_flag(self) -> bool:
        return self.flag is not KEEP


DECISION_KEYS: dict[str, DecisionKey] = {
    "P": DecisionKey("P", "pick", flag=PICK),
    "X": DecisionKey("X", "reject", flag=REJECT),
    "U": DecisionKey("U", "unflag", flag=UNFLAGGED),
    "0": DecisionKey("0", "clear stars", rating=0),
    **{str(n): DecisionKey(str(n), f"{n} star{'s' if n > 1 else ''}", rating=n) for n in range(1, 6)},
    **{str(6 + i): DecisionKey(str(6 + i), f"{label} label", label=label) for i, label in enumerate(LABELS[:4])},
}

#: View and navigation keys (handled by the GUI), for the help overlay and the README.
VIEW_KEYS: dict[str, str] = {
    "G": "grid",
    "E": "loupe (current photo)",
    "C": "compare 2-up (selected vs next candidate)",
    "N": "survey the selection N-up",
    "B": "compare the whole burst",
    "Z": "loupe: toggle fit / 100 %",
    "F": "loupe: jump to the next face",
    "S": "loupe: jump to the sharpest region",
    "V": "loupe / compare: every face up close (eyes and focus, frame by frame)",
    "Arrows": "previous / next photo",
    "Ctrl+Z / Ctrl+Shift+Z": "undo / redo",
    "Return": "expand / collapse the burst under the cursor",
}


def decision_for_key(text: str) -> DecisionKey | None:
    """The decision a key stands for (case-insensitive), or None."""
    return DECISION_KEYS.get(text.upper()) if text else None
