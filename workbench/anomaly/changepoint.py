"""Two-sided CUSUM on the point scores: a small shift that persists.

A point score says how far ONE value is from the band; the likelihood (likelihood.py) says how large
the recent errors are, whatever their sign. A level that moves by one or two sigmas and stays there
(or a burst pattern that keeps leaning one way) leaves neither trace clearly, but its scores keep the
same sign, and their running sum grows. Page's CUSUM keeps that sum per direction, minus an allowance
per point so noise drains it, and resets after each alarm so one change is one alarm. Scores are
clipped first (a single spike is the point band's business, not a change point) and divided by the
series' own long-run factor (autocorrelated noise makes long same-sign runs by itself). Column-wise
numpy over a T x S matrix: one pass over time, vectorised over series.
"""

from __future__ import annotations

import numpy as np

ALLOWANCE = 1.0  # drained per point: the sum grows only while scores lean beyond one sigma
CLIP = 3.0  # one value counts at most this much: a spike alone never makes a change point
DEFAULT_H = 10.0  # alarm level of the running sum: about ten points leaning two sigmas the same way
_MAX_FACTOR = 5.0


def long_run_factor(z: np.ndarray) -> np.ndarray:
    """Per point: how much further a running sum of these scores wanders than one of independent scores,
    sqrt((1 + r) / (1 - r)) from the lag-1 autocorrelation r of the scores BEFORE it (>= 1)."""
    lagged = np.vstack([np.zeros((1, z.shape[1])), z[:-1]])
    cross = np.cumsum(z * lagged, axis=0)
    power = np.cumsum(z * z, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(np.nan_to_num(cross / power, nan=0.0), 0.0, 0.95)
    f = np.sqrt((1 + r) / (1 - r))
    f = np.vstack([np.ones((1, z.shape[1])), f[:-1]])  # a point does not calibrate itself
    return np.clip(f, 1.0, _MAX_FACTOR)


def cusum_flags(
    score: np.ndarray, h: float = DEFAULT_H, allowance: float = ALLOWANCE, clip: float = CLIP
) -> np.ndarray:
    """Points where the upward or downward CUSUM of the clipped, decorrelated scores crosses ``h``
    (T x S booleans; an alarm is flagged only at a point that leans the alarm's way)."""
    raw = np.nan_to_num(np.asarray(score, dtype=float), nan=0.0)
    z = np.clip(raw, -clip, clip)
    z = z / long_run_factor(z)
    rise, fall = z - allowance, -z - allowance
    up = np.zeros(z.shape[1])
    down = np.zeros(z.shape[1])
    out = np.zeros(z.shape, dtype=bool)
    for t in range(z.shape[0]):
        np.maximum(up + rise[t], 0.0, out=up)
        np.maximum(down + fall[t], 0.0, out=down)
        if up.max() > h or down.max() > h:
            hit_up, hit_down = up > h, down > h
            out[t] = (hit_up & (raw[t] > 0)) | (hit_down & (raw[t] < 0))
            up[hit_up | hit_down] = 0.0
            down[hit_up | hit_down] = 0.0
    return out & np.isfinite(score)
