"""The look: a calm, dark, neutral-grey theme, so photos (not the chrome) carry the colour.

Neutral greys (no tint) keep colour judgement honest; the single accent is a
muted blue used only for focus and selection. Flags and labels use the
conventional colours, desaturated.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = QColor(30, 30, 30)
PANEL = QColor(40, 40, 40)
TILE = QColor(46, 46, 46)
TEXT = QColor(208, 208, 208)
MUTED = QColor(140, 140, 140)
ACCENT = QColor(86, 140, 200)
PICK = QColor(235, 235, 235)
REJECT = QColor(210, 80, 70)
STAR = QColor(225, 190, 90)
#: The loupe's tint where a photo loses image quality (photocull.views.quality_overlay).
QUALITY_LOSS = QColor(222, 58, 40)
LABEL_COLOURS = {
    "Red": QColor(200, 70, 60), "Yellow": QColor(215, 190, 60), "Green": QColor(90, 170, 90),
    "Blue": QColor(70, 130, 210), "Purple": QColor(150, 100, 190),
}

STYLESHEET = """
QWidget { background: #1e1e1e; color: #d0d0d0; font-size: 12px; }
QMainWindow::separator { background: #2a2a2a; }
QToolBar { background: #262626; border: none; border-bottom: 1px solid #333; padding: 3px; spacing: 6px; }
QToolBar QLabel { color: #8c8c8c; background: transparent; padding-left: 6px; }
QStatusBar QLabel, QToolBar QWidget#spacer { background: transparent; }
QToolButton, QPushButton { background: #303030; border: 1px solid #3c3c3c; border-radius: 3px; padding: 3px 9px; }
QToolButton:hover, QPushButton:hover { background: #383838; }
QToolButton:checked { background: #2f4660; border-color: #568cc8; }
QToolButton:disabled, QPushButton:disabled { color: #6a6a6a; background: #282828; border-color: #303030; }
QComboBox, QSpinBox, QDoubleSpinBox { background: #2a2a2a; border: 1px solid #3c3c3c; border-radius: 3px; padding: 2px 6px; }
QComboBox QAbstractItemView { background: #2a2a2a; selection-background-color: #2f4660; }
QListView, QListWidget { background: #1e1e1e; border: none; outline: none; }
QStatusBar { background: #262626; border-top: 1px solid #333; color: #a0a0a0; }
QStatusBar QLabel { color: #a0a0a0; padding: 0 6px; }
QProgressBar { background: #2a2a2a; border: 1px solid #3c3c3c; border-radius: 3px; height: 12px; text-align: center; color: #d0d0d0; }
QProgressBar::chunk { background: #44698f; border-radius: 2px; }
QMenuBar { background: #262626; }
QMenuBar::item:selected, QMenu::item:selected { background: #2f4660; }
QMenu { background: #2a2a2a; border: 1px solid #3c3c3c; }
QToolTip { background: #2a2a2a; color: #d0d0d0; border: 1px solid #444; padding: 4px; }
QGroupBox { border: 1px solid #333; border-radius: 4px; margin-top: 14px; padding-top: 6px; }
QGroupBox::title { subcontrol-origin: margin; left: 8px; color: #8c8c8c; }
QSlider::groove:horizontal { height: 4px; background: #3c3c3c; border-radius: 2px; }
QSlider::handle:horizontal { background: #8c8c8c; width: 12px; margin: -5px 0; border-radius: 6px; }
QCheckBox::indicator, QListView::indicator {
    width: 12px; height: 12px; border: 1px solid #5a5a5a; border-radius: 2px; background: #2a2a2a;
}
QCheckBox::indicator:checked, QListView::indicator:checked { background: #568cc8; border-color: #568cc8; }
QScrollBar:vertical { background: #1e1e1e; width: 10px; }
QScrollBar::handle:vertical { background: #3a3a3a; border-radius: 4px; min-height: 30px; }
QScrollBar:horizontal { background: #1e1e1e; height: 10px; }
QScrollBar::handle:horizontal { background: #3a3a3a; border-radius: 4px; min-width: 30px; }
QScrollBar::add-line, QScrollBar::sub-line { height: 0; width: 0; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, BACKGROUND), (QPalette.ColorRole.Base, BACKGROUND),
        (QPalette.ColorRole.AlternateBase, PANEL), (QPalette.ColorRole.Button, PANEL),
        (QPalette.ColorRole.Text, TEXT), (QPalette.ColorRole.WindowText, TEXT),
        (QPalette.ColorRole.ButtonText, TEXT), (QPalette.ColorRole.Highlight, ACCENT),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)), (QPalette.ColorRole.ToolTipBase, PANEL),
        (QPalette.ColorRole.ToolTipText, TEXT),
    ):
        palette.setColor(role, colour)
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
