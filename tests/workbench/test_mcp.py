"""``workbench mcp`` driven as an assistant drives it: a subprocess spoken to over stdio with the SDK's client.

Each tool's answer is compared with the command line's on the same data and the same protection policy (a
workspace, so both apply suppression with k = 10 and mask personal data).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli, write_parquet

pytest.importorskip("mcp")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from workbench import demo

    out = tmp_path_factory.mktemp("mcpdemo")
    demo.write_demo(out, rows=60_000, users=3_000)
    # People with personal data and some groups smaller than k = 10.
    write_parquet(
        out / "people.parquet",
        """
        SELECT 'person' || i || '@example.org' AS email,
               CASE WHEN i < 4 THEN 'tiny' WHEN i < 40 THEN 'small' ELSE 'large' END AS grp,
               i % 7 AS score
        FROM range(200) t(i)""",
    )
    # The same people a week later: four left, one joined, two scores changed.
    write_parquet(
        out / "people_b.parquet",
        """
        SELECT email, grp, CASE WHEN i IN (50, 60) THEN score + 1 ELSE score END AS score FROM (
            SELECT i, 'person' || i || '@example.org' AS email,
                   CASE WHEN i < 4 THEN 'tiny' WHEN i < 40 THEN 'small' ELSE 'large' END AS grp, i % 7 AS score
            FROM range(4, 201) t(i))""",
    )
    return out


@pytest.fixture
def workspace(demo_dir, tmp_path, capsys):
    path = str(tmp_path / "agent.wbk")
    code, _, err = run_cli(
        capsys,
        "workspace",
        "new",
        path,
        demo_dir / "events.parquet",
        demo_dir / "experiment.parquet",
        demo_dir / "people.parquet",
        demo_dir / "people_b.parquet",
        "--k",
        "10",
    )
    assert code == 0, err
    return path


def serve(args, scenario, env=None, errlog=None):
    """Start ``workbench mcp ARGS`` and run ``scenario(client)``; returns what it returns."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    environ = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "workbench", "mcp", *map(str, args)], env=environ, cwd=str(ROOT)
    )

    async def main():
        async with stdio_client(params, errlog=errlog or sys.__stderr__) as (read, write):
            async with ClientSession(read, write) as client:
                await client.initialize()
                return await scenario(client)

    return asyncio.run(asyncio.wait_for(main(), timeout=180))


async def call(client, name, **arguments):
    result = await client.call_tool(name, arguments)
    if result.is_error:
        return {"error": result.content[0].text}
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def cli_json(capsys, *argv):
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def agent_entries(log_path):
    lines = [json.loads(line) for line in Path(log_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [e for e in lines if e["action"] == "agent_tool_call"]


def test_the_check_metric_series_equals_workbench_metric(demo_dir, capsys, tmp_path):
    """Exactly the acceptance check: two PATHs, list the tools, sum(reports) by day, compare with the CLI."""
    events, experiment = demo_dir / "events.parquet", demo_dir / "experiment.parquet"

    async def scenario(client):
        tools = (await client.list_tools()).tools
        series = await call(client, "metric_series", table="events", measure="sum(reports)", grain="day")
        return tools, series

    with open(tmp_path / "server.err", "w+", encoding="utf-8") as errlog:
        tools, series = serve([events, experiment], scenario, errlog=errlog)
    err = (tmp_path / "server.err").read_text(encoding="utf-8")
    assert "network guard on; 0 connection attempt(s) refused" in err  # stdio only: no socket was tried
    names = {t.name for t in tools}
    assert {
        "list_sources",
        "profile_column",
        "metric_series",
        "leaderboard",
        "detect_anomalies",
        "explain_incident",
        "experiment_readout",
        "policy_impact",
        "run_sql",
    } <= names
    for tool in tools:
        assert tool.input_schema["type"] == "object" and tool.description
    schema = next(t for t in tools if t.name == "metric_series").input_schema
    assert {"table", "measure", "grain", "start", "end", "filters", "by"} <= set(schema["properties"])
    expected = cli_json(capsys, "metric", events, "--measure", "sum(reports)", "--grain", "day", "--format", "json")
    assert len(series["rows"]) == len(expected["rows"]) > 60
    assert series["rows"] == [{k: r[k] for k in ("bucket", "series", "value")} for r in expected["rows"]]


def test_each_tool_agrees_with_the_command_line(demo_dir, workspace, capsys):
    ev, ex = demo_dir / "events.parquet", demo_dir / "experiment.parquet"
    window = ("2026-09-16T09:00:00", "2026-09-18T21:00:00")
    metrics = ["time_spent:mean:time_spent_min:cov=pre_time_spent_min", "reported:proportion"]

    async def scenario(client):
        out = {"sources": await call(client, "list_sources")}
        out["profile"] = await call(client, "profile_column", table="events", column="country")
        out["series"] = await call(
            client,
            "metric_series",
            table="events",
            measure="sum(reports)",
            grain="week",
            by="country",
            top=3,
            filters=["platform=android"],
        )
        out["board"] = await call(client, "leaderboard", table="events", measure="sum(reports)", dimension="country")
        out["anomalies"] = await call(client, "detect_anomalies", table="events", measure="sum(reports)", grain="hour")
        out["explain"] = await call(
            client,
            "explain_incident",
            table="events",
            measure="sum(reports)",
            window_start=window[0],
            window_end=window[1],
            dims=["country", "platform"],
        )
        out["readout"] = await call(client, "experiment_readout", table="experiment", metrics=metrics)
        out["impact"] = await call(
            client,
            "policy_impact",
            table="events",
            time_column="event_time",
            measure="ratio(violations, views)",
            grain="day",
            unit="country",
            treated=["BR", "MX"],
            start="2026-10-01",
            method="did",
        )
        out["sql"] = await call(
            client,
            "run_sql",
            query="SELECT platform, count(*) AS n, sum(reports) AS r FROM events GROUP BY platform ORDER BY platform",
        )
        return out

    got = serve(["--workspace", workspace], scenario)
    assert all("error" not in v for v in got.values()), got
    ws = ["--workspace", workspace]

    schema = cli_json(capsys, "schema", ev, *ws, "--format", "json")
    table = next(t for t in got["sources"]["tables"] if t["table"] == "events")
    assert table["row_count"] == schema["row_count"] == 60_000
    assert table["columns"] == schema["columns"]

    profile = cli_json(capsys, "profile", ev, "country", *ws, "--format", "json")
    assert {k: v for k, v in got["profile"].items() if k != "protection"} == profile

    metric = cli_json(
        capsys,
        "metric",
        ev,
        *ws,
        "--measure",
        "sum(reports)",
        "--grain",
        "week",
        "--by",
        "country",
        "--top",
        "3",
        "--filter",
        "platform=android",
        "--format",
        "json",
    )
    assert got["series"]["rows"] == [{k: r[k] for k in ("bucket", "series", "value")} for r in metric["rows"]]

    sums = cli_json(
        capsys,
        "sql",
        ev,
        *ws,
        "SELECT country, count(*) AS n, sum(reports) AS r FROM events GROUP BY country",
        "--format",
        "json",
    )
    board = {r["dimension_value"]: (r["value"], r["rows"]) for r in got["board"]["rows"]}
    assert board == {r["country"]: (r["r"], r["n"]) for r in sums}

    anomalies = cli_json(
        capsys, "anomalies", ev, *ws, "--measure", "sum(reports)", "--grain", "hour", "--format", "json"
    )
    assert got["anomalies"]["series"] == anomalies["series"]
    assert any(s["incidents"] for s in anomalies["series"])

    explain = cli_json(
        capsys,
        "explain",
        ev,
        *ws,
        "--measure",
        "sum(reports)",
        "--window",
        *window,
        "--dims",
        "country,platform",
        "--format",
        "json",
    )
    for key in ("actual", "expected", "impact"):  # float sums in parallel: equal up to rounding
        assert got["explain"][key] == pytest.approx(explain[key], rel=1e-9), key
    assert got["explain"]["culprits"] == explain["culprits"] and explain["culprits"]
    assert [s["label"] for s in got["explain"]["ranked"]] == [s["label"] for s in explain["ranked"]]

    readout = cli_json(
        capsys, "experiment", ex, *ws, "--metric", metrics[0], "--metric", metrics[1], "--format", "json"
    )
    assert got["readout"]["metrics"] == readout["metrics"] and len(readout["metrics"]) == 2
    assert got["readout"]["srm"] == readout["srm"]

    impact = cli_json(
        capsys,
        "impact",
        ev,
        *ws,
        "--time",
        "event_time",
        "--measure",
        "ratio(violations, views)",
        "--grain",
        "day",
        "--unit",
        "country",
        "--treated",
        "BR,MX",
        "--start",
        "2026-10-01",
        "--method",
        "did",
        "--format",
        "json",
    )
    assert got["impact"]["did"] == impact["did"]

    rows = cli_json(
        capsys,
        "sql",
        ev,
        *ws,
        "SELECT platform, count(*) AS n, sum(reports) AS r FROM events GROUP BY platform ORDER BY platform",
        "--format",
        "json",
    )
    assert got["sql"]["rows"] == rows


def test_suppression_masking_refusals_and_one_audit_entry_per_call(demo_dir, workspace, capsys):
    people = "people"

    async def scenario(client):
        out = {"cells": await call(client, "run_sql", query=f"SELECT grp, count(*) AS n FROM {people} GROUP BY grp")}
        out["rows"] = await call(client, "run_sql", query=f"SELECT email, grp FROM {people} ORDER BY score LIMIT 5")
        out["profile"] = await call(client, "profile_column", table=people, column="email")
        out["file"] = await call(client, "run_sql", query=f"SELECT * FROM read_parquet('{demo_dir}/people.parquet')")
        out["drop"] = await call(client, "run_sql", query=f"DROP VIEW {people}")
        out["copy"] = await call(client, "run_sql", query=f"COPY {people} TO '/tmp/leak.csv'")
        out["two"] = await call(client, "run_sql", query="SELECT 1; DELETE FROM people")
        out["bad"] = await call(client, "metric_series", table="events", measure="sum(no_such_column)")
        out["unknown"] = await call(client, "no_such_tool")
        out["after"] = await call(client, "metric_series", table="events", measure="count(*)", grain="month")
        return out

    got = serve(["--workspace", workspace], scenario)
    cells = {r["grp"]: r["n"] for r in got["cells"]["rows"]}
    assert cells["tiny"] == "<10" and cells["large"] == 160
    assert "hidden" in got["cells"]["protection"].lower() or "suppress" in got["cells"]["protection"].lower()
    emails = [r["email"] for r in got["rows"]["rows"]]
    assert len(emails) == 5 and not any("@example.org" in e for e in emails)
    assert got["profile"]["masked"] and all("@example.org" not in str(v) for v, _ in got["profile"]["top_values"])
    assert "masked" in got["file"]["error"]
    for key in ("drop", "copy", "two"):
        assert any(word in got[key]["error"] for word in ("read-only", "one statement")), got[key]
    assert "no_such_column" in got["bad"]["error"]
    assert "Unknown tool" in got["unknown"]["error"]
    assert sum(r["value"] for r in got["after"]["rows"]) == 60_000  # after the errors, the server still answers

    entries = agent_entries(workspace + ".audit.jsonl")
    assert [e["details"]["tool"] for e in entries] == ["run_sql"] * 2 + ["profile_column"] + ["run_sql"] * 4 + [
        "metric_series",
        "no_such_tool",
        "metric_series",
    ]
    first = entries[0]["details"]
    assert first["origin"] == "agent" and first["made_by"] == "agent" and first["outcome"] == "released"
    assert first["rows_returned"] == 3 and first["hidden_cells"] >= 1 and first["suppression_applied"] is True
    assert first["arguments"] == {"query": f"SELECT grp, count(*) AS n FROM {people} GROUP BY grp"}
    assert entries[1]["details"]["rows_returned"] == 5
    assert all(e["details"]["outcome"] == "refused" and e["details"]["error"] for e in entries[3:7])
    code, _, err = run_cli(capsys, "audit", "verify", workspace + ".audit.jsonl")
    assert code == 0, err  # the agent's entries extend the signed chain like any other


def test_differencing_two_safe_answers_is_warned_and_audited(workspace):
    async def scenario(client):
        first = await call(client, "run_sql", query="SELECT count(*) AS n FROM people")
        second = await call(client, "run_sql", query="SELECT count(*) AS n FROM people WHERE grp != 'tiny'")
        return first, second

    first, second = serve(["--workspace", workspace], scenario)
    assert first["rows"] == [{"n": 200}] and second["rows"] == [{"n": 196}]  # each safe on its own
    assert "warnings" not in first and "differ" in " ".join(second["warnings"])
    lines = [json.loads(x) for x in Path(workspace + ".audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["details"]["origin"] for e in lines if e["action"] == "differencing_warning"] == ["agent"]
    assert Path(workspace + ".releases.jsonl").exists()


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


def test_a_column_revealed_in_the_workspace_is_not_masked(workspace, capsys):
    code, _, err = run_cli(capsys, "workspace", "reveal", workspace, "people.email", "--reason", "fraud case 12")
    assert code == 0, err

    async def scenario(client):
        return await call(client, "run_sql", query="SELECT email FROM people ORDER BY score, email LIMIT 3")

    got = serve(["--workspace", workspace], scenario)
    assert all(r["email"].endswith("@example.org") for r in got["rows"])


def test_row_cap_refuses_with_a_suggestion(demo_dir):
    async def scenario(client):
        return (
            await call(client, "metric_series", table="events", measure="count(*)", grain="hour"),
            await call(client, "metric_series", table="events", measure="count(*)", grain="month"),
            await call(client, "run_sql", query="SELECT * FROM events"),
        )

    hourly, monthly, rows = serve([demo_dir / "events.parquet", "--row-cap", "50"], scenario)
    assert "at most 50 rows" in hourly["error"] and "coarser grain" in hourly["error"]
    assert len(monthly["rows"]) <= 4
    assert "more than 50 rows" in rows["error"] and "GROUP BY" in rows["error"]


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


def test_bad_command_lines_fail_with_one_line_before_serving(tmp_path, capsys):
    code, out, err = run_cli(capsys, "mcp", tmp_path / "missing.parquet")
    assert code == 2 and out == "" and "missing.parquet" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "mcp", "--read-only-metrics", tmp_path / "x.parquet")
    assert code == 2 and "--workspace" in err
    code, _, err = run_cli(capsys, "mcp")
    assert code == 2 and "PATH" in err
