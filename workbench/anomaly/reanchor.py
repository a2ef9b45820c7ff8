"""Re-anchor a rolling-median baseline after a level change, so the band follows within a few points.

A trailing median of ``window`` points needs half a window of new values before it moves: after a
step, the band stays at the old level for ~12 points and every one of them is "anomalous". Here, once
``RUN`` consecutive points have stayed beyond ``LEVEL`` sigmas on the same side, the expected value
from then on is the median of the values since the run began (growing until a full window of them
exists, when the ordinary rolling median takes over again).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

RUN = 5
LEVEL = 3.0


def _runs_of(side: np.ndarray, run: int) -> np.ndarray:
    """Row where each stretch of ``run`` consecutive True values first completes (per column: 1-D)."""
    count = pd.Series(side.astype(int)).groupby((~side).cumsum()).cumsum().to_numpy()
    return np.flatnonzero(count == run)


def reanchor(x: np.ndarray, expected: np.ndarray, scale: np.ndarray, window: int, cols: np.ndarray) -> np.ndarray:
    """``expected`` with each level change of the columns ``cols`` followed from its ``RUN``-th point."""
    out = expected.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (x - expected) / scale
    for s in np.flatnonzero(cols):  # loop over series and change points, not points
        zs = np.nan_to_num(z[:, s])
        for side in (zs >= LEVEL, zs <= -LEVEL):
            for done in _runs_of(side, RUN):
                start = done - RUN + 1
                stop = min(x.shape[0], start + window)
                if done + 1 >= stop:
                    continue
                seg = x[start:stop, s]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    med = pd.Series(seg).expanding().median().to_numpy()
                # from the point after the run: the median of the values since the change (trailing)
                out[done + 1 : stop, s] = med[RUN - 1 : stop - start - 1]
    return out
