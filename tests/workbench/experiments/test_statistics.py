"""Readout numbers against independent scipy / statsmodels computations on the unit-level data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.workbench.experiments.conftest import make_users, open_frame, readout_for
from workbench.experiments import MetricSpec

RTOL = 1e-9


def close(a, b, rtol=RTOL, atol=1e-12):
    assert a is not None and b is not None, (a, b)
    assert abs(a - b) <= atol + rtol * abs(b), (a, b)


@pytest.fixture
def three_arm(con, catalog, tmp_path):
    df = make_users(null_frac=0.05, heavy=True)
    return df, readout_for(con, open_frame(catalog, tmp_path, df), time_column="assigned_at", segment="country")


def test_welch_matches_scipy_with_nulls_and_three_arms(three_arm):
    from scipy import stats

    df, r = three_arm
    c = df[df.arm == "control"].metric.dropna()
    for arm in ("t1", "t2"):
        t = df[df.arm == arm].metric.dropna()
        res = stats.ttest_ind(t, c, equal_var=False)
        comp = r["metrics"]["metric"]["comparisons"][arm]
        close(comp["p_value"], res.pvalue)
        close(comp["stat"], res.statistic)
        ci = res.confidence_interval(0.95)
        close(comp["abs_ci95"][0], ci.low)
        close(comp["abs_ci95"][1], ci.high)
        assert r["metrics"]["metric"]["per_arm"][arm]["n_null"] == int(df[df.arm == arm].metric.isna().sum())
        close(r["metrics"]["metric"]["per_arm"][arm]["variance"], t.var(ddof=1))


def test_proportion_matches_statsmodels(three_arm):
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    df, r = three_arm
    c = df[df.arm == "control"].converted
    for arm in ("t1", "t2"):
        t = df[df.arm == arm].converted
        z, p = proportions_ztest([t.sum(), c.sum()], [len(t), len(c)])
        comp = r["metrics"]["converted"]["comparisons"][arm]
        close(comp["p_value"], p)
        close(comp["stat"], z)
        lo, hi = confint_proportions_2indep(t.sum(), len(t), c.sum(), len(c), method="wald", compare="diff")
        close(comp["abs_ci95"][0], lo)
        close(comp["abs_ci95"][1], hi)


def test_ratio_delta_variance_equals_linearised_variance(three_arm):
    df, r = three_arm
    for arm in ("control", "t1", "t2"):
        d = df[df.arm == arm]
        rr = d.numerator.sum() / d.denominator.sum()
        lin = (d.numerator - rr * d.denominator) / d.denominator.mean()
        pa = r["metrics"]["ratio"]["per_arm"][arm]
        close(pa["ratio"], rr)
        close(pa["variance_delta"], lin.var(ddof=1), rtol=1e-8)


def test_cuped_theta_is_pooled_ols_slope_per_pair(three_arm):
    import statsmodels.api as sm
    from scipy import stats

    df, r = three_arm
    for arm in ("t1", "t2"):
        d = df[df.arm.isin(["control", arm])].dropna(subset=["metric", "pre_metric"])
        fit = sm.OLS(d.metric.to_numpy(), sm.add_constant(d.pre_metric.to_numpy())).fit()
        cup = r["metrics"]["metric"]["comparisons"][arm]["cuped"]
        close(cup["theta"], fit.params[1], rtol=1e-8)
        adj = d.metric - cup["theta"] * d.pre_metric
        res = stats.ttest_ind(adj[d.arm == arm], adj[d.arm == "control"], equal_var=False)
        close(cup["p_value"], res.pvalue, rtol=1e-8)
        raw = stats.ttest_ind(d.metric[d.arm == arm], d.metric[d.arm == "control"], equal_var=False)
        se_raw = (d.metric[d.arm == arm].mean() - d.metric[d.arm == "control"].mean()) / raw.statistic
        close(cup["raw_abs_se_same_rows"], se_raw, rtol=1e-8)
        assert 0 < cup["variance_reduction"] < 1


def test_srm_matches_chisquare(three_arm):
    from scipy.stats import chisquare

    df, r = three_arm
    counts = df.arm.value_counts().reindex(["control", "t1", "t2"]).to_numpy()
    res = chisquare(counts)
    close(r["srm"]["chi2"], res.statistic)
    close(r["srm"]["p_value"], res.pvalue)
    assert r["srm"]["df"] == 2


def test_corrections_match_statsmodels(three_arm):
    from statsmodels.stats.multitest import multipletests

    _, r = three_arm
    fam = r["multiple_testing"]["family_all"]
    assert [tuple(m) for m in fam["members"]] == [
        (m, a) for m in ("metric", "converted", "ratio") for a in ("t1", "t2")
    ]
    for ours, method in (("bh", "fdr_bh"), ("holm", "holm"), ("bonferroni", "bonferroni")):
        np.testing.assert_allclose(fam[ours], multipletests(fam["p_values"], method=method)[1], rtol=1e-12)
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    assert comp["p_value_adjusted"] == fam["bh"][0]


def test_beta_binomial_chance_matches_numerical_integration():
    from scipy import integrate, stats

    from workbench.experiments.bayes import beta_binomial_chance

    x_t, n_t, x_c, n_c = 30, 200, 22, 210
    bt, bc = stats.beta(1 + x_t, 1 + n_t - x_t), stats.beta(1 + x_c, 1 + n_c - x_c)
    ref, _ = integrate.quad(lambda p: bt.pdf(p) * bc.cdf(p), 0, 1, epsabs=1e-13)
    close(beta_binomial_chance(x_t, n_t, x_c, n_c), ref, rtol=1e-8)


def test_power_matches_statsmodels():
    from statsmodels.stats.power import NormalIndPower

    from workbench.experiments.power import power_block

    b = power_block(10.0, 25.0, 1000)
    es = 0.05 * 10 / 5
    close(
        b["n_per_arm_for_rel_lift_5pct_two_tailed"],
        NormalIndPower().solve_power(effect_size=es, alpha=0.05, power=0.8),
        rtol=1e-7,
    )
    close(b["power_at_rel_lift_5pct"], NormalIndPower().power(effect_size=es, nobs1=1000, alpha=0.05), rtol=1e-10)


def test_sequential_interval_is_wider_and_always_valid_identity():
    from workbench.experiments.sequential import rho2, sequential_interval

    est, se, n = 0.3, 0.1, 4000
    s = sequential_interval(est, se, n)
    assert s["ci95"][0] < est - 1.96 * se and s["ci95"][1] > est + 1.96 * se
    # mSPRT identity: p = 1/Lambda with tau^2 = rho^2 * N * V
    v = se * se
    tau2 = rho2(0.05, 5000) * n * v
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * est * est / (2 * v * (v + tau2)))
    close(s["p_value"], min(1, 1 / lam), rtol=1e-10)


def test_cumulative_last_day_equals_overall(three_arm):
    _, r = three_arm
    last = r["cumulative"]["metrics"]["metric"]["t1"][-1]
    comp = r["metrics"]["metric"]["comparisons"]["t1"]
    close(last["abs_diff"], comp["abs_diff"])
    # Day sums added in Python vs one DuckDB sum: equal up to round-off, not bit for bit.
    for a, b in zip(last["ci95"], comp["sequential"]["abs"]["ci95"]):
        close(a, b)
    assert r["sequential_daily_metric"]["t1"][-1]["date"] == "2024-03-10"


def test_segments_sum_to_total_and_are_exploratory(three_arm):
    df, r = three_arm
    seg = r["segments"]
    assert seg["exploratory"] is True
    total = sum(e["units"]["control"] for e in seg["values"])
    assert total == int((df.arm == "control").sum())
    us = next(e for e in seg["values"] if e["segment"] == "US")
    from scipy import stats

    d = df[df.country == "US"]
    res = stats.ttest_ind(d[d.arm == "t2"].metric.dropna(), d[d.arm == "control"].metric.dropna(), equal_var=False)
    close(us["metrics"]["metric"]["comparisons"]["t2"]["p_value"], res.pvalue)
    assert "p_value_adjusted" in us["metrics"]["metric"]["comparisons"]["t2"]


def test_segment_top_n_folds_the_rest_into_other(con, catalog, tmp_path):
    df = make_users()
    r = readout_for(con, open_frame(catalog, tmp_path, df), segment="country", segment_top_n=2)
    names = [e["segment"] for e in r["segments"]["values"]]
    assert names[-1] == "Other" and len(names) == 3
    assert sum(e["units"]["t1"] for e in r["segments"]["values"]) == int((df.arm == "t1").sum())


def test_winsorisation_caps_at_pooled_percentile(con, catalog, tmp_path):
    from scipy import stats

    df = make_users(heavy=True)
    r = readout_for(con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("metric", "mean", cap=0.99)])
    cap = np.quantile(df.metric, 0.99)
    close(r["metrics"]["metric"]["cap_value"], cap)
    capped = df.metric.clip(upper=cap)
    res = stats.ttest_ind(capped[df.arm == "t1"], capped[df.arm == "control"], equal_var=False)
    close(r["metrics"]["metric"]["comparisons"]["t1"]["p_value"], res.pvalue)


def test_quantile_metric_has_estimate_and_interval(con, catalog, tmp_path):
    df = make_users(n_per_arm=(2000, 2000))
    r = readout_for(
        con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("p90", "quantile", column="metric", quantile=0.9)]
    )
    pa = r["metrics"]["p90"]["per_arm"]["control"]
    close(pa["estimate"], float(np.quantile(df[df.arm == "control"].metric, 0.9)))
    lo, hi = pa["ci95"]
    assert lo <= pa["estimate"] <= hi
    comp = r["metrics"]["p90"]["comparisons"]["t1"]
    assert comp["p_value"] is not None and comp["abs_ci95"][0] < comp["abs_diff"] < comp["abs_ci95"][1]


def test_several_rows_per_unit_are_rolled_up_first(con, catalog, tmp_path):
    from scipy import stats

    df = make_users(n_per_arm=(300, 300))
    rows = df.loc[df.index.repeat(2)].copy()  # every user twice: sums double, max/any unchanged
    r = readout_for(
        con,
        open_frame(catalog, tmp_path, rows),
        metrics=[MetricSpec("metric", "mean", covariate="pre_metric"), MetricSpec("converted", "proportion")],
    )
    assert r["health"]["rows_aggregated_per_unit"] is True
    assert r["srm"]["observed"] == {"control": 300, "t1": 300}
    per_user = df.metric * 2
    res = stats.ttest_ind(per_user[df.arm == "t1"], per_user[df.arm == "control"], equal_var=False)
    close(r["metrics"]["metric"]["comparisons"]["t1"]["p_value"], res.pvalue)
    assert r["metrics"]["converted"]["per_arm"]["control"]["successes"] == int(df[df.arm == "control"].converted.sum())
    close(r["metrics"]["metric"]["per_arm"]["control"]["mean"], per_user[df.arm == "control"].mean())


def test_large_offset_values_keep_precision(con, catalog, tmp_path):
    from scipy import stats

    df = make_users(n_per_arm=(500, 500))
    df["metric"] = df.metric + 1e9  # epoch-like magnitude: naive sum of squares would lose the variance
    r = readout_for(con, open_frame(catalog, tmp_path, df), metrics=[MetricSpec("metric", "mean")])
    res = stats.ttest_ind(df[df.arm == "t1"].metric, df[df.arm == "control"].metric, equal_var=False)
    close(r["metrics"]["metric"]["comparisons"]["t1"]["p_value"], res.pvalue, rtol=1e-6)


def test_sorted_large_offset_and_capped_values_keep_precision(con, catalog, tmp_path):
    """Shifts come from the footer range (midpoint) and, for capped metrics, the pooled median: a file sorted
    by the metric, with an epoch-like offset and a far outlier, still matches scipy."""
    from scipy import stats

    df = make_users(n_per_arm=(500, 500))
    df["metric"] = df.metric + 1e9
    df.loc[3, "metric"] = 1e15  # one far outlier: the raw range's midpoint is far from the capped values
    df = df.sort_values("metric").reset_index(drop=True)
    r = readout_for(
        con,
        open_frame(catalog, tmp_path, df),
        metrics=[MetricSpec("metric", "mean"), MetricSpec("capped", "mean", column="metric", cap=0.99)],
    )
    res = stats.ttest_ind(df[df.arm == "t1"].metric, df[df.arm == "control"].metric, equal_var=False)
    close(r["metrics"]["metric"]["comparisons"]["t1"]["p_value"], res.pvalue, rtol=1e-6)
    cap = r["metrics"]["capped"]["cap_value"]
    capped = df.metric.clip(upper=cap)
    res = stats.ttest_ind(capped[df.arm == "t1"], capped[df.arm == "control"], equal_var=False)
    close(r["metrics"]["capped"]["comparisons"]["t1"]["p_value"], res.pvalue, rtol=1e-6)
