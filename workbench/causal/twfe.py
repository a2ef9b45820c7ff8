"""Two-way fixed effects regressions on the panel: DiD and the event study, with unit-clustered SEs.

y_ut = a_u + l_t + X_ut b + e_ut. The fixed effects are swept out by demeaning (exact in one sweep for a
balanced panel; unbalanced panels project off the smaller factor's dummies), so the fit never builds the
N x (G + T) dummy-variable design. Standard errors are CR1 clustered by unit with
fixest's default small-sample factor c = G/(G-1) * (N-1)/(N-K), K = m + T: the unit effects are nested in
the clusters and not counted. CIs and p-values use Student t with G-1 degrees of freedom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.causal.panel import Panel
from workbench.errors import SpecError

_TOL = 1e-14
_MAX_SWEEPS = 10_000
_MAX_EVENT_CELLS = 50_000_000  # N x relative periods: ~400 MB of doubles for the demeaned dummies
_MAX_DUMMY_CELLS = 20_000_000  # N x (levels of the smaller factor) for the exact unbalanced route


@dataclass(frozen=True)
class TwfeFit:
    """Coefficients of interest, their CR1 covariance, and the sizes the inference uses."""

    beta: np.ndarray
    vcov: np.ndarray
    n_obs: int
    n_clusters: int
    n_periods: int

    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vcov), 0.0, None))


def _codes(values) -> tuple[np.ndarray, int]:
    _, codes = np.unique(np.asarray(values), return_inverse=True)
    return codes.astype(np.int64), int(codes.max()) + 1


def _sweep(a: np.ndarray, codes: np.ndarray, n: int) -> None:
    """Subtract group means in place, column by column (bincount is the fast grouped sum)."""
    counts = np.bincount(codes, minlength=n).astype(float)
    for j in range(a.shape[1]):
        a[:, j] -= (np.bincount(codes, weights=a[:, j], minlength=n) / counts)[codes]


def demean_two_way(
    a: np.ndarray, unit_codes: np.ndarray, n_units: int, period_codes: np.ndarray, n_periods: int
) -> np.ndarray:
    """Columns of ``a`` with unit and period effects removed: the residual of a regression on both sets of
    dummies (Frisch-Waugh-Lovell).

    A balanced panel needs one sweep of each set of means. Otherwise the coarser factor's means are swept
    out and the residual is projected off the other factor's (demeaned) dummies exactly; only when that
    design would be too large do we fall back to alternating projections until a sweep changes nothing.
    """
    out = np.array(a, dtype=float, copy=True)
    if len(out) == n_units * n_periods:  # every cell present: the two sweeps are exact
        _sweep(out, unit_codes, n_units)
        _sweep(out, period_codes, n_periods)
        return out
    if n_units <= n_periods:
        many, n_many, few, n_few = period_codes, n_periods, unit_codes, n_units
    else:
        many, n_many, few, n_few = unit_codes, n_units, period_codes, n_periods
    if len(out) * n_few <= _MAX_DUMMY_CELLS:
        _sweep(out, many, n_many)
        dummies = np.zeros((len(out), n_few))
        dummies[np.arange(len(out)), few] = 1.0
        _sweep(dummies, many, n_many)
        coef = np.linalg.lstsq(dummies, out, rcond=None)[0]
        return out - dummies @ coef
    scale = max(float(np.max(np.abs(out))) if out.size else 0.0, 1e-300)
    for _ in range(_MAX_SWEEPS):
        before = out.copy()
        _sweep(out, unit_codes, n_units)
        _sweep(out, period_codes, n_periods)
        if np.max(np.abs(out - before)) <= _TOL * scale:
            break
    return out


def cr1_factor(n_obs: int, n_clusters: int, m: int, n_periods: int) -> float:
    k = m + n_periods
    return n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - k)


def fit(panel: Panel, regressors: np.ndarray) -> TwfeFit:
    """OLS of the panel's y on ``regressors`` (N x m) with unit and period fixed effects, CR1 by unit."""
    frame = panel.frame
    ucodes, n_units = _codes(frame["unit"].to_numpy())
    pcodes, n_periods = _codes(frame["step"].to_numpy())
    data = np.column_stack([frame["y"].to_numpy(float), regressors])
    tilde = demean_two_way(data, ucodes, n_units, pcodes, n_periods)
    y, x = tilde[:, 0], tilde[:, 1:]
    bread = np.linalg.pinv(x.T @ x)
    beta = bread @ (x.T @ y)
    resid = y - x @ beta
    scores = np.zeros((n_units, x.shape[1]))
    np.add.at(scores, ucodes, x * resid[:, None])
    n_obs, m = len(y), x.shape[1]
    vcov = cr1_factor(n_obs, n_units, m, n_periods) * (bread @ (scores.T @ scores) @ bread)
    return TwfeFit(beta, vcov, n_obs, n_units, n_periods)


def t_critical(n_clusters: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, n_clusters - 1))


def did(panel: Panel) -> dict:
    """The two-way fixed effects DiD: ``att`` with its clustered se, 95 % CI and p (t, G-1 df)."""
    from scipy import stats

    f = fit(panel, panel.treated_mask().astype(float)[:, None])
    att, se = float(f.beta[0]), float(f.se()[0])
    g = f.n_clusters
    tc = t_critical(g)
    p = float(2 * stats.t.sf(abs(att / se), g - 1)) if se > 0 else None
    return {
        "att": att,
        "se": se,
        "ci95": [att - tc * se, att + tc * se],
        "p_value": p,
        "n_units": g,
        "n_periods": f.n_periods,
    }


def event_study(panel: Panel) -> tuple[list[dict], float | None, dict | None]:
    """Leads and lags relative to the start (k = -1 is the reference), and the joint pre-trend test.

    Returns (rows sorted by relative period, pretrend p-value or None, the F test's statistics or None).
    The p-value is None when there is no lead k <= -2 or more leads than G - 1 (the clustered covariance
    of the leads is then singular).
    """
    from scipy import stats

    rel = panel.relative_period()
    observed = sorted({int(k) for k in rel[~np.isnan(rel)]})
    ks = [k for k in observed if k != -1]
    if not ks:
        return [], None, None
    if len(rel) * len(ks) > _MAX_EVENT_CELLS:
        raise SpecError(
            f"The event study would need {len(ks)} coefficients on {len(rel):,} unit-periods; use a "
            "coarser grain or a shorter range (--end)"
        )
    dummies = np.column_stack([(rel == k).astype(float) for k in ks])
    f = fit(panel, dummies)
    se = f.se()
    g = f.n_clusters
    tc = t_critical(g)
    rows = []
    for k in observed:
        if k == -1:
            rows.append({"relative_period": -1, "estimate": 0.0, "se": 0.0, "ci95": [0.0, 0.0]})
            continue
        i = ks.index(k)
        b, s = float(f.beta[i]), float(se[i])
        rows.append({"relative_period": k, "estimate": b, "se": s, "ci95": [b - tc * s, b + tc * s]})
    leads = [i for i, k in enumerate(ks) if k <= -2]
    q = len(leads)
    if q == 0 or q > g - 1:
        return rows, None, None
    lead_beta = f.beta[leads]
    lead_vcov = f.vcov[np.ix_(leads, leads)]
    try:
        stat = float(lead_beta @ np.linalg.solve(lead_vcov, lead_beta) / q)
    except np.linalg.LinAlgError:
        return rows, None, None
    if not math.isfinite(stat):
        return rows, None, None
    p = float(stats.f.sf(stat, q, g - 1))
    return rows, p, {"F": stat, "df1": q, "df2": g - 1}
