"""Interrupted time series for one series with no controls (a global launch): weaker evidence.

A structural time-series model (local level, plus a fixed seasonal pattern when the pre-period holds at
least two cycles) is fitted on the pre-period only and projected forward; the effect is actual minus
projection, summed (cumulative) and relative to the projection, with a 95 % band from simulated future
paths. Nothing separates the change from anything else that happened at the same time, which is why the
readout labels it weaker evidence than a design with control units.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from workbench.causal.panel import Panel, period_start, step_index
from workbench.errors import SpecError

SEASON = {"day": 7, "week": None, "month": 12, "quarter": 4, "year": None}
MIN_PRE = 8
_N_PATHS = 2000
_SEED = 20261203
EVIDENCE = (
    "weaker evidence: no control units, so the projection assumes nothing else changed at the "
    "start; confirm with a control group (DiD or synthetic control) where one exists"
)


def _series(panel: Panel) -> pd.Series:
    """Mean of the treated units per period, on a full calendar of steps (missing periods are NaN)."""
    wide = panel.wide()[panel.treated].dropna(axis=0, how="any")
    y = wide.mean(axis=1)
    steps = step_index(y.index, panel.grain)
    full = np.arange(steps.min(), steps.max() + 1)
    out = pd.Series(np.nan, index=full)
    out.loc[steps] = y.to_numpy(float)
    return out


def its(panel: Panel) -> dict:
    """Actual vs projected series after the start, and the cumulative and relative effect."""
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    y = _series(panel)
    start_step = int(step_index([panel.start], panel.grain)[0])
    pre = y[y.index < start_step]
    post = y[y.index >= start_step]
    if pre.notna().sum() < MIN_PRE:
        raise SpecError(
            f"An interrupted time series needs at least {MIN_PRE} {panel.grain}s before the start; "
            f"there are {int(pre.notna().sum())}"
        )
    season = SEASON[panel.grain]
    use_season = season is not None and pre.notna().sum() >= 2 * season + 2
    kwargs = {"seasonal": season} if use_season else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter from the optimiser on short series
        model = UnobservedComponents(pre.to_numpy(float), level="llevel", **kwargs)
        res = model.fit(disp=False)
        fc = res.get_forecast(len(post))
        mean = np.asarray(fc.predicted_mean, float)
        band = np.asarray(fc.conf_int(alpha=0.05), float)
        paths = np.asarray(
            res.simulate(len(post), anchor="end", repetitions=_N_PATHS, rng=np.random.default_rng(_SEED)), float
        )
    paths = paths.reshape(len(post), -1)
    actual = post.to_numpy(float)
    ok = ~np.isnan(actual)
    effect = actual - mean
    cum = float(np.sum(effect[ok]))
    sim_cum = np.sum(actual[ok][:, None] - paths[ok], axis=0)
    sim_pred = np.sum(paths[ok], axis=0)
    pred_total = float(np.sum(mean[ok]))
    rel = cum / pred_total if pred_total else None
    rel_sims = (np.sum(actual[ok]) - sim_pred) / sim_pred
    p = float(min(1.0, 2 * min(np.mean(sim_cum <= 0), np.mean(sim_cum >= 0))))
    starts = [period_start(int(k), panel.grain) for k in post.index]
    periods = [
        {
            "period": f"{t:%Y-%m-%d}",
            "actual": (float(a) if not np.isnan(a) else None),
            "predicted": float(m),
            "lower": float(lo),
            "upper": float(hi),
        }
        for t, a, m, (lo, hi) in zip(starts, actual, mean, band)
    ]
    label = "local level" + (f" + seasonal ({season} {panel.grain}s)" if use_season else "")
    return {
        "att": float(np.mean(effect[ok])),
        "cumulative_effect": cum,
        "cumulative_ci95": [float(np.quantile(sim_cum, 0.025)), float(np.quantile(sim_cum, 0.975))],
        "relative_effect": rel,
        "relative_ci95": [float(np.quantile(rel_sims, 0.025)), float(np.quantile(rel_sims, 0.975))],
        "p_value": p,
        "model": label,
        "n_pre": int(pre.notna().sum()),
        "n_post": int(ok.sum()),
        "evidence": EVIDENCE,
        "series": periods,
    }
