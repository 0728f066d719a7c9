"""Every user action of the app, declared once: what it is called, its keys, who handles it, when it works.

The GUI builds its menus, toolbar buttons and keyboard shortcuts from :data:`ACTIONS`
(:mod:`photocull.controllers.commands`); nothing here knows Qt. An action names its
handler as a string the window resolves to one of its controllers' methods, and says
when it is enabled with a predicate over :class:`AppState`.

The culling keys follow the Lightroom conventions photographers already know:
P pick, X reject, U unflag; 1–5 stars, 0 clears them; 6–9 Red, Yellow, Green, Blue.
:data:`DECISION_KEYS` says what each does to a decision (the session applies them,
the CLI and the tests read the same table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.decisions.record import KEEP, LABELS, PICK, REJECT, UNFLAGGED

# -- what a culling key does to a decision ----------------------------------------------------


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

    @property
    def moves_on(self) -> bool:
        """Whether the loupe may move to the next photo after it: flags and stars do, labels never
        (labels are often stacked on one photo)."""
        return self.changes_flag or self.rating is not KEEP


DECISION_KEYS: dict[str, DecisionKey] = {
    "P": DecisionKey("P", "pick", flag=PICK),
    "X": DecisionKey("X", "reject", flag=REJECT),
    "U": DecisionKey("U", "unflag", flag=UNFLAGGED),
    "0": DecisionKey("0", "clear stars", rating=0),
    **{str(n): DecisionKey(str(n), f"{n} star{'s' if n > 1 else ''}", rating=n) for n in range(1, 6)},
    **{str(6 + i): DecisionKey(str(6 + i), f"{label} label", label=label) for i, label in enumerate(LABELS[:4])},
}


def decision_for_key(text: str) -> DecisionKey | None:
    """The decision a key stands for (case-insensitive), or None."""
    return DECISION_KEYS.get(text.upper()) if text else None


# -- when an action is enabled ------------------------------------------------------------------

#: The pages of the window an action may depend on.
PAGES = ("welcome", "grid", "loupe", "compare")


@dataclass(frozen=True)
class AppState:
    """What an action's enabled-when predicate sees."""

    library_open: bool = False
    page: str = "welcome"


Predicate = Callable[[AppState], bool]


def always(state: AppState) -> bool:
    return True


def library_open(state: AppState) -> bool:
    return state.library_open


def in_loupe(state: AppState) -> bool:
    return state.library_open and state.page == "loupe"


def in_viewer(state: AppState) -> bool:
    return state.library_open and state.page in ("loupe", "compare")


def in_grid(state: AppState) -> bool:
    return state.library_open and state.page == "grid"


# -- the actions ------------------------------------------------------------------------------------

#: Where an action's shortcut works. APP: whatever has focus in the window, text boxes included
#: (Ctrl+S, undo). WINDOW: anywhere in the main window, but a text box keeps its own keys.
#: VIEWER: only inside the loupe and compare views (the grid keeps its own arrow keys).
APP, WINDOW, VIEWER = "app", "window", "viewer"

#: Menus, in menu-bar order.
MENUS = ("File", "Edit", "Photo", "View", "Personalize")


@dataclass(frozen=True)
class Action:
    id: str
    title: str                          # in a photographer's words, as menus show it
    handler: str                        # a handler name the window resolves (see MainWindow.handlers)
    shortcuts: tuple[str, ...] = ()     # portable key names: "Ctrl+S", "P", "Left"
    args: tuple = ()                    # passed to the handler
    menu: str = ""                      # one of MENUS; "" for keys that live in no menu
    enabled_when: Predicate = library_open
    scope: str = WINDOW
    tip: str = ""
    separator_before: bool = False      # a line above it in its menu


def _decision_action(binding: DecisionKey) -> Action:
    return Action(f"photo.{binding.description.replace(' ', '_')}", binding.description.capitalize(), "decide",
                  (binding.key,), (binding.key,), "Photo")


ACTIONS: tuple[Action, ...] = (
    Action("file.open", "Open folder…", "choose_folder", ("Ctrl+O",), menu="File", enabled_when=always, scope=APP),
    Action("file.write_sidecars", "Write sidecars now", "write_all_sidecars", ("Ctrl+S",), menu="File", scope=APP,
           tip="Write every photo's decisions into XMP files beside the photos"),
    Action("file.settings", "Settings…", "open_settings", ("Ctrl+,",), menu="File", enabled_when=always, scope=APP),
    Action("file.quit", "Quit", "quit", ("Ctrl+Q",), menu="File", enabled_when=always, scope=APP,
           separator_before=True),
    Action("edit.undo", "Undo", "undo", ("Ctrl+Z",), menu="Edit", scope=APP),
    Action("edit.redo", "Redo", "redo", ("Ctrl+Shift+Z", "Ctrl+Y"), menu="Edit", scope=APP),
    *(_decision_action(binding) for binding in DECISION_KEYS.values()),
    Action("photo.auto_cull", "Auto-cull…", "open_auto_cull", menu="Photo", separator_before=True,
           tip="Suggest picks (best of each burst) and rejects (eyes closed, subject soft) for you to confirm"),
    Action("view.grid", "Grid", "show_grid", ("G",), menu="View"),
    Action("view.loupe", "Loupe (current photo)", "show_loupe", ("E",), menu="View"),
    Action("view.compare", "Compare two (the selection, or the next candidate)", "show_compare", ("C",),
           ("2-up",), menu="View"),
    Action("view.survey", "Survey the selection side by side", "show_compare", ("N",), ("survey",), menu="View"),
    Action("view.burst", "Compare the whole burst", "show_compare", ("B",), ("burst",), menu="View"),
    Action("view.toggle_burst", "Expand or collapse the burst", "toggle_burst", ("Return",), menu="View",
           enabled_when=in_grid),
    Action("view.back", "Back to the grid", "show_grid", ("Escape",), menu="View"),
    Action("view.zoom", "Loupe: fit or 100 %", "loupe_toggle_zoom", ("Z",), menu="View", enabled_when=in_loupe,
           separator_before=True),
    Action("view.next_face", "Loupe: next face", "loupe_next_face", ("F",), menu="View", enabled_when=in_loupe),
    Action("view.sharpest", "Loupe: sharpest region", "loupe_sharpest", ("S",), menu="View", enabled_when=in_loupe),
    Action("view.faces", "Every face up close (eyes and focus, frame by frame)", "toggle_face_strip", ("V",),
           menu="View", enabled_when=in_viewer),
    Action("view.quality_map", "Loupe: where the photo loses image quality", "toggle_quality_map", ("Q",),
           menu="View", enabled_when=in_loupe,
           tip="Tint the parts of the photo that are softer, noisier or damaged than the rest"),
    Action("view.previous", "Previous photo", "step", ("Left", "Up"), (-1,), scope=VIEWER),
    Action("view.next", "Next photo", "step", ("Right", "Down"), (1,), scope=VIEWER),
    Action("personalize.fit", "Personalize from my picks", "personalize", menu="Personalize",
           tip="Learn your taste from the photos you picked and rejected"),
    Action("personalize.calibrate", "Help me calibrate…", "calibrate", menu="Personalize",
           tip="Answer a few this-or-that questions about close pairs"),
    Action("personalize.export", "Export personal model…", "export_personal_model", menu="Personalize",
           separator_before=True),
    Action("personalize.import", "Import personal model…", "import_personal_model", menu="Personalize"),
    Action("personalize.reset", "Reset personal model", "reset_personal_model", menu="Personalize"),
)

ACTIONS_BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}


def menu_actions(menu: str) -> list[Action]:
    """The actions of ``menu``, in declaration order."""
    return [action for action in ACTIONS if action.menu == menu]


def key_help() -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a key, for help texts and the README."""
    return [(" / ".join(action.shortcuts), action.title) for action in ACTIONS if action.shortcuts]
