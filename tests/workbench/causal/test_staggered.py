"""Staggered adoption through the CLI: a seeded case with two cohorts and dynamic effects, an ATT(g,t)
cell recomputed by hand from the raw rows, the simple aggregation, and TWFE's bias shown beside it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main as cli_main


@pytest.fixture
def staggered_parquet(tmp_path):
    """12 units x 10 years of event rows; cohorts 2015 (u0-u2), 2018 (u3-u5), 2010 (u6: treated from the
    first year, so dropped by Callaway-Sant'Anna), never (u7-u11). Effects grow with time since adoption."""
    rng = np.random.default_rng(21)
    cohort = {**{f"u{i}": 2015 for i in range(3)}, **{f"u{i}": 2018 for i in range(3, 6)}, "u6": 2010}
    rows = []
    for i in range(12):
        u = f"u{i}"
        g = cohort.get(u)
        level = rng.normal(10, 3)
        for year in range(2010, 2020):
            effect = 1.0 + 0.5 * (year - g) if g is not None and year >= g else 0.0
            for _ in range(4):  # event rows at odd times in the year
                ts = pd.Timestamp(
                    year=year,
                    month=int(rng.integers(1, 13)),
                    day=int(rng.integers(1, 28)),
                    hour=int(rng.integers(0, 24)),
                    minute=int(rng.integers(1, 60)),
                )
                rows.append(
                    {
                        "county": u,
                        "when": ts,
                        "y": level + 0.2 * (year - 2010) + effect + rng.normal(0, 0.3),
                        "adopted": pd.Timestamp(year=g, month=6, day=1).date() if g else None,
                    }
                )
    df = pd.DataFrame(rows)
    df["adopted"] = pd.to_datetime(df["adopted"]).dt.date
    df["adopted_year"] = [d.year if d is not None and d == d else 0 for d in df["adopted"]]  # 0: never
    path = tmp_path / "staggered.parquet"
    df.to_parquet(path, index=False)
    return str(path), df


def _run(path, capsys, *extra, cohort="adopted"):
    code = cli_main(
        [
            "impact",
            path,
            "--time",
            "when",
            "--measure",
            "mean(y)",
            "--grain",
            "year",
            "--unit",
            "county",
            "--cohort",
            cohort,
            *extra,
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_group_time_cell_matches_a_hand_computation(staggered_parquet, capsys):
    path, raw = staggered_parquet
    doc = _run(path, capsys)
    assert doc["treatment_start"] is None
    assert set(doc["treated"]) == {"u0", "u1", "u2", "u3", "u4", "u5", "u6"}
    assert set(doc["controls"]) == {f"u{i}" for i in range(7, 12)}
    s = doc["staggered"]
    assert s["dropped_cohorts"] == ["2010-01-01"]
    cells = {(c["cohort"], c["period"]): c["att"] for c in s["group_time"]}
    assert set(cells) == {("2015-01-01", f"{y}-01-01") for y in range(2015, 2020)} | {
        ("2018-01-01", f"{y}-01-01") for y in range(2018, 2020)
    }
    # ATT(2015, 2017) by hand: per-unit yearly means straight from the rows, 2x2 against never-treated
    raw = raw.assign(year=raw["when"].dt.year)
    means = raw.groupby(["county", "year"])["y"].mean()
    treated, never = ["u0", "u1", "u2"], [f"u{i}" for i in range(7, 12)]

    def avg(units, year):
        return np.mean([means[(u, year)] for u in units])

    hand = (avg(treated, 2017) - avg(treated, 2014)) - (avg(never, 2017) - avg(never, 2014))
    assert cells[("2015-01-01", "2017-01-01")] == pytest.approx(hand, rel=1e-12)
    simple = (
        3 * sum(v for (g, _), v in cells.items() if g == "2015-01-01")
        + 3 * sum(v for (g, _), v in cells.items() if g == "2018-01-01")
    ) / (3 * 5 + 3 * 2)
    assert s["att"] == pytest.approx(simple, rel=1e-12)
    # true effects: 2015 cohort 1.0..3.0, 2018 cohort 1.0..1.5 -> simple average (15 * 2.0 + 3 * 2.5) / 21
    assert s["att"] == pytest.approx((3 * (1 + 1.5 + 2 + 2.5 + 3) + 3 * (1 + 1.5)) / 21, abs=0.35)
    # TWFE on the same design is pulled away by the growing effects; the readout says so
    assert s["twfe_att"] == doc["did"]["att"]
    assert abs(doc["did"]["att"] - s["att"]) > 0.1 * abs(s["att"])
    assert any(d["code"] == "twfe_vs_callaway_santanna" for d in doc["diagnostics"])
    assert "synthetic" not in doc
    assert {r["relative_period"] for r in doc["event_study"]} >= set(range(-8, 5))


def test_synthetic_is_refused_for_a_staggered_design(staggered_parquet, capsys):
    path, _ = staggered_parquet
    code = cli_main(
        [
            "impact",
            path,
            "--time",
            "when",
            "--measure",
            "mean(y)",
            "--grain",
            "year",
            "--unit",
            "county",
            "--cohort",
            "adopted",
            "--method",
            "synthetic",
            "--format",
            "json",
        ]
    )
    _, err = capsys.readouterr()
    assert code == 2 and "staggered" in err and "Traceback" not in err


def test_a_year_number_cohort_gives_the_same_answer(staggered_parquet, capsys):
    """An integer year column (0 = never treated, as R's `did` writes it) reads like the DATE column."""
    path, _ = staggered_parquet
    by_date = _run(path, capsys)
    by_year = _run(path, capsys, cohort="adopted_year")
    assert by_year["staggered"] == by_date["staggered"]
    assert by_year["did"] == by_date["did"] and set(by_year["controls"]) == set(by_date["controls"])
