"""Level shift / changepoint: the median of the last ``window`` points against the median of the window
before it. Scored in units of the standard error of a difference of two medians, so a sustained shift
smaller than the point noise is still found once it has lasted ``window`` points."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.anomaly.band import Band, Context
from workbench.anomaly.rolling import residual_scale, trailing_median

# sd(median of w normal points) ~ 1.2533 sigma / sqrt(w)
_MEDIAN_SE = 1.2533


def fit(x: np.ndarray, ctx: Context) -> Band:
    w = max(2, ctx.window)
    right = pd.DataFrame(x).rolling(w, min_periods=max(2, w // 2)).median().to_numpy()  # includes t
    left = np.full_like(right, np.nan)
    if x.shape[0] > w:
        left[w:] = right[:-w]  # the median of the w points ending w steps ago
    point_resid = x - trailing_median(x, w, max(2, w // 2))
    sigma = residual_scale(point_resid, x, ctx.scale_window, min(ctx.warmup, max(8, w)))
    scale = sigma * _MEDIAN_SE * np.sqrt(2.0 / w)
    return Band(left, scale, observed=right, labels=[f"level shift ({w}-point medians)"] * x.shape[1])
