"""Auto-cull review: the proposals as pictures, grouped by burst, each with its reason and a tick box.

Nothing changes until the user applies; then the ticked proposals are written as
one undoable step (:func:`engine.decisions.auto_cull.accept`), so one Ctrl+Z takes
them all back. Clicking a picture flips its tick too.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.culling.cull_photo import CullPhoto
from engine.decisions.auto_cull import Proposal, ProposalGroup
from engine.decisions.record import PICK
from photocull import style
from photocull.workers import ThumbnailLoader

COLUMNS = 5
PICTURE_SIDE = 170
VERDICT_COLOURS = {True: "#7fc97f", False: "#e0736b"}   # pick, reject


class ProposalTile(QFrame):
    """One proposal: the picture, a tick box saying pick or reject, the file name and the reason."""

    def __init__(self, photo: CullPhoto, proposal: Proposal, parent: QWidget | None = None):
        super().__init__(parent)
        self.photo, self.proposal = photo, proposal
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(PICTURE_SIDE + 20)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.picture = QLabel("loading…")
        self.picture.setFixedSize(PICTURE_SIDE, PICTURE_SIDE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet(f"color: {style.MUTED.name()};")
        self.picture.mousePressEvent = lambda _event: self.tick.toggle()
        picked = proposal.flag == PICK
        self.tick = QCheckBox("Pick" if picked else "Reject")
        self.tick.setChecked(True)
        self.tick.setStyleSheet(f"QCheckBox {{ color: {VERDICT_COLOURS[picked]}; font-weight: bold; }}")
        self.tick.toggled.connect(self._dim)
        name = QLabel(photo.name)
        name.setStyleSheet(f"color: {style.MUTED.name()};")
        self.reason = QLabel(proposal.reason[:1].upper() + proposal.reason[1:], wordWrap=True)
        self.reason.setToolTip(proposal.reason)
        for widget in (self.picture, self.tick, name, self.reason):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_thumbnail(self, pixmap: QPixmap | None) -> None:
        if pixmap is None:
            self.picture.setText("no preview")
            return
        self.picture.setPixmap(pixmap.scaled(PICTURE_SIDE, PICTURE_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))
        self._dim(self.tick.isChecked())

    def _dim(self, ticked: bool) -> None:
        """An unticked proposal fades, so what will be applied stands out."""
        self.picture.setStyleSheet("" if ticked else "background: #111; border: 1px dashed #555;")
        self.picture.setEnabled(ticked)


class AutoCullDialog(QDialog):
    def __init__(self, groups: Sequence[ProposalGroup], thumbnails: ThumbnailLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Auto-cull suggestions")
        self.resize(COLUMNS * (PICTURE_SIDE + 32) + 60, 760)
        self.thumbnails = thumbnails
        self.groups = list(groups)
        self.tiles: list[ProposalTile] = []
        picks = sum(p.flag == PICK for g in self.groups for _, p in g.items)
        total = sum(len(g.items) for g in self.groups)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            f"{_count(picks, 'pick')} and {_count(total - picks, 'reject')} suggested for photos you have not "
            "flagged yet. Untick what you disagree with (or click its picture); nothing changes until you apply, "
            "and one Ctrl+Z takes it all back.", wordWrap=True))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._pictures())
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        tick_all = buttons.addButton("Tick all", QDialogButtonBox.ButtonRole.ResetRole)
        tick_all.clicked.connect(lambda: self._tick_all(True))
        untick_all = buttons.addButton("Untick all", QDialogButtonBox.ButtonRole.ResetRole)
        untick_all.clicked.connect(lambda: self._tick_all(False))
        self.accept_button = buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for tile in self.tiles:
            tile.tick.toggled.connect(self._count_ticked)
        self._count_ticked()
        thumbnails.ready.connect(self._thumbnail_ready)
        for tile in self.tiles:
            self._load(tile)

    def _pictures(self) -> QWidget:
        page = QWidget()
        column = QVBoxLayout(page)
        for group in self.groups:
            title = QLabel(f"{group.title} — {_count(len(group.items), 'suggestion')}")
            title.setStyleSheet("font-weight: bold; font-size: 14px; padding-top: 8px;")
            column.addWidget(title)
            grid = QGridLayout()
            grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            for i, (photo, proposal) in enumerate(group.items):
                tile = ProposalTile(photo, proposal)
                self.tiles.append(tile)
                grid.addWidget(tile, i // COLUMNS, i % COLUMNS)
            column.addLayout(grid)
        column.addStretch(1)
        return page

    def _load(self, tile: ProposalTile) -> None:
        pixmap = self.thumbnails.pixmap(tile.photo)
        if pixmap is not None or self.thumbnails.is_settled(tile.photo):
            tile.show_thumbnail(pixmap)

    def _thumbnail_ready(self, photo_id: int) -> None:
        for tile in self.tiles:
            if tile.photo.id == photo_id:
                self._load(tile)

    def _tick_all(self, ticked: bool) -> None:
        for tile in self.tiles:
            tile.tick.setChecked(ticked)

    def _count_ticked(self) -> None:
        ticked = sum(tile.tick.isChecked() for tile in self.tiles)
        self.accept_button.setText(f"Apply {_count(ticked, 'suggestion')}")
        self.accept_button.setEnabled(ticked > 0)

    def accepted_proposals(self) -> list[Proposal]:
        return [tile.proposal for tile in self.tiles if tile.tick.isChecked()]

    def done(self, result: int) -> None:
        self.thumbnails.ready.disconnect(self._thumbnail_ready)
        super().done(result)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
