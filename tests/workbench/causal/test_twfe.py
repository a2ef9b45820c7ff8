"""DiD and event study against an independent computation: statsmodels OLS on the full dummy-variable
design with its cluster sandwich (no correction), times the CR1 factor of CONVENTIONS.md."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from workbench.catalog import Catalog
from workbench.causal import twfe
from workbench.causal.panel import ImpactSpec, build_panel
from workbench.cli import main as cli_main
from workbench.metrics import Measure


def _panel(con, path, **kw):
    source = Catalog(con).open([path])
    spec = ImpactSpec(
        table=source.name,
        time_column="ts",
        measure=Measure.parse(kw.pop("measure", "sum(value)")),
        grain="day",
        unit="unit",
        treated=("u0", "u1"),
        start="2024-03-26",
        **kw,
    )
    return build_panel(con, spec)


def _statsmodels(frame: pd.DataFrame, regressors: pd.DataFrame):
    dummies = pd.get_dummies(frame[["unit"]].assign(period=frame["period"].astype(str)), drop_first=True, dtype=float)
    design = pd.concat([regressors.reset_index(drop=True), dummies.reset_index(drop=True)], axis=1)
    design = sm.add_constant(design)
    res = sm.OLS(frame["y"].to_numpy(), design).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["unit"])[0], "use_correction": False}
    )
    n, g, t, m = len(frame), frame["unit"].nunique(), frame["period"].nunique(), regressors.shape[1]
    factor = g / (g - 1) * (n - 1) / (n - (m + t))
    cols = list(regressors.columns)
    return res.params[cols].to_numpy(), res.cov_params().loc[cols, cols].to_numpy() * factor


def test_did_matches_dummy_ols_with_cluster_sandwich(con, did_parquet):
    panel = _panel(con, did_parquet)
    ours = twfe.did(panel)
    b, v = _statsmodels(panel.frame, pd.DataFrame({"D": panel.treated_mask().astype(float)}))
    assert ours["att"] == pytest.approx(b[0], rel=1e-10)
    assert ours["se"] == pytest.approx(np.sqrt(v[0, 0]), rel=1e-9)
    p = 2 * stats.t.sf(abs(b[0] / np.sqrt(v[0, 0])), 9)
    assert ours["p_value"] == pytest.approx(p, rel=1e-7)
    assert ours["att"] == pytest.approx(2.0, abs=0.4)  # and it recovers the planted effect
    assert (ours["n_units"], ours["n_periods"]) == (10, 40)


@pytest.mark.parametrize("route", ["exact", "alternating"])
def test_unbalanced_panel_still_matches_dummy_ols(con, tmp_path, did_parquet, monkeypatch, route):
    """Dropping cells breaks the one-sweep demeaning; both unbalanced routes must equal the dummy OLS."""
    if route == "alternating":
        monkeypatch.setattr(twfe, "_MAX_DUMMY_CELLS", 0)
    df = pd.read_parquet(did_parquet)
    keep = ~((df["unit"] == "u3") & (df["ts"] < "2024-03-05")) & ~((df["unit"] == "u0") & (df["ts"].dt.day == 28))
    path = tmp_path / "unbalanced.parquet"
    df[keep].to_parquet(path, index=False)
    panel = _panel(con, str(path))
    assert len(panel.frame) == 400 - 4 - 1
    ours = twfe.did(panel)
    b, v = _statsmodels(panel.frame, pd.DataFrame({"D": panel.treated_mask().astype(float)}))
    assert ours["att"] == pytest.approx(b[0], rel=1e-9)
    assert ours["se"] == pytest.approx(np.sqrt(v[0, 0]), rel=1e-8)


def test_event_study_and_pretrend_f_match_dummy_ols(con, tmp_path):
    """A weekly panel with few leads (q <= G - 1), so the pre-trend F test is defined."""
    rng = np.random.default_rng(5)
    weeks = pd.date_range("2024-01-01", periods=8, freq="W-MON")
    rows = [
        {
            "unit": f"s{i}",
            "ts": w + pd.Timedelta(days=int(rng.integers(0, 7)), minutes=int(rng.integers(1, 1400))),
            "value": i + 0.3 * k + (1.5 if i < 3 and k >= 5 else 0.0) + rng.normal(0, 0.4),
        }
        for i in range(12)
        for k, w in enumerate(weeks)
    ]
    path = tmp_path / "weekly.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    source = Catalog(con).open([str(path)])
    spec = ImpactSpec(
        table=source.name,
        time_column="ts",
        measure=Measure.parse("mean(value)"),
        grain="week",
        unit="unit",
        treated=("s0", "s1", "s2"),
        start="2024-02-07",
    )
    panel = build_panel(con, spec)
    rows_es, p, wald = twfe.event_study(panel)
    rel = panel.relative_period()
    ks = [k for k in range(-5, 3) if k != -1]
    assert [r["relative_period"] for r in rows_es] == list(range(-5, 3))
    b, v = _statsmodels(panel.frame, pd.DataFrame({f"k{k}": (rel == k).astype(float) for k in ks}))
    est = {r["relative_period"]: r for r in rows_es}
    for i, k in enumerate(ks):
        assert est[k]["estimate"] == pytest.approx(b[i], rel=1e-9, abs=1e-12)
        assert est[k]["se"] == pytest.approx(np.sqrt(v[i, i]), rel=1e-8)
    leads = [i for i, k in enumerate(ks) if k <= -2]
    f = b[leads] @ np.linalg.solve(v[np.ix_(leads, leads)], b[leads]) / len(leads)
    assert wald["F"] == pytest.approx(f, rel=1e-8)
    assert p == pytest.approx(stats.f.sf(f, len(leads), 11), rel=1e-7)


def test_cli_did_on_event_level_rows(did_parquet, capsys):
    code = cli_main(
        [
            "impact",
            did_parquet,
            "--time",
            "ts",
            "--measure",
            "sum(value)",
            "--grain",
            "day",
            "--unit",
            "unit",
            "--treated",
            "u0,u1",
            "--start",
            "2024-03-26",
            "--method",
            "did",
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "impact/1" and doc["treatment_start"] == "2024-03-26"
    assert set(doc["controls"]) == {f"u{i}" for i in range(2, 10)}
    assert doc["did"]["att"] == pytest.approx(2.0, abs=0.4)
    assert any(d["code"] == "few_clusters" for d in doc["diagnostics"])
