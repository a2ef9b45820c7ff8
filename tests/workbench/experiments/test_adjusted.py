"""CUPED for proportion metrics and regression adjustment for ratio metrics, against independent
computations on the unit-level data: statsmodels OLS + numpy for the proportion, and the linearised
(unit-level) delta method in numpy for the ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.workbench.experiments.conftest import open_frame, readout_for
from workbench.experiments import MetricSpec

RTOL = 1e-8


def close(a, b, rtol=RTOL, atol=1e-12):
    assert a is not None and b is not None, (a, b)
    assert abs(a - b) <= atol + rtol * abs(b), (a, b)


def _users(n_per_arm=(1500, 1400, 1450), seed=3):
    rng = np.random.default_rng(seed)
    frames, uid = [], 0
    for k, n in enumerate(n_per_arm):
        arm = "control" if k == 0 else f"t{k}"
        pre_conv = (rng.random(n) < 0.3).astype(float)
        pre_score = rng.normal(0, 1, n)
        p = 1 / (1 + np.exp(-(-1.2 + 1.5 * pre_conv + 0.6 * pre_score + 0.08 * k)))
        pre_den = rng.poisson(8, n) + 1
        pre_num = rng.binomial(pre_den, rng.beta(2, 8, n))
        den = rng.poisson(pre_den * 1.1) + 1
        num = rng.binomial(den, np.clip(pre_num / pre_den * 0.8 + 0.04 + 0.01 * k, 0, 1))
        frames.append(
            pd.DataFrame(
                {
                    "user_id": np.arange(uid, uid + n),
                    "arm": arm,
                    "converted": rng.random(n) < p,
                    "pre_converted": pre_conv,
                    "pre_score": pre_score,
                    "num": num,
                    "den": den,
                    "pre_num": pre_num.astype(float),
                    "pre_den": pre_den,
                }
            )
        )
        uid += n
    df = pd.concat(frames, ignore_index=True)
    df.loc[rng.random(len(df)) < 0.02, "pre_score"] = np.nan  # missing covariates: complete-case path
    df.loc[rng.random(len(df)) < 0.02, "pre_num"] = np.nan
    return df


@pytest.fixture(scope="module")
def adjusted(tmp_path_factory):
    from workbench.catalog import Catalog
    from workbench.engine import connect

    df = _users()
    con = connect()
    r = readout_for(
        con,
        open_frame(Catalog(con), tmp_path_factory.mktemp("adj"), df),
        metrics=[
            MetricSpec("conv_cuped", "proportion", column="converted", covariate="pre_score"),
            MetricSpec("conv_binary_cov", "proportion", column="converted", covariate="pre_converted"),
            MetricSpec("rate", "ratio", numerator="num", denominator="den", covariate="pre_num/pre_den"),
        ],
    )
    con.close()
    return df, r


@pytest.mark.parametrize("metric, cov", [("conv_cuped", "pre_score"), ("conv_binary_cov", "pre_converted")])
def test_proportion_cuped_matches_statsmodels_ols(adjusted, metric, cov):
    import statsmodels.api as sm
    from scipy import stats

    df, r = adjusted
    for arm in ("t1", "t2"):
        d = df[df.arm.isin(["control", arm])].dropna(subset=[cov])
        y, x = d.converted.astype(float).to_numpy(), d[cov].to_numpy()
        fit = sm.OLS(y, sm.add_constant(x)).fit()
        cup = r["metrics"][metric]["comparisons"][arm]["cuped"]
        close(cup["theta"], fit.params[1])
        adj = y - fit.params[1] * x
        t, c = adj[(d.arm == arm).to_numpy()], adj[(d.arm == "control").to_numpy()]
        diff = t.mean() - c.mean()
        se = np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
        close(cup["abs_diff"], diff)
        close(cup["abs_se"], se)
        close(cup["p_value"], 2 * stats.norm.sf(abs(diff / se)))
        close(cup["abs_ci95"][0], diff - stats.norm.ppf(0.975) * se)
        assert cup["test"] == "z" and 0 < cup["variance_reduction"] < 1
        assert r["metrics"][metric]["per_arm"]["control"]["n_missing_covariate"] == int(
            df[df.arm == "control"][cov].isna().sum()
        )


def test_proportion_cuped_agrees_with_ancova_treatment_coefficient(adjusted):
    """Not the same estimator (ANCOVA fits the slope within arms), but on a randomised split the two agree
    closely: a sanity check that the adjustment goes the right way."""
    import statsmodels.formula.api as smf

    df, r = adjusted
    d = (
        df[df.arm.isin(["control", "t2"])]
        .dropna(subset=["pre_score"])
        .assign(y=lambda f: f.converted.astype(float), t=lambda f: (f.arm == "t2").astype(float))
    )
    fit = smf.ols("y ~ t + pre_score", data=d).fit(cov_type="HC1")
    cup = r["metrics"]["conv_cuped"]["comparisons"]["t2"]["cuped"]
    assert cup["abs_diff"] == pytest.approx(fit.params["t"], abs=0.1 * fit.bse["t"])
    assert cup["abs_se"] == pytest.approx(fit.bse["t"], rel=0.02)


def test_ratio_regression_adjustment_matches_linearised_numpy(adjusted):
    """Independent computation: the delta method as unit-level linearised values
    lin_R = (num - R den)/mean(den), lin_R0 = (pre_num - R0 pre_den)/mean(pre_den) per arm; theta is the
    summed within-arm covariance over the summed variance of lin_R0; the adjusted difference is
    (R_t - R_c) - theta (R0_t - R0_c) with variance var(lin_R - theta lin_R0)/n per arm."""
    from scipy import stats

    df, r = adjusted
    d = df.dropna(subset=["num", "den", "pre_num", "pre_den"])

    def lin(g):
        rr, r0 = g.num.sum() / g.den.sum(), g.pre_num.sum() / g.pre_den.sum()
        return (
            rr,
            r0,
            ((g.num - rr * g.den) / g.den.mean()).to_numpy(),
            ((g.pre_num - r0 * g.pre_den) / g.pre_den.mean()).to_numpy(),
        )

    c = lin(d[d.arm == "control"])
    for arm in ("t1", "t2"):
        t = lin(d[d.arm == arm])
        theta = sum(np.cov(g[2], g[3], ddof=1)[0, 1] for g in (t, c)) / sum(g[3].var(ddof=1) for g in (t, c))
        cup = r["metrics"]["rate"]["comparisons"][arm]["cuped"]
        close(cup["theta"], theta)
        diff = (t[0] - c[0]) - theta * (t[1] - c[1])
        v = {k: (g[2] - theta * g[3]).var(ddof=1) / len(g[2]) for k, g in (("t", t), ("c", c))}
        se = np.sqrt(v["t"] + v["c"])
        close(cup["abs_diff"], diff)
        close(cup["abs_se"], se)
        close(cup["p_value"], 2 * stats.norm.sf(abs(diff / se)))
        raw_se = np.sqrt(t[2].var(ddof=1) / len(t[2]) + c[2].var(ddof=1) / len(c[2]))
        close(cup["raw_abs_se_same_rows"], raw_se)
        assert 0 < cup["variance_reduction"] < 1
        # Relative lift: delta method with theta fixed, on the linearised values of diff / R_c.
        rel = diff / c[0]
        lin_t = (t[2] - theta * t[3]) / c[0]
        lin_c = -((c[2] - theta * c[3]) + rel * c[2]) / c[0]
        close(cup["rel_lift"], rel)
        close(cup["rel_se"], np.sqrt(lin_t.var(ddof=1) / len(lin_t) + lin_c.var(ddof=1) / len(lin_c)))
    # the unadjusted ratio still uses every unit with num and den (pre-period NULLs do not drop them)
    assert r["metrics"]["rate"]["per_arm"]["control"]["n"] == int((df.arm == "control").sum())
    assert r["metrics"]["rate"]["per_arm"]["control"]["n_missing_covariate"] == int(
        df[df.arm == "control"].pre_num.isna().sum()
    )


def test_ratio_adjustment_on_rolled_up_rows_and_in_segments(con, catalog, tmp_path):
    df = _users(n_per_arm=(300, 300), seed=5).dropna()
    df["country"] = np.where(df.user_id % 2 == 0, "US", "BR")
    halves = pd.concat(
        [df.assign(num=df.num // 2, den=df.den // 2), df.assign(num=df.num - df.num // 2, den=df.den - df.den // 2)]
    )
    metrics = [MetricSpec("rate", "ratio", numerator="num", denominator="den", covariate="pre_num/pre_den")]
    whole = readout_for(con, open_frame(catalog, tmp_path, df), metrics=metrics)
    rolled = readout_for(con, open_frame(catalog, tmp_path, halves, name="rows"), metrics=metrics, segment="country")
    assert rolled["health"]["rows_aggregated_per_unit"] is True
    a, b = (
        whole["metrics"]["rate"]["comparisons"]["t1"]["cuped"],
        rolled["metrics"]["rate"]["comparisons"]["t1"]["cuped"],
    )
    close(b["abs_diff"], a["abs_diff"])
    close(b["abs_se"], a["abs_se"])
    assert "segments" in rolled
