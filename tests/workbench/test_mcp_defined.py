"""``workbench mcp`` over the data-quality analyses and the metrics layer, driven over stdio: reconcile and
checks equal the command line's, defined metrics and dashboards by name (and --read-only-metrics), and the
agent's counts under cell-key perturbation equal the CLI's.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytest.importorskip("mcp")

from tests.workbench.mcp_fixtures import agent_entries, call, cli_json, demo_dir, serve, workspace  # noqa: E402, F401


def test_reconcile_and_checks_agree_with_the_command_line(demo_dir, workspace, capsys):
    rules = ["not_null(email)", "unique(email)", "between(score, 0, 6)", "accepted_values(grp, tiny, small)"]

    async def scenario(client):
        keyed = await call(client, "reconcile", table_a="people", table_b="people_b", key=["email"])
        totals = await call(client, "reconcile", table_a="people", table_b="people_b", measures=["score"], by=["grp"])
        checks = await call(client, "run_checks", table="people", rules=rules, samples=3)
        outside = await call(client, "run_checks", table="people", rules=["references(grp, /etc/passwd, x)"])
        return keyed, totals, checks, outside

    keyed, totals, checks, outside = serve(["--workspace", workspace], scenario)
    a, b = demo_dir / "people.parquet", demo_dir / "people_b.parquet"
    # `workbench reconcile` takes no workspace (nothing it prints is masked there); the counts must agree.
    code, out, err = run_cli(capsys, "reconcile", a, b, "--key", "email", "--format", "json")
    assert code == 1, err  # they differ
    expected = json.loads(out)
    for field in ("rows_a", "rows_b", "matched", "only_a", "only_b", "columns"):
        assert keyed[field] == expected[field], field
    assert (keyed["only_a"], keyed["only_b"], keyed["columns"]["score"]["changed"]) == (4, 1, 2)
    assert keyed["differs"] is True
    assert not any("@example.org" in json.dumps(r) for r in keyed["samples"]["only_a"])  # keys stay masked
    code, out, err = run_cli(capsys, "reconcile", a, b, "--measures", "score", "--by", "grp", "--format", "json")
    cli_totals = {g["grp"]: g for g in json.loads(out)["rows"]}
    agent_totals = {g["grp"]: g for g in totals["rows"]}
    assert agent_totals["large"] == cli_totals["large"]
    assert cli_totals["tiny"]["rows_a"] == 4 and agent_totals["tiny"]["rows_a"] == "<10"  # 4 people: hidden
    assert agent_totals["small"]["rows_a"] in (36, "suppressed")  # or withheld so 'tiny' cannot be derived
    code, out, err = run_cli(capsys, "check", a, "--workspace", workspace, "--rule", *rules, "--format", "json")
    assert code == 1, err
    cli_rules = json.loads(out)["rules"]
    assert [(r["rule"], r["status"], r["failing_rows"]) for r in checks["rules"]] == [
        (r["rule"], r["status"], r["failing_rows"]) for r in cli_rules
    ]
    assert checks["failed"] == 1 and checks["rules"][3]["failing_rows"] == 160
    assert "open table" in outside["error"]


def test_read_only_metrics_offers_only_defined_metrics(workspace, capsys):
    from workbench import workspace as wsmod
    from workbench.metrics import Measure, MetricSpec

    ws = wsmod.load(workspace)
    spec = MetricSpec(table="events", measure=Measure("sum", "reports"), grain="week")
    ws.views.append(wsmod.SavedView(name="weekly reports", spec=spec.to_dict(), description="Reports per week"))
    wsmod.save(ws, workspace)

    async def scenario(client):
        tools = {t.name for t in (await client.list_tools()).tools}
        listed = await call(client, "list_metrics")
        series = await call(client, "defined_metric_series", metric="weekly reports")
        free = await call(client, "metric_series", table="events", measure="count(*)")
        sql = await call(client, "run_sql", query="SELECT 1")
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        view = await client.read_resource("workbench://views/weekly%20reports")
        return tools, listed, series, free, sql, resources, json.loads(view.contents[0].text)

    tools, listed, series, free, sql, resources, view = serve(
        ["--workspace", workspace, "--read-only-metrics"], scenario
    )
    assert tools == {"list_metrics", "defined_metric_series"}
    assert [m["metric"] for m in listed["metrics"]] == ["weekly reports"]
    expected = cli_json(
        capsys,
        "metric",
        "events",
        "--workspace",
        workspace,
        "--measure",
        "sum(reports)",
        "--grain",
        "week",
        "--format",
        "json",
    )
    assert series["rows"] == [{k: r[k] for k in ("bucket", "series", "value")} for r in expected["rows"]]
    assert "error" in free and "error" in sql
    assert "workbench://views/weekly%20reports" in resources
    assert view["recipe"]["spec"]["measure"]["column"] == "reports"


METRICS_YAML = """\
version: 1
metrics:
  - {name: reports, source: events, measure: sum(reports), good: down}
  - name: violation_rate
    label: Violations per 1k views
    source: events
    time: event_time
    measure: ratio(violations, views)
    scale: 1000
    good: down
dashboards:
  - name: Weekly
    range: {start: 2026-10-01, end: 2026-10-08}
    compare: previous period
    grain: day
    tiles:
      - {kpi: violation_rate}
      - {leaderboard: reports, by: country, limit: 15}
      - {pivot: reports, rows: country, columns: platform}
"""


def test_defined_metrics_and_dashboards_from_a_metrics_file(demo_dir, capsys):
    metrics = demo_dir / "metrics.yml"
    metrics.write_text(METRICS_YAML, encoding="utf-8")
    events = demo_dir / "events.parquet"

    async def scenario(client):
        tools = {t.name for t in (await client.list_tools()).tools}
        listed = await call(client, "list_metrics")
        reports = await call(client, "defined_metric_series", metric="reports", grain="week")
        rate = await call(client, "defined_metric_series", metric="violation_rate")
        board = await call(client, "render_dashboard", dashboard="Weekly")
        sql = await call(client, "run_sql", query="SELECT 1 AS one")
        definition = await client.read_resource("workbench://dashboards/Weekly")
        return tools, listed, reports, rate, board, sql, json.loads(definition.contents[0].text)

    tools, listed, reports, rate, board, sql, definition = serve(
        [events, "--metrics", metrics, "--read-only-metrics"], scenario
    )
    assert tools == {"list_metrics", "defined_metric_series", "render_dashboard"} and "Unknown tool" in sql["error"]
    assert [m["metric"] for m in listed["metrics"]] == ["reports", "violation_rate"]
    assert [b["dashboard"] for b in listed["dashboards"]] == ["Weekly"]
    weekly = cli_json(capsys, "metric", events, "--measure", "sum(reports)", "--grain", "week", "--format", "json")
    assert reports["rows"] == [{k: r[k] for k in ("bucket", "series", "value")} for r in weekly["rows"]]
    daily = cli_json(
        capsys, "metric", events, "--measure", "ratio(violations, views)", "--grain", "day", "--format", "json"
    )
    assert [r["value"] for r in rate["rows"]] == pytest.approx([r["value"] * 1000 for r in daily["rows"]])
    expected = cli_json(capsys, "dashboard", "render", metrics, "--dashboard", "Weekly", "--format", "json")
    kpi, leaders, pivot = board["tiles"]
    assert kpi["value"] == pytest.approx(expected["tiles"][0]["value"])
    for mine, theirs in zip(leaders["rows"], expected["tiles"][1]["rows"]):
        assert mine == theirs if theirs["rows"] >= 10 else mine["value"] == mine["rows"] == "<10"
    small = [c for c, n in expected["tiles"][2]["cell_rows"].items() if n < 10]
    assert small and all(pivot["cell_rows"][c] == "<10" for c in small)
    assert definition["definition"]["tiles"][0] == {"kpi": "violation_rate"}


def test_cell_key_perturbation_gives_the_agent_the_same_numbers_as_the_cli(demo_dir, tmp_path, capsys):
    path = str(tmp_path / "perturbed.wbk")
    events = demo_dir / "events.parquet"
    code, _, err = run_cli(capsys, "workspace", "new", path, events, "--mode", "cell-key")
    assert code == 0, err
    args = dict(table="events", measure="count(*)", grain="week", by="country", top=15, filters=["platform=ios"])

    async def scenario(client):
        return await call(client, "metric_series", **args)

    got = serve(["--workspace", path], scenario)
    expected = cli_json(
        capsys,
        "metric",
        events,
        "--workspace",
        path,
        "--measure",
        "count(*)",
        "--grain",
        "week",
        "--by",
        "country",
        "--top",
        "15",
        "--filter",
        "platform=ios",
        "--format",
        "json",
    )
    assert got["rows"] == [{k: r[k] for k in ("bucket", "series", "value")} for r in expected["rows"]]
    assert "perturbed" in got["protection"].lower() or "cell-key" in got["protection"].lower()
    raw = cli_json(
        capsys,
        "metric",
        events,
        "--measure",
        "count(*)",
        "--grain",
        "week",
        "--by",
        "country",
        "--top",
        "15",
        "--filter",
        "platform=ios",
        "--format",
        "json",
    )
    assert [r["value"] for r in raw["rows"]] != [r["value"] for r in got["rows"]]  # the counts really moved
