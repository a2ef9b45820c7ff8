"""CUPED variance reduction with a pre-period covariate (CONVENTIONS.md §3.5).

theta is the OLS slope of y on x over the pooled complete-case rows of the two arms being compared (as
GrowthBook does), so with several arms each pair gets its own theta. The adjusted comparison is a Welch
test on y - theta*x (a z test for proportions: a 0/1 outcome with any numeric pre-period covariate),
computed from moments: no unit-level data leaves DuckDB. Ratio metrics are adjusted by their pre-period
ratio with the delta method (:func:`ratio_adjusted_comparison`).
"""

from __future__ import annotations

import math
from typing import Any

from workbench.experiments.frequentist import _ci, _t, normal_p, t_p, welch_df, _z
from workbench.experiments.moments import Bivariate


def _present(value: float | None) -> float:
    # Callers reach the moments only once each arm has n >= 2, where every moment is defined.
    assert value is not None, "moment used before the arm had 2 units"
    return value


def pooled_moments(a: Bivariate, b: Bivariate) -> tuple[float, float, float, float, float] | None:
    """Pooled (mean_y, mean_x, var_y, var_x, cov_xy) over two arms' rows, ignoring the arm."""
    n = a.n + b.n
    if n < 2:
        return None
    my = (a.n * _present(a.y.mean) + b.n * _present(b.y.mean)) / n
    mx = (a.n * _present(a.x.mean) + b.n * _present(b.x.mean)) / n

    def comoment(g: Bivariate, cross: str) -> float:
        if g.n < 2:
            within = 0.0
        elif cross == "yy":
            within = _present(g.y.var) * (g.n - 1)
        elif cross == "xx":
            within = _present(g.x.var) * (g.n - 1)
        else:
            within = _present(g.cov) * (g.n - 1)
        dy, dx = _present(g.y.mean) - my, _present(g.x.mean) - mx
        between = {"yy": dy * dy, "xx": dx * dx, "xy": dx * dy}[cross]
        return within + g.n * between

    return (
        my,
        mx,
        (comoment(a, "yy") + comoment(b, "yy")) / (n - 1),
        (comoment(a, "xx") + comoment(b, "xx")) / (n - 1),
        (comoment(a, "xy") + comoment(b, "xy")) / (n - 1),
    )


def cuped_comparison(
    t: Bivariate, c: Bivariate, covariate: str, arms: tuple[str, str], alpha: float = 0.05, dist: str = "t"
) -> dict:
    """CUPED-adjusted treatment-vs-control comparison (schema: CONVENTIONS.md §4 ``CUPED``).

    ``dist="t"``: Welch t on y - theta*x (mean metrics). ``dist="z"``: the same estimate and standard
    error with a normal test and interval (proportion metrics, whose unadjusted test is a z test too).
    """
    t_name, c_name = arms
    out: dict[str, Any] = {
        "covariate": covariate,
        "theta": None,
        "n": {c_name: c.n, t_name: t.n},
        "test": "welch_t" if dist == "t" else "z",
    }
    if t.n < 2 or c.n < 2 or t.y.var is None or c.y.var is None:
        out["reason"] = "fewer than 2 units with both the metric and the covariate in an arm"
        return out
    pooled = pooled_moments(t, c)
    assert pooled is not None, "both arms have n >= 2 here"
    _, mx, vy, vx, cxy = pooled
    # Every moment is defined once both arms have n >= 2 (checked above).
    t_my, t_mx, t_vy, t_vx, t_cov = (_present(v) for v in (t.y.mean, t.x.mean, t.y.var, t.x.var, t.cov))
    c_my, c_mx, c_vy, c_vx, c_cov = (_present(v) for v in (c.y.mean, c.x.mean, c.y.var, c.x.var, c.cov))
    theta = 0.0 if vx <= 0 or vy <= 0 else cxy / vx
    out["theta"] = theta
    adj_var = {
        t_name: max(t_vy - 2 * theta * t_cov + theta * theta * t_vx, 0.0),
        c_name: max(c_vy - 2 * theta * c_cov + theta * theta * c_vx, 0.0),
    }
    out["adj_mean"] = {c_name: c_my - theta * (c_mx - mx), t_name: t_my - theta * (t_mx - mx)}
    out["adj_variance"] = {c_name: adj_var[c_name], t_name: adj_var[t_name]}
    diff = (t_my - theta * t_mx) - (c_my - theta * c_mx)
    se = math.sqrt(adj_var[t_name] / t.n + adj_var[c_name] / c.n)
    raw_se = math.sqrt(t_vy / t.n + c_vy / c.n)
    out.update(abs_diff=diff, abs_se=se, raw_abs_se_same_rows=raw_se)
    out["variance_reduction"] = 1 - se * se / (raw_se * raw_se) if raw_se > 0 else None
    if se == 0:
        out.update(
            abs_ci95=None,
            p_value=None,
            df=None,
            rel_lift=None,
            rel_se=None,
            rel_ci95=None,
            rel_p_value=None,
            reason="zero variance after adjustment: no test possible",
        )
        return out
    df = welch_df(adj_var[t_name], t.n, adj_var[c_name], c.n)
    if dist == "z":
        out.update(abs_ci95=_ci(diff, se, _z(alpha)), p_value=normal_p(diff / se), df=None)
    else:
        assert df is not None, "se > 0 means some adjusted variance is positive, so df is defined"
        out.update(abs_ci95=_ci(diff, se, _t(alpha, df)), p_value=t_p(diff / se, df), df=df)
    m_c = c_my
    if m_c == 0:
        out.update(rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None)
        out["notes"] = ["control mean is zero: relative lift is undefined"]
        return out
    rel = diff / m_c
    # Exact delta method with theta fixed: gradient in (mean_y_c, mean_x_c) plus the treatment term.
    g1, g2 = -(diff + m_c) / m_c**2, theta / m_c
    var_c = (g1 * g1 * c_vy + 2 * g1 * g2 * c_cov + g2 * g2 * c_vx) / c.n
    var_t = adj_var[t_name] / (t.n * m_c * m_c)
    rel_se = math.sqrt(max(var_c + var_t, 0.0))
    h1 = -t_my / m_c**2  # GrowthBook HEAD's approximate first gradient component
    var_c_head = (h1 * h1 * c_vy + 2 * h1 * g2 * c_cov + g2 * g2 * c_vx) / c.n
    out["details"] = {"rel_se_gbstats_head_approx": math.sqrt(max(var_c_head + var_t, 0.0))}
    if rel_se == 0:
        out.update(rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None)
        return out
    out.update(rel_lift=rel, rel_se=rel_se, rel_ci95=_ci(rel, rel_se, _z(alpha)), rel_p_value=normal_p(rel / rel_se))
    return out


def _quad(g, cov, h=None) -> float:
    h = g if h is None else h
    return sum(g[a] * cov[a][b] * h[b] for a in range(len(g)) for b in range(len(h)))


def ratio_adjusted_comparison(t, c, covariate: str, arms: tuple[str, str], alpha: float = 0.05) -> dict:
    """Regression-adjusted (CUPED) ratio metric: sum(num)/sum(den) adjusted by the pre-period ratio
    sum(pre_num)/sum(pre_den), treatment vs control, delta method. ``t``/``c`` are MultiMoments of
    (num, den, pre num, pre den) over each arm's complete-case units.

    Derivation (as GrowthBook's ``RegressionAdjustedRatioStatistic`` and
    ``compute_theta_regression_adjusted_ratio`` in gbstats/models/statistics.py): per arm, with unit means
    b = (M, D, M0, D0) and their per-unit 4x4 covariance L (ddof 1), the ratio R = M/D and the pre-period
    ratio R0 = M0/D0 linearise as R ~ R + gR'(b_hat - b) with gR = (1/D, -M/D^2, 0, 0) and
    gR0 = (0, 0, 1/D0, -M0/D0^2). The adjusted ratio A = R - theta*R0 has gradient gA = gR - theta*gR0
    and per-unit variance gA' L gA, so Var(A_hat) = gA' L gA / n. theta minimises the summed per-unit
    variance of the two arms: theta = sum_arms gR0' L gR / sum_arms gR0' L gR0 (a within-arm slope, as
    GrowthBook does for ratios; for means GrowthBook and we pool the arms). The difference
    A_t - A_c = (R_t - R_c) - theta (R0_t - R0_c) has SE sqrt(v_t/n_t + v_c/n_c): normal test and
    interval. Relative lift (A_t - A_c)/R_c by the delta method with theta fixed: gradient gA_t/R_c for
    the treatment, -(gA_c + (diff/R_c) gR_c)/R_c for the control.
    """
    t_name, c_name = arms
    out: dict[str, Any] = {
        "covariate": covariate,
        "theta": None,
        "n": {c_name: c.n, t_name: t.n},
        "test": "delta_z",
        "method": "regression-adjusted ratio (delta method, theta from the pre-period ratio)",
    }
    if t.n < 2 or c.n < 2 or t.cov is None or c.cov is None:
        out["reason"] = "fewer than 2 units with the ratio's and the covariate's columns in an arm"
        return out
    grads = {}
    for name, g in ((t_name, t), (c_name, c)):
        m, d, m0, d0 = g.mean
        if d == 0 or d0 == 0:
            out["reason"] = f"zero {'denominator' if d == 0 else 'pre-period denominator'} mean in {name}"
            return out
        grads[name] = ((1 / d, -m / d**2, 0.0, 0.0), (0.0, 0.0, 1 / d0, -m0 / d0**2), m / d, m0 / d0)
    num = sum(_quad(grads[a][1], g.cov, grads[a][0]) for a, g in ((t_name, t), (c_name, c)))
    den = sum(_quad(grads[a][1], g.cov) for a, g in ((t_name, t), (c_name, c)))
    theta = num / den if den > 0 else 0.0
    out["theta"] = theta
    var, adj, raw_var = {}, {}, {}
    for name, g in ((t_name, t), (c_name, c)):
        g_r, g_r0, r, r0 = grads[name]
        g_a = tuple(a - theta * b for a, b in zip(g_r, g_r0))
        var[name] = max(_quad(g_a, g.cov), 0.0)
        raw_var[name] = max(_quad(g_r, g.cov), 0.0)
        adj[name] = (r, r0, g_a)
    pooled_r0 = (
        (t.n * t.mean[2] + c.n * c.mean[2]) / (t.n * t.mean[3] + c.n * c.mean[3])
        if (t.n * t.mean[3] + c.n * c.mean[3])
        else 0.0
    )
    out["adj_mean"] = {a: adj[a][0] - theta * (adj[a][1] - pooled_r0) for a in (c_name, t_name)}
    out["adj_variance"] = {c_name: var[c_name], t_name: var[t_name]}
    diff = (adj[t_name][0] - theta * adj[t_name][1]) - (adj[c_name][0] - theta * adj[c_name][1])
    se = math.sqrt(var[t_name] / t.n + var[c_name] / c.n)
    raw_se = math.sqrt(raw_var[t_name] / t.n + raw_var[c_name] / c.n)
    out.update(abs_diff=diff, abs_se=se, raw_abs_se_same_rows=raw_se)
    out["variance_reduction"] = 1 - se * se / (raw_se * raw_se) if raw_se > 0 else None
    if se == 0:
        out.update(
            abs_ci95=None,
            p_value=None,
            df=None,
            rel_lift=None,
            rel_se=None,
            rel_ci95=None,
            rel_p_value=None,
            reason="zero variance after adjustment: no test possible",
        )
        return out
    out.update(abs_ci95=_ci(diff, se, _z(alpha)), p_value=normal_p(diff / se), df=None)
    r_c = adj[c_name][0]
    if r_c == 0:
        out.update(rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None)
        out["notes"] = ["control ratio is zero: relative lift is undefined"]
        return out
    rel = diff / r_c
    g_c = tuple(-(a + rel * b) / r_c for a, b in zip(adj[c_name][2], grads[c_name][0]))
    g_t = tuple(a / r_c for a in adj[t_name][2])
    rel_se = math.sqrt(max(_quad(g_c, c.cov) / c.n + _quad(g_t, t.cov) / t.n, 0.0))
    if rel_se == 0:
        out.update(rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None)
        return out
    out.update(rel_lift=rel, rel_se=rel_se, rel_ci95=_ci(rel, rel_se, _z(alpha)), rel_p_value=normal_p(rel / rel_se))
    return out
