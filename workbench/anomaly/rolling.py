"""Trailing (past-only) rolling statistics on T x S matrices, vectorised over series by pandas.

"Trailing" means the statistic at row t uses rows before t only, so a spike never widens its own band.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# Gaussian 97.5 % quantile: q95(|residual|) / 1.96 is a robust sigma that still widens for heavy tails.
_Z975 = 1.959963984540054


def trailing_median(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    frame = pd.DataFrame(x)
    return frame.rolling(int(window), min_periods=min(int(min_periods), int(window))).median().shift(1).to_numpy()


def trailing_quantile(x: np.ndarray, q: float, window: int | None, min_periods: int) -> np.ndarray:
    frame = pd.DataFrame(x)
    roll = (
        frame.expanding(min_periods=min_periods)
        if window is None
        else frame.rolling(int(window), min_periods=min(int(min_periods), int(window)))
    )
    return roll.quantile(q).shift(1).to_numpy()


def candidate_stack(x: np.ndarray, period: int, cycles: int) -> np.ndarray:
    """cycles x T x S: the same phase 1..``cycles`` periods back (NaN where history is too short)."""
    t = x.shape[0]
    stack = np.full((cycles,) + x.shape, np.nan)
    for j in range(1, cycles + 1):  # loop over cycles (<= 8), not over points
        lag = period * j
        if lag < t:
            stack[j - 1, lag:] = x[:-lag]
    return stack


def seasonal_median(x: np.ndarray, period: int, cycles: int) -> np.ndarray:
    """Median of the same phase over the previous ``cycles`` periods (NaN until one period exists)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(candidate_stack(x, period, cycles), axis=0)


def scale_floor(x: np.ndarray) -> np.ndarray:
    """Smallest band half-unit per series: keeps constant and all-zero series from dividing by zero."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        peak = np.nanmax(np.abs(x), axis=0) if x.size else np.zeros(x.shape[1:])
    peak = np.where(np.isfinite(peak), peak, 0.0)
    return np.maximum(1e-3 * peak, 1e-9)


def residual_scale(resid: np.ndarray, x: np.ndarray, window: int | None, min_periods: int) -> np.ndarray:
    """Robust sigma of past residuals: trailing 95th percentile of |residual| / 1.96, floored."""
    scale = trailing_quantile(np.abs(resid), 0.95, window, min_periods) / _Z975
    return np.maximum(scale, scale_floor(x)[None, :])


# Heavy tails: the band is at least this share of the trailing 99th percentile of |residual| / 2.576.
# On Gaussian residuals q99/2.576 = q95/1.96, so the share (< 1) never widens a Gaussian band; on
# t-distributed or lognormal noise the 99th percentile is far out and widens it. 0.8 cuts false alarms
# on heavy-tailed noise by ~20 %; 1.0 costs NAB windows (measured in bench/README_anomaly.md).
TAIL_SHARE = 0.8
_Z995 = 2.5758293035489004
_MIN_TAIL_POINTS = 300  # a 99th percentile of fewer points is just the largest outlier so far


def tail_scale(resid: np.ndarray, window: int | None) -> np.ndarray:
    """TAIL_SHARE x trailing q99(|residual|) / 2.576 (NaN until ``_MIN_TAIL_POINTS`` of history)."""
    if resid.shape[0] <= _MIN_TAIL_POINTS:
        return np.full(resid.shape, np.nan)
    return TAIL_SHARE * trailing_quantile(np.abs(resid), 0.99, window, _MIN_TAIL_POINTS) / _Z995


def median_abs(resid: np.ndarray, start: int = 0) -> np.ndarray:
    """Per-series median |residual| from row ``start`` on (NaN-safe): how well a baseline fits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(np.abs(resid[start:]), axis=0)


def fit_error(resid: np.ndarray, start: int = 0) -> np.ndarray:
    """Per-series mean |residual| from row ``start`` on, each residual capped at the series' 99th
    percentile (NaN-safe): how well a baseline fits. A mean, not a median: a model that misses every
    weekend (2 points in 7) must lose to one that does not; the cap keeps a few incidents from deciding."""
    a = np.abs(resid[start:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        cap = np.nanquantile(a, 0.99, axis=0) if a.shape[0] else np.full(a.shape[1:], np.nan)
        return np.nanmean(np.minimum(a, cap[None, :]), axis=0)
