"""The real window, driven offscreen with pytest-qt on a folder of real photos (scikit-image samples):
catalog → thumbnails → keys → catalog → undo (fixtures: :mod:`gui_window`)."""

from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication

from engine import personalize as taste
from engine.config.settings import AppSettings, load_settings
from engine.culling.filters import score_bounds
from engine.decisions.record import PICK, REJECT, UNFLAGGED
from engine.library.catalog import Catalog
from engine.library.photo_changes import PhotoChanges
from tests.helpers.gui_window import burst_cover_row, flags_in_catalog, library_root, press, row_of


def test_opening_shows_thumbnails_and_the_analysed_burst_collapsed(window, shoot):
    session = window.session
    assert len(session.photos) == 11
    assert window.model.rowCount() == 7, "the 5-frame burst is one tile"
    assert window.model.thumbnails_shown() == 7
    cover = session.visible[burst_cover_row(window)]
    assert cover.insight.burst_size == 5 and cover.insight.is_burst_best
    assert cover.name in {p.name for p in shoot["burst"]}
    blurred = next(p for p in session.photos if p.name == "DSC_0102.jpg")
    assert blurred.insight.burst_rank == 5 and blurred.insight.blurry, "the degraded frame ranks last"
    assert "11 photos, 1 burst" in window.statusBar().currentMessage()
    assert "Scoring:" in window.work.device_label.text()


def test_grid_keys_apply_to_the_selection_then_undo_and_redo(window, qtbot, shoot):
    root = library_root(shoot)
    window.filters.sort_box.setCurrentIndex(window.filters.sort_box.findData("name"))
    assert [p.name for p in window.session.visible][:2] == ["DSC_0000.jpg", "DSC_0001.jpg"]
    window.grid.setFocus()
    selection = window.grid.selectionModel()
    for row in (0, 1):
        selection.select(window.model.index(row), QItemSelectionModel.SelectionFlag.Select)
    press(qtbot, window, "p")
    press(qtbot, window, "4")
    flags = flags_in_catalog(root)
    assert flags["DSC_0000.jpg"] == flags["DSC_0001.jpg"] == PICK and flags["DSC_0002.jpg"] == UNFLAGGED
    assert window.session.visible[0].record.rating == 4
    qtbot.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.visible[0].record.rating == 0 and window.session.visible[0].record.flag == PICK
    qtbot.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert flags_in_catalog(root)["DSC_0001.jpg"] == UNFLAGGED
    qtbot.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert flags_in_catalog(root)["DSC_0001.jpg"] == PICK
    assert "picks" in window.windowTitle()


def test_loupe_flags_the_current_photo_and_auto_advances(window, qtbot, shoot):
    window.grid.setCurrentIndex(window.model.index(0))
    window.grid.setFocus()
    press(qtbot, window, "e")
    assert window.stack.currentWidget() is window.loupe
    first = window.loupe.photo
    qtbot.waitUntil(lambda: window.previews.best(first) is not None, timeout=10_000)
    press(qtbot, window, "x")
    assert window.session.photo(first.id).record.flag == REJECT
    assert window.loupe.photo.id != first.id and window.navigation.current_row == 1, "auto-advance"
    press(qtbot, window, "7")                                   # a label does not advance
    assert window.navigation.current_row == 1 and window.loupe.photo.record.label == "Yellow"
    qtbot.keyClick(window.loupe, Qt.Key.Key_Left)
    assert window.loupe.photo.id == first.id
    press(qtbot, window, "z")
    assert window.loupe.shared.viewport.zoom == 1.0
    press(qtbot, window, "g")
    assert window.stack.currentWidget() is window.grid


def test_compare_the_whole_burst_with_synchronised_zoom(window, qtbot):
    cover = window.session.visible[burst_cover_row(window)]
    window.grid.setCurrentIndex(window.model.index(burst_cover_row(window)))
    window.grid.setFocus()
    press(qtbot, window, "b")
    compare = window.compare
    assert window.stack.currentWidget() is compare and compare.mode == "burst"
    names = [p.name for p in compare.photos]
    assert len(names) == 5 and names[0] == cover.name and names[-1] == "DSC_0102.jpg", "best first, blurred last"
    compare.shared.set(compare.shared.viewport.toggled((640, 480), (300, 200), at=(0.3, 0.4)))
    assert all(p.shared.viewport.center == (0.3, 0.4) for p in compare.panes[:5])
    compare.panes[4].clicked.emit()
    press(qtbot, window, "x")
    assert window.session.photo(compare.photos[4].id).record.flag == REJECT
    assert "reject" in compare.panes[4].caption


def test_compare_two_up_keeps_the_champion_while_the_candidate_steps(window, qtbot):
    window.filters.bursts_button.setChecked(False)
    window.filters.sort_box.setCurrentIndex(window.filters.sort_box.findData("name"))
    window.grid.setCurrentIndex(window.model.index(row_of(window, "DSC_0100.jpg")))
    window.grid.setFocus()
    press(qtbot, window, "c")
    compare = window.compare
    champion, candidate = compare.photos
    assert champion.name == "DSC_0100.jpg"
    assert candidate.insight.burst_id == champion.insight.burst_id, "the first challenger is a frame of its burst"
    assert compare.active == 1, "keys go to the candidate"
    qtbot.keyClick(compare, Qt.Key.Key_Right)
    following = [p.name for p in window.session.visible[row_of(window, candidate.name) + 1:] if p.id != champion.id]
    assert [p.name for p in compare.photos] == ["DSC_0100.jpg", following[0]], "the champion stays"


def test_expanding_a_burst_and_filtering_blurry(window, qtbot):
    window.grid.setCurrentIndex(window.model.index(burst_cover_row(window)))
    window.grid.setFocus()
    qtbot.keyClick(window.grid, Qt.Key.Key_Return)
    assert window.model.rowCount() == 11
    window.filters.blurry_button.setChecked(True)
    assert [p.name for p in window.session.visible] == ["DSC_0102.jpg"]
    assert "blurry" in window.windowTitle()


def test_auto_cull_shows_pictures_by_burst_and_applies_the_ticked_in_one_undoable_step(window, qtbot, shoot):
    cover = window.session.visible[burst_cover_row(window)].name
    applied: list[str] = []

    def answer() -> None:
        dialog = window.open_dialog
        burst = next(group for group in dialog.groups if group.title.startswith("Burst of 5 frames"))
        assert [p.name for p, _ in burst.items][0] == cover, "the burst's pick comes first"
        tiles = {tile.photo.name: tile for tile in dialog.tiles}
        assert tiles[cover].tick.text() == "Pick" and tiles["DSC_0102.jpg"].tick.text() == "Reject"
        assert all(tile.tick.isChecked() and tile.reason.text() for tile in dialog.tiles)
        qtbot.waitUntil(lambda: all(not tile.picture.pixmap().isNull() for tile in dialog.tiles), timeout=10_000)
        tiles[cover].picture.mousePressEvent(None)   # a click on the picture unticks it: only rejects go through
        applied.extend(name for name, tile in tiles.items() if tile.tick.isChecked())
        assert dialog.accept_button.text() == f"Apply {len(applied)} suggestion{'s' if len(applied) != 1 else ''}"
        dialog.accept()

    QTimer.singleShot(200, answer)
    window.decisions.open_auto_cull()
    qtbot.waitUntil(window.isActiveWindow)
    flags = flags_in_catalog(library_root(shoot))
    assert "DSC_0102.jpg" in applied and all(flags[name] == REJECT for name in applied) and flags[cover] == UNFLAGGED
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    flags = flags_in_catalog(library_root(shoot))
    assert all(flags[name] == UNFLAGGED for name in applied), "one Ctrl+Z takes the whole apply back"


def test_app_shortcuts_work_after_a_dialog_closed_with_escape_and_in_the_filter_box(window, qtbot, shoot):
    window.grid.setCurrentIndex(window.model.index(0))
    window.grid.setFocus()
    press(qtbot, window, "p")
    first = window.model.photo_at(0)
    QTimer.singleShot(200, lambda: qtbot.keyClick(window.open_dialog, Qt.Key.Key_Escape))
    window.decisions.open_auto_cull()
    assert not window.open_dialog.isVisible()
    qtbot.waitUntil(window.isActiveWindow)
    assert QApplication.focusWidget() is window.grid, "the keyboard is back on the grid"
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Sidecars:"), timeout=10_000)
    assert (library_root(shoot) / f"{first.record.stem}.xmp").exists()
    box = window.filters.score_min
    box.setFocus()
    qtbot.waitUntil(box.hasFocus)
    value = box.value()
    qtbot.keyClick(box, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.photo(first.id).record.flag == UNFLAGGED, "Ctrl+Z in the score box undoes the pick"
    assert box.value() == value


def test_undo_returns_to_the_photo_it_changed(window, qtbot):
    window.grid.setCurrentIndex(window.model.index(0))
    window.grid.setFocus()
    press(qtbot, window, "e")
    first = window.loupe.photo
    press(qtbot, window, "x")
    assert window.loupe.photo.id != first.id, "auto-advance"
    qtbot.keyClick(window.loupe, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.loupe.photo.id == first.id and window.session.photo(first.id).record.flag == UNFLAGGED
    press(qtbot, window, "g")
    window.grid.setCurrentIndex(window.model.index(3))
    press(qtbot, window, "4")
    changed = window.model.photo_at(3).id
    window.grid.setCurrentIndex(window.model.index(6))
    qtbot.keyClick(window.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.navigation.current_row == 3 and window.grid.currentIndex().row() == 3
    assert window.navigation.target_ids() == [changed] and window.session.photo(changed).record.rating == 0


def test_advancing_after_a_decision_is_a_setting(window, qtbot):
    window.settings = window.session.settings = replace(window.settings, auto_advance=False)
    window.navigation.show_loupe(0)
    first = window.loupe.photo
    press(qtbot, window, "p")
    assert window.loupe.photo.id == first.id and window.session.photo(first.id).record.flag == PICK


def in_view(window, row: int) -> bool:
    rect = window.grid.visualRect(window.model.index(row))
    return rect.isValid() and window.grid.viewport().rect().contains(rect.center())


def test_current_photo_stays_current_and_in_view_through_sorting_and_regrouping(window, qtbot):
    window.resize(560, 420)                                    # a few tiles on screen: scrolling matters
    session = window.session
    grouped = {p.id: p for p in session.photos}
    ungrouped = (replace(p, insight=replace(p.insight, burst_id=None, burst_kind="single", burst_size=1, burst_rank=None))
                 for p in session.photos)
    window.library.merge(PhotoChanges(changed=tuple(ungrouped)))
    assert window.model.rowCount() == 11, "before grouping every frame is a tile"
    frame = next(p for p in grouped.values() if p.name == "DSC_0102.jpg")
    window.grid.setCurrentIndex(window.model.index(session.row_of(frame.id)))
    window.grid.scrollTo(window.grid.currentIndex())
    qtbot.wait(50)
    rows = {session.row_of(frame.id)}
    for sort in ("score", "name", "time"):
        window.filters.sort_box.setCurrentIndex(window.filters.sort_box.findData(sort))
        qtbot.wait(50)
        row = window.navigation.current_row
        assert window.model.photo_at(row).id == frame.id and window.grid.currentIndex().row() == row
        assert in_view(window, row), f"still on screen after sorting by {sort}"
        rows.add(row)
    assert len(rows) > 1, "the sorts did move it"
    window.library.merge(PhotoChanges(changed=tuple(grouped.values())))   # grouping finished: the burst folds
    qtbot.wait(50)
    row = window.navigation.current_row
    assert window.model.rowCount() == 7
    assert window.model.photo_at(row).insight.burst_id == grouped[frame.id].insight.burst_id, "its burst's tile"
    assert in_view(window, row)
    window.library.reload()                                    # as after personalizing
    qtbot.waitUntil(lambda: not window.working)
    qtbot.wait(50)
    assert window.navigation.current_row == row and in_view(window, row)


def test_personalize_runs_the_engine_and_shows_its_verdict(window, qtbot):
    action = window.commands["personalize.fit"]
    assert action.isEnabled()
    action.trigger()
    qtbot.waitUntil(lambda: not window.working and "Personalizing" not in window.statusBar().currentMessage(),
                    timeout=30_000)
    with Catalog.open(window.session.root) as catalog:
        report = taste.personalize(catalog)
    assert report.status == "too_few", "an untouched shoot is far too few decisions to learn from"
    assert window.statusBar().currentMessage() == report.message


def test_settings_dialog_lists_models_and_persists_choices(window, qtbot):
    def answer() -> None:
        dialog = window.open_dialog
        rows = [dialog.models.item(i).text() for i in range(dialog.models.count())]
        assert any("face_detection" in row for row in rows)
        dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
        dialog.write_mode.setCurrentIndex(dialog.write_mode.findData("every_decision"))
        dialog.auto_advance.setChecked(False)
        dialog.accept()

    qtbot.waitUntil(lambda: window.work.registry is not None, timeout=20_000)
    QTimer.singleShot(200, answer)
    window.preferences.open_settings()
    saved = load_settings()
    assert saved.device == "cpu" and saved.sidecar_write == "every_decision" and not saved.auto_advance
    assert not window.session.settings.auto_advance, "the session culls with the new settings at once"
    assert saved.recent_libraries[0] == str(window.session.root)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.grid.setCurrentIndex(window.model.index(0))
    window.grid.setFocus()
    qtbot.keyClick(window.grid, "p")
    sidecar = window.session.root / "DSC_0000.xmp"
    qtbot.waitUntil(sidecar.exists, timeout=10_000)
    assert 'xmp:Rating' in sidecar.read_text() or "Rating" in sidecar.read_text()
    assert AppSettings().sidecar_write == "on_demand", "sidecars are opt-in by default"


def test_score_filter_spans_the_librarys_scores_and_filters_by_them(window):
    low, high = score_bounds(window.session.photos)
    assert (window.filters.score_min.minimum(), window.filters.score_max.maximum()) == (low, high)
    assert (window.filters.score_min.value(), window.filters.score_max.value()) == (low, high), "open at both ends"
    window.filters.bursts_button.setChecked(False)
    scores = sorted(p.insight.score for p in window.session.photos if p.insight.score is not None)
    cut = math.ceil(scores[2])
    window.filters.score_max.setValue(cut)
    shown = [p.insight.score for p in window.session.visible]
    assert shown and len(shown) < len(scores) and all(score <= cut for score in shown)
    assert f"score …–{cut:g}" in window.windowTitle()
