"""Fixed-horizon tests on per-arm moments (CONVENTIONS.md §3.1-3.4).

Every function takes plain numbers and returns a dict in the readout schema. Undefined quantities (zero
standard error, zero control mean, fewer than two units) are ``None`` and a ``reason`` says why: never a
crash and never a fake p = 1.
"""

from __future__ import annotations

import math
from typing import Any


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def _t(alpha: float, df: float) -> float:
    from scipy.stats import t

    return float(t.ppf(1 - alpha / 2, df))


def normal_p(stat: float) -> float:
    """Two-sided normal p-value, accurate in the far tail (sf, not 1 - cdf)."""
    from scipy.stats import norm

    return float(2 * norm.sf(abs(stat)))


def t_p(stat: float, df: float) -> float:
    from scipy.stats import t

    return float(2 * t.sf(abs(stat), df))


def welch_df(v_t: float, n_t: int, v_c: float, n_c: float) -> float | None:
    """Welch-Satterthwaite degrees of freedom (None when both variances are zero)."""
    a, b = v_t / n_t, v_c / n_c
    den = (a * a) / (n_t - 1) + (b * b) / (n_c - 1)
    if den <= 0:
        return None
    return (a + b) ** 2 / den


def _ci(est, se, q):
    return [est - q * se, est + q * se]


def null_comparison(test: str, reason: str, abs_diff=None, abs_se=None) -> dict:
    """A comparison whose statistics are undefined, with the reason."""
    return {
        "test": test,
        "abs_diff": abs_diff,
        "abs_se": abs_se,
        "abs_ci95": None,
        "p_value": None,
        "stat": None,
        "rel_lift": None,
        "rel_se": None,
        "rel_ci95": None,
        "rel_p_value": None,
        "reason": reason,
    }


def relative(m_t, v_t, n_t, m_c, v_c, n_c, alpha: float, df: float | None = None) -> dict:
    """Relative lift (m_t - m_c)/m_c with the delta-method SE (§3.2); normal quantile, plus the
    GrowthBook t-quantile variant when ``df`` is given."""
    out: dict[str, Any] = {"rel_lift": None, "rel_se": None, "rel_ci95": None, "rel_p_value": None}
    if m_c is None or m_c == 0:
        out["rel_reason"] = "control mean is zero: relative lift is undefined"
        return out
    rel = (m_t - m_c) / m_c
    var = v_t / (n_t * m_c * m_c) + v_c * m_t * m_t / (n_c * m_c**4)
    se = math.sqrt(var) if var > 0 else 0.0
    if se == 0 or not math.isfinite(se):
        out["rel_reason"] = "zero standard error: relative lift not tested"
        return out
    out.update(rel_lift=rel, rel_se=se, rel_ci95=_ci(rel, se, _z(alpha)), rel_p_value=normal_p(rel / se))
    if df is not None:
        out["_gb"] = {"rel_ci95": _ci(rel, se, _t(alpha, df)), "rel_p_value": t_p(rel / se, df)}
    return out


def _merge_relative(out: dict, rel: dict) -> dict:
    gb = rel.pop("_gb", None)
    reason = rel.pop("rel_reason", None)
    out.update(rel)
    if reason:
        out.setdefault("notes", []).append(reason)
    if gb:
        out.setdefault("details", {}).setdefault("gbstats_convention", {}).update(gb)
    return out


def welch_test(m_t, v_t, n_t, m_c, v_c, n_c, alpha: float = 0.05) -> dict:
    """Welch t-test on means (scipy ``ttest_ind(equal_var=False)``) plus the relative lift."""
    test = "welch_t"
    if n_t < 2 or n_c < 2 or v_t is None or v_c is None:
        return null_comparison(test, "fewer than 2 units with a value in an arm")
    diff = m_t - m_c
    se = math.sqrt(v_t / n_t + v_c / n_c)
    if se == 0:
        out = null_comparison(test, "zero variance in both arms: no test possible", abs_diff=diff, abs_se=0.0)
        out["df"] = None
        return out
    df = welch_df(v_t, n_t, v_c, n_c)
    assert df is not None, "se > 0 means some variance is positive, so df is defined"
    stat = diff / se
    p = t_p(stat, df)
    ci = _ci(diff, se, _t(alpha, df))
    out = {
        "test": test,
        "abs_diff": diff,
        "abs_se": se,
        "abs_ci95": ci,
        "p_value": p,
        "stat": stat,
        "df": df,
        "details": {"gbstats_convention": {"abs_ci95": list(ci), "p_value": p}},
    }
    return _merge_relative(out, relative(m_t, v_t, n_t, m_c, v_c, n_c, alpha, df))


def proportion_test(x_t, n_t, x_c, n_c, alpha: float = 0.05) -> dict:
    """Pooled two-proportion z-test with a Wald (unpooled) CI (statsmodels ``proportions_ztest`` /
    ``confint_proportions_2indep(method='wald')``), plus the relative lift with p(1-p) variances."""
    test = "two_proportion_z_pooled"
    if n_t < 1 or n_c < 1:
        return null_comparison(test, "an arm has no units with a value")
    p_t, p_c = x_t / n_t, x_c / n_c
    v_t, v_c = p_t * (1 - p_t), p_c * (1 - p_c)
    diff = p_t - p_c
    se = math.sqrt(v_t / n_t + v_c / n_c)
    pooled = (x_t + x_c) / (n_t + n_c)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c))
    if se_pooled == 0 or se == 0:
        reason = (
            "no unit converted in either arm"
            if pooled == 0
            else ("every unit converted in both arms" if pooled == 1 else "zero variance: both rates are 0 or 1")
        )
        out = null_comparison(test, reason, abs_diff=diff, abs_se=se)
        out["details"] = {"se_pooled": se_pooled}
        return out
    stat = diff / se_pooled
    z = _z(alpha)
    details = {"se_pooled": se_pooled, "z_unpooled": diff / se, "p_value_unpooled": normal_p(diff / se)}
    if n_t >= 2 and n_c >= 2:
        v1_t, v1_c = v_t * n_t / (n_t - 1), v_c * n_c / (n_c - 1)
        se1 = math.sqrt(v1_t / n_t + v1_c / n_c)
        df1 = welch_df(v1_t, n_t, v1_c, n_c)
        if se1 > 0 and df1:
            details["welch_on_01"] = {
                "p_value": t_p(diff / se1, df1),
                "stat": diff / se1,
                "df": df1,
                "abs_ci95": _ci(diff, se1, _t(alpha, df1)),
            }
        df_gb = welch_df(v_t, n_t, v_c, n_c)
        if df_gb:
            details["gbstats_convention"] = {
                "df": df_gb,
                "abs_ci95": _ci(diff, se, _t(alpha, df_gb)),
                "p_value": t_p(diff / se, df_gb),
            }
    else:
        df_gb = None
    out = {
        "test": test,
        "abs_diff": diff,
        "abs_se": se,
        "abs_ci95": _ci(diff, se, z),
        "p_value": normal_p(stat),
        "stat": stat,
        "details": details,
    }
    return _merge_relative(out, relative(p_t, v_t, n_t, p_c, v_c, n_c, alpha, df_gb))


def ratio_test(r_t, vd_t, n_t, r_c, vd_c, n_c, alpha: float = 0.05) -> dict:
    """Ratio of sums with delta-method variances (§3.4): normal test and CI."""
    test = "delta_z"
    if n_t < 2 or n_c < 2 or vd_t is None or vd_c is None or r_t is None or r_c is None:
        return null_comparison(test, "fewer than 2 units, or a zero denominator total, in an arm")
    diff = r_t - r_c
    se = math.sqrt(vd_t / n_t + vd_c / n_c)
    if se == 0:
        return null_comparison(test, "zero variance in both arms: no test possible", abs_diff=diff, abs_se=0.0)
    stat = diff / se
    df = welch_df(vd_t, n_t, vd_c, n_c)
    out = {
        "test": test,
        "abs_diff": diff,
        "abs_se": se,
        "abs_ci95": _ci(diff, se, _z(alpha)),
        "p_value": normal_p(stat),
        "stat": stat,
        "details": {},
    }
    if df:
        out["details"]["gbstats_convention"] = {
            "df": df,
            "abs_ci95": _ci(diff, se, _t(alpha, df)),
            "p_value": t_p(stat, df),
        }
    return _merge_relative(out, relative(r_t, vd_t, n_t, r_c, vd_c, n_c, alpha, df))


def ratio_variance_delta(m_n, m_d, v_n, v_d, c_nd):
    """Per-unit delta-method variance of sum(num)/sum(den) (None when the denominator mean is zero)."""
    if m_d is None or m_d == 0 or v_n is None or v_d is None or c_nd is None:
        return None
    return max(v_n / m_d**2 - 2 * c_nd * m_n / m_d**3 + m_n**2 * v_d / m_d**4, 0.0)


def quantile_test(q_t, se_t, n_t, q_c, se_c, n_c, alpha: float = 0.05) -> dict:
    """Difference of two sample quantiles with order-statistic SEs: normal test, delta-method relative lift."""
    test = "quantile_z"
    if q_t is None or q_c is None or se_t is None or se_c is None:
        return null_comparison(test, "too few units to estimate the quantile's confidence interval")
    diff = q_t - q_c
    se = math.sqrt(se_t**2 + se_c**2)
    if se == 0:
        return null_comparison(test, "zero spread around the quantile in both arms", abs_diff=diff, abs_se=0.0)
    stat = diff / se
    out = {
        "test": test,
        "abs_diff": diff,
        "abs_se": se,
        "abs_ci95": _ci(diff, se, _z(alpha)),
        "p_value": normal_p(stat),
        "stat": stat,
        "details": {},
    }
    # relative(): v/n plays the role of the squared SE, so pass se^2 with n = 1.
    return _merge_relative(out, relative(q_t, se_t**2, 1, q_c, se_c**2, 1, alpha))


def quantile_ranks(n: int, q: float, alpha: float = 0.05) -> tuple[float, float] | None:
    """Lower/upper quantile levels whose order statistics bound the q-quantile (normal approximation to
    the binomial count below it); None when n is too small for the interval to sit inside the sample."""
    if n < 2:
        return None
    z = _z(alpha)
    half = z * math.sqrt(n * q * (1 - q))
    lo_rank = math.floor(n * q - half)
    hi_rank = math.ceil(n * q + half)
    if lo_rank < 1 or hi_rank > n:
        return None
    return (lo_rank - 0.5) / n, (hi_rank - 0.5) / n
