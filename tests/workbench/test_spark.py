"""The same analyses through a local Spark Connect server as through DuckDB (issue: Spark backend).

One module holds every test that needs Spark: it skips, saying why, when Java or the Spark client is
absent. CI installs both (``.ci/run``), so CI is not among the places it skips.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.spark_fixture import TOKEN, free_port, spark_remote  # noqa: F401  (a fixture)

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("spark_demo")
    code, _, err = _cli_plain("demo", "--out", out, "--rows", "20000")
    assert code == 0, err
    return out


def _cli_plain(*argv):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=HERE.parents[1],
        timeout=600,
    )
    return proc.returncode, proc.stdout, proc.stderr


def both(capsys, remote, *argv):
    """(duckdb output, spark output) of the same command, both parsed as JSON."""
    code_d, out_d, err_d = run_cli(capsys, *argv)
    assert code_d == 0, err_d
    code_s, out_s, err_s = run_cli(capsys, *argv, "--engine", "spark", "--remote", remote)
    assert code_s == 0, err_s
    return json.loads(out_d), json.loads(out_s)


def test_schema_is_the_same(capsys, spark_remote, demo_dir):
    duck, spark = both(capsys, spark_remote, "schema", demo_dir / "events.parquet", "--format", "json")
    assert [(c["name"], c["type"]) for c in duck["columns"]] == [(c["name"], c["type"]) for c in spark["columns"]]
    assert spark["row_count"] == duck["row_count"] == 20000  # from Spark's file metadata, not a scan
    assert spark["size_bytes"] == duck["size_bytes"]


@pytest.mark.parametrize(
    "args",
    [
        ("--measure", "sum(reports)", "--grain", "day"),
        ("--measure", "count(*)", "--grain", "week", "--filter", "platform=ios"),
        ("--measure", "mean(sla_days)", "--grain", "hour", "--start", "2026-10-01", "--end", "2026-10-03"),
        ("--measure", "ratio(reports, views)", "--grain", "day", "--by", "country", "--top", "3", "--compare"),
        ("--measure", "p90(views)", "--grain", "month"),
        (
            "--measure",
            "count_distinct(app_version)",
            "--grain",
            "15min",
            "--start",
            "2026-10-01",
            "--end",
            "2026-10-02",
        ),
    ],
    ids=["sum-day", "count-week-filter", "mean-hour-range", "ratio-by-top-compare", "p90-month", "distinct-15min"],
)
def test_metric_series_is_the_same(capsys, spark_remote, demo_dir, args):
    duck, spark = both(capsys, spark_remote, "metric", demo_dir / "events.parquet", *args, "--format", "json")
    assert duck["rows"], "the case must have data"
    assert_same(duck["rows"], spark["rows"])


def test_profile_anomalies_explain_are_the_same(capsys, spark_remote, demo_dir):
    events = demo_dir / "events.parquet"
    for argv in (
        ("profile", events, "views", "--format", "json"),
        ("profile", events, "country", "--format", "json"),
        ("anomalies", events, "--measure", "sum(reports)", "--grain", "hour", "--format", "json"),
        (
            "explain",
            events,
            "--measure",
            "sum(reports)",
            "--window",
            "2026-10-05",
            "2026-10-06",
            "--baseline",
            "week",
            "--dims",
            "country,platform",
            "--format",
            "json",
        ),
    ):
        duck, spark = both(capsys, spark_remote, *argv)
        assert_same(duck, spark)


def test_experiment_and_impact_are_the_same(capsys, spark_remote, demo_dir):
    experiment = (
        "experiment",
        demo_dir / "experiment.parquet",
        "--unit",
        "user_id",
        "--arm",
        "arm",
        "--control",
        "control",
        "--metric",
        "time_spent:mean:time_spent_min:cov=pre_time_spent_min",
        "--metric",
        "reported:proportion",
        "--metric",
        "precision:ratio:reports_actioned/reports_submitted",
        "--segment",
        "country",
        "--time",
        "assigned_at",
        "--format",
        "json",
    )
    impact = (
        "impact",
        demo_dir / "events.parquet",
        "--time",
        "event_time",
        "--measure",
        "sum(reports)",
        "--grain",
        "day",
        "--unit",
        "country",
        "--treated",
        "BR,IN",
        "--start",
        "2026-10-01",
        "--method",
        "did",
        "--format",
        "json",
    )
    for argv in (experiment, impact):
        duck, spark = both(capsys, spark_remote, *argv)
        assert_same(duck, spark)


BOARD = """
version: 1
metrics:
  - {name: violation_rate, source: events, time: event_time, measure: "ratio(violations, views)", scale: 1000,
     filters: ["platform != web"], good: down}
  - {name: reports, source: events, measure: "sum(reports)", good: down}
dashboards:
  - name: weekly
    range: {start: 2026-10-01, end: 2026-10-08}
    compare: previous period
    grain: day
    tiles:
      - {kpi: violation_rate}
      - {kpi: reports}
      - {chart: reports, by: country, top: 3}
      - {leaderboard: violation_rate, by: country, limit: 5}
      - {pivot: reports, rows: country, columns: platform}
"""


def test_dashboard_render_is_the_same(capsys, spark_remote, demo_dir):
    board = demo_dir / "metrics.yml"
    board.write_text(BOARD)
    duck, spark = both(capsys, spark_remote, "dashboard", "render", board, "--dashboard", "weekly", "--format", "json")
    assert [t["type"] for t in spark["tiles"]] == ["kpi", "kpi", "chart", "leaderboard", "pivot"]
    assert_same(duck, spark)


def test_sql_is_read_only_and_the_same(capsys, spark_remote, demo_dir):
    query = "SELECT country, count(*) AS n, sum(reports) AS r FROM data GROUP BY 1 ORDER BY 1"
    duck, spark = both(capsys, spark_remote, "sql", demo_dir / "events.parquet", query, "--format", "json")
    assert_same(duck, spark)
    code, _, err = run_cli(
        capsys, "sql", demo_dir / "events.parquet", "DROP VIEW data", "--engine", "spark", "--remote", spark_remote
    )
    assert code == 2 and "read-only" in err.lower()


def test_masking_and_suppression_apply_on_the_cluster(capsys, spark_remote, demo_dir, tmp_path, monkeypatch):
    floor = tmp_path / "policy.json"
    floor.write_text('{"min_k": 50, "min_mode": "suppression", "mask_pii": true}')
    monkeypatch.setenv("WORKBENCH_SYSTEM_POLICY", str(floor))
    users = demo_dir / "experiment.parquet"
    duck, spark = both(
        capsys,
        spark_remote,
        "metric",
        demo_dir / "events.parquet",
        "--measure",
        "count(*)",
        "--grain",
        "day",
        "--by",
        "app_version",
        "--format",
        "json",
    )
    assert_same(duck["rows"], spark["rows"])
    hidden = [r for r in spark["rows"] if r.get("value") == "<50"]
    assert hidden, "cells under k must be withheld on Spark as locally"
    code, out, err = run_cli(
        capsys,
        "sql",
        users,
        "SELECT user_id FROM data LIMIT 3",
        "--engine",
        "spark",
        "--remote",
        spark_remote,
        "--format",
        "json",
    )
    assert code == 0, err
    assert all(not isinstance(r["user_id"], int) for r in json.loads(out)), "user_id must come back masked"


def test_audit_log_records_the_endpoint_never_the_token(capsys, spark_remote, demo_dir):
    from workbench.cli.outputs import cli_audit_log

    code, _, err = run_cli(
        capsys,
        "metric",
        demo_dir / "events.parquet",
        "--measure",
        "sum(reports)",
        "--engine",
        "spark",
        "--remote",
        spark_remote,
        "--format",
        "json",
    )
    assert code == 0, err
    log = Path(cli_audit_log(None).path).read_text()
    assert "spark_connect" in log and "token=***" in log
    assert f"token={TOKEN}" not in log


def test_unreachable_endpoint_is_a_clear_error(capsys, demo_dir):
    code, _, err = run_cli(
        capsys,
        "metric",
        demo_dir / "events.parquet",
        "--measure",
        "sum(reports)",
        "--engine",
        "spark",
        "--remote",
        f"sc://localhost:{free_port()}/;token=x",
    )
    assert code == 2 and "Cannot reach Spark" in err and ";token=x" not in err


def test_spark_without_a_remote_says_how_to_give_one(capsys, demo_dir, monkeypatch):
    monkeypatch.delenv("WORKBENCH_SPARK_REMOTE", raising=False)
    code, _, err = run_cli(capsys, "metric", demo_dir / "events.parquet", "--engine", "spark")
    assert code == 2 and "--remote" in err


IGNORED_KEYS = {"sql", "location", "files", "engine", "seconds"}  # where it ran, not what it found


def assert_same(duck, spark, rel: float = 1e-9, path: str = "$") -> None:
    """The same document: keys, text and integers exactly, floats to ``rel`` (the engines sum in different
    orders), ignoring the SQL text and file locations."""
    if isinstance(duck, dict):
        assert isinstance(spark, dict), path
        keys = set(duck) - IGNORED_KEYS
        assert keys == set(spark) - IGNORED_KEYS, (path, keys ^ (set(spark) - IGNORED_KEYS))
        for key in keys:
            assert_same(duck[key], spark[key], rel, f"{path}.{key}")
    elif isinstance(duck, list):
        assert isinstance(spark, list) and len(duck) == len(spark), (path, len(duck), len(spark or []))
        for i, (d, s) in enumerate(zip(duck, spark)):
            assert_same(d, s, rel, f"{path}[{i}]")
    elif isinstance(duck, float) or isinstance(spark, float):
        assert spark == pytest.approx(duck, rel=rel, abs=1e-12, nan_ok=True), (path, duck, spark)
    else:
        assert spark == duck, (path, duck, spark)


def test_exports_from_the_cluster_carry_a_fingerprint_of_the_cluster_snapshot(capsys, spark_remote, demo_dir, tmp_path):
    out = tmp_path / "daily.csv"
    code, _, err = run_cli(
        capsys,
        "metric",
        demo_dir / "events.parquet",
        "--measure",
        "sum(reports)",
        "--engine",
        "spark",
        "--remote",
        spark_remote,
        "--out",
        out,
    )
    assert code == 0, err
    provenance = json.loads(Path(f"{out}.provenance.json").read_text())
    text = json.dumps(provenance)
    assert "cluster file listing and view SQL" in text and '"engine": "spark"' in text
    assert TOKEN not in text or len(TOKEN) < 4
