"""Detector parameters: one frozen dataclass shared by every detector, with defaults that need no tuning."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from workbench.errors import SpecError

METHODS = ("auto", "robust", "seasonal", "ewma", "level_shift", "threshold")
DIRECTIONS = ("both", "up", "down")
SEASONS = ("auto", "none", "daily", "weekly")
TRANSFORMS = ("auto", "none", "log")

# Default band half-widths in robust standard deviations. The "auto"/"robust"/"seasonal" scale comes from
# the 95th percentile of past residuals (heavy tails widen the band), so 6.5 is not as extreme as it sounds:
# it is ~3.3x the residual a series reaches one point in twenty. Chosen once on NAB-like data, not per series.
DEFAULT_THRESHOLDS = {"auto": 6.5, "robust": 6.5, "seasonal": 6.5, "ewma": 4.0, "level_shift": 5.0, "threshold": 0.0}


@dataclass(frozen=True)
class DetectorParams:
    """How a series is scored and flagged.

    Parameters
    ----------
    method : "auto" (seasonal baseline where it fits better, rolling median otherwise), "robust", "seasonal",
        "ewma", "level_shift" or "threshold".
    threshold : band half-width in robust standard deviations (lower = more sensitive); None = method default.
    direction : flag "both" sides, only "up" or only "down".
    min_volume : points whose volume (the value itself, or the denominator of a ratio) is below this are
        never flagged: a rate on 3 events is noise.
    warmup : points at the start that are scored but never flagged; None = auto (two days of sub-daily data
        and at least 2 x window, three weeks of daily data, 8 points of coarser grains).
    window : rolling-median / EWMA span / level-shift window in points; None = method default.
    season : "auto" (tried from the grain), "none", "daily", "weekly", or a period in points.
    scale_window : points of residual history used for the band width; None = all history so far.
    transform : "auto" (log for non-negative heavy-tailed series such as counts), "none" or "log".
    merge_gap : flagged points closer than this many points join one incident; None = a quarter of a day
        of sub-daily data, 1 point otherwise.
    upper, lower : fixed limits for method "threshold" (either may be None).
    """

    method: str = "auto"
    threshold: float | None = None
    direction: str = "both"
    min_volume: float = 0.0
    warmup: int | None = None
    window: int | None = None
    season: str | int = "auto"
    scale_window: int | None = None
    transform: str = "auto"
    merge_gap: int | None = None
    upper: float | None = None
    lower: float | None = None

    def __post_init__(self):
        if self.method not in METHODS:
            raise SpecError(f"Unknown detector {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.direction not in DIRECTIONS:
            raise SpecError(f"Direction must be one of {', '.join(DIRECTIONS)}, not {self.direction!r}")
        if self.transform not in TRANSFORMS:
            raise SpecError(f"Transform must be one of {', '.join(TRANSFORMS)}, not {self.transform!r}")
        if isinstance(self.season, str) and self.season not in SEASONS:
            raise SpecError(f"Season must be one of {', '.join(SEASONS)} or a number of points, not {self.season!r}")
        if not isinstance(self.season, str) and int(self.season) < 2:
            raise SpecError("A seasonal period needs at least 2 points")
        if self.threshold is not None and self.threshold < 0:
            raise SpecError("Threshold must be >= 0")
        for name in ("warmup", "window", "scale_window", "merge_gap"):
            value = getattr(self, name)
            if value is not None and int(value) < 0:
                raise SpecError(f"{name} must be >= 0")
        if self.window is not None and int(self.window) < 2 and self.method != "threshold":
            raise SpecError("window must be at least 2 points")
        if self.method == "threshold" and self.upper is None and self.lower is None:
            raise SpecError("A threshold rule needs an upper and/or a lower limit")
        if self.upper is not None and self.lower is not None and self.lower > self.upper:
            raise SpecError(f"lower limit {self.lower} is above upper limit {self.upper}")

    @property
    def effective_threshold(self) -> float:
        return DEFAULT_THRESHOLDS[self.method] if self.threshold is None else float(self.threshold)

    def replace(self, **changes) -> "DetectorParams":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict | None) -> "DetectorParams":
        d = dict(d or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise SpecError(f"Unknown detector setting(s): {', '.join(unknown)}")
        return cls(**d)
