"""Light and dark palettes that follow the OS colour scheme, plus the few style rules we need.

Fusion is used on every platform so spacing and widgets look the same on Linux, macOS and Windows; the
palette comes from the OS preference (Qt >= 6.5 ``styleHints().colorScheme()``), and follows it live.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

# Okabe–Ito / Tableau-like categorical colours: distinguishable for colour-blind users, fine on both themes.
SERIES_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#8cd17d",
    "#bab0ac",
)
OTHER_COLOR = "#9aa3ad"

_LIGHT = {
    "window": "#f5f6f8",
    "base": "#ffffff",
    "alt": "#f2f4f7",
    "text": "#1f2328",
    "mid": "#d0d7de",
    "button": "#f6f8fa",
    "highlight": "#2f6fce",
    "highlight_text": "#ffffff",
    "link": "#2f6fce",
    "disabled": "#8c959f",
    "tooltip": "#ffffdc",
}
_DARK = {
    "window": "#1f2227",
    "base": "#16181c",
    "alt": "#1c1f24",
    "text": "#e6e8eb",
    "mid": "#3a3f46",
    "button": "#2a2e35",
    "highlight": "#3d7fe0",
    "highlight_text": "#ffffff",
    "link": "#6ea8ff",
    "disabled": "#6e7681",
    "tooltip": "#2a2e35",
}

_mode = "system"  # "system" | "light" | "dark"

# Status tints (row backgrounds, banners): pale on light, deep and muted on dark, so neither glares.
# Each entry is (background, text).
_TINTS_LIGHT = {
    "good": ("#dff3e4", "#1f2328"),
    "bad": ("#fbe0de", "#1f2328"),
    "neutral": ("#eef0f3", "#1f2328"),
    "ok": ("#e6f4ea", "#1e5b2c"),
    "error": ("#fde7e7", "#8a1c1c"),
    "warning": ("#fff4d6", "#6b4a00"),
    "info": ("#eef2f7", "#2d3748"),
}
_TINTS_DARK = {
    "good": ("#1c3526", "#e6e8eb"),
    "bad": ("#43211f", "#e6e8eb"),
    "neutral": ("#262a30", "#e6e8eb"),
    "ok": ("#1c3526", "#a8e0b6"),
    "error": ("#43211f", "#ffb3ad"),
    "warning": ("#3b3018", "#f2d48a"),
    "info": ("#23272e", "#cdd3db"),
}
# Foreground for good/bad verdict text: lighter on dark so it keeps contrast against the tints above.
_VERDICT_TEXT_LIGHT = {"good": "#1e7d3c", "bad": "#b3261e"}
_VERDICT_TEXT_DARK = {"good": "#6fd08c", "bad": "#ff8a80"}


def is_dark() -> bool:
    """Whether the dark palette is in use (explicit choice, else the OS preference)."""
    if _mode != "system":
        return _mode == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    try:
        return app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5: guess from the default window colour
        return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def colors() -> dict[str, str]:
    return dict(_DARK if is_dark() else _LIGHT)


def tint(kind: str) -> tuple[str, str]:
    """(background, text) colours for a status: good, bad, neutral, ok, error, warning, info."""
    return (_TINTS_DARK if is_dark() else _TINTS_LIGHT)[kind]


def verdict_text(kind: str) -> str | None:
    """Text colour for a 'good'/'bad' verdict readable on its tint in the current theme (None otherwise)."""
    return (_VERDICT_TEXT_DARK if is_dark() else _VERDICT_TEXT_LIGHT).get(kind)


def build_palette(dark: bool) -> QPalette:
    c = _DARK if dark else _LIGHT
    p = QPalette()
    role = QPalette.ColorRole
    for r, key in (
        (role.Window, "window"),
        (role.Base, "base"),
        (role.AlternateBase, "alt"),
        (role.Text, "text"),
        (role.WindowText, "text"),
        (role.ButtonText, "text"),
        (role.Button, "button"),
        (role.Highlight, "highlight"),
        (role.HighlightedText, "highlight_text"),
        (role.Link, "link"),
        (role.ToolTipBase, "tooltip"),
        (role.ToolTipText, "text"),
        (role.PlaceholderText, "disabled"),
        (role.Mid, "mid"),
        (role.Midlight, "mid"),
        (role.Light, "button"),
        (role.Dark, "mid"),
    ):
        p.setColor(r, QColor(c[key]))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(c["disabled"]))
    return p


def _stylesheet(dark: bool) -> str:
    c = _DARK if dark else _LIGHT
    return f"""
    QToolTip {{ padding: 4px 6px; }}
    QTabWidget::pane {{ border-top: 1px solid {c["mid"]}; }}
    QTabBar::tab {{ padding: 6px 14px; }}
    QDockWidget::title {{ padding: 6px 8px; font-weight: 600; }}
    QStatusBar QLabel {{ padding: 0 6px; }}
    QFrame#chip {{ border: 1px solid {c["mid"]}; border-radius: 11px; background: {c["alt"]}; }}
    QFrame#chip QToolButton {{ border: none; padding: 0; }}
    QLabel#sectionTitle {{ font-weight: 600; }}
    QLabel#hint {{ color: {c["disabled"]}; }}
    QLabel#emptyState {{ color: {c["disabled"]}; font-size: 11pt; }}
    QLabel#inlineError {{ color: #d9534f; }}
    QPlainTextEdit#sqlEditor {{ border: 1px solid {c["mid"]}; }}
    {_dark_extra(c) if dark else ""}
    """


def _dark_extra(c: dict) -> str:
    # Fusion outlines an item-view checkbox in a shade of the window colour: invisible on the dark base
    # (unchecked boxes vanished, checked ones were a bare tick). Draw both explicitly.
    from widgets.icons import icons_dir

    tick = (icons_dir() / "check-white.svg").as_posix()
    box = "border-radius: 2px; width: 12px; height: 12px;"
    return (
        f"QAbstractItemView::indicator:unchecked {{ border: 1px solid {c['disabled']}; "
        f"background: {c['base']}; {box} }}\n"
        f"    QAbstractItemView::indicator:checked {{ border: 1px solid {c['highlight']}; "
        f"background: {c['highlight']}; image: url({tick}); {box} }}"
    )


def apply_theme(app: QApplication, mode: str | None = None) -> None:
    """Apply Fusion + our palette; ``mode`` is "system", "light" or "dark" (None keeps the current choice)."""
    global _mode
    if mode is not None:
        _mode = mode
    app.setStyle("Fusion")
    dark = is_dark()
    app.setPalette(build_palette(dark))
    app.setStyleSheet(_stylesheet(dark))
    from widgets import icons

    icons.clear_cache()


def follow_system_scheme(app: QApplication, on_change=None) -> None:
    """Re-apply the palette when the OS switches between light and dark."""

    def _changed(*_):
        if _mode == "system":
            apply_theme(app)
            if on_change:
                on_change()

    try:
        app.styleHints().colorSchemeChanged.connect(_changed)
    except AttributeError:
        pass


def default_font() -> QFont:
    """A readable UI font: the platform default, at least 10 pt."""
    font = QGuiApplication.font()
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    return font


def monospace_font() -> QFont:
    from PySide6.QtGui import QFontDatabase

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), 10))
    return font
