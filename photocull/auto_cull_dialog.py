"""Auto-cull review: the proposals as a checklist; nothing changes until the user accepts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from engine.decisions.auto_cull import Proposal
from engine.decisions.record import PICK


class AutoCullDialog(QDialog):
    def __init__(self, proposals: list[Proposal], names: dict[int, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Auto-cull suggestions")
        self.setMinimumSize(560, 420)
        self.proposals = sorted(proposals, key=lambda p: (-p.flag, names.get(p.photo_id, "")))
        picks = sum(p.flag == PICK for p in proposals)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            f"{_count(picks, 'pick')} and {_count(len(proposals) - picks, 'reject')} suggested for photos you "
            "have not flagged yet. "
            "Untick what you disagree with; nothing is changed until you accept (Ctrl+Z undoes it).", wordWrap=True))
        self.list = QListWidget()
        for proposal in self.proposals:
            verb = "pick" if proposal.flag == PICK else "reject"
            item = QListWidgetItem(f"{verb:6}  {names.get(proposal.photo_id, proposal.photo_id)} — {proposal.reason}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button = buttons.addButton("Apply ticked suggestions", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def accepted_proposals(self) -> list[Proposal]:
        return [p for i, p in enumerate(self.proposals)
                if self.list.item(i).checkState() == Qt.CheckState.Checked]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
