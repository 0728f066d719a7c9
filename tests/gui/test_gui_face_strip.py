"""Every face up close: the face strip under the loupe and compare, toggled with V (fixtures: :mod:`gui_window`)."""

from __future__ import annotations

from tests.helpers.gui_window import burst_cover_row, press


def test_loupe_face_strip_shows_the_astronaut_with_open_eyes_in_focus(window, qtbot):
    session = window.session
    (astronaut,) = [p for p in session.photos if p.name == "DSC_0000.jpg"]   # the shoot's first single
    assert astronaut.insight.faces
    window.navigation.show_loupe(session.row_of(astronaut.id))
    strip = window.loupe.face_strip
    assert not strip.isVisible()
    press(qtbot, window, "v")
    assert strip.isVisible() and [p.id for p in strip.frames] == [astronaut.id]
    qtbot.waitUntil(lambda: [t.focus_words for t in strip.tiles_of(astronaut.id)] == ["sharp"], timeout=10_000)
    (tile,) = strip.tiles_of(astronaut.id)
    assert tile.caption == "eyes open, sharp"
    press(qtbot, window, "v")
    assert not strip.isVisible()


def test_burst_compare_face_strip_has_one_column_per_frame(window, qtbot):
    window.grid.setCurrentIndex(window.model.index(burst_cover_row(window)))
    press(qtbot, window, "b")
    assert window.stack.currentWidget() is window.compare
    press(qtbot, window, "v")
    strip = window.compare.face_strip
    assert strip.isVisible()
    assert [p.id for p in strip.frames] == [p.id for p in window.compare.photos] and len(strip.frames) == 5
    assert strip.current == window.compare.active_photo.id
    window.compare.step_active(1)
    assert strip.current == window.compare.photos[1].id
    assert all(strip.tiles_of(p.id) == [] for p in strip.frames), "a cat has no faces"
