"""The Personalize menu in the real window: personal score and burst ranking, "Help me calibrate",
and reset / export / import of the personal model (fixtures: :mod:`gui_window`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer

from engine import personalize as taste
from engine.culling.insights import personal_percent
from engine.decisions.record import PICK, REJECT, set_decisions
from engine.library.catalog import Catalog
from engine.personalize import store
from engine.personalize.dataset import read_preferences
from engine.personalize.features import read_raw_features
from engine.personalize.fit import fit_model
from tests.helpers.gui_window import library_root, open_window


@pytest.fixture
def personal_shoot(shoot):
    """The shoot with a personal model in use: fitted on the user's picks and rejects of the real analysis
    (``fit_model`` skips the cross-validation gate, which 11 photos could never pass)."""
    with Catalog.open(library_root(shoot)) as catalog:
        photos = {Path(p.path).name: p.id for p in catalog.photos()}
        set_decisions(catalog, [photos["DSC_0000.jpg"], photos["DSC_0100.jpg"], photos["DSC_0103.jpg"]], flag=PICK)
        set_decisions(catalog, [photos["DSC_0005.jpg"], photos["DSC_0102.jpg"], photos["DSC_0004.jpg"]], flag=REJECT)
        raw = read_raw_features(catalog)
        store.save_model(catalog, fit_model(raw, read_preferences(catalog, known=set(raw.index_of()))))
        assert taste.personal_scores(catalog), "the fixture's model is active"
    return shoot


def sort_keys(win) -> list[str]:
    return [win.filters.sort_box.itemData(i) for i in range(win.filters.sort_box.count())]


def test_personal_score_is_a_sort_option_an_insight_and_ranks_bursts(qtbot, personal_shoot):
    win = open_window(qtbot, library_root(personal_shoot))
    with Catalog.open(win.session.root) as catalog:
        expected, ranked = taste.personal_scores(catalog), taste.rank_bursts(catalog)
    assert "personal" in sort_keys(win)
    win.filters.bursts_button.setChecked(False)
    win.filters.sort_box.setCurrentIndex(win.filters.sort_box.findData("personal"))
    shown = [expected[p.id] for p in win.session.visible]
    assert shown == sorted(shown, reverse=True) and len(shown) == 11
    top = win.session.visible[0]
    assert f"personal score {personal_percent(expected[top.id]):.0f}" in win.model.data(
        win.model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert top.insight.personal_score == personal_percent(expected[top.id])
    assert win.grid.itemDelegate()._insight_text(top).endswith(f"♥ {top.insight.personal_score:.0f}"), \
        "the tile shows the personal score under the personal sort"
    assert "personal score" in win.statusBar().currentMessage()
    menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Personalize")
    menu.aboutToShow.emit()
    assert win.personal.state_line.text() == "Personal model: on; how it was trained was not recorded.", \
        "the fixture's model was fitted without a personalize report"
    win.navigation.show_loupe(0)
    assert "personal score" in win.loupe.canvas.caption.replace("\u00a0", " ")
    frames = [p for p in win.session.photos if p.insight.burst_id is not None]
    assert frames and all(p.insight.burst_rank == ranked[p.id].rank for p in frames), "bursts ranked by taste"
    win.close()


def test_calibrate_asks_pairs_records_key_answers_and_personalizes_again(qtbot, shoot):
    win = open_window(qtbot, library_root(shoot))
    asked: list[tuple[int, int]] = []

    def answer() -> None:
        dialog = win.open_dialog
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(50, answer)
            return
        assert len(dialog.pairs) >= 3
        for key in (Qt.Key.Key_Left, Qt.Key.Key_2):
            pair = dialog.current
            asked.append((pair.first_id, pair.second_id))
            assert dialog.panes[0].photo.id == pair.first_id and dialog.panes[1].photo.id == pair.second_id
            qtbot.keyClick(dialog, key)
        qtbot.keyClick(dialog, Qt.Key.Key_S)   # skipped: not recorded
        dialog.reject()

    QTimer.singleShot(0, answer)
    win.personal.calibrate()
    qtbot.waitUntil(lambda: len(asked) == 2 and not win.working, timeout=30_000)
    with Catalog.open(win.session.root) as catalog:
        assert store.read_choices(catalog) == [asked[0], asked[1][::-1]], "left won, then right won"
    qtbot.waitUntil(lambda: "decisions" in win.statusBar().currentMessage(), timeout=30_000)  # personalize's verdict
    win.close()


def test_export_reset_and_import_the_personal_model(qtbot, personal_shoot, tmp_path):
    win = open_window(qtbot, library_root(personal_shoot))
    exported = tmp_path / "taste.npz"
    win.personal.export_personal_model(exported)
    assert exported.stat().st_size > 0 and "exported" in win.statusBar().currentMessage()
    win.personal.reset_personal_model()
    qtbot.waitUntil(lambda: "personal" not in sort_keys(win), timeout=10_000)
    assert all(p.insight.personal_score is None for p in win.session.photos)
    win.personal.export_personal_model(tmp_path / "none.npz")
    assert "no personal model" in win.statusBar().currentMessage()
    win.personal.import_personal_model(exported)
    assert "in use" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: "personal" in sort_keys(win), timeout=10_000)
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    win.personal.import_personal_model(tmp_path / "junk.npz")
    assert "junk.npz" in win.statusBar().currentMessage()
    win.close()
