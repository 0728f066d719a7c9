"""Screenshots of every main view: ``python tools/screenshots.py DIR OUTDIR``.

Opens photocull on DIR (offscreen unless a display is set), waits for scan and
analysis to finish, and writes grid.png, grid_bursts_expanded.png, grid_by_score.png,
status_no_aesthetic.png (while no aesthetic model is installed), loupe.png, loupe_100.png,
quality_map.png (the loupe's Q, on the lowest-scored photo whose reasons say where it loses image quality),
compare.png, burst.png, survey.png, loupe_faces.png and burst_faces.png (the face strip, on
the burst with the most faces), grid_by_personal.png (with a personal model fitted on random
picks and rejects), settings.png, auto_cull.png (and auto_cull_end.png, scrolled to its end)
and calibrate.png into OUTDIR; ``--only auto_cull,grid`` takes just those. Settings and
catalogs go to a temporary XDG home, so the user's own are never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def isolate_user_dirs() -> None:
    home = Path(tempfile.mkdtemp(prefix="photocull-shots-"))
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        (home / var.lower()).mkdir()
        os.environ[var] = str(home / var.lower())
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--only", type=lambda text: set(text.split(",")), default=None, metavar="NAME,...",
                        help="take only these shots (names without .png)")
    args = parser.parse_args(argv)
    isolate_user_dirs()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from photocull.app import create_window, parse_args, ready_for_grab
    from photocull.style import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    window = create_window(parse_args(["--open", str(args.folder)]))
    window.resize(1400, 900)
    window.show()
    deadline = time.monotonic() + args.timeout
    while not ready_for_grab(window):
        if time.monotonic() > deadline:
            print(f"timed out: {window.statusBar().currentMessage()}", file=sys.stderr)
            return 1
        app.processEvents()
        time.sleep(0.02)
    args.outdir.mkdir(parents=True, exist_ok=True)

    def settle(seconds: float = 0.6) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str, widget=None) -> None:
        if args.only and name not in args.only:
            return
        settle()
        deadline = time.monotonic() + 15
        while window.previews.loading and time.monotonic() < deadline:   # no "loading…" panes
            settle(0.1)
        settle(0.2)
        (widget or window).grab().save(str(args.outdir / f"{name}.png"))
        print(args.outdir / f"{name}.png")

    def loupe_shot(row: int, toggle, name: str) -> None:
        """The loupe on ``row`` with one of its tools toggled on for the shot, and off again."""
        window.navigation.show_loupe(row)
        toggle()
        shot(name)
        toggle()

    session = window.session
    burst_row = next((row for row, p in enumerate(session.visible) if p.insight.burst_id is not None), 0)
    window.grid.setCurrentIndex(window.model.index(burst_row))
    shot("grid")
    window.filters.toggle_burst()
    shot("grid_bursts_expanded")
    window.filters.toggle_burst()
    window.filters.set_sort("score")
    window.grid.scrollToTop()
    shot("grid_by_score")
    if window.work.registry is not None and window.work.registry.sort_score().task != "aesthetic":
        shot("status_no_aesthetic", window.statusBar())
    window.filters.toggle_burst()
    window.navigation.current_row = 0
    window.navigation.show_loupe(0)
    shot("loupe")
    window.navigation.loupe_toggle_zoom()
    shot("loupe_100")
    window.navigation.loupe_toggle_zoom()
    map_row = _weak_region_row(session)
    if map_row is not None:
        loupe_shot(map_row, window.navigation.toggle_quality_map, "quality_map")
    window.navigation.show_grid()
    burst_row = next((row for row, p in enumerate(session.visible) if p.insight.burst_id is not None), 0)
    window.grid.setCurrentIndex(window.model.index(burst_row))
    window.navigation.show_compare("2-up")
    shot("compare")
    window.navigation.show_grid()
    window.grid.setCurrentIndex(window.model.index(burst_row))
    window.navigation.show_compare("burst")
    shot("burst")
    window.navigation.show_grid()
    window.grid.selectAll()
    window.navigation.show_compare("survey")
    shot("survey")
    window.navigation.show_grid()
    window.grid.clearSelection()
    faces_row = _most_faces_burst_row(session)
    if faces_row is not None:
        loupe_shot(faces_row, window.navigation.toggle_face_strip, "loupe_faces")
        window.navigation.show_grid()
        window.grid.setCurrentIndex(window.model.index(faces_row))
        window.navigation.show_compare("burst")
        window.navigation.toggle_face_strip()
        shot("burst_faces")
        window.navigation.toggle_face_strip()
    window.navigation.show_grid()
    window.grid.clearSelection()
    finished: set[str] = set()
    for name, opener in (("settings", window.preferences.open_settings), ("auto_cull", window.decisions.open_auto_cull),
                         ("calibrate", window.personal.calibrate)):
        if args.only and name not in args.only:
            continue
        QTimer.singleShot(100, lambda name=name: _grab_dialog(window, name, args.outdir,
                                                                time.monotonic() + DIALOG_WAIT_S, finished))
        opener()
        while name not in finished:   # the calibration dialog opens only after its questions are found
            settle(0.1)
    if not args.only or "grid_by_personal" in args.only:   # last: it flags photos, so auto-cull would see fewer
        _demonstration_taste(window.session)
        window.library.reload()
        while not ready_for_grab(window):
            settle(0.1)
        window.filters.set_sort("personal")
        window.grid.scrollToTop()
        shot("grid_by_personal")
    window.work.stop()
    window.close()
    return 0


def _demonstration_taste(session, decisions: int = 40) -> None:
    """A personal model fitted on a plain taste (picks: photos with people; rejects: photos without),
    drawn seeded from the shoot, so the personal sort has something to show; it lives in the
    temporary XDG home like everything else here."""
    import numpy as np

    from engine.decisions.record import PICK, REJECT, set_decisions
    from engine.personalize import store
    from engine.personalize.dataset import read_preferences
    from engine.personalize.features import read_raw_features
    from engine.personalize.fit import fit_model

    rng = np.random.default_rng(7)
    people = [p.id for p in session.photos if p.insight.faces]
    others = [p.id for p in session.photos if not p.insight.faces]
    catalog = session.catalog
    set_decisions(catalog, rng.permutation(people)[: decisions // 2].tolist(), flag=PICK)
    set_decisions(catalog, rng.permutation(others)[: decisions // 2].tolist(), flag=REJECT)
    raw = read_raw_features(catalog)
    store.save_model(catalog, fit_model(raw, read_preferences(catalog, known=set(raw.index_of()))))


def _weak_region_row(session) -> int | None:
    """The lowest-scored photo whose reasons name where it loses image quality, else the first with that picture."""
    rows = [row for row, p in enumerate(session.visible) if p.insight.quality_map]
    named = sorted((row for row in rows if session.visible[row].insight.weak_region),
                   key=lambda row: session.visible[row].insight.score or 0.0)
    return (named or rows or [None])[0]


def _most_faces_burst_row(session) -> int | None:
    """The grid row of the burst whose frames hold the most faces (None without bursts)."""
    framed = [p for p in session.photos if p.insight.burst_id is not None]
    if not framed:
        return None
    best = max(framed, key=lambda p: sum(len(m.insight.faces) for m in session.burst_members(p.id)))
    rows = [session.row_of(m.id) for m in session.burst_members(best.id)]
    return next((row for row in rows if row is not None), None)


DIALOG_WAIT_S = 20     # the calibration questions are computed in a worker first
DIALOG_SETTLE_S = 1.5  # time for the dialog's previews to load


def _grab_dialog(window, name: str, outdir: Path, deadline: float, finished: set[str],
                 shown_at: float | None = None) -> None:
    """Grab the dialog once it has been visible for DIALOG_SETTLE_S, then close it; ``name`` joins ``finished``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QScrollArea

    dialog = window.open_dialog
    now = time.monotonic()
    if dialog is not None and dialog.isVisible():
        shown_at = shown_at or now
        if now - shown_at >= DIALOG_SETTLE_S:
            dialog.grab().save(str(outdir / f"{name}.png"))
            print(outdir / f"{name}.png")
            scroll = dialog.findChild(QScrollArea)
            if scroll is not None:   # a long dialog (auto-cull): its end too
                scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
                dialog.grab().save(str(outdir / f"{name}_end.png"))
                print(outdir / f"{name}_end.png")
            dialog.reject()
            finished.add(name)
            return
    if now > deadline:
        print(f"{name}: no dialog appeared ({window.statusBar().currentMessage()})", file=sys.stderr)
        finished.add(name)
        return
    QTimer.singleShot(100, lambda: _grab_dialog(window, name, outdir, deadline, finished, shown_at))


if __name__ == "__main__":
    sys.exit(main())
