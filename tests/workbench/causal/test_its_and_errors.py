"""A single series with no controls (interrupted time series) and the CLI's messages for bad designs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.cli import main as cli_main


@pytest.fixture
def global_launch(tmp_path):
    """One unit ("all"), 120 days of event rows with a weekly pattern; -10 % on the rate from day 90."""
    rng = np.random.default_rng(8)
    days = pd.date_range("2025-01-06", periods=120, freq="D")
    rows = []
    for t, d in enumerate(days):
        rate = 0.05 * (1 + 0.15 * (d.day_of_week >= 5)) * (0.9 if t >= 90 else 1.0) * (1 + rng.normal(0, 0.01))
        for h in (3, 11, 19):
            views = 20_000
            rows.append(
                {
                    "ts": d + pd.Timedelta(hours=h, minutes=7),
                    "scope": "all",
                    "views": views,
                    "flags": int(rng.binomial(views, rate)),
                }
            )
    path = tmp_path / "launch.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    return str(path)


def _impact(path, *args):
    return cli_main(
        ["impact", path, "--time", "ts", "--measure", "ratio(flags, views)", "--grain", "day", "--unit", "scope", *args]
    )


def test_single_series_gets_an_interrupted_time_series(global_launch, capsys):
    code = _impact(global_launch, "--treated", "all", "--start", "2025-04-06", "--format", "json")
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    assert doc["controls"] == [] and "did" not in doc
    t = doc["its"]
    assert t["n_pre"] == 90 and t["n_post"] == 30 and "seasonal (7 days)" in t["model"]
    assert t["relative_effect"] == pytest.approx(-0.10, abs=0.03)
    lo, hi = t["relative_ci95"]
    assert lo < -0.10 < hi < 0  # the band covers the truth and excludes no effect
    assert t["cumulative_ci95"][0] < t["cumulative_effect"] < t["cumulative_ci95"][1]
    assert len(t["series"]) == 30 and t["series"][0]["period"] == "2025-04-06"
    assert "weaker evidence" in t["evidence"]
    assert any(d["code"] == "its_weaker_evidence" for d in doc["diagnostics"])
    assert "weaker evidence" in doc["verdict"]


def test_text_readout(global_launch, capsys):
    assert _impact(global_launch, "--treated", "all", "--start", "2025-04-06", "--format", "text") == 0
    out = capsys.readouterr().out
    assert out.startswith("Impact of the change on ratio(flags, views) by scope (day)")
    assert "Interrupted time series" in out and "Diagnostics" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--treated", "nowhere", "--start", "2025-04-06"], "'nowhere' is not a value of scope"),
        (["--treated", "all", "--start", "2024-01-01"], "no period before the change"),
        (["--treated", "all", "--start", "2026-01-01"], "after the data end"),
        (["--treated", "all"], "--start"),
        (["--start", "2025-04-06"], "--treated"),
        (["--treated", "all", "--start", "not a date"], "cannot read 'not a date' as a date"),
        (["--treated", "all", "--start", "2025-04-06", "--method", "did"], "needs control units"),
        (["--treated", "all", "--start", "2025-01-09", "--method", "its"], "at least 8 days before the start"),
        (["--cohort", "ts", "--treated", "all"], "not both"),
        (["--cohort", "nope"], "no column 'nope'"),
        (["--treated", "all", "--start", "2025-04-06", "--end", "2025-04-06"], "after the data end"),
    ],
)
def test_bad_designs_get_one_clear_line(global_launch, capsys, args, message):
    code = _impact(global_launch, *args, "--format", "json")
    out, err = capsys.readouterr()
    assert code == 2
    assert message in err and "Traceback" not in err and out == ""


def test_unknown_measure_column(global_launch, capsys):
    code = cli_main(
        [
            "impact",
            global_launch,
            "--time",
            "ts",
            "--measure",
            "sum(nope)",
            "--grain",
            "day",
            "--unit",
            "scope",
            "--treated",
            "all",
            "--start",
            "2025-04-06",
        ]
    )
    assert code == 2 and "nope" in capsys.readouterr().err
