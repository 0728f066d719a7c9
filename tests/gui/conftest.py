"""Fixtures of the window tests: an analysed shoot built once per session, and a window over a copy of it."""

import pytest

from tests.helpers.gui_window import analysed, shoot, window  # noqa: F401  (pytest fixtures, registered by import)


@pytest.fixture(autouse=True)
def no_sidecars_left_behind(request):
    """The shoot's photos are shared by every test (only the catalog is copied): sidecars a test writes
    beside them would be read back as decisions by the next test's scan, so they are removed after each."""
    yield
    if "analysed" in request.fixturenames:
        library, _ = request.getfixturevalue("analysed")
        for sidecar in library["singles"][0].parent.glob("*.xmp"):
            sidecar.unlink()
