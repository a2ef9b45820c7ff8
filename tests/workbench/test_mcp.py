"""``workbench mcp`` driven as an assistant drives it: a subprocess spoken to over stdio with the SDK's client.

Each tool's answer is compared with the command line's on the same data and the same protection policy (a
workspace, so both apply suppression with k = 10 — or cell-key perturbation — and mask personal data). Also:
refused writes and file reads, the row cap and time limit, reveals, differencing warnings, defined metrics and
dashboards, read-only-metrics mode, and one audit entry per call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli

pytest.importorskip("mcp")

from tests.workbench.mcp_fixtures import agent_entries, call, cli_json, demo_dir, serve, workspace  # noqa: E402, F401


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
    explain_with = [inc.pop("explain_with") for s in got["anomalies"]["series"] for inc in s["incidents"]]
    assert got["anomalies"]["series"] == anomalies["series"]
    assert explain_with and all(e["window_end"] > e["window_start"] for e in explain_with)
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


def test_a_column_revealed_in_the_workspace_is_not_masked(workspace, capsys):
    code, _, err = run_cli(capsys, "workspace", "reveal", workspace, "people.email", "--reason", "fraud case 12")
    assert code == 0, err
    from workbench import workspace as wsmod

    ws = wsmod.load(workspace)  # a result saved for the evidence report is listed as a resource
    recipe = {"kind": "sql", "version": 1, "sql": "SELECT grp, count(*) AS n FROM people GROUP BY grp"}
    ws.saved_results.append({"name": "groups", "kind": "sql", "recipe": recipe, "description": "People per group"})
    wsmod.save(ws, workspace)

    async def scenario(client):
        rows = await call(client, "run_sql", query="SELECT email FROM people ORDER BY score, email LIMIT 3")
        uris = [str(r.uri) for r in (await client.list_resources()).resources]
        saved = await client.read_resource("workbench://results/groups")
        policy = await client.read_resource("workbench://policy")
        try:
            await client.read_resource("workbench://results/nothing")
            missing = None
        except Exception as exc:  # the SDK's McpError: a protocol error that says what is missing
            missing = str(exc)
        return rows, uris, json.loads(saved.contents[0].text), json.loads(policy.contents[0].text), missing

    got, uris, saved, policy, missing = serve(["--workspace", workspace], scenario)
    assert "No resource 'workbench://results/nothing'" in missing
    assert all(r["email"].endswith("@example.org") for r in got["rows"])
    assert {"workbench://policy", "workbench://results/groups"} <= set(uris)
    assert saved["recipe"] == recipe and saved["description"] == "People per group"
    assert policy["k"] == 10 and "email" not in policy["masked_columns"]["people"]  # revealed
    assert "seed" not in json.dumps(policy)  # the cell-key secret never leaves the workspace


def test_row_cap_and_time_limit_refuse_with_a_suggestion(demo_dir):
    endless = "SELECT * FROM range(1000000000000) t(i) WHERE i = -1"

    async def scenario(client):
        return (
            await call(client, "metric_series", table="events", measure="count(*)", grain="hour"),
            await call(client, "metric_series", table="events", measure="count(*)", grain="month"),
            await call(client, "run_sql", query="SELECT * FROM events"),
            await call(client, "run_sql", query=endless),
            await call(client, "metric_series", table="events", measure="count(*)", grain="month"),
        )

    args = [demo_dir / "events.parquet", "--row-cap", "50", "--timeout", "1.5"]
    hourly, monthly, rows, stopped, after = serve(args, scenario)
    assert "stopped after 1.5 s" in stopped["error"] and after["rows"] == monthly["rows"]
    assert "at most 50 rows" in hourly["error"] and "coarser grain" in hourly["error"]
    assert len(monthly["rows"]) <= 4
    assert "more than 50 rows" in rows["error"] and "GROUP BY" in rows["error"]


def test_bad_command_lines_fail_with_one_line_before_serving(tmp_path, capsys):
    code, out, err = run_cli(capsys, "mcp", tmp_path / "missing.parquet")
    assert code == 2 and out == "" and "missing.parquet" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "mcp", "--read-only-metrics", tmp_path / "x.parquet")
    assert code == 2 and "--workspace" in err
    code, _, err = run_cli(capsys, "mcp")
    assert code == 2 and "PATH" in err
