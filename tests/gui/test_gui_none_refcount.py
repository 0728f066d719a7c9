"""PySide6 6.12 on Python 3.11 loses a reference to None per void Qt call; photocull makes None immortal."""

from __future__ import annotations

import subprocess
import sys

import pytest

import photocull  # noqa: F401  (importing the package applies the workaround)
from photocull.none_refcount import BOOST, needed

PAINT_LOOP = """
import sys
calls = sys.getrefcount(None) + 1000   # more void calls than None has references
{prelude}
from PySide6.QtGui import QColor, QImage, QPainter
image = QImage(8, 8, QImage.Format.Format_RGB32)
painter = QPainter(image)
for _ in range(calls):
    painter.setPen(QColor(1, 2, 3))
painter.end()
print("survived")
"""


@pytest.mark.skipif(not needed(), reason="None is immortal on this Python (3.12+): nothing to work around")
def test_none_is_immortal_after_importing_photocull():
    assert sys.getrefcount(None) > BOOST


@pytest.mark.skipif(not needed(), reason="None is immortal on this Python (3.12+): nothing to work around")
def test_a_long_paint_loop_survives_only_with_the_workaround():
    fixed = subprocess.run([sys.executable, "-c", PAINT_LOOP.format(prelude="import photocull")],
                           capture_output=True, text=True, timeout=60)
    assert fixed.returncode == 0 and "survived" in fixed.stdout
    raw = subprocess.run([sys.executable, "-c", PAINT_LOOP.format(prelude="")], capture_output=True, text=True,
                         timeout=60)
    if raw.returncode == 0:
        pytest.skip("this PySide6 build keeps its None references: the workaround is harmless but unneeded")
    assert "none_dealloc" in raw.stderr
