"""What every detector returns: an expected value and a band unit per point and series."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Context:
    """Facts about the grid a detector needs (derived once in detect.py)."""

    points_per_day: int | None
    window: int
    warmup: int
    scale_window: int | None
    daily_grain: bool = False


@dataclass
class Band:
    """expected[t, s] and scale[t, s] (one robust sigma); the band is expected +- threshold * scale.

    ``observed`` replaces the raw value when a detector scores something else (the level-shift detector
    scores the recent median); ``flags`` lets a rule flag directly (fixed thresholds).
    """

    expected: np.ndarray
    scale: np.ndarray
    observed: np.ndarray | None = None
    flags: np.ndarray | None = None
    score: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    labels: list[str] = field(default_factory=list)  # per series: which baseline was used
