"""EWMA control chart: exponentially weighted mean and an exponentially weighted residual sigma."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.anomaly.band import Band, Context
from workbench.anomaly.rolling import scale_floor


def fit(x: np.ndarray, ctx: Context) -> Band:
    """Expected = EWMA (span = window) of past points; sigma = sqrt of the EWMA of squared residuals."""
    frame = pd.DataFrame(x)
    span = max(2, ctx.window)
    exp = frame.ewm(span=span, min_periods=min(span, 3), ignore_na=True).mean().shift(1).to_numpy()
    resid = x - exp
    var = (
        pd.DataFrame(resid**2)
        .ewm(span=4 * span, min_periods=min(ctx.warmup, 4 * span) or 1, ignore_na=True)
        .mean()
        .shift(1)
        .to_numpy()
    )
    scale = np.maximum(np.sqrt(var), scale_floor(x)[None, :])
    return Band(exp, scale, labels=["EWMA"] * x.shape[1])
