"""Small whole-number counts (deletion requests, reports of a new app version): a quasi-Poisson detector.

On low counts the noise is known: Poisson. The generic detectors estimate the noise from residual
percentiles of a log/raw series, which collapses to zero on mostly-zero series (a single 1 becomes an
"infinite" spike) and explodes on sparse ones (log1p of 0/1/2 swings by 0.7 a step: expected 2, band 113).
Here, for series that are non-negative integers whose spread is about what Poisson noise gives:

* expected = trailing MEAN rate (rolling, or the same phase of past cycles when that fits better): a
  median of 0/1 counts is 0 while the rate is 0.4;
* score = mid-p Poisson tail of the value at that rate, as a normal quantile, divided by an
  over-dispersion factor phi >= 1 (the recent residual spread on the Anscombe scale 2*sqrt(x + 3/8), where
  Poisson noise has sd 1). Poisson noise therefore cannot collapse the band (phi >= 1, the rate is
  floored at one event per window) nor explode it (no log of small numbers);
* a sustained-change scan: the sum of the last k points against k times the mean rate of the 4k points
  before them (a two-sample Poisson test on the Anscombe scale, k = 1, 2, 4 days of sub-daily data or
  2, 4, 8 points otherwise), so a surge from 3 to 14 a day is flagged even when no single hour stands out.

Everything is column-wise numpy/pandas over a T x S matrix.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from workbench.anomaly.band import Band, Context
from workbench.anomaly.rolling import candidate_stack

# Series whose step-to-step spread on the Anscombe scale is at most this many Poisson sds are "counts":
# noise within ~30 % of Poisson. More dispersed integer series (tweet volumes, taxi rides) keep the
# generic detectors, whose empirical scale and log transform suit multiplicative noise.
MAX_DISPERSION = 1.3
MIN_DISPERSION = 0.25
MIN_POINTS = 20
# ... and whose TAILS are Poisson-like too: the 99th percentile of that spread within this factor of
# Poisson's. Bursty counts (social-media volumes: calm, then x10 for an hour) are heavy-tailed; the
# Poisson model calls every burst an incident, the generic log model learns the bursts' size.
MAX_TAIL_DISPERSION = 1.6
_Z995_TAIL = 2.5758293035489004
# Threshold (in Poisson sds) when the user gave none: ~3e-5 one-sided per point, i.e. about one false
# alarm per 4 years of hourly points of a series that behaves like its Poisson model.
DEFAULT_THRESHOLD = 4.0
_HOURLY_POINTS_PER_DAY = 24
_Z975 = 1.959963984540054
_Z995 = 2.5758293035489004
_MIN_TAIL_POINTS = 300
_UNKNOWN_SCAN_PHI = 2.0
_SEASONAL_ADVANTAGE = 0.95
_MIN_GAIN = 0.02  # mean deviance per point


def default_threshold(points_per_day: int | None) -> float:
    """The default threshold for a grid: the same false-alarm rate per DAY as :data:`DEFAULT_THRESHOLD`
    gives hourly points, so a 5-minute series (12 times the points) does not get 12 times the alarms.
    Grids of an hour or coarser keep :data:`DEFAULT_THRESHOLD` (fewer points must not lower the bar)."""
    if not points_per_day or points_per_day <= _HOURLY_POINTS_PER_DAY:
        return DEFAULT_THRESHOLD
    from scipy.stats import norm

    tail = float(norm.sf(DEFAULT_THRESHOLD)) * _HOURLY_POINTS_PER_DAY / points_per_day
    return float(norm.isf(tail))


def anscombe(x: np.ndarray) -> np.ndarray:
    """Variance-stabilising transform: Poisson counts get sd ~1 at every level."""
    return 2.0 * np.sqrt(np.maximum(x, 0.0) + 0.375)


def count_columns(x: np.ndarray) -> np.ndarray:
    """Per series: non-negative whole numbers with Poisson-like spread (see ``MAX_DISPERSION``)."""
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        whole = np.all(~finite | ((x >= 0) & (np.abs(x - np.round(x)) < 1e-9)), axis=0)
    enough = finite.sum(axis=0) >= MIN_POINTS
    # Step-to-step spread: robust sd of first differences / sqrt(2) on the Anscombe scale.
    d = np.diff(anscombe(np.where(finite, x, np.nan)), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dev = np.abs(d - np.nanmedian(d, axis=0)) / np.sqrt(2.0)
        mad = np.nanmedian(dev, axis=0) / 0.6745
        tail = np.nanquantile(dev, 0.99, axis=0) / _Z995_TAIL
        # ... and not far LESS spread than Poisson: a constant 2 is a fixed quota, not a Poisson count
        # (variance of first differences over twice the mean; Poisson gives 1, all-zero gives NaN).
        raw = np.diff(np.where(finite, x, np.nan), axis=0)
        index = np.nanvar(raw, axis=0) / (2.0 * np.nanmean(np.where(finite, x, np.nan), axis=0))
    return (
        whole
        & enough
        & np.nan_to_num(mad <= MAX_DISPERSION, nan=False)
        & np.nan_to_num(tail <= MAX_TAIL_DISPERSION, nan=False)
        & np.nan_to_num(index >= MIN_DISPERSION, nan=False)
    )


def _trailing_mean(x: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    return (
        pd.DataFrame(x).rolling(int(window), min_periods=min(int(min_periods), int(window))).mean().shift(1).to_numpy()
    )


def _seasonal_mean(x: np.ndarray, period: int, cycles: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(candidate_stack(x, period, cycles), axis=0)


def _midp_z(x: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Signed normal quantile of the mid-p Poisson tail of ``x`` at rate ``mu`` (up: +, down: -)."""
    from scipy import special

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        k = np.maximum(np.round(x), 0.0)
        pmf = np.exp(k * np.log(mu) - mu - special.gammaln(k + 1.0))
        up = special.gammainc(k + 1.0, mu) + 0.5 * pmf  # P(X > k) + P(X = k) / 2
        down = np.where(k > 0, special.gammaincc(np.maximum(k, 1.0), mu), 0.0) + 0.5 * pmf  # P(X < k) + ...
        z = np.where(k >= mu, -special.ndtri(np.clip(up, 1e-300, 0.5)), special.ndtri(np.clip(down, 1e-300, 0.5)))
    return np.where(np.isfinite(x) & np.isfinite(mu), z, np.nan)


def _tail_z(c: np.ndarray, mu: np.ndarray, up: bool) -> np.ndarray:
    """One side of :func:`_midp_z` (half the special-function work): the score of count ``c``."""
    from scipy import special

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        half = 0.5 * np.exp(c * np.log(mu) - mu - special.gammaln(c + 1.0))
        if up:
            return -special.ndtri(np.clip(special.gammainc(c + 1.0, mu) + half, 1e-300, 0.5))
        tail = np.where(c > 0, special.gammaincc(np.maximum(c, 1.0), mu), 0.0) + half
        return special.ndtri(np.clip(tail, 1e-300, 0.5))


def _band_edges(mu: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First flagged count above (upper) and below (lower; 0 when none) the rate ``mu``: a bisection over
    integer offsets from the Anscombe approximation, vectorised (4 evaluations a side)."""
    root = np.sqrt(mu + 0.375)
    edges = []
    for up in (True, False):
        guess = np.floor(np.maximum(root + (limit if up else -limit) / 2.0, 0.0) ** 2 - 0.375)
        # Search offsets -8..+7 around the guess for the edge (score crosses the limit once: monotone).
        lo_off, hi_off = np.full_like(mu, -8.0), np.full_like(mu, 8.0)
        for _ in range(4):
            mid = np.floor((lo_off + hi_off) / 2.0)
            c = np.maximum(guess + mid, 0.0)
            ok = _tail_z(c, mu, True) >= limit if up else _tail_z(c, mu, False) > -limit
            if up:  # ok: c is flagged, the edge is at or below it
                hi_off, lo_off = np.where(ok, mid, hi_off), np.where(ok, lo_off, mid)
            else:  # ok: c is not flagged, the lower edge is below it
                hi_off, lo_off = np.where(ok, mid, hi_off), np.where(ok, lo_off, mid)
        edge = np.maximum(guess + (hi_off if up else lo_off), 0.0)
        edges.append(edge)
    upper, lower = edges
    with np.errstate(invalid="ignore"):
        lower = np.where(_tail_z(lower, mu, False) <= -limit, lower, 0.0)
    return lower, upper


def _deviance(x: np.ndarray, mu: np.ndarray, n_avg: float, start: int) -> np.ndarray:
    """Per-series mean Poisson deviance of ``x`` at rates ``mu`` (floored as in :func:`fit`) from ``start``."""
    m = np.maximum(mu[start:], 1.0 / n_avg)
    k = x[start:]
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = 2.0 * (np.where(k > 0, k * np.log(k / m), 0.0) - (k - m))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.where(np.isfinite(mu[start:]), dev, np.nan), axis=0)


def _dispersion(resid: np.ndarray, window: int | None, min_periods: int) -> np.ndarray:
    """phi >= 1 from trailing |Anscombe residuals| (Poisson noise gives ~1): the larger of the 95th and
    99th percentiles over their Gaussian values, so clumped counts (a batch of 10 reports at once) widen
    the band even when 95 % of points look Poisson; 1 where there is too little history."""
    frame = pd.DataFrame(np.abs(resid))
    roll = (
        frame.expanding(min_periods=min_periods)
        if window is None
        else frame.rolling(int(window), min_periods=min(int(min_periods), int(window)))
    )
    phi = roll.quantile(0.95).shift(1).to_numpy() / _Z975
    if resid.shape[0] > _MIN_TAIL_POINTS:  # a 99th percentile of a short history is just its largest outlier
        tail = (
            frame.expanding(min_periods=_MIN_TAIL_POINTS)
            if window is None
            else frame.rolling(int(window), min_periods=min(_MIN_TAIL_POINTS, int(window)))
        )
        phi = np.fmax(phi, tail.quantile(0.99).shift(1).to_numpy() / _Z995)
    return np.maximum(np.where(np.isfinite(phi), phi, 1.0), 1.0)


def _scales(ctx: Context) -> list[int]:
    base = ctx.points_per_day or 2
    return [base, 2 * base, 4 * base]


def sustained_score(x: np.ndarray, ctx: Context) -> np.ndarray:
    """Largest |z| over the scan lengths of "the last k points vs the 4k points before them"."""
    best = np.zeros_like(x)
    filled = np.where(np.isfinite(x), x, np.nan)
    for k in _scales(ctx):  # loop over 3 scan lengths, not over points
        if x.shape[0] < 2 * k:
            continue
        frame = pd.DataFrame(filled)
        recent = frame.rolling(k, min_periods=k).sum().to_numpy()
        before = frame.rolling(4 * k, min_periods=k).mean().shift(k).to_numpy()  # rate before the window
        n_before = frame.notna().rolling(4 * k, min_periods=1).sum().shift(k).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.maximum(before, 1.0 / np.maximum(n_before, 1.0))
            # Two-sample Poisson on the Anscombe scale: the window and the baseline both carry noise.
            z = (anscombe(recent) - 2.0 * np.sqrt(k * rate + 0.125)) / np.sqrt(1.0 + k / np.maximum(n_before, 1.0))
        # Seasonality inside short windows and slow drifts are self-calibrated; a scan length is not used
        # before its own statistic has history (a cautious phi until then).
        # Calibrated on windows that ended before this one started: a long surge must not widen its own scale.
        # (root mean square of the earlier z: a running sum, cheap; the scan statistic is near-Gaussian).
        zz = np.where(np.isfinite(z), z * z, 0.0)
        n = np.cumsum(np.isfinite(z), axis=0)
        rms = np.sqrt(np.cumsum(zz, axis=0) / np.maximum(n, 1))
        lagged = np.full_like(rms, np.nan)
        lagged[k:] = np.where(n[:-k] >= 4 * k, rms[:-k], np.nan)
        phi = np.maximum(np.where(np.isfinite(lagged), lagged, _UNKNOWN_SCAN_PHI), 1.0)
        z = np.where(np.isfinite(z), z / phi, 0.0)
        best = np.where(np.abs(z) > np.abs(best), z, best)
    return best


def fit(x: np.ndarray, ctx: Context, threshold: float, season_cands: list[tuple[str, int, int]]) -> Band:
    """Quasi-Poisson band and score for count columns ``x`` (T x S, original units)."""
    # A week of sub-daily points: a mean over one day would follow a multi-day surge within hours (and
    # the impact of an incident would shrink with it); counts need the longer average anyway.
    w = max(ctx.window, 7 * (ctx.points_per_day or 0))
    # Mean rates from values clipped to a generous Poisson range around the trailing median, so a spike
    # does not drag the baseline up within hours (a mean is needed: the median of 0/1 counts is 0).
    med = pd.DataFrame(x).rolling(w, min_periods=min(w, max(3, w // 3))).median().shift(1).to_numpy()
    with np.errstate(invalid="ignore"):
        reach = 3.0 * np.sqrt(med + 1.0) + 3.0
        xc = np.where(np.isfinite(med), np.clip(x, med - reach, med + reach), x)
    rolling = _trailing_mean(xc, w, max(3, ctx.window // 3))
    exp, labels = rolling, np.array(["rolling mean (counts)"] * x.shape[1], dtype=object)
    n_avg = np.full(x.shape[1], float(w))  # points behind each series' mean rate
    ax = anscombe(x)
    if season_cands:
        # Which baseline fits: mean Poisson deviance (a median residual would prefer an all-zero estimate
        # on sparse counts, which then calls every event a surprise).
        start = min(x.shape[0] - 1, max(w, 7 * (ctx.points_per_day or 1)))
        err = _deviance(x, rolling, float(w), start)
        for label, period, cycles in season_cands:
            seas = _seasonal_mean(xc, period, cycles)
            e = _deviance(x, seas, float(cycles), start)
            use = np.nan_to_num((e < _SEASONAL_ADVANTAGE * err) & (e < err - _MIN_GAIN), nan=False)
            exp = np.where(use[None, :], seas, exp)
            err = np.where(use, e, err)
            labels = np.where(use, f"{label} seasonal mean (counts)", labels)
            n_avg = np.where(use, float(cycles), n_avg)
    # A rate of zero would make any event infinitely surprising: floor it at one event per averaged
    # stretch (zero in 24 hours says less than zero in 24 days; a 7-cycle seasonal mean says even less).
    mu = np.maximum(exp, 1.0 / n_avg[None, :])
    phi = _dispersion(ax - anscombe(mu), ctx.scale_window, min(ctx.warmup, max(8, w)))
    point = _midp_z(x, mu) / phi
    sus = sustained_score(x, ctx)
    score = np.where(np.abs(sus) > np.abs(np.nan_to_num(point)), sus, point)
    score = np.where(np.isfinite(x), score, np.nan)
    lower, upper = _band_edges(mu, threshold * phi)
    lower = np.where(np.isfinite(exp), lower, np.nan)
    upper = np.where(np.isfinite(exp), upper, np.nan)
    return Band(exp, np.sqrt(mu) * phi, score=score, lower=lower, upper=upper, labels=list(labels))
