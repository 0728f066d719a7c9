"""Sort, filter and bursts: the toolbar's sort box and bursts switch, the filter bar, and the window title's counts.

The widgets only collect choices; :class:`engine.culling.session.CullingSession`
sorts and filters, and :meth:`NavigationController.relist` shows the result with
the current photo kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QToolBar, QToolButton

from engine.culling.filters import DEFAULT_SCORE_BOUNDS, PhotoFilter, score_bounds
from engine.culling.score_words import score_tooltip, sort_explanation
from engine.culling.sorting import SORT_LABELS, available_sorts
from engine.inference.score_scale import SCORE_MEANING

if TYPE_CHECKING:
    from photocull.main_window import MainWindow

FLAG_FILTERS = (("All photos", None), ("Picks", frozenset({1})), ("Picks + unflagged", frozenset({1, 0})),
                ("Unflagged", frozenset({0})), ("Rejects", frozenset({-1})))
LABEL_FILTERS = (("Any label", None), ("Red", frozenset({"Red"})), ("Yellow", frozenset({"Yellow"})),
                 ("Green", frozenset({"Green"})), ("Blue", frozenset({"Blue"})), ("No label", frozenset({None})))


class FilterSortController:
    HANDLES = ("toggle_burst",)

    def __init__(self, window: MainWindow):
        self.window = window
        self.score_range = DEFAULT_SCORE_BOUNDS
        self.score_label, self.score_tip = SORT_LABELS["score"], ""

    # -- widgets ------------------------------------------------------------------------------------

    def add_sort_widgets(self, bar: QToolBar) -> None:
        bar.addWidget(QLabel("Sort"))
        self.sort_box = QComboBox()
        self.sort_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._fill_sort_box(available_sorts([]))
        self.sort_box.currentIndexChanged.connect(lambda: self.set_sort(self.sort_box.currentData()))
        bar.addWidget(self.sort_box)
        self.bursts_button = _toggle("Bursts collapsed", "Show each burst as its best frame (Return expands one)")
        self.bursts_button.setChecked(True)
        self.bursts_button.toggled.connect(self.set_collapse_bursts)
        bar.addWidget(self.bursts_button)

    def fill_filter_bar(self, bar: QToolBar) -> None:
        bar.addWidget(QLabel("Show"))
        # (filter values are looked up by index: PySide 6.12 on Python 3.11 mis-counts references
        #  when a None item data crosses QVariant, so None never goes into a combo box)
        self.flag_box = _combo(text for text, _ in FLAG_FILTERS)
        self.stars_box = _combo(["Any stars"] + [f"≥ {n}★" for n in range(1, 6)])
        self.label_box = _combo(text for text, _ in LABEL_FILTERS)
        for box in (self.flag_box, self.stars_box, self.label_box):
            box.currentIndexChanged.connect(self.apply_filter_controls)
            bar.addWidget(box)
        self.eyes_button = _toggle("Eyes closed", "Only photos where analysis found closed eyes")
        self.blurry_button = _toggle("Blurry", "Only photos whose subject analysis found soft")
        for button in (self.eyes_button, self.blurry_button):
            button.toggled.connect(self.apply_filter_controls)
            bar.addWidget(button)
        bar.addWidget(QLabel("Score"))
        self.score_min, self.score_max = _score_spin(*self.score_range, 0), _score_spin(*self.score_range, 1)
        for spin in (self.score_min, self.score_max):
            spin.valueChanged.connect(self.apply_filter_controls)
            bar.addWidget(spin)

    # -- the sort box ----------------------------------------------------------------------------------

    def describe_score_sort(self, sort) -> None:
        """Name the score sort after what it measures (``registry.sort_score()``), with what it means as tip."""
        task = {"aesthetic": "Aesthetic score", "technical": "Quality score"}.get(sort.task or "", "Score")
        self.score_label, self.score_tip = task, score_tooltip(sort.task)
        self._label_score_sort()

    def _label_score_sort(self) -> None:
        row = self.sort_box.findData("score")
        self.sort_box.setItemText(row, self.score_label)
        self.sort_box.setItemData(row, self.score_tip, Qt.ItemDataRole.ToolTipRole)

    def _fill_sort_box(self, keys: tuple[str, ...]) -> None:
        current = self.sort_box.currentData() or "time"
        self.sort_box.blockSignals(True)
        self.sort_box.clear()
        for key in keys:
            self.sort_box.addItem(SORT_LABELS[key], key)
        self.sort_box.setCurrentIndex(max(0, self.sort_box.findData(current)))
        self.sort_box.blockSignals(False)
        self._label_score_sort()

    def update_sort_options(self) -> None:
        """Offer "Personal score" exactly when the personal model scores this library."""
        session = self.window.session
        keys = available_sorts(session.photos)
        if keys == tuple(self.sort_box.itemData(i) for i in range(self.sort_box.count())):
            return
        self._fill_sort_box(keys)
        if session.state.sort not in keys:
            self.set_sort("score")

    def update_score_range(self) -> None:
        """Stretch the score filter to the library's scores; an end left at its bound stays open."""
        bounds = score_bounds(self.window.session.photos)
        if bounds == self.score_range:
            return
        old, self.score_range = self.score_range, bounds
        for spin, end in ((self.score_min, 0), (self.score_max, 1)):
            spin.blockSignals(True)
            was_open = spin.value() == old[end]
            spin.setRange(*bounds)
            if was_open:
                spin.setValue(bounds[end])
            spin.blockSignals(False)

    # -- applying choices ---------------------------------------------------------------------------

    def set_sort(self, key: str) -> None:
        window = self.window
        if window.session is None:
            return
        window.navigation.relist(lambda: window.session.set_sort(key))
        row = self.sort_box.findData(key)
        if row >= 0 and row != self.sort_box.currentIndex():
            self.sort_box.blockSignals(True)
            self.sort_box.setCurrentIndex(row)
            self.sort_box.blockSignals(False)
        registry = window.work.registry
        task = registry.sort_score().task if registry is not None else None
        personal_on = any(p.insight.personal_score is not None for p in window.session.photos)
        if explanation := sort_explanation(key, task, personal_on=personal_on):
            window.say(explanation)

    def apply_filter_controls(self) -> None:
        low, high = self.score_min.value(), self.score_max.value()
        photo_filter = PhotoFilter(
            flags=FLAG_FILTERS[self.flag_box.currentIndex()][1], min_stars=self.stars_box.currentIndex(),
            labels=LABEL_FILTERS[self.label_box.currentIndex()][1], eyes_closed=self.eyes_button.isChecked(),
            blurry=self.blurry_button.isChecked(),
            min_score=low if low > self.score_range[0] else None, max_score=high if high < self.score_range[1] else None,
        )
        session = self.window.session
        if session is not None:
            self.window.navigation.relist(lambda: session.set_filter(photo_filter))

    def set_collapse_bursts(self, collapse: bool) -> None:
        session = self.window.session
        if session is not None:
            self.window.navigation.relist(lambda: session.set_collapse_bursts(collapse))

    def toggle_burst(self) -> None:
        window = self.window
        photo = window.navigation.current_photo()
        if photo is not None and window.navigation.page == "grid":
            window.navigation.relist(lambda: window.session.toggle_burst(photo.id))

    def update_counts(self) -> None:
        """The window title: the library, what is shown and the picks and rejects so far."""
        session = self.window.session
        if session is None:
            return
        counts = session.counts()
        described = session.state.filter.describe()
        shown = f"{counts['shown']} shown ({described}) of " if described else ""
        self.window.setWindowTitle(f"photocull — {session.root} — {shown}{counts['photos']} photos, "
                                   f"{counts['picks']} picks, {counts['rejects']} rejects")


def _toggle(text: str, tip: str) -> QToolButton:
    button = QToolButton(text=text, checkable=True)
    button.setToolTip(tip)
    return button


def _combo(texts) -> QComboBox:
    box = QComboBox()
    box.addItems(list(texts))
    return box


def _score_spin(low: float, high: float, end: int) -> QDoubleSpinBox:
    """One end of the score filter; at its bound (the library's lowest / highest score) it is open."""
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(5)
    spin.setDecimals(0)
    spin.setValue((low, high)[end])
    spin.setToolTip(f"Scores shown, 0–100 (at 0 or 100 the range is open ended). {SCORE_MEANING}")
    return spin
