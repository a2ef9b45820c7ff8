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
import pandas as pd

SHORT = 5  # points in the short-term mean: long enough to average out one noisy value, short to react
DEFAULT_Z = 4.0  # tail of the short-term mean (one-sided ~3e-5 for a Gaussian statistic)
MIN_HISTORY = 100  # points of error history before the statistic is trusted
_CAP = 50.0  # a single huge spike must not dominate the error history for weeks


def likelihood_z(score: np.ndarray, short: int = SHORT, min_history: int = MIN_HISTORY) -> np.ndarray:
    """Per point: (short-term mean of |score| - past mean) / past sd; NaN until enough history."""
    a = pd.DataFrame(np.minimum(np.abs(score), _CAP))
    recent = a.rolling(short, min_periods=1).mean()
    past = a.expanding(min_periods=min_history)
    mu = past.mean().shift(short)
    sd = past.std().shift(short)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ((recent - mu) / sd).to_numpy()
    return np.where(np.isfinite(z), z, np.nan)


def flags(score: np.ndarray, z_threshold: float = DEFAULT_Z) -> np.ndarray:
    """Points inside a run of unusually large errors (T x S booleans)."""
    return np.nan_to_num(likelihood_z(score) > z_threshold, nan=False) & np.isfinite(score)
