"""Fixtures of the window tests: an analysed shoot built once per session, and a window over a copy of it."""

from tests.helpers.gui_window import analysed, shoot, window  # noqa: F401  (pytest fixtures, registered by import)
