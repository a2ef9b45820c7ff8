"""Merge flagged points into incidents: one incident is one alert, not fifty."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

SEVERITY_LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Incident:
    """A run of flagged points of one series (flags closer than ``merge_gap`` points are one run).

    ``impact`` is the sum of actual - expected over [start, end]; ``impact_low``/``impact_high`` a 95 %
    interval from the detector's per-point sigma (errors taken as independent).
    """

    series: str
    start: pd.Timestamp
    end: pd.Timestamp
    peak: pd.Timestamp
    direction: str  # "up" or "down"
    severity: str  # low / medium / high (peak score relative to the threshold)
    peak_score: float
    n_points: int
    n_flagged: int
    actual: float
    expected: float
    impact: float
    impact_low: float
    impact_high: float

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("start", "end", "peak"):
            d[key] = pd.Timestamp(d[key]).isoformat()
        for key, value in d.items():
            if isinstance(value, float) and not math.isfinite(value):
                d[key] = None
        return d


def severity_of(peak_score: float, threshold: float) -> str:
    ratio = abs(peak_score) / threshold if threshold > 0 else math.inf
    return "low" if ratio < 1.5 else "medium" if ratio < 3 else "high"


def extend_onsets(flags: np.ndarray, score: np.ndarray, level: float, max_back: int) -> np.ndarray:
    """Flags with each run's start moved back over the points just before it that deviate the same way
    by at least ``level`` (at most ``max_back`` points): a drop is dated from its first point, not from
    the point where it crossed the band."""
    out = flags.copy()
    starts = flags & ~np.vstack([np.zeros((1, flags.shape[1]), dtype=bool), flags[:-1]])
    for t, s in zip(*np.nonzero(starts)):  # loop over run starts, not points
        sign = np.sign(score[t, s])
        j = t
        while (
            j > 0
            and t - j < max_back
            and not out[j - 1, s]
            and np.isfinite(score[j - 1, s])
            and np.sign(score[j - 1, s]) == sign
            and abs(score[j - 1, s]) >= level
        ):
            j -= 1
        out[j:t, s] = True
    return out


def merge_incidents(
    index: pd.DatetimeIndex,
    names: list[str],
    flags: np.ndarray,
    score: np.ndarray,
    actual: np.ndarray,
    expected: np.ndarray,
    sigma: np.ndarray,
    threshold,
    merge_gap: int,
) -> list[Incident]:
    """Incidents of every series, sorted by start time.

    Parameters
    ----------
    flags, score, actual, expected, sigma : T x S arrays (sigma = one standard deviation per point, in the
        units of ``actual``).
    threshold : flagging threshold (a number, or one per series) used to grade severity.
    merge_gap : flagged points at most this many grid steps apart belong to the same incident.
    """
    thresholds = np.broadcast_to(np.asarray(threshold, dtype=float), (len(names),))
    out: list[Incident] = []
    gap = max(1, int(merge_gap))
    for s, name in enumerate(names):  # loop over series; runs are found with numpy
        idx = np.flatnonzero(flags[:, s])
        if not len(idx):
            continue
        breaks = np.flatnonzero(np.diff(idx) > gap)
        starts = np.r_[idx[0], idx[breaks + 1]]
        ends = np.r_[idx[breaks], idx[-1]]
        for a, b in zip(starts, ends):
            run = slice(a, b + 1)
            sc = score[run, s]
            flagged = flags[run, s]
            peak_rel = int(np.nanargmax(np.where(flagged, np.abs(sc), -np.inf)))
            peak_score = float(sc[peak_rel])  # the direction is the onset's: a drop then its recovery is a drop
            act, exp, sig = actual[run, s], expected[run, s], sigma[run, s]
            ok = np.isfinite(act) & np.isfinite(exp)
            impact = float(np.sum(act[ok] - exp[ok]))
            half = 1.959963984540054 * float(np.sqrt(np.nansum(np.where(ok, sig, 0.0) ** 2)))
            out.append(
                Incident(
                    series=str(name),
                    start=index[a],
                    end=index[b],
                    peak=index[a + peak_rel],
                    direction="up" if sc[int(np.argmax(flagged))] >= 0 else "down",
                    severity=severity_of(peak_score, float(thresholds[s])),
                    peak_score=peak_score,
                    n_points=int(b - a + 1),
                    n_flagged=int(flagged.sum()),
                    actual=float(np.sum(act[ok])),
                    expected=float(np.sum(exp[ok])),
                    impact=impact,
                    impact_low=impact - half,
                    impact_high=impact + half,
                )
            )
    out.sort(key=lambda inc: (inc.start, inc.series))
    return out
