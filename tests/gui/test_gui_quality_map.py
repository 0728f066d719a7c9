"""Where a photo loses image quality: the loupe's overlay, toggled with Q (fixtures: :mod:`gui_window`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtGui import QImage

from engine.culling.actions import ACTIONS, ACTIONS_BY_ID
from engine.culling.map_words import LEGEND_TITLE
from tests.helpers.gui_window import press


def pixels(widget) -> np.ndarray:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    array = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return array[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(np.int16)


def cell_centre(canvas, cells: np.ndarray, row: int, col: int) -> tuple[int, int]:
    """Where the centre of cell (row, col) of the map lands in the canvas, as (x, y) device pixels."""
    x, y, w, h = canvas.shared.viewport.target_rect(canvas.image_size(), canvas.widget_size())
    ratio = canvas.devicePixelRatioF()
    rows, cols = cells.shape
    return round((x + (col + 0.5) * w / cols) * ratio), round((y + (row + 0.5) * h / rows) * ratio)


def test_the_action_is_declared_once_on_a_key_nothing_else_uses():
    action = ACTIONS_BY_ID["view.quality_map"]
    assert action.shortcuts == ("Q",) and action.handler == "toggle_quality_map" and action.menu == "View"
    assert [a.id for a in ACTIONS if "Q" in a.shortcuts] == ["view.quality_map"]
    assert not any(word in action.title.lower() for word in ("map", "tensor", "logit"))


def loupe_on_a_photo_with_a_map(window, qtbot):
    """The loupe on the first photo that has a map, its preview drawn; returns (photo, canvas)."""
    session = window.session
    photo = next(p for p in session.visible if p.insight.quality_map)
    window.navigation.show_loupe(session.row_of(photo.id))
    canvas = window.loupe.canvas
    qtbot.waitUntil(lambda: canvas.previews.best(photo) is not None, timeout=10_000)
    return photo, canvas


def test_q_tints_the_weakest_cell_and_leaves_the_best_clear(window, qtbot):
    photo, canvas = loupe_on_a_photo_with_a_map(window, qtbot)
    before = pixels(canvas)
    press(qtbot, window, "q")
    assert canvas.show_quality_map and canvas.quality_words()[0] == LEGEND_TITLE
    after = pixels(canvas)
    cells = np.asarray(photo.insight.quality_map)
    weakest = np.unravel_index(np.argmin(cells), cells.shape)
    best = np.unravel_index(np.argmax(cells), cells.shape)
    x, y = cell_centre(canvas, cells, *weakest)
    assert np.abs(after[y, x] - before[y, x]).sum() > 30, "the weakest cell is tinted"
    assert after[y, x, 0] - after[y, x, 2] > before[y, x, 0] - before[y, x, 2], "warmer than the photo under it"
    x, y = cell_centre(canvas, cells, *best)
    assert np.abs(after[y, x] - before[y, x]).sum() <= 3, "the best cell stays clear"
    press(qtbot, window, "q")
    assert not canvas.show_quality_map
    assert np.abs(pixels(canvas) - before).max() <= 3


def test_the_tint_follows_the_displayed_image_when_zoomed_in(window, qtbot):
    photo, canvas = loupe_on_a_photo_with_a_map(window, qtbot)
    press(qtbot, window, "q")
    for _ in range(6):   # as the mouse wheel does, until the image is larger than the pane
        canvas.shared.set(canvas.shared.viewport.zoomed(1.25, canvas.image_size(), canvas.widget_size()))
    x, y, w, h = canvas.shared.viewport.target_rect(canvas.image_size(), canvas.widget_size())
    assert w > canvas.width() or h > canvas.height()
    cells = np.asarray(photo.insight.quality_map)
    inside = [(r, c) for r in range(8) for c in range(8)
              if 0 <= x + (c + 0.5) * w / 8 < canvas.width() and 0 <= y + (r + 0.5) * h / 8 < canvas.height()]
    assert inside, "some cell centre is on screen"
    tinted = pixels(canvas)
    canvas.show_quality_map = False
    clear = pixels(canvas)
    for row, col in inside:
        px, py = cell_centre(canvas, cells, row, col)
        deficit = cells.mean() - cells[row, col]
        if deficit > 0.5 * (cells.mean() - cells.min()):
            assert np.abs(tinted[py, px] - clear[py, px]).sum() > 10, (row, col)


def test_a_photo_without_a_picture_gets_a_plain_message(window, qtbot):
    session = window.session
    photo = next(p for p in session.visible if p.insight.quality_map)
    window.navigation.show_loupe(session.row_of(photo.id))
    bare = replace(photo, insight=replace(photo.insight, quality_map=None))
    window.loupe.canvas.set_photo(bare)
    press(qtbot, window, "q")
    message = window.statusBar().currentMessage()
    assert message.startswith("No picture of where this photo loses image quality")
    assert window.loupe.canvas.quality_words() == [message]


def test_sorted_by_an_aesthetic_model_the_legend_says_its_score_has_no_picture(window, qtbot):
    session = window.session
    photo = next(p for p in session.visible if p.insight.quality_map)
    window.navigation.show_loupe(session.row_of(photo.id))
    aesthetic = replace(photo, insight=replace(photo.insight, score_task="aesthetic", score_model="tanet-ava"))
    window.loupe.canvas.set_photo(aesthetic)
    press(qtbot, window, "q")
    words = window.loupe.canvas.quality_words()
    assert words[0] == LEGEND_TITLE and words[-1].startswith("No picture of where the score comes from for TANet")
