"""The agent tools: name, description, argument schema and handler of each.

Descriptions say what the tool returns and which guard applies, so a model can pick the right tool and
read its answer. ``--read-only-metrics`` replaces the list with the defined-metric tools only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from workbench.mcp import defined, schemas, tools_analyses, tools_explore, tools_quality

GUARDS = (
    "Small cells (fewer than k rows) are hidden as '<k' and personal-data columns are masked, as in the "
    "desktop app; results over the row cap are refused."
)


@dataclass(frozen=True)
class AgentTool:
    name: str
    title: str
    description: str
    schema: dict
    handler: Callable


def _tool(name, title, description, schema, handler) -> AgentTool:
    return AgentTool(name, title, f"{description} {GUARDS}", schema, handler)


ANALYSIS_TOOLS = (
    AgentTool(
        "list_sources",
        "List sources and schemas",
        "List the open tables: for each its name, file location, row count and columns (name, type, "
        "nullable, and 'masked' for personal-data columns the agent only sees as tokens). Also returns the "
        "protection policy and the row cap. Call this first.",
        schemas.LIST_SOURCES,
        tools_explore.list_sources,
    ),
    _tool(
        "profile_column",
        "Profile a column",
        "Profile one column: row count, nulls, distinct values, min/max, mean, most frequent values with counts, "
        "and a histogram.",
        schemas.PROFILE_COLUMN,
        tools_explore.profile_column,
    ),
    _tool(
        "metric_series",
        "Metric time series",
        "A metric over time, exactly as `workbench metric` computes it: one row per bucket (and per series with "
        "'by') with bucket (ISO timestamp of the bucket start), series ('all' without 'by') and value. Example: "
        '{"table": "events", "measure": "sum(reports)", "grain": "day"}.',
        schemas.METRIC_SERIES,
        tools_explore.metric_series,
    ),
    _tool(
        "leaderboard",
        "Leaderboard",
        "Rank the values of one column by a measure over a time range: dimension_value, value, rows, share "
        "and, with compare, the change against the previous period.",
        schemas.LEADERBOARD,
        tools_explore.leaderboard,
    ),
    _tool(
        "detect_anomalies",
        "Detect anomalies",
        "Detect anomalies in a metric, as `workbench anomalies --format json`: per series the incidents "
        "(start, end, direction, severity, peak score, actual, expected, impact with a 95% interval) and the "
        "detector chosen. Detection runs on the protected series (hidden cells are gaps).",
        schemas.DETECT_ANOMALIES,
        tools_analyses.detect_anomalies,
    ),
    _tool(
        "explain_incident",
        "Explain an incident (root cause)",
        "Root cause of a change in a time window, as `workbench explain --format json`: actual vs expected, "
        "a verdict, and the segments (values and combinations of up to three dimensions) ranked by how much "
        "of the change they explain. For an incident from detect_anomalies, pass its 'explain_with' arguments (window and, for a broken-down series, its filter).",
        schemas.EXPLAIN_INCIDENT,
        tools_analyses.explain_incident,
    ),
    _tool(
        "experiment_readout",
        "Experiment readout",
        "Compare experiment arms, as `workbench experiment --format json`: per metric and arm the estimate, "
        "lift, confidence interval and p-value (Welch t, two-proportion z, delta method; CUPED with cov=), the "
        "sample-ratio check, multiple-testing adjustments and, with 'segment', a breakdown. A readout with an "
        "arm of fewer than k units is withheld.",
        schemas.EXPERIMENT_READOUT,
        tools_analyses.experiment_readout,
    ),
    _tool(
        "policy_impact",
        "Policy impact",
        "Effect of a change that was never A/B tested, as `workbench impact --format json`: "
        "difference-in-differences, event study with a pre-trend test, synthetic control, staggered adoption "
        "or an interrupted time series, with diagnostics and a verdict.",
        schemas.POLICY_IMPACT,
        tools_analyses.policy_impact,
    ),
    _tool(
        "reconcile",
        "Reconcile two tables",
        "Do two open tables agree? With 'key': rows matched on the key, counts of rows only in A, only in B and "
        "changed per column, with a few example rows of each; without a key, sums of 'measures' (by 'by') compared. "
        "'differs' says whether they disagree, as `workbench reconcile --format json`.",
        schemas.RECONCILE,
        tools_quality.reconcile,
    ),
    _tool(
        "run_checks",
        "Run data-quality checks",
        "Evaluate data-quality rules on one table in one scan, as `workbench check --format json`: per rule its "
        "status (pass, warn or fail), the number of failing rows, a message and a few failing rows.",
        schemas.RUN_CHECKS,
        tools_quality.run_checks,
    ),
    _tool(
        "run_sql",
        "Read-only SQL",
        "Run one read-only SQL query over the open tables (by table name). Writes, file access and settings are "
        "refused. An aggregate (GROUP BY) query comes back with small cells hidden, exactly as an export; a "
        "row-level query returns at most the row cap (prefer aggregates).",
        schemas.RUN_SQL,
        tools_explore.run_sql,
    ),
)

DEFINED_TOOLS = (
    AgentTool(
        "list_metrics",
        "List defined metrics",
        "List the metrics defined for this session — from the metrics file (--metrics) and the workspace's saved "
        "views — with their table, measure, grain, filters, scale and format, and the dashboards that can be "
        "rendered.",
        schemas.LIST_METRICS,
        defined.list_metrics,
    ),
    _tool(
        "defined_metric_series",
        "Defined metric series",
        "A defined metric over time, by name: one row per bucket with bucket (ISO timestamp), series and value "
        "(in the metric's units: the measure times its scale). Optionally another grain or start/end.",
        schemas.DEFINED_METRIC_SERIES,
        defined.defined_metric_series,
    ),
)

DASHBOARD_TOOL = _tool(
    "render_dashboard",
    "Render a dashboard",
    "Compute every tile of a dashboard from the metrics file, as `workbench dashboard render --format json`: "
    "KPIs with comparison and change, chart series, leaderboards, pivots. Optional cross-filters apply to every "
    "tile.",
    schemas.RENDER_DASHBOARD,
    defined.render_dashboard,
)


def tools_for(session) -> dict[str, AgentTool]:
    """The tools this session offers, by name: with ``--read-only-metrics`` only the defined-metric tools."""
    chosen = [] if session.read_only_metrics else list(ANALYSIS_TOOLS)
    if session.workspace is not None or session.metrics_file is not None:
        chosen += DEFINED_TOOLS
    if session.metrics_file is not None and session.metrics_file.dashboards:
        chosen.append(DASHBOARD_TOOL)
    return {t.name: t for t in chosen}
