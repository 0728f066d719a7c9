"""The Qt side of :mod:`engine.culling.actions`: one QAction per declared action, in menus and on keys.

The declarations say what; this module only binds: a QAction per action, its
shortcuts in the right context (app-wide ones also win over a focused text box),
the menus in :data:`~engine.culling.actions.MENUS` order, and the enabled state
re-read from :class:`~engine.culling.actions.AppState` whenever it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from engine.culling.actions import ACTIONS, APP, MENUS, VIEWER, Action, AppState

#: Widgets that keep some keys for themselves (undo while typing, say) unless told otherwise.
TEXT_BOXES = (QLineEdit, QAbstractSpinBox, QComboBox, QTextEdit, QPlainTextEdit)


class Commands(QObject):
    """The window's QActions, built from :data:`ACTIONS` and ``handlers`` (handler name → callable)."""

    def __init__(self, window: QWidget, handlers: Mapping[str, Callable], viewers: tuple[QWidget, ...]):
        super().__init__(window)
        self.window = window
        self.qactions: dict[str, QAction] = {}
        self._app_keys: set[str] = set()
        for action in ACTIONS:
            self.qactions[action.id] = self._bind(action, handlers[action.handler], viewers)
        QApplication.instance().focusChanged.connect(self._watch_focus)

    def __getitem__(self, action_id: str) -> QAction:
        return self.qactions[action_id]

    def _bind(self, action: Action, handler: Callable, viewers: tuple[QWidget, ...]) -> QAction:
        qaction = QAction(action.title, self.window)
        qaction.setShortcuts([QKeySequence(key) for key in action.shortcuts])
        if action.tip:
            qaction.setToolTip(action.tip)
            qaction.setStatusTip(action.tip)
        qaction.triggered.connect(lambda _checked=False, args=action.args: handler(*args))
        if action.scope == VIEWER:
            qaction.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            for viewer in viewers:
                viewer.addAction(qaction)
        else:
            self.window.addAction(qaction)   # shortcuts work even where no menu is visible
        if action.scope == APP:   # whichever window of the app is active, whatever has focus in it
            qaction.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            self._app_keys.update(QKeySequence(key).toString() for key in action.shortcuts)
        return qaction

    def fill_menus(self, bar: QMenuBar, extra: Mapping[str, Callable[[QMenu], None]] | None = None) -> dict[str, QMenu]:
        """One menu per name in MENUS holding its actions; ``extra[name]`` adds what is not an action
        (the recent-folders submenu) after the menu's first entry."""
        extra = extra or {}
        menus = {}
        for name in MENUS:
            menu = menus[name] = bar.addMenu(f"&{name}")
            for position, action in enumerate(a for a in ACTIONS if a.menu == name):
                if action.separator_before:
                    menu.addSeparator()
                menu.addAction(self.qactions[action.id])
                if position == 0 and name in extra:
                    extra[name](menu)
        return menus

    def update(self, state: AppState) -> None:
        """Enable each action as its predicate says for ``state``."""
        for action in ACTIONS:
            self.qactions[action.id].setEnabled(action.enabled_when(state))

    def _watch_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Each text box of this window that takes focus gets the filter below (installing twice is harmless)."""
        if isinstance(new, TEXT_BOXES) and new.window() is self.window:
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Claim the app-wide keys before a focused text box does (the score box's own undo, say)."""
        if event.type() == QEvent.Type.ShortcutOverride \
                and QKeySequence(event.keyCombination()).toString() in self._app_keys:
            event.ignore()
            return True
        return False
