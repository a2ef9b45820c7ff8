"""Theme colours that must not glare or vanish on the dark palette."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from widgets import theme


def test_tints_are_close_to_the_base_and_text_is_readable(qtbot):
    app = QApplication.instance()
    try:
        for mode in ("light", "dark"):
            theme.apply_theme(app, mode)
            base = QColor(theme.colors()["base"]).lightness()
            for kind in ("good", "bad", "neutral", "ok", "error", "warning", "info"):
                bg, fg = (QColor(c) for c in theme.tint(kind))
                assert abs(bg.lightness() - base) < 60, (mode, kind)
                assert abs(fg.lightness() - bg.lightness()) > 90, (mode, kind)
            for kind in ("good", "bad"):
                assert abs(QColor(theme.verdict_text(kind)).lightness() - base) > 70, (mode, kind)
    finally:
        theme.apply_theme(app, "light")


def test_dark_item_checkboxes_are_drawn_explicitly(qtbot):
    app = QApplication.instance()
    try:
        theme.apply_theme(app, "dark")
        sheet = app.styleSheet()
        assert "indicator:unchecked" in sheet and "indicator:checked" in sheet
        tick = re.search(r"url\(([^)]+)\)", sheet).group(1)
        assert Path(tick).is_file()
        theme.apply_theme(app, "light")
        assert "indicator" not in app.styleSheet()  # Fusion's own boxes read fine on light
    finally:
        theme.apply_theme(app, "light")
