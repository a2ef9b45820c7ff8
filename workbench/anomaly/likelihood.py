"""Anomaly likelihood of recent prediction errors (the idea behind HTM's detector on NAB).

A point score |residual / scale| says how surprising ONE value is. Many real incidents are a run of
moderately surprising values instead: a level that drifts off, noise that grows, a pattern that stops.
Here the short-term mean of |score| over the last few points is compared with the distribution of
|score| over the whole past (mean and sd, trailing, so an incident never calibrates itself): a tail
far out (z above :data:`DEFAULT_Z`) flags the point even when no single value crossed the band.
Column-wise pandas over a T x S matrix.
"""

from __future__ import annotations

import numpy as np

SHORT = 5  # points in the short-term mean: long enough to average out one noisy value, short to react
DEFAULT_Z = 3.5  # tail of the short-term mean, in sds of |score| (chosen on NAB training series)
MIN_HISTORY = 100  # points of error history before the statistic is trusted
_CAP = 50.0  # a single huge spike must not dominate the error history for weeks


def likelihood_z(score: np.ndarray, short: int = SHORT, min_history: int = MIN_HISTORY) -> np.ndarray:
    """Per point: (short-term mean of |score| - past mean) / past sd; NaN until enough history."""
    a = np.minimum(np.abs(score), _CAP)
    ok = np.isfinite(a)
    a0 = np.where(ok, a, 0.0)
    # Running sums (NaN-aware): the short-term mean is a difference of two of them, and the history's mean
    # and sd are the sums lagged by ``short`` (the recent run is not part of the history it is judged on).
    n = np.cumsum(ok, axis=0, dtype=float)
    s1 = np.cumsum(a0, axis=0)
    s2 = np.cumsum(a0 * a0, axis=0)
    n, s1, s2, n_now, s1_now = _lag(n, short), _lag(s1, short), _lag(s2, short), n, s1
    with np.errstate(invalid="ignore", divide="ignore"):
        recent = (s1_now - np.nan_to_num(s1)) / (n_now - np.nan_to_num(n))
        mu = s1 / n
        sd = np.sqrt(np.maximum(s2 - n * mu * mu, 0.0) / (n - 1))
        z = np.where(n >= min_history, (recent - mu) / sd, np.nan)
    return np.where(np.isfinite(z), z, np.nan)


def _lag(m: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(m, np.nan)
    if m.shape[0] > k:
        out[k:] = m[:-k]
    return out


def flags(score: np.ndarray, z_threshold: float = DEFAULT_Z) -> np.ndarray:
    """Points inside a run of unusually large errors (T x S booleans)."""
    return np.nan_to_num(likelihood_z(score) > z_threshold, nan=False) & np.isfinite(score)
