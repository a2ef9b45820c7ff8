"""Icons follow the palette: made in the light theme, they are light on dark after switching to dark."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def _luma(c: QColor) -> float:
    return 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()


def test_toolbar_data_tree_and_export_icons_follow_a_theme_switch(qtbot, window):
    from widgets import theme
    from widgets.icons import current_tint

    app = QApplication.instance()
    try:
        window.set_theme("light")
        made_in_light = [
            window.action_open_file.icon(),
            window.explorer.chart.png_button.icon(),
            window.explorer.sql_button.icon(),
        ]
        assert all(_luma(current_tint(i)) < 110 for i in made_in_light)  # dark ink on a light window
        window.set_theme("dark")
        background = app.palette().color(QPalette.ColorRole.Window)
        assert _luma(background) < 60
        for ico in made_in_light + [window.explorer.chart.reset_button.icon()]:
            assert _luma(current_tint(ico)) > 150, "icon stayed dark on the dark theme"
    finally:
        theme.apply_theme(app, "light")


def test_missing_icon_is_null_not_a_crash(qtbot):
    from widgets.icons import icon

    assert icon("no-such-icon").isNull()
    assert not icon("chart").isNull()
