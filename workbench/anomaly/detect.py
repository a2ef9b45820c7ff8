"""Run a detector over every series of a panel at once and flag, band and merge the result.

All detectors work on a T x S matrix (time x series) with pandas/numpy vectorised over series, so a
breakdown of 200 series x 2,000 points is one call, not 200.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from workbench.anomaly import choice, counts, ewma, level_shift, likelihood, multiscale, reanchor, recurring, robust
from workbench.anomaly import changepoint, seasonal
from workbench.anomaly import threshold as threshold_rule
from workbench.anomaly.band import Band, Context
from workbench.anomaly.incidents import Incident, extend_onsets, merge_incidents
from workbench.anomaly.params import DetectorParams
from workbench.anomaly.prepare import Panel, build_panel, panel_from_frame
from workbench.anomaly.rolling import fit_error, residual_scale, tail_scale
from workbench.errors import SpecError

DEFAULT_WINDOW = {"auto": 24, "robust": 24, "seasonal": 24, "ewma": 24, "level_shift": 24, "threshold": 1}
_SCORE_CAP = 1e6  # a change after a perfectly constant history has an "infinite" score; keep it printable
# Seasonal must beat the rolling median by this factor before "auto" uses it: prefer the simpler model.
_SEASONAL_ADVANTAGE = 0.95
_SKEW_FOR_LOG = 2.0
# |score| (robust sigmas) a point needs to join an incident as its onset (noise passes 2 ~2 % of the time)
# or as part of a run flagged by the error likelihood.
_ONSET_LEVEL = 2.0
_LIKELIHOOD_MIN = 3.0
# A count series' flagged value is routine when its own past reached that score more than once per this
# many days on average (measured in bench/README_anomaly.md: 1-7 days score alike).
ROUTINE_DAYS = 3.0


@dataclass
class Detection:
    """Detector output for every series of a panel (arrays are T x S, original units)."""

    index: pd.DatetimeIndex
    names: list[str]
    actual: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    flags: np.ndarray
    sigma: np.ndarray
    params: DetectorParams
    threshold: float
    baselines: list[str]
    incidents: list[Incident] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warmup: int = 0
    thresholds: np.ndarray | None = None  # per series (count series have their own default)
    reasons: list[str] = field(default_factory=list)  # per series: the model used and why
    grain_reason: str | None = None  # why grain "auto" chose the grid (set when the frame says)

    def _col(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SpecError(f"No series named {name!r}") from None

    def series_frame(self, name: str) -> pd.DataFrame:
        """One series as a frame: ts, actual, expected, lower, upper, score, flag."""
        s = self._col(name)
        return pd.DataFrame(
            {
                "ts": self.index,
                "actual": self.actual[:, s],
                "expected": self.expected[:, s],
                "lower": self.lower[:, s],
                "upper": self.upper[:, s],
                "score": self.score[:, s],
                "flag": self.flags[:, s],
            }
        )

    def flagged(self, name: str) -> list[pd.Timestamp]:
        return list(self.index[self.flags[:, self._col(name)]])

    def incidents_of(self, name: str) -> list[Incident]:
        return [inc for inc in self.incidents if inc.series == name]

    def to_dict(self, points: bool = False) -> dict:
        """JSON-ready summary: incidents and flagged timestamps per series (and every point if ``points``)."""
        out: dict[str, Any] = {
            "method": self.params.method,
            "threshold": self.threshold,
            "params": self.params.to_dict(),
            "grain_reason": self.grain_reason,
            "notes": list(self.notes),
            "series": [],
        }
        for s, name in enumerate(self.names):
            entry = {
                "series": name,
                "baseline": self.baselines[s],
                "model": self.reasons[s] if s < len(self.reasons) else self.baselines[s],
                "flagged": [t.isoformat() for t in self.index[self.flags[:, s]]],
                "incidents": [inc.to_dict() for inc in self.incidents_of(name)],
            }
            if points:
                frame = self.series_frame(name)
                entry["points"] = [
                    {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
                    for row in frame.assign(ts=frame["ts"].map(pd.Timestamp.isoformat)).to_dict("records")
                ]
            out["series"].append(entry)
        return out


def _context(panel: Panel, params: DetectorParams) -> Context:
    window = int(params.window or DEFAULT_WINDOW[params.method])
    ppd = panel.points_per_day
    daily = panel.step == pd.Timedelta(days=1)
    if params.warmup is not None:
        warmup = int(params.warmup)
    else:
        # Two days of sub-daily data; three weeks of daily data (a weekly model has two cycles to learn
        # from by then); 8 points of coarser grains (a 24-point window there would be years of history).
        warmup = max(2 * window, 2 * ppd) if ppd else (21 if daily else 8)
    return Context(
        points_per_day=ppd, window=window, warmup=warmup, scale_window=params.scale_window, daily_grain=daily
    )


def _default_gap(ctx: Context) -> int:
    """Flags closer than a quarter of a day (sub-daily grids) or one point are one incident: a drop and its
    recovery an hour later are one story; a morning and an evening spike are two."""
    return max(1, (ctx.points_per_day or 1) // 4)


def _floor_at_zero(x: np.ndarray, expected: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clip expected and lower band at 0 for series that never go negative (a count cannot be -100).

    Presentation only: scores and flags are computed before this, so detection decisions do not change.
    """
    with np.errstate(invalid="ignore"):
        nonneg = np.isfinite(x).any(axis=0) & ~(np.nan_to_num(x, nan=0.0) < 0).any(axis=0)
        # np.maximum keeps NaN (no band during warm-up / gaps) as NaN.
        return (
            np.where(nonneg[None, :], np.maximum(expected, 0.0), expected),
            np.where(nonneg[None, :], np.maximum(lower, 0.0), lower),
        )


def _log_columns(x: np.ndarray, transform: str, notes: list[str], names: list[str]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        nonneg = np.nanmin(np.where(np.isnan(x), np.inf, x), axis=0) >= 0
    if transform == "none":
        return np.zeros(x.shape[1], dtype=bool)
    if transform == "log":
        if (~nonneg).any():
            notes.append("log transform skipped for series with negative values")
        return nonneg
    skew = pd.DataFrame(x).skew().to_numpy()
    counts = np.sum(np.isfinite(x), axis=0)
    return nonneg & (counts >= 20) & np.nan_to_num(skew > _SKEW_FOR_LOG)


def _band(xt: np.ndarray, x: np.ndarray, params: DetectorParams, ctx: Context, notes: list[str]) -> Band:
    method = params.method
    if method == "threshold":
        return threshold_rule.fit(x, params.upper, params.lower)
    if method == "ewma":
        return ewma.fit(xt, ctx)
    if method == "level_shift":
        return level_shift.fit(xt, ctx)
    if method == "robust":
        return robust.fit(xt, ctx)
    if method == "seasonal":
        seas = seasonal.fit(xt, ctx, params.season)
        if seas is None:
            notes.append("no seasonal period fits this grid/length; used the rolling median instead")
            return robust.fit(xt, ctx)
        return seas
    # method == "auto": choose the baseline per series first, then scale only the chosen residuals.
    exp = robust.expected(xt, ctx)
    labels = ["rolling median"] * xt.shape[1]
    best = seasonal.best_expected(xt, ctx, params.season)
    if best is not None:
        start = min(xt.shape[0] - 1, max(ctx.window, 7 * (ctx.points_per_day or 1)))
        use = fit_error(xt - best[0], start) < _SEASONAL_ADVANTAGE * fit_error(xt - exp, start)
        exp = np.where(use[None, :], best[0], exp)
        labels = [sl if u else rl for u, sl, rl in zip(use, best[1], labels)]
    resid = xt - exp
    scale = residual_scale(resid, xt, ctx.scale_window, min(ctx.warmup, max(8, ctx.window)))
    # The rolling median follows a level change only after half a window; re-anchor it after RUN points.
    rolling_cols = np.array([lab == "rolling median" for lab in labels])
    if rolling_cols.any():
        exp = reanchor.reanchor(xt, exp, np.fmax(scale, tail_scale(resid, ctx.scale_window)), ctx.window, rolling_cols)
        resid = xt - exp
        scale = residual_scale(resid, xt, ctx.scale_window, min(ctx.warmup, max(8, ctx.window)))
    # Heavy-tailed residuals widen the band (see rolling.TAIL_SHARE).
    return Band(exp, np.fmax(scale, tail_scale(resid, ctx.scale_window)), labels=labels)


def _band_columns(
    xt: np.ndarray, x: np.ndarray, params: DetectorParams, ctx: Context, notes: list[str], cols: np.ndarray
) -> Band:
    """:func:`_band` on the series ``cols`` only (the count series have their own model), spread back to
    every series (NaN elsewhere)."""
    if cols.all():
        return _band(xt, x, params, ctx, notes)
    labels = [""] * x.shape[1]
    if not cols.any():
        return Band(np.full_like(x, np.nan), np.ones_like(x), labels=labels)
    sub = _band(xt[:, cols], x[:, cols], params, ctx, notes)

    def spread(part, fill=np.nan):
        if part is None:
            return None
        out = np.full(x.shape, fill, dtype=part.dtype)
        out[:, cols] = part
        return out

    for i, s in enumerate(np.flatnonzero(cols)):
        labels[s] = sub.labels[i] if sub.labels else params.method
    return Band(
        spread(sub.expected),
        spread(sub.scale, 1.0),
        observed=spread(sub.observed),
        flags=spread(sub.flags, False),
        score=spread(sub.score),
        lower=spread(sub.lower),
        upper=spread(sub.upper),
        labels=labels,
    )


def detect(panel: Panel, params: DetectorParams | None = None, count_model: bool = True) -> Detection:
    """Score, band and flag every series of ``panel`` and merge flags into incidents.

    Parameters
    ----------
    panel : series on a regular grid (see :func:`workbench.anomaly.prepare.build_panel`).
    params : detector settings; defaults need no tuning.
    count_model : let method "auto" use the quasi-Poisson detector (counts.py) on small whole-number
        count series; False keeps the generic baselines for every series.

    Returns
    -------
    Detection with expected value, band, score and flag per point, and the incidents.
    """
    params = params or DetectorParams()
    x = np.asarray(panel.values, dtype=float)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise SpecError("Nothing to detect on: the series is empty")
    notes = list(panel.notes)
    ctx = _context(panel, params)
    thr = params.effective_threshold
    # Small whole-number counts get the quasi-Poisson detector (counts.py) under the default method.
    use_counts = count_model and params.method == "auto" and params.transform == "auto"
    countcols = counts.count_columns(x) if use_counts else np.zeros(x.shape[1], dtype=bool)
    thresholds = np.full(x.shape[1], float(thr))
    count_thr = counts.default_threshold(panel.points_per_day) if params.threshold is None else thr
    if params.threshold is None:
        thresholds[countcols] = count_thr
    thr_row = thresholds[None, :]

    logcols = (
        _log_columns(x, params.transform, notes, panel.names)
        if params.method != "threshold"
        else np.zeros(x.shape[1], dtype=bool)
    )
    logcols &= ~countcols
    with np.errstate(invalid="ignore", divide="ignore"):
        xt = np.where(logcols[None, :], np.log1p(np.where(x < 0, np.nan, x)), x)
    band = _band_columns(xt, x, params, ctx, notes, ~countcols)

    with np.errstate(invalid="ignore", divide="ignore"):
        if band.score is not None:
            score = band.score
        else:
            observed = band.observed if band.observed is not None else xt
            score = np.clip((observed - band.expected) / band.scale, -_SCORE_CAP, _SCORE_CAP)
    if countcols.any():
        cband = counts.fit(x[:, countcols], ctx, count_thr, seasonal.candidate_periods(ctx, params.season, x.shape[0]))
        score = score.copy()
        score[:, countcols] = np.clip(
            cast(np.ndarray, cband.score), -_SCORE_CAP, _SCORE_CAP
        )  # counts.fit always scores
    finite = np.isfinite(score)
    if band.flags is not None:
        flags = band.flags.copy()
    elif params.direction == "up":
        flags = finite & (score >= thr_row)
    elif params.direction == "down":
        flags = finite & (score <= -thr_row)
    else:
        flags = finite & (np.abs(np.where(finite, score, 0.0)) >= thr_row)
    point_flags = flags.copy()
    if params.method == "auto":
        # A run of moderately surprising values (a drift, growing noise, a pattern that stops) is an
        # incident even when no single value leaves the band.
        # (Not on count series: their quantised scores have their own sustained-change scan.)
        flags |= likelihood.flags(score) & (np.abs(np.nan_to_num(score)) >= _LIKELIHOOD_MIN) & ~countcols[None, :]
        # A shift of one or two sigmas that persists: the running sum of same-signed scores (CUSUM) crosses
        # its alarm level; the alarm point itself must lean >= 2 sigmas that way (an onset, not a lull).
        flags |= changepoint.cusum_flags(score) & ~countcols[None, :] & (np.abs(np.nan_to_num(score)) >= _ONSET_LEVEL)
    span = multiscale.span_for(ctx.points_per_day) if params.method == "auto" else None
    coarse_flags = np.zeros_like(flags)
    if span:
        # An hour whose mean is far from the day of hourly means before it: bursts that come more often
        # (no single one out of the band) or a shift hidden in noise. Its points must lean the same way.
        coarse = multiscale.coarse_view(xt, span, multiscale.BASELINE_SPANS * span, ctx.warmup, ctx.scale_window)
        cscore = coarse.score
        with np.errstate(invalid="ignore"):
            coarse_flags = (
                np.nan_to_num(np.abs(cscore) >= thr_row, nan=False)
                & ~countcols[None, :]
                & (np.nan_to_num(score * np.sign(cscore)) >= _ONSET_LEVEL)
            )
        flags |= coarse_flags
    gap = params.merge_gap if params.merge_gap is not None else _default_gap(ctx)
    if params.method == "auto":
        # A run made only of values this series has shown near this time of day on earlier days is a
        # habit (a nightly job, a market-open burst), not news; one new value keeps the run whole.
        # The likelihood's runs, and the count model's sustained-change scan, are made of ordinary-looking
        # values by design: never a habit.
        period = recurring.period_of(ctx.points_per_day, ctx.daily_grain)
        habitual = np.zeros_like(flags)
        if period:
            habitual |= recurring.seen_before(xt, band.expected, band.scale, period, point_flags & ~countcols[None, :])
            if span:
                # ... and so is an hour mean the series has had at this time of day before; a point flagged
                # by both views is a habit only if it is one in both.
                coarse_habit = recurring.seen_before(coarse.mean, coarse.expected, coarse.scale, period, coarse_flags)
                habitual = np.where(coarse_flags, coarse_habit & (habitual | ~point_flags), habitual)
        if countcols.any():
            # The count model's rare is Poisson's rare; a bursty count series (social-media volumes)
            # shows in its own history that such values are routine for it, and its history wins.
            habitual |= recurring.routine_values(
                score, point_flags & countcols[None, :], pd.Timedelta(days=1) / panel.step, ROUTINE_DAYS, ctx.warmup
            )
        flags = recurring.drop_habitual_runs(flags, habitual, gap)
    if (band.flags is not None or params.method == "auto") and params.direction != "both":
        flags &= (score > 0) if params.direction == "up" else (score < 0)
    flags &= np.isfinite(x)
    if params.method != "threshold":
        # An incident starts where the deviation began, not where it first crossed the band.
        flags = extend_onsets(flags, score, _ONSET_LEVEL, gap)
    # Warm-up per series, from its first value: a segment that appears late (a new app version) gets its
    # own warm-up instead of being judged on a baseline of a few points.
    first = np.where(np.isfinite(x).any(axis=0), np.argmax(np.isfinite(x), axis=0), x.shape[0])
    flags &= np.arange(x.shape[0])[:, None] >= (first + ctx.warmup)[None, :]
    if x.shape[0] <= ctx.warmup:
        notes.append(f"only {x.shape[0]} points, all within the warm-up of {ctx.warmup}: nothing flagged")
    if params.min_volume > 0:
        volume = panel.volume if panel.volume is not None else np.abs(x)
        with np.errstate(invalid="ignore"):
            flags &= np.nan_to_num(volume, nan=-np.inf) >= params.min_volume

    # Back to original units (log columns: exp of the band edges gives an asymmetric band, as counts have).
    if band.lower is not None:
        # A band with a lower bound carries its upper bound too.
        lower, upper, exp_o, sigma = band.lower, cast(np.ndarray, band.upper), band.expected, np.full_like(x, np.nan)
    else:
        lo_t, hi_t = band.expected - thr * band.scale, band.expected + thr * band.scale
        with np.errstate(invalid="ignore", over="ignore"):
            exp_o = np.where(logcols[None, :], np.expm1(band.expected), band.expected)
            lower = np.where(logcols[None, :], np.expm1(lo_t), lo_t)
            upper = np.where(logcols[None, :], np.expm1(hi_t), hi_t)
            sigma = np.where(
                logcols[None, :],
                (np.expm1(band.expected + band.scale) - np.expm1(band.expected - band.scale)) / 2.0,
                band.scale,
            )
    if countcols.any():
        for arr, part in ((exp_o, cband.expected), (lower, cband.lower), (upper, cband.upper), (sigma, cband.scale)):
            arr[:, countcols] = part
    if band.lower is None:
        exp_o, lower = _floor_at_zero(x, exp_o, lower)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():  # an all-gap series: no spread, no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        const = np.nanstd(np.where(np.isfinite(x), x, np.nan), axis=0) == 0
    for s in np.flatnonzero(const):
        notes.append(f"{panel.names[s]}: constant series (nothing to flag until it changes)")
    incidents = merge_incidents(panel.index, panel.names, flags, score, x, exp_o, sigma, thresholds, gap)
    labels = list(band.labels or [params.method] * x.shape[1])
    for s, lab in zip(np.flatnonzero(countcols), cband.labels if countcols.any() else []):
        labels[s] = lab
    cands = seasonal.candidate_periods(ctx, params.season, x.shape[0])
    why = choice.reasons(
        labels,
        params.method,
        x,
        panel.step,
        ctx,
        cands,
        seasonal.candidate_periods(ctx, params.season, 10**9),
        countcols,
        logcols,
    )
    labels = [f"log {lab}" if lg else lab for lab, lg in zip(labels, logcols)]
    return Detection(
        index=panel.index,
        names=list(panel.names),
        actual=x,
        expected=exp_o,
        lower=lower,
        upper=upper,
        score=score,
        flags=flags,
        sigma=sigma,
        params=params,
        threshold=thr,
        baselines=labels,
        incidents=incidents,
        notes=notes,
        warmup=ctx.warmup,
        thresholds=thresholds,
        reasons=why,
    )


def detect_series(
    ts, values, params: DetectorParams | None = None, grain: str | None = None, series=None, volume=None
) -> Detection:
    """Convenience: build the panel from arrays (see :func:`build_panel`) and :func:`detect`."""
    return detect(build_panel(ts, values, series=series, volume=volume, step=grain), params)


def detect_frame(
    frame: pd.DataFrame,
    params: DetectorParams | None = None,
    grain: str | None = None,
    time: str = "bucket",
    value: str = "value",
    series: str | None = "series",
    volume: str | None = None,
    count_model: bool = True,
) -> Detection:
    """Detect on a tidy frame such as ``MetricResult.frame`` (one series per ``series`` value)."""
    det = detect(
        panel_from_frame(frame, time=time, value=value, series=series, volume=volume, step=grain),
        params,
        count_model=count_model,
    )
    det.grain_reason = frame.attrs.get("grain_reason")
    return det
