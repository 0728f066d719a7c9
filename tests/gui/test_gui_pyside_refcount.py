"""The PySide6 in use keeps its references to None (6.12.0 on Python 3.11 does not; see docs/toolchain.md#pyside6-pin)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PAINT_LOOP = """
import sys
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QImage, QPainter
calls = sys.getrefcount(None) + 1000   # more void calls than None has references
image = QImage(8, 8, QImage.Format.Format_RGB32)
painter = QPainter(image)
for _ in range(calls):
    painter.setPen(QColor(1, 2, 3))
    QRect(0, 0, 4, 4).moveCenter(QPoint(2, 2))
painter.end()
print("survived")
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 (PEP 683)")
def test_a_long_paint_loop_does_not_use_up_none():
    done = subprocess.run([sys.executable, "-c", PAINT_LOOP], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "survived" in done.stdout, (
        "this PySide6 loses references to None on Python 3.11 (pyproject.toml pins 6.11.3 there): "
        + done.stderr[-500:])
