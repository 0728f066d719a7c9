""""Help me calibrate": the personal model's least-sure A/B pairs, one at a time, side by side.

The questions come from :func:`engine.personalize.least_sure_pairs` (the pairs whose
answer teaches the model most). The user picks the better photo with a click, the
arrow keys or 1 / 2; each answer is handed to ``answer(winner_id, loser_id)`` at once
(so quitting half-way keeps what was answered), and the next pair is shown. S or
Space skips a pair. The caller re-runs personalize afterwards when anything was answered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.culling.cull_photo import CullPhoto
from engine.personalize import CalibrationPair
from photocull.views.canvas import ImageCanvas, SharedViewport, caption_for
from photocull.workers import PreviewLoader

LEFT_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_1)
RIGHT_KEYS = (Qt.Key.Key_Right, Qt.Key.Key_2)
SKIP_KEYS = (Qt.Key.Key_S, Qt.Key.Key_Space)


class CalibrateDialog(QDialog):
    def __init__(self, pairs: Sequence[CalibrationPair], photo: Callable[[int], CullPhoto], previews: PreviewLoader,
                 answer: Callable[[int, int], None], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Help me calibrate")
        self.resize(1100, 640)
        self.pairs = list(pairs)
        self.photo, self.answer = photo, answer
        self.index = 0
        self.answered = 0
        self.question = QLabel()
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        shared = SharedViewport(self)   # both panes fit; no zoom here
        self.panes = [ImageCanvas(previews, shared, self), ImageCanvas(previews, shared, self)]
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        row = QHBoxLayout()
        for side, pane in enumerate(self.panes):
            pane.clicked.connect(lambda side=side: self.choose(side))
            row.addWidget(pane, 1)
        layout.addLayout(row, 1)
        layout.addLayout(self._choice_buttons())
        done = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        done.rejected.connect(self.reject)
        for button in done.buttons():
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # Space skips; it must not press "Close"
            button.setAutoDefault(False)
        layout.addWidget(done)
        self._show_pair()

    def _choice_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        for text, slot in (("Left is better  (1 / ←)", lambda: self.choose(0)), ("Skip  (S)", self.skip),
                           ("Right is better  (2 / →)", lambda: self.choose(1))):
            button = QPushButton(text)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # the keys belong to the dialog
            button.clicked.connect(slot)
            buttons.addWidget(button)
        return buttons

    @property
    def current(self) -> CalibrationPair | None:
        return self.pairs[self.index] if self.index < len(self.pairs) else None

    def choose(self, side: int) -> None:
        """The photo on ``side`` (0 left, 1 right) is the better one: record it, show the next pair."""
        pair = self.current
        if pair is None:
            return
        winner, loser = (pair.first_id, pair.second_id) if side == 0 else (pair.second_id, pair.first_id)
        self.answer(winner, loser)
        self.answered += 1
        self._next()

    def skip(self) -> None:
        self._next()

    def _next(self) -> None:
        self.index += 1
        if self.current is None:
            self.accept()
        else:
            self._show_pair()

    def _show_pair(self) -> None:
        pair = self.current
        if pair is None:
            return
        self.question.setText(f"Which do you prefer?  Pair {self.index + 1} of {len(self.pairs)}"
                              + ("  (frames of one burst)" if pair.kind == "burst" else ""))
        for pane, pid in zip(self.panes, (pair.first_id, pair.second_id)):
            photo = self.photo(pid)
            pane.set_photo(photo, caption_for(photo, show_insights=False))

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in LEFT_KEYS:
            self.choose(0)
        elif key in RIGHT_KEYS:
            self.choose(1)
        elif key in SKIP_KEYS:
            self.skip()
        else:
            super().keyPressEvent(event)
