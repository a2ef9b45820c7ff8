"""Plain threshold rule: flag values above ``upper`` or below ``lower``; the score is the exceedance in
percent of the limit (0 inside the limits)."""

from __future__ import annotations

import numpy as np

from workbench.anomaly.band import Band


def fit(x: np.ndarray, upper: float | None, lower: float | None) -> Band:
    hi = np.inf if upper is None else float(upper)
    lo = -np.inf if lower is None else float(lower)
    unit_hi = max(abs(hi), 1e-12) if np.isfinite(hi) else 1.0
    unit_lo = max(abs(lo), 1e-12) if np.isfinite(lo) else 1.0
    with np.errstate(invalid="ignore"):
        score = np.where(x > hi, 100.0 * (x - hi) / unit_hi, np.where(x < lo, 100.0 * (x - lo) / unit_lo, 0.0))
        flags = (x > hi) | (x < lo)
    score = np.where(np.isnan(x), np.nan, score)
    mid = np.full_like(x, np.nan)
    if np.isfinite(hi) and np.isfinite(lo):
        mid[:] = (hi + lo) / 2.0
    return Band(
        mid,
        np.ones_like(x),
        flags=flags & ~np.isnan(x),
        score=score,
        lower=np.full_like(x, lo),
        upper=np.full_like(x, hi),
        labels=["threshold"] * x.shape[1],
    )
