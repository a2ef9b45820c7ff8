"""Contextual novelty: a value the series has already reached at this time of day on several earlier days
is not news.

A daily job that spikes the CPU at 02:00, a market-open burst, a nightly batch: the rolling-median level
calls each of them a spike, and a same-phase median misses them when they wander by a few minutes. Here
a flagged value is withdrawn when it lies within the range the series spanned near the same phase (a
small tolerance either way) in at least :data:`MIN_CYCLES` of the previous :data:`CYCLES` cycles. A level
shift, a drop to zero or a larger-than-ever spike is outside every earlier range and stays flagged.
Column-wise numpy/pandas over a T x S matrix.
"""

from __future__ import annotations

import warnings

import numpy as np

CYCLES = 7
MIN_CYCLES = 2  # one earlier look-alike may itself have been an incident; two make a habit
_PHASE_SLACK = 48  # +- period/48 points around the phase (30 minutes of a day): jobs drift a little
_SCALE_SLACK = 1.0  # the range is widened by this many band units (sigmas) each way ...
_HABIT_SPREAD = 0.2  # ... or by this share of its distance from the expected value, if more


def period_of(points_per_day: int | None, daily_grain: bool) -> int | None:
    """The cycle the novelty test compares with: a day of sub-daily points, a week of daily points."""
    if points_per_day and points_per_day >= 4:
        return points_per_day
    return 7 if daily_grain else None


def seen_before(
    x: np.ndarray,
    expected: np.ndarray,
    scale: np.ndarray,
    period: int,
    candidates: np.ndarray,
    cycles: int = CYCLES,
    min_cycles: int = MIN_CYCLES,
) -> np.ndarray:
    """T x S booleans, True where a ``candidates`` point lies inside the range of the series near the same
    phase in at least ``min_cycles`` of the previous ``cycles`` cycles. The range is widened by one band
    unit (``scale``) or by a fifth of its distance from ``expected``, whichever is more: a job that took
    the CPU from 10 to 80 % reaches 75 one night and 85 the next.

    Only the candidates (flagged points, a small share) are looked up, so the cost does not grow with
    the panel."""
    out = np.zeros(x.shape, dtype=bool)
    rows, cols = np.nonzero(candidates)
    if not len(rows):
        return out
    half = max(1, period // _PHASE_SLACK)
    offsets = np.arange(-half, half + 1)
    value = x[rows, cols]
    slack = _SCALE_SLACK * np.nan_to_num(scale[rows, cols], nan=0.0, posinf=0.0)
    his, los = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j in range(1, cycles + 1):  # loop over cycles (<= 7), not over points
            at = rows[:, None] - period * j + offsets[None, :]
            valid = at >= 0
            if not valid.any():
                break
            past = np.where(valid, x[np.clip(at, 0, None), cols[:, None]], np.nan)
            his.append(np.nanmax(past, axis=1))
            los.append(np.nanmin(past, axis=1))
        if not his:
            return out
        hi, lo = np.array(his), np.array(los)
    # The habit's own spread (a job reaches 78 one night, 83 the next) scales with its size.
    base = expected[rows, cols][None, :]
    with np.errstate(invalid="ignore"):
        up = np.fmax(slack[None, :], _HABIT_SPREAD * np.abs(hi - base))
        down = np.fmax(slack[None, :], _HABIT_SPREAD * np.abs(base - lo))
        hits = ((value[None, :] <= hi + up) & (value[None, :] >= lo - down)).sum(axis=0)
    out[rows, cols] = hits >= min_cycles
    return out


def drop_habitual_runs(flags: np.ndarray, habitual: np.ndarray, gap: int) -> np.ndarray:
    """``flags`` without the runs (flags at most ``gap`` points apart) whose every flagged point is
    ``habitual``: a run with one new value stays whole, so a burst is never split into several alerts."""
    out = flags.copy()
    for s in np.flatnonzero(flags.any(axis=0)):  # loop over series and runs, not points
        idx = np.flatnonzero(flags[:, s])
        breaks = np.flatnonzero(np.diff(idx) > max(1, gap))
        for run in np.split(idx, breaks + 1):
            if habitual[run, s].all():
                out[run, s] = False
    return out


def routine_values(
    score: np.ndarray, candidates: np.ndarray, points_per_day: float, per_days: float, min_history: int
) -> np.ndarray:
    """T x S booleans, True where a ``candidates`` point's |score| was reached or passed, in the series' own
    past, more often than once per ``per_days`` days on average: whatever the model says, what this series
    does that often is routine for it."""
    out = np.zeros(score.shape, dtype=bool)
    a = np.abs(score)
    for s in np.flatnonzero(candidates.any(axis=0)):  # loop over series with candidates
        rows = np.flatnonzero(candidates[:, s])
        col = a[:, s]
        finite = np.isfinite(col)
        n_past = np.cumsum(finite)[rows] - finite[rows]
        for chunk in np.array_split(rows, max(1, len(rows) // 256)):
            upto = chunk.max()
            past = np.where(finite[:upto], col[:upto], -np.inf)
            # past points at or above each candidate's |score|, counting only rows before the candidate
            above = (past[None, :] >= col[chunk][:, None]) & (np.arange(upto)[None, :] < chunk[:, None])
            m = above.sum(axis=1)
            npast = n_past[np.searchsorted(rows, chunk)]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[chunk, s] = (npast >= min_history) & (m / npast * points_per_day * per_days > 1.0)
    return out
