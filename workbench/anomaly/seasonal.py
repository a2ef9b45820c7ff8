"""Seasonal baseline: median of the same hour (or weekday) over past days/weeks, chosen per series.

Periods come from the grid: sub-daily grids try a daily period (7 past days) and a weekly one (4 past
weeks); daily grids try a weekly period (same weekday, 4 past weeks). Each series keeps the period whose
baseline fits its history best. A same-phase median ignores one-off spikes in earlier cycles.
"""

from __future__ import annotations

import numpy as np

from workbench.anomaly.band import Band, Context
from workbench.anomaly.rolling import fit_error, residual_scale, seasonal_median


def candidate_periods(ctx: Context, season, n_points: int) -> list[tuple[str, int, int]]:
    """(label, period in points, cycles) that fit in ``n_points``; empty when the grid has no season."""
    ppd = ctx.points_per_day
    if isinstance(season, (int, np.integer)) and not isinstance(season, bool):
        cands = [(f"period {int(season)}", int(season), 4)]
    elif season == "none":
        return []
    elif ppd:
        cands = [("daily", ppd, 7), ("weekly", 7 * ppd, 4)]
        if season == "daily":
            cands = cands[:1]
        elif season == "weekly":
            cands = cands[1:]
    elif ctx.daily_grain:
        cands = [("weekly", 7, 4)] if season in ("auto", "weekly") else []
    else:
        cands = []
    # A period needs at least two full cycles of history to say anything.
    return [c for c in cands if n_points > 2 * c[1]]


def best_expected(x: np.ndarray, ctx: Context, season="auto") -> tuple[np.ndarray, list[str]] | None:
    """(expected, label per series) of the best-fitting seasonal period, or None when no period fits."""
    cands = candidate_periods(ctx, season, x.shape[0])
    if not cands:
        return None
    best_exp: np.ndarray | None = None
    best_err: np.ndarray | None = None
    best_label: np.ndarray | None = None
    for label, period, cycles in cands:
        exp = seasonal_median(x, period, cycles)
        err = fit_error(x - exp, start=period)
        err = np.where(np.isfinite(err), err, np.inf)
        if best_exp is None:
            best_exp, best_err, best_label = exp, err, np.array([label] * x.shape[1], dtype=object)
        else:
            assert best_err is not None and best_label is not None, "set together with best_exp"
            better = err < best_err
            best_exp = np.where(better[None, :], exp, best_exp)
            best_err = np.where(better, err, best_err)
            best_label = np.where(better, label, best_label)
    assert best_exp is not None and best_label is not None, "cands is not empty, so the loop ran"
    return best_exp, [f"{lab} seasonal median" for lab in best_label]


def fit(x: np.ndarray, ctx: Context, season="auto") -> Band | None:
    """Best seasonal baseline per series, or None when no period fits the data."""
    best = best_expected(x, ctx, season)
    if best is None:
        return None
    exp, labels = best
    scale = residual_scale(x - exp, x, ctx.scale_window, min(ctx.warmup, max(8, ctx.window)))
    return Band(exp, scale, labels=labels)
