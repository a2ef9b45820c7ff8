"""CUPED variance reduction with a pre-period covariate (CONVENTIONS.md §3.5).

theta is the OLS slope of y on x over the pooled complete-case rows of the two arms being compared (as
GrowthBook does), so with several arms each pair gets its own theta. The adjusted comparison is a Welch
test on y - theta*x, computed from moments: no unit-level data leaves DuckDB.
"""

from __future__ import annotations

import math

from workbench.experiments.frequentist import _ci, _t, normal_p, t_p, welch_df, _z
from workbench.experiments.moments import Bivariate


def pooled_moments(a: Bivariate, b: Bivariate) -> tuple[float, float, float, float, float] | None:
    """Pooled (mean_y, mean_x, var_y, var_x, cov_xy) over two arms' rows, ignoring the arm."""
    n = a.n + b.n
    if n < 2:
        return None
    my = (a.n * a.y.mean + b.n * b.y.mean) / n
    mx = (a.n * a.x.mean + b.n * b.x.mean) / n

    def comoment(g: Bivariate, cross: str) -> float:
        if g.n < 2:
            within = 0.0
        elif cross == "yy":
            within = g.y.var * (g.n - 1)
        elif cross == "xx":
            within = g.x.var * (g.n - 1)
        else:
            within = g.cov * (g.n - 1)
        dy, dx = g.y.mean - my, g.x.mean - mx
        between = {"yy": dy * dy, "xx": dx * dx, "xy": dx * dy}[cross]
        return within + g.n * between

    return my, mx, (comoment(a, "yy") + comoment(b, "yy")) / (n - 1), (comoment(a, "xx") + comoment(b, "xx")) / (n - 1), (comoment(a, "xy") + comoment(b, "xy")) / (n - 1)


def cuped_comparison(t: Bivariate, c: Bivariate, covariate: str, arms: tuple[str, str], alpha: float = 0.05) -> dict:
    """CUPED-adjusted treatment-vs-control comparison (schema: CONVENTIONS.md §4 ``CUPED``)."""
    t_name, c_name = arms
    out = {"covariate": covariate, "theta": None, "n": {c_name: c.n, t_name: t.n}}
    if t.n < 2 or c.n < 2 or t.y.var is None or c.y.var is None:
        out["reason"] = "fewer than 2 units with both the metric and the covariate in an arm"
        return out
    pooled = pooled_moments(t, c)
    _, mx, vy, vx, cxy = pooled
    theta = 0.0 if vx <= 0 or vy <= 0 else cxy / vx
    out["theta"] = theta
    adj_var = {}
    for name, g in ((t_name, t), (c_name, c)):
        adj_var[name] = max(g.y.var - 2 * theta * g.cov + theta * theta * g.x.var, 0.0)
    out["adj_mean"] = {c_name: c.y.mean - theta * (c.x.mean - mx), t_name: t.y.mean - theta * (t.x.mean - mx)}
    out["adj_variance"] = {c_name: adj_var[c_name], t_name: adj_var[t_name]}
    diff = (t.y.mean - theta * t.x.mean) - (c.y.mean - theta * c.x.mean)
    se = math.sqrt(adj_var[t_name] / t.n + adj_var[c_name] / c.n)
    raw_se = math.sqrt(t.y.var / t.n + c.y.var / c.n)
    out.update(abs_diff=diff, abs_se=se, raw_abs_se_same_rows=raw_se)
    out["variance_reduction"] = 1 - se * se / (raw_se * raw_se) if raw_se > 0 else None
    if se == 0:
        out.update(abs_ci95=None, p_value=None, df=None, rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None,
                   reason="zero variance after adjustment: no test possible")
        return out
    df = welch_df(adj_var[t_name], t.n, adj_var[c_name], c.n)
    out.update(abs_ci95=_ci(diff, se, _t(alpha, df)), p_value=t_p(diff / se, df), df=df)
    m_c = c.y.mean
    if m_c == 0:
        out.update(rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None)
        out["notes"] = ["control mean is zero: relative lift is undefined"]
        return out
    rel = diff / m_c
    # Exact delta method with theta fixed: gradient in (mean_y_c, mean_x_c) plus the treatment term.
    g1, g2 = -(diff + m_c) / m_c ** 2, theta / m_c
    var_c = (g1 * g1 * c.y.var + 2 * g1 * g2 * c.cov + g2 * g2 * c.x.var) / c.n
    var_t = adj_var[t_name] / (t.n * m_c * m_c)
    rel_se = math.sqrt(max(var_c + var_t, 0.0))
    h1 = -t.y.mean / m_c ** 2  # GrowthBook HEAD's approximate first gradient component
    var_c_head = (h1 * h1 * c.y.var + 2 * h1 * g2 * c.cov + g2 * g2 * c.x.var) / c.n
    out["details"] = {"rel_se_gbstats_head_approx": math.sqrt(max(var_c_head + var_t, 0.0))}
    if rel_se == 0:
        out.update(rel_lift=None, rel_se=None, rel_ci95=None, rel_p_value=None)
        return out
    out.update(rel_lift=rel, rel_se=rel_se, rel_ci95=_ci(rel, rel_se, _z(alpha)), rel_p_value=normal_p(rel / rel_se))
    return out
