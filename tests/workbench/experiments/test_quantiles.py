"""Quantile metrics per segment and per cumulative day checkpoint, against numpy on the unit-level data."""

from __future__ import annotations

import numpy as np
import pytest

from tests.workbench.experiments.conftest import make_users, open_frame, readout_for
from workbench.experiments import MetricSpec
from workbench.experiments.frequentist import quantile_ranks
from workbench.experiments.sufficient import _quantile_day_checkpoints


def _ci(values, q):
    v = np.sort(values)
    lo, hi = quantile_ranks(len(v), q)
    # quantile_disc at level (rank - 0.5)/n is the rank-th order statistic
    return [float(v[int(np.ceil(lo * len(v))) - 1]), float(v[int(np.ceil(hi * len(v))) - 1])]


@pytest.fixture(scope="module")
def qreadout(tmp_path_factory):
    from workbench.catalog import Catalog
    from workbench.engine import connect

    df = make_users(n_per_arm=(1500, 1500), heavy=True)
    con = connect()
    r = readout_for(
        con,
        open_frame(Catalog(con), tmp_path_factory.mktemp("q"), df),
        metrics=[MetricSpec("p90", "quantile", column="metric", quantile=0.9)],
        segment="country",
        time_column="assigned_at",
    )
    con.close()
    return df, r


def test_quantile_per_segment_matches_numpy(qreadout):
    df, r = qreadout
    for entry in r["segments"]["values"]:
        block = entry["metrics"]["p90"]
        for arm in ("control", "t1"):
            d = df[(df.arm == arm) & (df.country == entry["segment"])].metric.to_numpy()
            pa = block["per_arm"][arm]
            assert pa["estimate"] == pytest.approx(float(np.quantile(d, 0.9)), rel=1e-12)
            assert pa["ci95"] == pytest.approx(_ci(d, 0.9), rel=1e-12)
        assert block["comparisons"]["t1"]["p_value"] is not None


def test_quantile_cumulative_checkpoints_match_numpy(qreadout):
    df, r = qreadout
    rows = r["cumulative"]["metrics"]["p90"]["t1"]
    assert 1 <= len(rows) <= 8 and rows[-1]["date"] == "2024-03-10"
    day = df.assigned_at.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d")
    for row in rows:
        upto = df[day <= row["date"]]
        assert row["n_treatment"] == int((upto.arm == "t1").sum())
        est = {a: float(np.quantile(upto[upto.arm == a].metric, 0.9)) for a in ("control", "t1")}
        assert row["abs_diff"] == pytest.approx(est["t1"] - est["control"], rel=1e-9)
        lo, hi = row["ci95"]
        fl, fh = row["fixed_abs_ci95"]
        assert lo < fl < row["abs_diff"] < fh < hi  # the always-valid band is wider than the fixed-horizon CI
    assert rows[-1]["abs_diff"] == pytest.approx(r["metrics"]["p90"]["comparisons"]["t1"]["abs_diff"], rel=1e-12)
    assert "checkpoint" in r["cumulative"]["quantile_note"]


def test_quantile_checkpoints_respect_the_value_budget():
    days = [f"2024-03-{d:02d}" for d in range(1, 31)]
    assert _quantile_day_checkpoints(days[:5], 1000) == days[:5]
    cps = _quantile_day_checkpoints(days, 1000)
    assert len(cps) == 8 and cps[0] == days[0] and cps[-1] == days[-1]
    assert _quantile_day_checkpoints(days, 10_000_000) == [days[0], days[-1]]
    assert _quantile_day_checkpoints(days, 50_000_000) == [days[-1]]
