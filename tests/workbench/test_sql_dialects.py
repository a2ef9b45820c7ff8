"""Every analysis's SQL renders for Spark from its one definition, and nothing DuckDB-only gets through.

Each case runs an analysis on DuckDB through a connection that records every query it sends, then renders
those queries for the ``spark`` dialect, parses the text back with SQLGlot's Spark parser (errors raise)
and checks the parsed tree for DuckDB-only functions and syntax. Queries that read DuckDB's own metadata
(Parquet footers, settings, the view catalog) must be refused with a clear error instead.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel

from tests.conftest import write_parquet
from tests.workbench.causal.conftest import did_parquet  # noqa: F401  (fixture)
from tests.workbench.experiments.conftest import make_users
from workbench.analysis import (
    AnomalyDetection,
    ColumnProfileView,
    ExperimentReadout,
    ImpactReadout,
    LeaderboardView,
    MetricView,
    RootCauseAnalysis,
    SqlQuery,
)
from workbench.anomaly.params import DetectorParams
from workbench import sql
from workbench.catalog import Catalog
from workbench.causal.panel import ImpactSpec
from workbench.dialects import DialectError, duckdb_only_constructs, render
from workbench.experiments import ExperimentSpec
from workbench.experiments import MetricSpec as ExpMetric
from workbench.metrics import AGGREGATIONS, GRAINS, OPERATORS, Filter, Measure, MetricSpec, metric_series
from workbench.privacy import detect_pii
from workbench.profile import profile_column
from workbench.protection.apply import protect_metric
from workbench.protection.masked_views import masked_view_sql, reader_of
from workbench.protection.query_cells import plan
from workbench.protection.policy import CELL_KEY, SUPPRESSION, new_policy
from workbench.protection.profile_cells import protect_profile

AWKWARD = ('a "b"; drop', "select", "空白 col", "a`b", " leading", "order by")

WIDE = f"""
SELECT TIMESTAMP '2024-01-01' + INTERVAL (i * 5) MINUTE AS ts,
       (TIMESTAMP '2024-01-01' + INTERVAL (i * 5) MINUTE)::TIMESTAMPTZ AS ts_tz,
       (DATE '2024-01-01' + (i // 288)::INTEGER) AS day,
       epoch(TIMESTAMP '2024-01-01' + INTERVAL (i * 5) MINUTE)::BIGINT AS t_epoch_s,
       epoch_ms(TIMESTAMP '2024-01-01' + INTERVAL (i * 5) MINUTE) AS t_epoch_ms,
       strftime(TIMESTAMP '2024-01-01' + INTERVAL (i * 5) MINUTE, '%Y-%m-%dT%H:%M:%SZ') AS t_iso,
       ['BR', 'US', 'DE', 'IN'][1 + i % 4] AS country,
       ['android', 'ios', 'web'][1 + i % 3] AS platform,
       (i % 7) AS views, (i % 11)::DECIMAL(10, 2) AS price, (i % 2 = 0) AS ok, (i % 50) AS user_id,
       (i % 13) * 1.5 AS score, NULL::INTEGER AS all_null,
       'user' || (i % 50) || '@example.com' AS email,
       {", ".join(f"(i % {k + 2}) AS {exp.to_identifier(name, quoted=True).sql('duckdb')}" for k, name in enumerate(AWKWARD))}
FROM range(3 * 288) t(i)
"""

START, END = dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3)
# Queries that read DuckDB's own metadata: the backend answers these its own way on another engine.
ENGINE_METADATA = re.compile(
    r"parquet_(file_|kv_)?metadata|parquet_schema|duckdb_\w+\(|current_setting|^\s*(COPY|SET|PRAGMA)\b", re.I
)


class RecordingConnection:
    """A DuckDB connection (or cursor) that notes the text of every query sent through it."""

    def __init__(self, inner, log: list[str]):
        self._inner, self.log = inner, log

    def execute(self, query, *args, **kwargs):
        self.log.append(query)
        return self._inner.execute(query, *args, **kwargs)

    def sql(self, query, *args, **kwargs):
        self.log.append(query)
        return self._inner.sql(query, *args, **kwargs)

    def cursor(self):
        return RecordingConnection(self._inner.cursor(), self.log)

    def __getattr__(self, name):
        return getattr(self._inner, name)


@pytest.fixture
def recorded(con, tmp_path, did_parquet):  # noqa: F811
    log: list[str] = []
    rec = RecordingConnection(con, log)
    catalog = Catalog(rec)
    catalog.open(write_parquet(tmp_path / "wide.parquet", WIDE))
    users = tmp_path / "exp.parquet"
    make_users(n_per_arm=(300, 280, 290)).to_parquet(users, index=False)
    catalog.open(str(users))
    catalog.open(did_parquet)
    log.clear()
    return rec, catalog, tmp_path


def _metric(**kw) -> MetricSpec:
    base = dict(table="wide", measure=Measure("sum", "views"), time_column="ts", grain="hour", start=START, end=END)
    return MetricSpec(**(base | kw))


FILTER_VALUES = {
    "=": "BR",
    "!=": "BR",
    "in": ["BR", "US"],
    "not in": ["DE"],
    "<": 3,
    "<=": 3,
    ">": 3,
    ">=": 3,
    "between": (1, 4),
    "is null": None,
    "is not null": None,
    "contains": "r",
}


def _cases():
    cases = {}
    for op in OPERATORS:
        column = "country" if op in ("=", "!=", "in", "not in", "contains", "is null", "is not null") else "views"
        cases[f"metric-filter-{op}"] = lambda rec, cat, tmp, op=op, column=column: MetricView(
            _metric(filters=(Filter(column, op, FILTER_VALUES[op]),))
        ).run(rec, cat)
    for agg in AGGREGATIONS:
        measure = Measure(agg, None if agg == "count" else "views", "score" if agg == "ratio" else None)
        cases[f"metric-{agg}-breakdown-compare"] = lambda rec, cat, tmp, m=measure: MetricView(
            _metric(measure=m, breakdown="platform", top_n=2, compare=True)
        ).run(rec, cat)
        cases[f"leaderboard-{agg}"] = lambda rec, cat, tmp, m=measure: LeaderboardView(
            _metric(measure=m, compare=True), "country", limit=3
        ).run(rec, cat)
    for grain in GRAINS:
        cases[f"metric-grain-{grain}"] = lambda rec, cat, tmp, g=grain: MetricView(_metric(grain=g)).run(rec, cat)
        cases[f"anomalies-grain-{grain}"] = lambda rec, cat, tmp, g=grain: AnomalyDetection(
            _metric(grain=g), g, DetectorParams()
        ).run(rec, cat)
    for grain in ("raw", "auto"):
        cases[f"anomalies-grain-{grain}"] = lambda rec, cat, tmp, g=grain: AnomalyDetection(
            _metric(breakdown="country"), g, DetectorParams()
        ).run(rec, cat)
    for column, fmt in (
        ("ts_tz", "auto"),
        ("day", "auto"),
        ("t_epoch_s", "epoch_s"),
        ("t_epoch_ms", "epoch_ms"),
        ("t_iso", "iso"),
    ):
        cases[f"metric-time-{column}"] = lambda rec, cat, tmp, c=column, f=fmt: MetricView(
            _metric(time_column=c, time_format=f)
        ).run(rec, cat)
    cases["metric-compare-overlapping"] = lambda rec, cat, tmp: MetricView(
        _metric(
            grain="day",
            start=START,
            end=dt.datetime(2024, 1, 3),
            compare=True,
            compare_offset="day",
            breakdown="country",
            top_n=2,
        )
    ).run(rec, cat)
    cases["metric-relative-range"] = lambda rec, cat, tmp: MetricView(
        _metric(start=None, end=None), last=dt.timedelta(days=1)
    ).run(rec, cat)
    for column in ("views", "price", "score", "country", "ok", "ts", "ts_tz", "day", "all_null", AWKWARD[0]):
        cases[f"profile-{column}"] = lambda rec, cat, tmp, c=column: ColumnProfileView("wide", c, top_k=3).run(rec, cat)
    window = (dt.datetime(2024, 1, 2, 10), dt.datetime(2024, 1, 2, 14))
    for agg in ("count", "sum", "count_distinct", "ratio"):
        measure = Measure(
            agg,
            None if agg == "count" else ("user_id" if agg == "count_distinct" else "views"),
            "score" if agg == "ratio" else None,
        )
        cases[f"root-cause-{agg}"] = lambda rec, cat, tmp, m=measure: RootCauseAnalysis(
            _metric(measure=m), window, ("country", "platform", AWKWARD[1]), "expected"
        ).run(rec, cat)
    metrics = (
        ExpMetric("metric", "mean", column="metric", covariate="pre_metric"),
        ExpMetric("converted", "proportion", column="converted"),
        ExpMetric("ratio", "ratio", numerator="numerator", denominator="denominator"),
        ExpMetric("capped", "mean", column="metric", cap=0.99),
        ExpMetric("p90", "quantile", column="metric", quantile=0.9),
    )
    cases["experiment-readout"] = lambda rec, cat, tmp: ExperimentReadout(
        ExperimentSpec(table="exp", unit="user_id", arm="arm", control="control", metrics=metrics)
    ).run(rec, cat)
    cases["experiment-segments-over-time"] = lambda rec, cat, tmp: ExperimentReadout(
        ExperimentSpec(
            table="exp",
            unit="user_id",
            arm="arm",
            control="control",
            metrics=metrics[:2],
            segment="country",
            time_column="assigned_at",
        )
    ).run(rec, cat)
    cases["impact"] = lambda rec, cat, tmp: ImpactReadout(
        ImpactSpec(
            table="did",
            time_column="ts",
            measure=Measure("sum", "value"),
            grain="day",
            unit="unit",
            treated=("u0", "u1"),
            start="2024-03-26",
            method="did",
        )
    ).run(rec, cat)
    cases["impact-every-method"] = lambda rec, cat, tmp: ImpactReadout(
        ImpactSpec(
            table="did",
            time_column="ts",
            measure=Measure("mean", "value"),
            grain="week",
            unit="unit",
            treated=("u0", "u1"),
            start="2024-03-26",
            method="all",
        )
    ).run(rec, cat)
    cases["profile-approximate-distinct"] = lambda rec, cat, tmp: profile_column(rec, "wide", "user_id", exact_limit=10)
    cases["sql-console-query"] = lambda rec, cat, tmp: rec.log.extend(  # it runs on the console's own database
        SqlQuery(
            "SELECT country, count(*) AS n, quantile_cont(views, 0.5) AS median_views FROM wide "
            "WHERE platform ILIKE 'A%' GROUP BY ALL ORDER BY n DESC"
        )
        .run(rec, cat)
        .sql
    )
    cases["protection-console-query"] = lambda rec, cat, tmp: rec.execute(
        plan(
            "SELECT country, count(*) AS n, sum(views) AS v FROM wide GROUP BY country",
            {"wide": ["ts", "country"]},
            "seed",
            cell_key=True,
        ).sql
    )
    cases["filter-value-suggestions"] = lambda rec, cat, tmp: rec.execute(
        sql.distinct_values_query("wide", AWKWARD[2], 20, "1")
    )
    cases["privacy-pii-scan"] = lambda rec, cat, tmp: detect_pii(rec, "wide")
    for mode in (SUPPRESSION, CELL_KEY):
        cases[f"protection-metric-{mode}"] = lambda rec, cat, tmp, m=mode: protect_metric(
            rec,
            metric_series(rec, _metric(breakdown="country", measure=Measure("count_distinct", "user_id"))),
            new_policy(k=5, mode=m),
        )
        cases[f"protection-profile-{mode}"] = lambda rec, cat, tmp, m=mode: protect_profile(
            rec, ColumnProfileView("wide", "views").run(rec, cat).value, new_policy(k=5, mode=m)
        )
    cases["catalog-views"] = _open_every_kind_of_source
    return cases


def _open_every_kind_of_source(rec, catalog, tmp):
    folder = tmp / "parts"
    for i, country in enumerate(("BR", "US")):
        (folder / f"country={country}").mkdir(parents=True)
        write_parquet(folder / f"country={country}" / "p.parquet", f"SELECT {i} AS x, 'a' AS y")
    catalog.open(str(folder))  # hive-partitioned folder: several files
    plain = tmp / "plain"
    plain.mkdir()
    write_parquet(plain / "a.parquet", "SELECT 1 AS x")
    write_parquet(plain / "b [1].parquet", "SELECT 2 AS x, 'z' AS extra")  # schemas unioned by name
    catalog.open(str(plain))
    (tmp / "people.csv").write_text("name,age\nAnn,31\nBo,40\n", encoding="latin-1")
    catalog.open(str(tmp / "people.csv"), encoding="latin-1")
    exp_source = catalog.get("exp")
    rec.execute(masked_view_sql("exp_masked", reader_of(exp_source), ["arm", "user_id"], {"arm": "name"}, "salt"))


CASES = _cases()


def _assert_spark_clean(spark_sql: str) -> None:
    tree = sqlglot.parse_one(spark_sql, read="spark", error_level=ErrorLevel.RAISE)
    assert duckdb_only_constructs(tree) == [], spark_sql
    # What a Spark parser might still accept but DuckDB means differently, or DuckDB-only syntax.
    for pattern in (
        r"\bREPLACE\s*\(",
        r"GROUP BY ALL",
        r"USING SAMPLE",
        r"::",
        r"\bREPEATABLE\b",
        r"\bSEED\b",
        r"read_parquet|read_csv",
        r"PERCENTILE_CONT\(",
        r"DATE_BIN",
        r"FROM_UNIXTIME",
        r'"',
    ):
        stripped = re.sub(r"'(?:[^'\\]|\\.|'')*'|`(?:[^`]|``)*`", "", spark_sql)  # outside literals/identifiers
        assert not re.search(pattern, stripped, re.I), (pattern, spark_sql)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_every_analysis_query_renders_for_spark(recorded, case):
    rec, catalog, tmp = recorded
    CASES[case](rec, catalog, tmp)
    queries = list(dict.fromkeys(rec.log))
    analysis_queries = [q for q in queries if not ENGINE_METADATA.search(q)]
    assert analysis_queries, f"{case} ran no query"
    for query in analysis_queries:
        assert render(query, "duckdb") == query  # DuckDB runs the definition itself
        _assert_spark_clean(render(query, "spark"))
    for query in set(queries) - set(analysis_queries):
        with pytest.raises(DialectError, match="only DuckDB"):
            render(query, "spark")


def test_catalog_views_become_spark_data_sources(recorded):
    rec, catalog, tmp = recorded
    _open_every_kind_of_source(rec, catalog, tmp)
    views = [render(q, "spark") for q in rec.log if q.startswith("CREATE OR REPLACE VIEW")]
    hive = next(v for v in views if "country=" in v)
    assert "USING PARQUET" in hive and "'basePath'=" in hive and "{" in hive  # two files, one glob
    assert f"'basePath'='{tmp / 'parts'}'" in hive
    plain = next(v for v in views if "plain" in v)
    assert "'mergeSchema'='true'" in plain and r"b \\[1\\].parquet" in plain  # glob characters escaped
    csv = next(v for v in views if "people.csv" in v)
    assert "USING CSV" in csv and "'header'='true'" in csv and "'encoding'='latin-1'" in csv
    masked = next(v for v in views if "exp_masked" in v)
    assert "FROM parquet.`" in masked and "`user_id`" in masked and "SHA2(" in masked
    assert all(v.startswith("CREATE OR REPLACE TEMPORARY VIEW") for v in views)  # session views, not the metastore


def test_awkward_identifiers_stay_quoted_in_both_dialects(recorded):
    rec, catalog, _ = recorded
    for name in AWKWARD:
        MetricView(
            _metric(
                measure=Measure("sum", name), breakdown=name, filters=(Filter(name, ">", 0),), top_n=2, compare=True
            )
        ).run(rec, catalog)
    queries = [q for q in dict.fromkeys(rec.log) if not ENGINE_METADATA.search(q)]
    for dialect in ("duckdb", "spark"):
        names = set()
        for query in queries:
            tree = sqlglot.parse_one(render(query, dialect), read=dialect, error_level=ErrorLevel.RAISE)
            names |= {i.this for i in tree.find_all(exp.Identifier) if i.quoted}
        assert set(AWKWARD) <= names, dialect
    spark = " ".join(render(q, "spark") for q in queries)
    assert "`a``b`" in spark and '`a "b"; drop`' in spark and "`空白 col`" in spark


@pytest.mark.parametrize(
    "query, message",
    [
        ("SELECT * FROM read_csv(['a.csv', 'b.csv'], union_by_name = true)", "only DuckDB"),
        ("CREATE VIEW v AS SELECT * FROM read_csv(['a.csv', 'b.csv'], union_by_name = true)", "by position"),
        ("SELECT time_bucket(INTERVAL '7 MINUTES', t) FROM x", "does not divide"),
        ("SELECT * FROM t USING SAMPLE 10%", "only DuckDB"),
        ("SELECT t.* REPLACE (1 AS a) FROM t", "REPLACE"),
        ("SELECT list_aggregate([1], 'sum')", "list_aggregate"),
        ("SELECT count(*) FILTER (WHERE a = $1) FROM t", None),
        ("COPY t TO 'x.parquet' (FORMAT parquet)", "COPY"),
        ("SELECT 1", None),
    ],
)
def test_what_spark_cannot_express_is_refused_at_render_time(query, message):
    if message is None:
        assert render(query, "spark") in ("SELECT 1", "SELECT COUNT(*) FILTER(WHERE a = :p1) FROM t")
        return
    with pytest.raises(DialectError, match=re.escape(message)):
        render(query, "spark")


def test_rewrites_keep_duckdb_meaning(con):
    """The Spark forms of DuckDB conveniences, spelled back in DuckDB where it has the same functions,
    give the same values as the originals."""
    cases = {
        "SELECT x AS g, count(*) AS n FROM (VALUES (1), (1), (2)) v(x) GROUP BY ALL ORDER BY g": [(1, 2), (2, 1)],
        "SELECT bit_count(bitstring_agg(x, 1, 5)) FROM (VALUES (1), (3), (3), (NULL)) v(x)": [(2,)],
        "SELECT isfinite(x) FROM (VALUES (1.0), ('inf'::DOUBLE), ('nan'::DOUBLE), (NULL)) v(x)": None,
    }
    for query, expected in cases.items():
        spark_tree = sqlglot.parse_one(render(query, "spark"), read="spark")
        again = con.execute(spark_tree.sql("duckdb")).fetchall()
        assert again == con.execute(query).fetchall()
        if expected is not None:
            assert again == expected
    with pytest.raises(DialectError):
        render("SELECT 1", "oracle")


@pytest.mark.parametrize(
    "duckdb_sql, spark_fragment",
    [
        ("SELECT strftime(t, '%Y-%m-%d %H:%M') FROM x", "DATE_FORMAT(t, 'yyyy-MM-dd HH:mm')"),
        ("SELECT a ILIKE '%x%' FROM x", "a ILIKE '%x%'"),
        ("SELECT regexp_matches(a, '^x') FROM x", "a RLIKE '^x'"),
        ("SELECT regexp_full_match(a, '[0-9]+') FROM x", "a RLIKE '^(?:[0-9]+)$'"),
        ("SELECT approx_count_distinct(a), count(DISTINCT a) FROM x", "APPROX_COUNT_DISTINCT(a), COUNT(DISTINCT a)"),
        ("SELECT a::BIGINT, b::VARCHAR FROM x", "CAST(a AS BIGINT), CAST(b AS STRING)"),
        ("SELECT a IS DISTINCT FROM 'x' FROM x", "a IS DISTINCT FROM 'x'"),
        ("SELECT unnest(generate_series(a, b, INTERVAL '1 DAY')) FROM x", "EXPLODE(SEQUENCE(a, b, INTERVAL '1' DAY))"),
        (
            "SELECT time_bucket(INTERVAL '15 MINUTES', t) FROM x",
            "DATE_TRUNC('MINUTE', t) - MAKE_DT_INTERVAL(0, 0, MINUTE(t) % 15, 0)",
        ),
        ("SELECT quantile_cont(v, 0.9) FILTER (WHERE a) FROM x", "PERCENTILE(v, 0.9) FILTER(WHERE a)"),
        ("SELECT date_trunc('quarter', t) FROM x", "DATE_TRUNC('QUARTER', t)"),
        ("SELECT t - INTERVAL '7 days' FROM x", "t - INTERVAL '7' DAYS"),
        (
            "SELECT * FROM (SELECT * FROM t USING SAMPLE reservoir(50 ROWS) REPEATABLE (3))",
            "SELECT * FROM t ORDER BY RAND(3) LIMIT 50",
        ),
        (
            "SELECT timezone('UTC', t) FROM x",
            "DATE_ADD(MICROSECOND, UNIX_MICROS(t), CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ))",
        ),
        (
            "SELECT hash('seed', a) / 18446744073709551616.0 FROM x",
            "(CAST(XXHASH64('seed', a) AS DOUBLE) + 9223372036854775808.0) / 18446744073709551616.0",
        ),
    ],
)
def test_duckdb_conveniences_get_their_spark_spelling(duckdb_sql, spark_fragment):
    spark = render(duckdb_sql, "spark")
    assert spark_fragment in spark
    _assert_spark_clean(spark)


def test_the_sub_hour_buckets_and_grouping_bitmask_mean_what_duckdb_means(con):
    """Spelled back in DuckDB (with Spark's make_dt_interval as a macro), the Spark forms of time_bucket and
    of GROUPING(a, b) give DuckDB's own values."""
    con.execute(
        "CREATE MACRO make_dt_interval(d, h, m, s) AS "
        "to_days(d::INTEGER) + to_hours(h::BIGINT) + to_minutes(m::BIGINT) + to_seconds(s::DOUBLE)"
    )
    con.execute(
        "CREATE TABLE times AS SELECT TIMESTAMP '2023-12-31 22:00:00' + INTERVAL (i * 97) SECOND AS t "
        "FROM range(2000) r(i)"
    )
    for width in ("5 MINUTES", "15 MINUTES", "30 MINUTES", "2 HOURS", "6 HOURS"):
        query = f"SELECT t, time_bucket(INTERVAL '{width}', t) AS b FROM times ORDER BY t"
        spark_tree = sqlglot.parse_one(render(query, "spark"), read="spark")
        assert con.execute(spark_tree.sql("duckdb")).fetchall() == con.execute(query).fetchall(), width
    cube = (
        "SELECT a, b, GROUPING(a, b) AS gid, count(*) AS n FROM (VALUES (1, 'x'), (1, 'y'), (2, 'x')) v(a, b) "
        "GROUP BY GROUPING SETS ((), (a), (b), (a, b)) ORDER BY gid, a, b"
    )
    spark_tree = sqlglot.parse_one(render(cube, "spark"), read="spark")
    assert con.execute(spark_tree.sql("duckdb")).fetchall() == con.execute(cube).fetchall()
