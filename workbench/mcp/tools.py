"""The agent tools: name, description, argument schema and handler of each.

Descriptions say what the tool returns and which guard applies, so a model can pick the right tool and
read its answer. ``--read-only-metrics`` replaces the list with the defined-metric tools only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from workbench.mcp import schemas, tools_analyses, tools_explore

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
        "of the change they explain. Pass an incident's start/end from detect_anomalies as the window.",
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
        "run_sql",
        "Read-only SQL",
        "Run one read-only SQL query over the open tables (by table name). Writes, file access and settings are "
        "refused. An aggregate (GROUP BY) query comes back with small cells hidden, exactly as an export; a "
        "row-level query returns at most the row cap (prefer aggregates).",
        schemas.RUN_SQL,
        tools_explore.run_sql,
    ),
)

METRIC_TOOLS = (
    AgentTool(
        "list_metrics",
        "List defined metrics",
        "List the metrics defined in the open workspace (name, description, table, measure, grain, "
        "breakdown, filters). In this mode only defined metrics can be computed.",
        schemas.LIST_METRICS,
        tools_explore.list_metrics,
    ),
    _tool(
        "metric_series",
        "Defined metric series",
        "A defined metric over time: one row per bucket (and series) with bucket (ISO timestamp), series and "
        "value. Optionally change its grain or its start/end.",
        schemas.DEFINED_METRIC_SERIES,
        tools_explore.metric_series,
    ),
)


def tools_for(session) -> dict[str, AgentTool]:
    """The tools this session offers, by name."""
    chosen = METRIC_TOOLS if session.read_only_metrics else ANALYSIS_TOOLS
    return {t.name: t for t in chosen}
