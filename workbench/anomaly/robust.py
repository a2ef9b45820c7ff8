"""Robust rolling baseline: trailing median of the last ``window`` points, robust residual scale."""

from __future__ import annotations

import numpy as np

from workbench.anomaly.band import Band, Context
from workbench.anomaly.rolling import residual_scale, trailing_median


def expected(x: np.ndarray, ctx: Context) -> np.ndarray:
    return trailing_median(x, ctx.window, max(3, ctx.window // 3))


def fit(x: np.ndarray, ctx: Context) -> Band:
    """Expected = median of the previous ``window`` points; scale = robust sigma of past residuals."""
    exp = expected(x, ctx)
    scale = residual_scale(x - exp, x, ctx.scale_window, min(ctx.warmup, max(8, ctx.window)))
    return Band(exp, scale, labels=["rolling median"] * x.shape[1])
