"""The 0..100 score in the window: tiles, hover text, status line, and burst reasons shown in full."""

from __future__ import annotations

from PySide6.QtCore import Qt

from engine.analysis.best_shot import blur_words
from engine.inference.score_scale import SCORE_MEANING
from tests.helpers.gui_window import burst_cover_row, press


def test_score_sort_shows_0_to_100_on_tiles_explains_itself_and_how_to_add_an_aesthetic_model(window):
    window.filters.bursts_button.setChecked(False)
    window.filters.sort_box.setCurrentIndex(window.filters.sort_box.findData("score"))
    scored = [p for p in window.session.visible if p.insight.score is not None]
    assert scored and all(0 <= p.insight.score <= 100 for p in scored)
    shown = [p.insight.score for p in scored]
    assert shown == sorted(shown, reverse=True)
    delegate = window.grid.itemDelegate()
    assert delegate._insight_text(scored[0]).endswith(f"{scored[0].insight.score:.0f}")
    tooltip = window.model.data(window.model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert f"score {scored[0].insight.score:.0f}" in tooltip and SCORE_MEANING in tooltip
    status = window.statusBar().currentMessage()
    assert "image quality" in status and "add an aesthetic model" in status
    assert "quality_ranker" not in status and "training" not in status
    assert window.filters.sort_box.currentText() == "Quality score"
    assert (window.filters.score_min.minimum(), window.filters.score_max.maximum()) == (0.0, 100.0)


def test_burst_compare_shows_every_reason_in_full(window, qtbot):
    window.grid.setCurrentIndex(window.model.index(burst_cover_row(window)))
    window.grid.setFocus()
    press(qtbot, window, "b")
    compare = window.compare
    assert compare.mode == "burst" and len(compare.photos) > 1
    for pane, photo in zip(compare.panes, compare.photos):
        caption = pane.caption.replace("\u00a0", " ")
        insight = photo.insight
        restated = blur_words(insight.blur_reason) if insight.blur_reason else None   # said by the blur line
        shown = [reason for reason in insight.reasons if reason != restated]
        assert shown and all(reason in caption for reason in shown)
        assert all(reason in pane.toolTip().splitlines() for reason in shown)
        assert not restated or (insight.blur_reason in caption and restated not in pane.toolTip().splitlines())
        assert SCORE_MEANING in pane.toolTip()
