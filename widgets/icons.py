"""Bundled SVG icons (resources/icons/), tinted to the palette so they read in light and dark themes.

Icons drawn with ``currentColor`` get the palette's text colour; coloured icons (run, stop, type badges)
keep their own colours.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
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


def _text_color() -> str:
    app = QGuiApplication.instance()
    if app is None:
        return "#444444"
    color = app.palette().color(QPalette.ColorRole.WindowText)
    # Slightly softer than the text itself, like most desktop toolbars.
    blended = QColor(color)
    blended.setAlphaF(0.85)
    return blended.name(QColor.NameFormat.HexRgb)


@lru_cache(maxsize=256)
def _icon(name: str, color: str) -> QIcon:
    path = icons_dir() / f"{name}.svg"
    result = QIcon()
    try:
        svg = path.read_text(encoding="utf-8").replace("currentColor", color)
    except OSError:
        return result  # a missing icon must never break the UI
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        return result
    for size in _SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pixmap)
    return result


def icon(name: str, color: str | None = None) -> QIcon:
    """The bundled icon ``name`` (file stem in resources/icons), tinted with ``color`` or the palette."""
    return _icon(name, color or _text_color())


def clear_cache() -> None:
    """Forget tinted icons (call after the palette changes)."""
    _icon.cache_clear()


def type_icon_name(duckdb_type: str) -> str:
    """Which type badge a DuckDB column type gets."""
    t = duckdb_type.upper()
    if t.startswith(("TIMESTAMP", "DATE", "TIME", "INTERVAL")):
        return "type-time"
    if t == "BOOLEAN":
        return "type-boolean"
    if t.startswith(("VARCHAR", "TEXT", "STRING", "UUID", "ENUM", "CHAR")):
        return "type-text"
    if t.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                     "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL", "DECIMAL")):
        return "type-number"
    return "type-other"
