"""Sub-hour, quarter and year grains; "auto" analyses a pre-aggregated series at its native step."""

from __future__ import annotations

import pytest

from tests.conftest import write_parquet
from workbench import metrics
from workbench.anomaly.run import run_anomalies
from workbench.anomaly.series import choose_grain_reason, fetch_series


def _series(tmp_path, step_sql: str, n: int, name: str = "s.parquet") -> str:
    return write_parquet(
        tmp_path / name,
        f"SELECT TIMESTAMP '2023-01-01' + {step_sql} * i AS ts, 100 + (i % 7) AS value FROM range({n}) t(i)",
    )


@pytest.mark.parametrize("grain, buckets", [("5min", 4200), ("15min", 1400), ("30min", 700), ("hour", 350)])
def test_sub_hour_grains_bucket_on_the_clock(tmp_path, catalog, con, grain, buckets):
    src = catalog.open(
        write_parquet(
            tmp_path / "e.parquet", "SELECT TIMESTAMP '2023-01-01' + INTERVAL 7 MINUTE * i AS ts FROM range(3000) t(i)"
        )
    )
    frame = metrics.metric_series(con, metrics.MetricSpec(table=src.name, grain=grain)).frame
    assert len(frame) == buckets - (1 if grain == "5min" else 0)  # the last 7-minute event ends the grid
    assert frame["value"].sum() == 3000
    step = {"5min": 5, "15min": 15, "30min": 30, "hour": 60}[grain]
    assert (frame["bucket"].diff().dropna().dt.total_seconds() == 60 * step).all()
    assert (frame["bucket"].dt.minute % step == 0).all()


@pytest.mark.parametrize("grain, expected", [("quarter", [90, 91, 92, 92, 90]), ("year", [365, 366])])
def test_quarter_and_year_grains_are_calendar_buckets(tmp_path, catalog, con, grain, expected):
    days = sum(expected)
    src = catalog.open(
        write_parquet(
            tmp_path / "d.parquet", f"SELECT DATE '2023-01-01' + INTERVAL 1 DAY * i AS ts FROM range({days}) t(i)"
        )
    )
    frame = metrics.metric_series(con, metrics.MetricSpec(table=src.name, grain=grain)).frame
    assert frame["value"].tolist() == expected
    assert (frame["bucket"].dt.day == 1).all() and (frame["bucket"].dt.month.isin([1, 4, 7, 10])).all()


@pytest.mark.parametrize(
    "step_sql, n, grain",
    [
        ("INTERVAL 5 MINUTE", 3000, "5min"),
        ("INTERVAL 15 MINUTE", 2000, "15min"),
        ("INTERVAL 1 HOUR", 900, "hour"),
        ("INTERVAL 1 DAY", 400, "day"),
        ("INTERVAL 1 MONTH", 40, "month"),
        ("INTERVAL 3 MONTH", 30, "quarter"),
        ("INTERVAL 1 YEAR", 12, "year"),
        ("INTERVAL 10 MINUTE", 500, "raw"),
    ],
)
def test_auto_grain_is_the_native_step_of_a_series(tmp_path, catalog, con, step_sql, n, grain):
    src = catalog.open(_series(tmp_path, step_sql, n))
    spec = metrics.MetricSpec(table=src.name, measure=metrics.Measure.parse("mean(value)"))
    chosen, reason = choose_grain_reason(con, spec)
    assert chosen == grain
    assert "native step" in reason
    frame, used, _ = fetch_series(con, spec, "auto")
    assert used == grain and len(frame) == n  # one point per timestamp, no empty buckets
    assert frame.attrs["grain_reason"] == reason


def test_auto_grain_of_an_event_log_keeps_calendar_buckets(tmp_path, catalog, con):
    src = catalog.open(
        write_parquet(
            tmp_path / "ev.parquet",
            "SELECT TIMESTAMP '2023-01-01' + INTERVAL 1 SECOND * "
            "(i * 37 % 2592000 // 10 * 10) AS ts FROM range(500000) t(i)",
        )
    )
    grain, reason = choose_grain_reason(con, metrics.MetricSpec(table=src.name))
    assert grain == "hour" and "5,000" in reason


def test_five_minute_series_is_analysed_at_five_minutes(tmp_path):
    run = run_anomalies(_series(tmp_path, "INTERVAL 5 MINUTE", 4000), "mean(value)")
    assert run.grain == "5min"
    assert len(run.detection.index) == 4000
    assert run.to_dict()["grain_reason"].startswith("the data's native step (5 minutes")
