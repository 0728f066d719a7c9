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
    QHBoxLayout,
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
PICTURE = (210, 150)        # a proposal's picture box (landscape frames fill it)
FRAME = (96, 68)            # the burst's other frames, shown small beside the proposals
OTHER_FRAMES_SHOWN = 12
OTHER_FRAME_COLUMNS = 6
VERDICT_COLOURS = {True: "#7fc97f", False: "#e0736b"}   # pick, reject


class ProposalTile(QFrame):
    """One proposal: the picture, a tick box saying pick or reject, the file name and the reason."""

    def __init__(self, photo: CullPhoto, proposal: Proposal, parent: QWidget | None = None):
        super().__init__(parent)
        self.photo, self.proposal = photo, proposal
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFixedWidth(PICTURE[0] + 14)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.picture = _picture_label(PICTURE)
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
        _show(self.picture, pixmap, PICTURE)

    def _dim(self, ticked: bool) -> None:
        """An unticked proposal fades, so what will be applied stands out."""
        self.picture.setEnabled(ticked)
        self.setStyleSheet("" if ticked else "ProposalTile { border: 1px dashed #555; }")


class OtherFrame(QWidget):
    """A frame of the burst with no proposal: small, for comparison only."""

    def __init__(self, photo: CullPhoto, parent: QWidget | None = None):
        super().__init__(parent)
        self.photo = photo
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.picture = _picture_label(FRAME)
        self.picture.setToolTip(photo.name)
        rank = photo.insight.burst_rank
        caption = QLabel(f"#{rank}" if rank else photo.name)
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setStyleSheet(f"color: {style.MUTED.name()}; font-size: 11px;")
        layout.addWidget(self.picture)
        layout.addWidget(caption)

    def show_thumbnail(self, pixmap: QPixmap | None) -> None:
        _show(self.picture, pixmap, FRAME)


class AutoCullDialog(QDialog):
    def __init__(self, groups: Sequence[ProposalGroup], thumbnails: ThumbnailLoader, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Auto-cull suggestions")
        self.resize(COLUMNS * (PICTURE[0] + 26) + 60, 780)
        self.thumbnails = thumbnails
        self.groups = list(groups)
        self.tiles: list[ProposalTile] = []
        self.others: list[OtherFrame] = []
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
        for holder in (*self.tiles, *self.others):
            self._load(holder)

    def _pictures(self) -> QWidget:
        """Per group: its title, then its proposals, and beside them the burst's other frames."""
        page = QWidget()
        column = QVBoxLayout(page)
        for group in self.groups:
            title = QLabel(f"{group.title} — {_count(len(group.items), 'suggestion')}")
            title.setStyleSheet("font-weight: bold; font-size: 14px; padding-top: 8px;")
            column.addWidget(title)
            row = QHBoxLayout()
            row.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            columns = COLUMNS - 2 if group.others else COLUMNS
            proposals = QGridLayout()
            for i, (photo, proposal) in enumerate(group.items):
                tile = ProposalTile(photo, proposal)
                self.tiles.append(tile)
                proposals.addWidget(tile, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
            row.addLayout(proposals)
            if group.others:
                row.addSpacing(16)
                row.addLayout(self._other_frames(group.others))
            column.addLayout(row)
        column.addStretch(1)
        return page

    def _other_frames(self, photos: Sequence[CullPhoto]) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setAlignment(Qt.AlignmentFlag.AlignTop)
        label = QLabel("The burst's other frames (no suggestion), by rank:")
        label.setStyleSheet(f"color: {style.MUTED.name()};")
        box.addWidget(label)
        frames = QGridLayout()
        frames.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for i, photo in enumerate(photos[:OTHER_FRAMES_SHOWN]):
            frame = OtherFrame(photo)
            self.others.append(frame)
            frames.addWidget(frame, i // OTHER_FRAME_COLUMNS, i % OTHER_FRAME_COLUMNS)
        box.addLayout(frames)
        if len(photos) > OTHER_FRAMES_SHOWN:
            box.addWidget(QLabel(f"and {len(photos) - OTHER_FRAMES_SHOWN} more"))
        return box

    def _load(self, holder: ProposalTile | OtherFrame) -> None:
        pixmap = self.thumbnails.pixmap(holder.photo)
        if pixmap is not None or self.thumbnails.is_settled(holder.photo):
            holder.show_thumbnail(pixmap)

    def _thumbnail_ready(self, photo_id: int) -> None:
        for holder in (*self.tiles, *self.others):
            if holder.photo.id == photo_id:
                self._load(holder)

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


def _picture_label(size: tuple[int, int]) -> QLabel:
    label = QLabel("loading…")
    label.setFixedSize(*size)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet(f"color: {style.MUTED.name()};")
    return label


def _show(label: QLabel, pixmap: QPixmap | None, size: tuple[int, int]) -> None:
    if pixmap is None:
        label.setText("no preview")
    else:
        label.setPixmap(pixmap.scaled(*size, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
