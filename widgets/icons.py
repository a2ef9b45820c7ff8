"""Bundled SVG icons (resources/icons/), tinted to the palette so they read in light and dark themes.

Icons drawn with ``currentColor`` get the palette's text colour; coloured icons (run, stop, type badges)
keep their own colours.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

_SIZES = (16, 20, 24, 32, 48, 64)


def icons_dir() -> Path:
    """resources/icons next to the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    candidates = [Path(__file__).resolve().parents[1] / "resources" / "icons"]
    if bundle:
        candidates.insert(0, Path(bundle) / "resources" / "icons")
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[-1]


def _text_color(disabled: bool = False) -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#444444"
    group = QPalette.ColorGroup.Disabled if disabled else QPalette.ColorGroup.Active
    color = app.palette().color(group, QPalette.ColorRole.WindowText)
    # Slightly softer than the text itself, like most desktop toolbars.
    blended = QColor(color)
    blended.setAlphaF(0.85)
    return blended.name(QColor.NameFormat.HexRgb)


@lru_cache(maxsize=64)
def _svg_text(name: str) -> str | None:
    try:
        return (icons_dir() / f"{name}.svg").read_text(encoding="utf-8")
    except OSError:
        return None  # a missing icon must never break the UI


@lru_cache(maxsize=1024)
def _render(name: str, color: str, size: int) -> QPixmap:
    """``name`` drawn at ``size`` px with ``currentColor`` = ``color`` (a null pixmap when unreadable)."""
    svg = _svg_text(name)
    if svg is None:
        return QPixmap()
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", color).encode("utf-8")))
    if not renderer.isValid():
        return QPixmap()
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


class _PaletteIconEngine(QIconEngine):
    """Draws the SVG in the application palette's text colour *when painted*, so an icon made before a
    theme change (toolbar, Data tree, export buttons) follows the new palette instead of staying dark on
    dark. A fixed ``color`` pins it (coloured icons keep their own colours either way)."""

    def __init__(self, name: str, color: str | None = None):
        super().__init__()
        self._name = name
        self._color = color

    def _color_for(self, mode) -> str:
        return self._color or _text_color(disabled=mode == QIcon.Mode.Disabled)

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        side = max(1, min(size.width(), size.height()))
        return _render(self._name, self._color_for(mode), side)

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:  # noqa: N802 (Qt naming)
        pm = QPixmap(self.pixmap(QSize(int(size.width() * scale), int(size.height() * scale)), mode, state))
        pm.setDevicePixelRatio(scale)
        return pm

    def paint(self, painter: QPainter, rect, mode, state) -> None:
        side = max(1, min(rect.width(), rect.height()))
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        pm = _render(self._name, self._color_for(mode), int(side * ratio))
        painter.drawPixmap(rect, pm)

    def availableSizes(self, mode=QIcon.Mode.Normal, state=QIcon.State.Off):  # noqa: N802 (Qt naming)
        return [QSize(s, s) for s in _SIZES]

    def isNull(self) -> bool:  # noqa: N802 (Qt naming)
        return _svg_text(self._name) is None

    def clone(self) -> "QIconEngine":
        return _PaletteIconEngine(self._name, self._color)

    def key(self) -> str:
        return "workbench-palette-svg"


def icon(name: str, color: str | None = None) -> QIcon:
    """The bundled icon ``name`` (file stem in resources/icons), tinted with ``color`` or — each time it is
    drawn — the palette's text colour."""
    if _svg_text(name) is None:
        return QIcon()
    return QIcon(_PaletteIconEngine(name, color))


def current_tint(ico: QIcon, size: int = 16) -> QColor:
    """The colour an icon is drawn in right now (its most opaque pixel): what a test compares with the palette."""
    image = ico.pixmap(size, size).toImage()
    best, alpha = QColor(), -1
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() > alpha:
                best, alpha = c, c.alpha()
    return best


def clear_cache() -> None:
    """Forget rendered pixmaps (they are keyed by colour, so this only frees memory)."""
    _render.cache_clear()


def type_icon_name(duckdb_type: str) -> str:
    """Which type badge a DuckDB column type gets."""
    t = duckdb_type.upper()
    if t.startswith(("TIMESTAMP", "DATE", "TIME", "INTERVAL")):
        return "type-time"
    if t == "BOOLEAN":
        return "type-boolean"
    if t.startswith(("VARCHAR", "TEXT", "STRING", "UUID", "ENUM", "CHAR")):
        return "type-text"
    if t.startswith(
        (
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "UHUGEINT",
            "FLOAT",
            "DOUBLE",
            "REAL",
            "DECIMAL",
        )
    ):
        return "type-number"
    return "type-other"
