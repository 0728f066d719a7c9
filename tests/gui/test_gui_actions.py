"""The window's menus, toolbar and keys come from the one declared list (engine.culling.actions)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence

from engine.culling.actions import ACTIONS, MENUS, menu_actions
from tests.helpers.gui_window import open_window


def test_menus_and_keys_are_the_declared_actions_enabled_as_declared(qtbot):
    win = open_window(qtbot, None)
    menus = [action.menu() for action in win.menuBar().actions()]
    assert [menu.title().lstrip("&") for menu in menus] == list(MENUS)
    for menu in menus:
        titles = [a.text() for a in menu.actions()
                  if not a.isSeparator() and a.menu() is None and a is not win.personal.state_line]
        assert titles == [action.title for action in menu_actions(menu.title().lstrip("&"))]
    for action in ACTIONS:
        bound = win.commands[action.id]
        assert [key.toString() for key in bound.shortcuts()] == [QKeySequence(k).toString() for k in action.shortcuts]
    assert win.menuBar().actions()[MENUS.index("Personalize")].menu().actions()[0] is win.personal.state_line, \
        "the personal model's state heads its menu (information, not an action)"
    assert win.commands["file.open"].isEnabled() and not win.commands["edit.undo"].isEnabled(), "no library yet"
    win.close()


def test_opening_a_library_enables_its_actions_and_the_page_decides_the_loupe_tools(window):
    assert window.commands["edit.undo"].isEnabled() and window.commands["photo.pick"].isEnabled()
    assert not window.commands["view.zoom"].isEnabled()
    window.navigation.show_loupe(0)
    assert window.commands["view.zoom"].isEnabled() and not window.commands["view.toggle_burst"].isEnabled()
