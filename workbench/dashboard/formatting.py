"""How a defined metric's value reads: number, percent, duration in days, currency (Qt-free)."""

from __future__ import annotations

import math

from workbench import number_format


def format_value(value, fmt: str | None = "number", compact: bool = True) -> str:
    """``0.1234`` as percent -> ``12.3%``; ``4.2`` as duration_days -> ``4.2 d``; currency -> ``$1.2k``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, str):
        return value  # a suppression marker such as "<10"
    fmt = fmt or "number"
    if fmt == "percent":
        return f"{value * 100:.1f}%"
    text = number_format.compact(value) if compact else number_format.grid(value)
    if fmt == "duration_days":
        return f"{text} d"
    if fmt == "currency":
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    return text


def format_change(change, change_pct, fmt: str | None = "number") -> str:
    """``+12 (+3.4%)``: the absolute change in the metric's format, then the relative one."""
    if change is None:
        return "no comparison"
    if isinstance(change, str):  # withheld ("<10")
        return change
    sign = "+" if change > 0 else ""
    absolute = f"{sign}{format_value(change, fmt)}"
    if fmt == "percent":
        absolute = f"{sign}{change * 100:.1f} pts"
    if change_pct is None:
        return absolute
    return f"{absolute} ({'+' if change_pct > 0 else ''}{change_pct:.1f}%)"
