"""A second, coarser look: the mean of the last hour against the hours before it.

Intermittent series (a CPU that idles at 2 % with short bursts, disk writes in spikes) have a band as
wide as their bursts, so no single point stands out; what changes in an incident is how OFTEN they burst.
The trailing mean over an hour turns a change in burst density into a change in level, which the same
robust score sees. Column-wise pandas over a T x S matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.anomaly.rolling import residual_scale, trailing_median


@dataclass
class CoarseView:
    """The trailing hour means, their expected value and robust sigma, and the score (all T x S)."""

    mean: np.ndarray
    expected: np.ndarray
    scale: np.ndarray

    @property
    def score(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.mean - self.expected) / self.scale


def coarse_view(
    x: np.ndarray, span: int, baseline: int, min_history: int, scale_window: int | None = None
) -> CoarseView:
    """The trailing ``span``-point mean against the median of the ``baseline`` span means before it
    (which end ``span`` points back, so the current span is not part of its own baseline), with the
    robust sigma of its past residuals."""
    frame = pd.DataFrame(x)
    mean = frame.rolling(span, min_periods=max(1, span // 2)).mean().to_numpy()
    base = trailing_median(mean, baseline, max(3, baseline // 3))
    expected = np.full_like(base, np.nan)
    if x.shape[0] > span:
        expected[span:] = base[:-span]
    scale = residual_scale(mean - expected, x, scale_window, min_history)
    return CoarseView(mean, expected, scale)


SPAN_PER_DAY = 24  # the coarse view averages an hour of points ...
BASELINE_SPANS = 24  # ... against the day of hourly means before it
MIN_POINTS_PER_SPAN = 2


def span_for(points_per_day: int | None) -> int | None:
    """Points in an hour on grids with at least two points an hour; None where there is nothing to average."""
    if not points_per_day or points_per_day < MIN_POINTS_PER_SPAN * SPAN_PER_DAY:
        return None
    return points_per_day // SPAN_PER_DAY
