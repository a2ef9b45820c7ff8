"""Incomplete buckets: the engine names the buckets a range or the data covers only in part."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import run_cli, write_parquet
from workbench.metrics import MetricSpec, leaderboard, metric_series

D = dt.datetime


def _table(con, name: str, select_sql: str) -> None:
    con.execute(f"CREATE VIEW {name} AS {select_sql}")


def test_hourly_series_ending_at_23h_is_complete(con):
    _table(con, "hourly", "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts FROM range(240) t(i)")
    result = metric_series(con, MetricSpec("hourly", grain="day"))
    assert result.incomplete == ()
    assert result.complete_range == (D(2024, 1, 1), D(2024, 1, 11))


def test_data_starting_and_ending_mid_day_marks_both_days(con):
    # every 10 minutes from Jan 1 06:00 to Jan 8 04:30
    _table(con, "cut", "SELECT TIMESTAMP '2024-01-01 06:00' + INTERVAL (i * 10) MINUTE AS ts FROM range(1000) t(i)")
    result = metric_series(con, MetricSpec("cut", grain="day"))
    assert result.incomplete == (D(2024, 1, 1), D(2024, 1, 8))
    assert result.complete_range == (D(2024, 1, 2), D(2024, 1, 8))
    hourly = metric_series(con, MetricSpec("cut", grain="hour"))
    assert hourly.incomplete == (D(2024, 1, 8, 4),)  # 04:00–04:40 of data


def test_range_cutting_a_week_marks_it(con):
    _table(con, "hourly", "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts FROM range(24 * 28) t(i)")
    # Jan 1 2024 is a Monday: a range from Wednesday cuts the first week
    result = metric_series(con, MetricSpec("hourly", grain="week", start="2024-01-03", end="2024-01-20"))
    assert result.incomplete == (D(2024, 1, 1), D(2024, 1, 15))
    assert result.complete_range == (D(2024, 1, 8), D(2024, 1, 15))


def test_date_column_covers_its_last_day(con):
    _table(con, "daily", "SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS d, 1 AS x FROM range(10) t(i)")
    assert metric_series(con, MetricSpec("daily", grain="day")).incomplete == ()


def test_complete_range_fixes_the_leaderboard_change(con):
    """Steady traffic, last day cut at noon: over the raw range every value reads about -2 %; over the
    complete days the change is 0."""
    _table(
        con,
        "steady",
        "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i * 30) MINUTE AS ts, "
        "['a', 'b'][1 + i % 2] AS k FROM range(48 * 59 + 24) t(i)",
    )
    spec = MetricSpec("steady", grain="day", start="2024-01-31", end="2024-03-01", compare=True)
    result = metric_series(con, spec)
    assert result.incomplete == (D(2024, 2, 29),)
    raw = leaderboard(con, spec, "k").frame
    assert (raw["change_pct"] < -0.01).all()
    start, end = result.complete_range
    fixed = leaderboard(con, spec.replace(start=start, end=end), "k").frame
    assert fixed["change_pct"].abs().max() < 1e-9


def test_cli_reports_incomplete_buckets(capsys, tmp_path):
    path = write_parquet(
        tmp_path / "cut.parquet",
        "SELECT TIMESTAMP '2024-01-01 06:00' + INTERVAL (i * 10) MINUTE AS ts FROM range(1000) t(i)",
    )
    code, out, _err = run_cli(capsys, "metric", path, "--format", "json")
    assert code == 0
    assert json.loads(out)["incomplete_buckets"] == ["2024-01-01T00:00:00", "2024-01-08T00:00:00"]
    code, out, err = run_cli(capsys, "metric", path)
    assert code == 0 and "incomplete day buckets" in err and "2024-01-08 00:00" in err
