"""Small experiment tables made with numpy, written to Parquet and opened through the catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.experiments import ExperimentSpec, MetricSpec, run_experiment


def make_users(n_per_arm=(400, 380, 390), seed=7, null_frac=0.0, heavy=False):
    """One row per user; arms control/t1/t2 with small effects, optional NULLs and heavy tails."""
    rng = np.random.default_rng(seed)
    frames = []
    uid = 0
    for k, n in enumerate(n_per_arm):
        arm = "control" if k == 0 else f"t{k}"
        pre = rng.normal(50, 10, n)
        noise = rng.lognormal(2, 1.5, n) if heavy else rng.normal(0, 8, n)
        metric = 0.6 * pre + noise + 1.5 * k
        conv = rng.random(n) < 0.1 + 0.02 * k
        den = rng.poisson(3, n)
        num = rng.binomial(den, 0.2 + 0.01 * k)
        df = pd.DataFrame(
            {
                "user_id": np.arange(uid, uid + n),
                "arm": arm,
                "pre_metric": pre,
                "metric": metric,
                "converted": conv,
                "numerator": num,
                "denominator": den,
                "country": rng.choice(["US", "BR", "DE", "IN", "FR"], n, p=[0.4, 0.2, 0.2, 0.1, 0.1]),
                "assigned_at": pd.Timestamp("2024-03-04", tz="UTC")
                + pd.to_timedelta(rng.integers(0, 7 * 86400, n), unit="s"),
            }
        )
        uid += n
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    if null_frac:
        mask = rng.random(len(df)) < null_frac
        df.loc[mask, "metric"] = np.nan
        mask2 = rng.random(len(df)) < null_frac
        df.loc[mask2, "pre_metric"] = np.nan
    return df


def open_frame(catalog, tmp_path, df: pd.DataFrame, name="exp"):
    path = tmp_path / f"{name}.parquet"
    df.to_parquet(path, index=False)
    return catalog.open(str(path))


STANDARD_METRICS = (
    MetricSpec("metric", "mean", column="metric", covariate="pre_metric"),
    MetricSpec("converted", "proportion", column="converted"),
    MetricSpec("ratio", "ratio", numerator="numerator", denominator="denominator"),
)


def readout_for(con, source, metrics=STANDARD_METRICS, **kw):
    spec = ExperimentSpec(
        table=source.name,
        unit=kw.pop("unit", "user_id"),
        arm=kw.pop("arm", "arm"),
        control=kw.pop("control", "control"),
        metrics=tuple(metrics),
        **kw,
    )
    cur = con.cursor()
    try:
        return run_experiment(cur, spec).data
    finally:
        cur.close()


@pytest.fixture
def users_df():
    return make_users()
