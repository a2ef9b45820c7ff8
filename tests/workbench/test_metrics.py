"""Metric series checked against plain DuckDB queries written independently here."""

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import write_parquet
from workbench.errors import SpecError
from workbench.metrics import Filter, Measure, MetricSpec, distinct_values, leaderboard, metric_series, time_bounds


@pytest.fixture
def events(catalog, events_parquet):
    return catalog.open(events_parquet)


def raw(path, query):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}')")
    return con.execute(query).df()


def test_daily_sum_matches_plain_duckdb(con, events, events_parquet):
    result = metric_series(con, MetricSpec(events.name, Measure("sum", "views"), grain="day"))
    expected = raw(
        events_parquet, "SELECT date_trunc('day', ts) AS d, sum(views)::DOUBLE AS v FROM t GROUP BY 1 ORDER BY 1"
    )
    assert result.spec.time_column == "ts"
    assert list(result.frame["series"].unique()) == ["all"]
    np.testing.assert_allclose(result.frame["value"], expected["v"])
    assert list(result.frame["bucket"]) == list(pd.to_datetime(expected["d"]))
    assert "SELECT" in result.sql


@pytest.mark.parametrize(
    "measure, sql_agg",
    [
        (Measure("count"), "count(*)"),
        (Measure("count_distinct", "country"), "count(DISTINCT country)"),
        (Measure("mean", "views"), "avg(views)"),
        (Measure("min", "views"), "min(views)"),
        (Measure("max", "views"), "max(views)"),
        (Measure("median", "views"), "median(views)"),
        (Measure("p90", "views"), "quantile_cont(views, 0.9)"),
        (Measure("p99", "views"), "quantile_cont(views, 0.99)"),
        (Measure("ratio", "select", "views"), 'sum("select") / sum(views)'),
        (Measure("sum", 'a "b"; drop'), 'sum("a ""b""; drop")'),
    ],
)
def test_every_aggregation_matches(con, events, events_parquet, measure, sql_agg):
    result = metric_series(con, MetricSpec(events.name, measure, grain="day"))
    expected = raw(
        events_parquet, f"SELECT date_trunc('day', ts) AS d, ({sql_agg})::DOUBLE AS v FROM t GROUP BY 1 ORDER BY 1"
    )
    np.testing.assert_allclose(result.frame["value"], expected["v"])


def test_breakdown_top_n_and_other(con, events, events_parquet):
    spec = MetricSpec(events.name, Measure("sum", "views"), grain="day", breakdown="country", top_n=2)
    frame = metric_series(con, spec).frame
    totals = raw(events_parquet, "SELECT country, sum(views) s FROM t GROUP BY 1 ORDER BY s DESC, country")
    top = list(totals["country"][:2])
    assert set(frame["series"]) == set(top) | {"Other"}
    other = raw(
        events_parquet,
        f"SELECT date_trunc('day', ts) d, sum(views)::DOUBLE v FROM t WHERE country NOT IN ('{top[0]}','{top[1]}') GROUP BY 1 ORDER BY 1",
    )
    np.testing.assert_allclose(frame[frame.series == "Other"]["value"], other["v"])


def test_breakdown_non_decomposable_uses_other(con, events, events_parquet):
    spec = MetricSpec(events.name, Measure("median", "views"), grain="day", breakdown="country", top_n=3)
    frame = metric_series(con, spec).frame
    assert "Other" in set(frame["series"]) and frame["series"].nunique() == 4


def test_filters(con, events, events_parquet):
    spec = MetricSpec(
        events.name, Measure("count"), filters=(Filter("country", "in", ("BR", "US")), Filter("views", ">=", "3"))
    )
    frame = metric_series(con, spec).frame
    expected = raw(
        events_parquet,
        "SELECT date_trunc('day', ts) d, count(*)::DOUBLE v FROM t WHERE country IN ('BR','US') AND views >= 3 GROUP BY 1 ORDER BY 1",
    )
    np.testing.assert_allclose(frame["value"], expected["v"])
    for f, where in [
        (Filter("country", "!=", "BR"), "country IS DISTINCT FROM 'BR'"),
        (Filter("country", "not in", ["BR"]), "country <> 'BR'"),
        (Filter("views", "between", (2, 4)), "views BETWEEN 2 AND 4"),
        (Filter("all_null", "is null"), "all_null IS NULL"),
        (Filter("空白 col", "contains", "V1"), "\"空白 col\" ILIKE '%v1%'"),
        (Filter("select", "<", 2), '"select" < 2'),
    ]:
        got = metric_series(con, MetricSpec(events.name, Measure("count"), filters=(f,))).frame["value"].sum()
        want = raw(events_parquet, f"SELECT count(*) n FROM t WHERE {where}")["n"][0]
        assert got == want, f


def test_bad_filter_value_message(con, events):
    with pytest.raises(SpecError, match="not a number"):
        metric_series(con, MetricSpec(events.name, Measure("count"), filters=(Filter("views", ">", "abc"),)))


def test_empty_buckets_zero_for_counts_gap_for_means(con, tmp_path, catalog):
    path = write_parquet(
        tmp_path / "gappy.parquet",
        "SELECT * FROM (VALUES (TIMESTAMP '2024-01-01 10:00', 5), (TIMESTAMP '2024-01-04 10:00', 7)) t(ts, v)",
    )
    src = catalog.open(path)
    counts = metric_series(con, MetricSpec(src.name, Measure("count"))).frame
    assert list(counts["value"]) == [1, 0, 0, 1]
    means = metric_series(con, MetricSpec(src.name, Measure("mean", "v"))).frame
    assert means["value"].isna().tolist() == [False, True, True, False]


def test_time_range_and_previous_period(con, events, events_parquet):
    spec = MetricSpec(
        events.name, Measure("sum", "views"), grain="day", start="2024-01-05", end="2024-01-08", compare=True
    )
    result = metric_series(con, spec)
    frame = result.frame
    assert len(frame) == 3
    cur = raw(
        events_parquet,
        "SELECT date_trunc('day', ts) d, sum(views)::DOUBLE v FROM t WHERE ts >= '2024-01-05' AND ts < '2024-01-08' GROUP BY 1 ORDER BY 1",
    )
    prev = raw(
        events_parquet,
        "SELECT date_trunc('day', ts) d, sum(views)::DOUBLE v FROM t WHERE ts >= '2024-01-02' AND ts < '2024-01-05' GROUP BY 1 ORDER BY 1",
    )
    np.testing.assert_allclose(frame["value"], cur["v"])
    np.testing.assert_allclose(frame["comparison_value"], prev["v"])


def test_week_over_week_offset(con, events, events_parquet):
    spec = MetricSpec(
        events.name,
        Measure("count"),
        grain="day",
        start="2024-01-08",
        end="2024-01-11",
        compare=True,
        compare_offset="week",
    )
    frame = metric_series(con, spec).frame
    prev = raw(
        events_parquet,
        "SELECT date_trunc('day', ts) d, count(*)::DOUBLE v FROM t WHERE ts >= '2024-01-01' AND ts < '2024-01-04' GROUP BY 1 ORDER BY 1",
    )
    np.testing.assert_allclose(frame["comparison_value"], prev["v"])


@pytest.mark.parametrize("grain", ["minute", "hour", "week", "month"])
def test_grains(con, events, events_parquet, grain):
    frame = metric_series(con, MetricSpec(events.name, Measure("count"), grain=grain)).frame
    assert frame["value"].sum() == 240
    assert frame["bucket"].is_monotonic_increasing


def test_epoch_and_iso_and_tz_time_columns(con, catalog, tmp_path):
    path = write_parquet(
        tmp_path / "times.parquet",
        """
        SELECT epoch(TIMESTAMP '2024-03-01' + INTERVAL (i) HOUR)::BIGINT AS secs,
               epoch_ms(TIMESTAMP '2024-03-01' + INTERVAL (i) HOUR) AS millis,
               strftime(TIMESTAMP '2024-03-01' + INTERVAL (i) HOUR, '%Y-%m-%dT%H:%M:%S') AS iso,
               (TIMESTAMP '2024-03-01' + INTERVAL (i) HOUR)::TIMESTAMPTZ AS tz,
               1 AS n FROM range(48) t(i)""",
    )
    src = catalog.open(path)
    for col in ("secs", "millis", "iso", "tz"):
        frame = metric_series(con, MetricSpec(src.name, Measure("sum", "n"), time_column=col)).frame
        assert list(frame["value"]) == [24, 24], col
        assert frame["bucket"].iloc[0] == pd.Timestamp("2024-03-01"), col


def test_no_time_column_says_what_it_needs(con, catalog, tmp_path):
    src = catalog.open(write_parquet(tmp_path / "nt.parquet", "SELECT 1 AS a"))
    with pytest.raises(SpecError, match="no TIMESTAMP or DATE column"):
        metric_series(con, MetricSpec(src.name))


def test_zero_rows_and_all_null(con, catalog, tmp_path, events):
    src = catalog.open(write_parquet(tmp_path / "z.parquet", "SELECT TIMESTAMP '2024-01-01' AS ts, 1 AS v WHERE false"))
    assert metric_series(con, MetricSpec(src.name, Measure("sum", "v"))).frame.empty
    frame = metric_series(con, MetricSpec(events.name, Measure("sum", "all_null"))).frame
    assert frame["value"].isna().all()


def test_leaderboard(con, events, events_parquet):
    spec = MetricSpec(events.name, Measure("sum", "views"), start="2024-01-05", end="2024-01-08", compare=True)
    board = leaderboard(con, spec, "country").frame
    cur = raw(
        events_parquet,
        "SELECT country, sum(views)::DOUBLE v FROM t WHERE ts >= '2024-01-05' AND ts < '2024-01-08' GROUP BY 1 ORDER BY v DESC, country",
    )
    prev = raw(
        events_parquet,
        "SELECT country, sum(views)::DOUBLE v FROM t WHERE ts >= '2024-01-02' AND ts < '2024-01-05' GROUP BY 1",
    ).set_index("country")["v"]
    assert list(board["dimension_value"]) == list(cur["country"])
    np.testing.assert_allclose(board["value"], cur["v"])
    np.testing.assert_allclose(board["share"].sum(), 1.0)
    np.testing.assert_allclose(board["change"], cur["v"].values - prev[cur["country"]].values)


def test_spec_json_round_trip():
    spec = MetricSpec(
        "t",
        Measure("ratio", "a", "b"),
        time_column="ts",
        grain="hour",
        filters=(Filter("c", "in", ["x", "y"]), Filter("d", "between", (1, 2))),
        breakdown="e",
        top_n=5,
        start=dt.datetime(2024, 1, 1),
        end=dt.datetime(2024, 2, 1),
        compare=True,
    )
    assert MetricSpec.from_json(spec.to_json()) == spec


def test_helpers(con, events):
    assert set(distinct_values(con, events.name, "country")) == {"BR", "US", "DE", "IN"}
    lo, hi = time_bounds(con, MetricSpec(events.name))
    assert lo == dt.datetime(2024, 1, 1) and hi == dt.datetime(2024, 1, 10, 23)


def test_file_vanishing_after_open_gives_clear_message(con, catalog, tmp_path, events_parquet):
    import shutil

    from workbench.errors import QueryError

    moved = tmp_path / "soon_gone.parquet"
    shutil.copy(events_parquet, moved)
    src = catalog.open(moved)
    moved.unlink()
    with pytest.raises(QueryError, match="moved or deleted"):
        metric_series(con, MetricSpec(src.name))
    assert catalog.missing_files(src.name) == [str(moved)]


def test_week_over_week_across_a_longer_range(con, events, events_parquet):
    """Rows inside the range also serve as the comparison for buckets a week later."""
    spec = MetricSpec(
        events.name,
        Measure("sum", "views"),
        grain="day",
        start="2024-01-01",
        end="2024-01-11",
        compare=True,
        compare_offset="week",
        breakdown="country",
        top_n=2,
    )
    frame = metric_series(con, spec).frame
    expected = raw(
        events_parquet,
        """
        WITH d AS (SELECT date_trunc('day', ts) AS d, country, sum(views)::DOUBLE AS v FROM t GROUP BY ALL)
        SELECT cur.d, cur.country, prev.v AS prev FROM d cur LEFT JOIN d prev
          ON prev.d = cur.d - INTERVAL 7 DAY AND prev.country = cur.country
        WHERE cur.country IN (SELECT country FROM t GROUP BY 1 ORDER BY sum(views) DESC, country LIMIT 2)
        ORDER BY cur.country, cur.d""",
    )
    got = frame[frame.series != "Other"].sort_values(["series", "bucket"])
    np.testing.assert_allclose(got["comparison_value"].fillna(-1), expected["prev"].fillna(0).replace(0, -1))
    board = leaderboard(con, spec, "country").frame
    prev_totals = raw(events_parquet, "SELECT sum(views)::DOUBLE s FROM t WHERE ts < '2024-01-04'")["s"][0]
    assert board["comparison_value"].sum() == prev_totals
