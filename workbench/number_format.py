"""One way to write numbers: compact on axes (``9.5M``, ``265k``), exact in grids (``9,500,000``), p-values
as reviewers read them (``< 0.001``). Qt-free, so the CLI, reports and the UI say the same thing."""

from __future__ import annotations

import decimal
import math

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))
P_FLOOR = 0.001


def _finite(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _special(value) -> str:
    if value is None:
        return "—"
    f = float(value)
    if math.isnan(f):
        return "NaN"
    return "∞" if f > 0 else "-∞"


def compact(value, digits: int = 3) -> str:
    """Short form for axes and labels: 9,500,000 -> ``9.5M``, 265,000 -> ``265k``, 0.125 -> ``0.125``.

    ``digits`` significant digits; trailing zeros dropped, so ticks of one axis read alike.
    """
    f = _finite(value)
    if f is None:
        return _special(value)
    a = abs(f)
    for scale, suffix in _SUFFIXES:
        if a >= scale * 0.9995:  # 999,950 reads "1M", not "1000k"
            return _trim(f"{f / scale:.{digits}g}") + suffix if a / scale < 1000 else f"{f / scale:,.0f}{suffix}"
    if a == 0:
        return "0"
    if a >= 1:
        return _trim(f"{f:.{digits}g}") if a < 10**digits else f"{f:,.0f}"
    return _trim(f"{f:.{digits}g}")


def _trim(text: str) -> str:
    if "e" in text or "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def grid(value) -> str:
    """Exact form for tables: integers with thousands separators (9,500,000); fractions to 4 places (or 6
    significant digits below 1). Integer-valued floats stay integers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if not isinstance(value, (float, decimal.Decimal)) and _finite(value) is None:
        return str(value)
    f = _finite(value)
    if f is None:
        return _special(value)
    if f.is_integer() and abs(f) < 1e15:
        return f"{f:,.0f}"
    if abs(f) >= 1:
        return f"{f:,.4f}".rstrip("0").rstrip(".")
    return f"{f:.6g}"


def p_value(p, missing: str = "—") -> str:
    """``< 0.001`` below the floor, three decimals above it (``0.042``); ``missing`` when undefined."""
    f = _finite(p)
    if f is None:
        return missing
    return f"< {P_FLOOR:g}" if f < P_FLOOR else f"{f:.3f}"


def percent_change(x, digits: int = 1) -> str:
    """A relative change (0.042 -> ``+4.2%``), never ``-0.0%``."""
    f = _finite(x)
    if f is None:
        return "—"
    v = round(100 * f, digits)
    return f"{v if v else 0.0:+.{digits}f}%"
