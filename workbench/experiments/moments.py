"""Per-arm moments derived from the sufficient statistics DuckDB returns.

DuckDB returns *shifted* sums per group: S1 = sum(y - a), S2 = sum((y - a)^2), Sxy = sum((x - b)(y - a)),
with a, b near the data (midpoints of the column ranges, from the Parquet footers: see
sufficient._shifts). Shifting keeps the textbook ``S2 - S1^2/n`` formula accurate when the mean is large next to the spread (timestamps, revenue in
cents), and unlike Welford aggregates the sums stay additive, so days and segments combine by addition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def add_sums(a: dict, b: dict) -> dict:
    """Combine two groups' sufficient statistics (sums add; min/max keys combine as min/max)."""
    out = dict(a)
    for key, value in b.items():
        if key not in out or out[key] is None:
            out[key] = value
        elif value is None:
            continue
        elif key.endswith("__min"):
            out[key] = min(out[key], value)
        elif key.endswith("__max"):
            out[key] = max(out[key], value)
        else:
            out[key] = out[key] + value
    return out


@dataclass(frozen=True)
class Moments:
    """n, mean and ddof-1 variance of one variable in one arm (variance None when n < 2)."""

    n: int
    mean: float | None
    var: float | None
    total: float

    @classmethod
    def from_sums(cls, n, s1, s2, shift: float) -> "Moments":
        n = int(n or 0)
        if n == 0:
            return cls(0, None, None, 0.0)
        s1, s2 = float(s1 or 0.0), float(s2 or 0.0)
        mean = shift + s1 / n
        var = None
        if n >= 2:
            m2 = s2 - s1 * s1 / n
            # Constant data leaves only rounding noise (relative to s2): call it exactly zero.
            var = 0.0 if m2 <= 1e-12 * abs(s2) else m2 / (n - 1)
        return cls(n, mean, var, s1 + n * shift)


@dataclass(frozen=True)
class Bivariate:
    """Joint moments of (y, x) on the rows where both are present."""

    n: int
    y: Moments
    x: Moments
    cov: float | None

    @classmethod
    def from_sums(cls, n, sy, syy, sx, sxx, sxy, shift_y: float, shift_x: float) -> "Bivariate":
        n = int(n or 0)
        y = Moments.from_sums(n, sy, syy, shift_y)
        x = Moments.from_sums(n, sx, sxx, shift_x)
        cov = None
        if n >= 2:
            cov = (float(sxy or 0.0) - float(sx or 0.0) * float(sy or 0.0) / n) / (n - 1)
        return cls(n, y, x, cov)


def safe_div(a, b):
    """a / b, or None when either side is missing or b is zero."""
    if a is None or b is None or b == 0 or not math.isfinite(b):
        return None
    out = a / b
    return out if math.isfinite(out) else None


@dataclass(frozen=True)
class MultiMoments:
    """n, mean vector and ddof-1 covariance matrix of several variables over the same complete-case rows
    (the regression-adjusted ratio's (num, den, pre num, pre den))."""

    n: int
    mean: tuple[float, ...]
    cov: tuple[tuple[float, ...], ...] | None

    @classmethod
    def from_sums(cls, n, sums: dict, prefix: str, names: tuple[str, ...], shifts: tuple[float, ...]) -> "MultiMoments":
        """From ``<prefix>_s<v>`` (shifted sums) and ``<prefix>_p<v>_<w>`` (shifted sums of products)."""
        n = int(n or 0)
        if n == 0:
            return cls(0, tuple(0.0 for _ in names), None)
        s1 = [float(sums.get(f"{prefix}_s{v}") or 0.0) for v in names]
        mean = tuple(sh + s / n for sh, s in zip(shifts, s1))
        if n < 2:
            return cls(n, mean, None)
        k = len(names)
        cov = [[0.0] * k for _ in range(k)]
        for a in range(k):
            for b in range(a, k):
                pab = float(sums.get(f"{prefix}_p{names[a]}_{names[b]}") or 0.0)
                cov[a][b] = cov[b][a] = (pab - s1[a] * s1[b] / n) / (n - 1)
        for a in range(k):
            cov[a][a] = max(cov[a][a], 0.0)  # round-off on a constant column
        return cls(n, mean, tuple(tuple(r) for r in cov))
