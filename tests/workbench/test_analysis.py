"""The analysis model: every kind round-trips through JSON (and recomputes the same tables after it),
versions are checked, and ``run`` returns tables, SQL and the value the screen draws."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from tests.conftest import write_parquet
from tests.workbench.causal.conftest import did_parquet  # noqa: F401  (fixture)
from tests.workbench.experiments.conftest import make_users
from workbench.analysis import (
    Analysis,
    DashboardView,
    AnomalyDetection,
    ColumnProfileView,
    ExperimentReadout,
    ImpactReadout,
    LeaderboardView,
    MetricView,
    RootCauseAnalysis,
    SqlQuery,
    kinds,
)
from workbench.anomaly.params import DetectorParams
from workbench.catalog import Catalog
from workbench.causal.panel import ImpactSpec
from workbench.errors import SourceError, SpecError
from workbench.experiments import ExperimentSpec
from workbench.experiments import MetricSpec as ExpMetric
from workbench.metrics import Filter, Measure, MetricSpec, metric_series
from workbench.analysis.checks import ChecksRun
from workbench.analysis.reconcile import ReconcileView
from workbench.checks import parse_rule
from workbench.reconcile import AggregateSpec, ReconcileSpec
from workbench.reconcile.schema import CompareOptions

CUBE = """
SELECT TIMESTAMP '2024-01-01' + INTERVAL (h) HOUR AS ts, c AS country, p AS platform,
       CAST(round((100 + 40 * sin(2 * pi() * h / 24)) * (CASE WHEN c = 'BR' THEN 1.5 ELSE 1 END)
             * (CASE WHEN c = 'BR' AND p = 'android' AND h BETWEEN 20*24+10 AND 20*24+13 THEN 5 ELSE 1 END)
             + 5 * sin(h * 12.9898 + length(c) * 78.233 + length(p))) AS BIGINT) AS views
FROM range(24 * 24) t(h), (VALUES ('BR'), ('US'), ('IN')) cs(c), (VALUES ('android'), ('ios')) ps(p)
"""


CUBE_METRICS = """
version: 1
metrics:
  - {name: views, source: cube, time: ts, measure: sum(views), good: up}
dashboards:
  - name: cube board
    range: {start: 2024-01-14, end: 2024-01-21}
    tiles: [{kpi: views}, {leaderboard: views, by: country}, {pivot: views, rows: country, columns: platform}]
"""


@pytest.fixture
def opened(con, tmp_path, did_parquet):  # noqa: F811
    catalog = Catalog(con)
    catalog.open(did_parquet)
    catalog.open(write_parquet(tmp_path / "cube.parquet", CUBE))
    users = tmp_path / "exp.parquet"
    make_users(n_per_arm=(300, 280, 290)).to_parquet(users, index=False)
    catalog.open(str(users))
    return catalog


def _spec(**kw) -> MetricSpec:
    return MetricSpec(table="cube", measure=Measure("sum", "views"), time_column="ts", grain="hour", **kw)


def one_of_each() -> list[Analysis]:
    """One analysis per registered kind, with non-default values in every field."""
    window = (dt.datetime(2024, 1, 21, 10), dt.datetime(2024, 1, 21, 14))
    rc = RootCauseAnalysis(_spec(), window, ("country", "platform"), "expected")
    return [
        MetricView(
            MetricSpec(
                table="cube",
                measure=Measure("sum", "views"),
                time_column="ts",
                grain="day",
                filters=(Filter("country", "in", ["BR", "US"]),),
                breakdown="platform",
                top_n=5,
                compare=True,
                compare_offset="week",
            ),
            last=dt.timedelta(days=7),
        ),
        MetricView(_spec(start=dt.datetime(2024, 1, 5), end=dt.datetime(2024, 1, 9))),
        LeaderboardView(
            _spec(start=dt.datetime(2024, 1, 3), end=dt.datetime(2024, 1, 20), compare=True), "country", limit=2
        ),
        ColumnProfileView("cube", "views", top_k=3, bins=7),
        AnomalyDetection.build(
            _spec(),
            "hour",
            DetectorParams(threshold=4.0),
            focus={"series": "all", "start": "2024-01-21T10:00:00"},
            root_cause=rc,
        ),
        AnomalyDetection(_spec(), "auto", DetectorParams()),
        rc,
        ExperimentReadout(
            ExperimentSpec(
                table="exp",
                unit="user_id",
                arm="arm",
                control="control",
                metrics=(
                    ExpMetric("metric", "mean", column="metric", covariate="pre_metric"),
                    ExpMetric("converted", "proportion", column="converted"),
                ),
            )
        ),
        SqlQuery("SELECT country, sum(views) AS views FROM cube GROUP BY country ORDER BY country"),
        ImpactReadout(
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
        ),
        ReconcileView(
            keyed=ReconcileSpec(
                "cube",
                "cube",
                ("ts", "country", "platform"),
                columns=("views",),
                options=CompareOptions(abs_tol=0.5, trim=True),
                sample_size=3,
            )
        ),
        ReconcileView(aggregate=AggregateSpec("cube", "cube", ("views",), ("country",))),
        ChecksRun(
            "cube",
            tuple(
                parse_rule(t)
                for t in (
                    "not_null(views)",
                    "between(views, 0, 150)",
                    "unique(ts, country)",
                    "no_gaps(ts, hour)",
                    "freshness(ts, 2 days)",
                    "row_count(within 5%)",
                )
            ),
            sample_size=2,
            previous_row_count=3000,
            as_of="2024-01-25T00:00:00",
        ),
        DashboardView(CUBE_METRICS, "cube board", filters=("platform=ios",)),
    ]


def test_every_kind_is_covered():
    assert {a.kind for a in one_of_each()} == set(kinds())


@pytest.mark.parametrize("analysis", one_of_each(), ids=lambda a: a.kind)
def test_round_trips_through_json(analysis):
    text = analysis.to_json()
    d = json.loads(text)
    assert d["kind"] == analysis.kind and d["version"] == type(analysis).version
    again = Analysis.from_json(text)
    assert type(again) is type(analysis)
    assert again == analysis
    assert again.to_dict() == analysis.to_dict()
    assert type(analysis).from_dict(d) == analysis  # also through the kind's own class


@pytest.mark.parametrize("analysis", one_of_each(), ids=lambda a: a.kind)
def test_a_recipe_read_back_computes_the_same_tables(con, opened, analysis):
    first = analysis.run(con.cursor(), opened)
    again = Analysis.from_json(analysis.to_json()).run(con.cursor(), opened)
    assert first.tables and list(first.tables) == list(again.tables)
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name], check_exact=False, rtol=1e-9)
    assert first.sql and all(isinstance(q, str) and q for q in first.sql)
    assert first.analysis == analysis and first.value is not None


def test_metric_view_is_metric_series_and_resolves_a_relative_range(con, opened):
    spec = _spec(breakdown="country")
    res = MetricView(spec).run(con.cursor())
    pd.testing.assert_frame_equal(res.table("series"), metric_series(con.cursor(), spec).frame)
    last = MetricView(spec, last=dt.timedelta(days=2)).run(con.cursor())
    assert (last.value.start, last.value.end) == (dt.datetime(2024, 1, 23), dt.datetime(2024, 1, 25))
    assert last.notes and "resolved to 2024-01-23" in last.notes[0]


def test_anomaly_tables_include_the_root_cause_of_the_focused_incident(con, opened):
    first = AnomalyDetection(_spec(), "hour", DetectorParams()).run(con.cursor())
    inc = first.value.detection.incidents[0]
    rc = {"spec": _spec(), "window": (inc.start, inc.end + pd.Timedelta(hours=1)), "dims": ["country", "platform"]}
    res = AnomalyDetection.build(_spec(), "hour", DetectorParams(), focus=inc, root_cause=rc).run(con.cursor())
    assert list(res.tables) == ["incidents", "root_cause_totals", "root_cause"]
    assert res.table("incidents")["explained below"].tolist()[0] == "yes"
    top = res.table("root_cause").iloc[0]
    assert top["role"] == "culprit" and "country=BR" in top["segment"] and "platform=android" in top["segment"]


def test_versions_and_bad_recipes_are_refused_with_clear_messages():
    legacy = {"kind": "sql", "sql": "SELECT 1"}  # what reports embedded before recipes had versions
    assert Analysis.from_dict(legacy) == SqlQuery("SELECT 1")
    with pytest.raises(SpecError, match="newer Workbench"):
        Analysis.from_dict({"kind": "sql", "version": 99, "sql": "SELECT 1"})
    with pytest.raises(SpecError, match="Unknown analysis kind 'chart'"):
        Analysis.from_dict({"kind": "chart"})
    with pytest.raises(SpecError, match="malformed"):
        Analysis.from_dict({"kind": "leaderboard", "version": 1})
    with pytest.raises(SpecError, match="Expected a 'metric' analysis"):
        MetricView.from_dict({"kind": "sql", "sql": "SELECT 1"})
    with pytest.raises(SpecError, match="not valid JSON"):
        Analysis.from_json("{kind")


def test_a_missing_table_is_named_before_any_query(con, opened):
    with pytest.raises(SourceError, match="No open table named 'gone'"):
        MetricView(MetricSpec(table="gone", time_column="ts")).run(con.cursor(), opened)


def test_recipes_embedded_by_earlier_reports_still_load():
    """Replay scripts and saved results written before recipes had a version keep working: these are the
    shapes they stored (no "version"; anomaly windows as ISO text)."""
    spec = _spec().to_dict()
    metric = Analysis.from_dict({"kind": "metric", "spec": spec})
    assert metric == MetricView(_spec())
    anomaly = Analysis.from_dict(
        {
            "kind": "anomaly",
            "spec": spec,
            "grain": "hour",
            "params": DetectorParams().to_dict(),
            "focus": {"series": "all", "start": "2024-01-21T10:00:00"},
            "root_cause": {
                "spec": spec,
                "window": ["2024-01-21T10:00:00", "2024-01-21T14:00:00"],
                "dims": ["country"],
                "baseline": "expected",
            },
        }
    )
    assert isinstance(anomaly, AnomalyDetection) and anomaly.focus == ("all", "2024-01-21T10:00:00")
    assert anomaly.root_cause.window == (dt.datetime(2024, 1, 21, 10), dt.datetime(2024, 1, 21, 14))
    assert Analysis.from_dict(
        {"kind": "anomaly", "spec": spec, "grain": "auto", "params": None, "focus": None, "root_cause": None}
    ) == AnomalyDetection(_spec())
