"""JSON Schemas of the agent tools' arguments, written for a model to fill in correctly.

The fragments below are shared so that every tool spells a measure, a filter or a time range the same way
``workbench metric`` does on the command line.
"""

from __future__ import annotations

from workbench.anomaly.params import DIRECTIONS, METHODS
from workbench.anomaly.root_cause import BASELINES
from workbench.metrics import GRAINS

TABLE = {
    "type": "string",
    "description": "Name of an open table (see list_sources). May be omitted when only one table is open.",
}
MEASURE = {
    "type": "string",
    "default": "count(*)",
    "description": "What to aggregate: count(*), sum(COL), mean(COL), min(COL), max(COL), median(COL), "
    "p90(COL), p99(COL), count_distinct(COL) or ratio(NUM, DEN) (= sum(NUM) / sum(DEN)). "
    "Example: sum(reports).",
}
TIME_COLUMN = {
    "type": "string",
    "description": "Time column to bucket by (default: the table's only TIMESTAMP/DATE column).",
}
START = {
    "type": "string",
    "description": "Inclusive start, ISO date or timestamp, e.g. 2026-10-01 or 2026-10-01T06:00.",
}
END = {"type": "string", "description": "Exclusive end, ISO date or timestamp, e.g. 2026-11-01."}
FILTERS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Row filters, AND-ed, each written like 'country=BR', 'country!=BR', 'views>=3', "
    "'country in BR,US', 'sla_days between 1,5', 'policy is null', 'title contains spam'.",
}
BY = {
    "type": "string",
    "description": "Break the series down by this column: one series per value (top N by volume, the rest as 'Other').",
}
TOP = {
    "type": "integer",
    "minimum": 1,
    "maximum": 50,
    "default": 10,
    "description": "With 'by': how many values get their own series.",
}


def obj(properties: dict, required: tuple[str, ...] = ()) -> dict:
    """An object schema that refuses unknown arguments (a misspelt name is an error, not silently ignored)."""
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


LIST_SOURCES = obj({})

PROFILE_COLUMN = obj(
    {
        "table": TABLE,
        "column": {"type": "string", "description": "The column to profile."},
        "top_k": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": 10,
            "description": "How many most frequent values to list.",
        },
        "bins": {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": 20,
            "description": "Histogram bins (numeric and time columns).",
        },
    },
    ("column",),
)

METRIC_SERIES = obj(
    {
        "table": TABLE,
        "measure": MEASURE,
        "grain": {"type": "string", "enum": list(GRAINS), "default": "day", "description": "Bucket size."},
        "start": START,
        "end": END,
        "filters": FILTERS,
        "by": BY,
        "top": TOP,
        "time_column": TIME_COLUMN,
        "compare": {
            "type": "boolean",
            "default": False,
            "description": "Add comparison_value: the previous period of the same length.",
        },
    },
    ("measure",),
)

DEFINED_METRIC_SERIES = obj(
    {
        "metric": {
            "type": "string",
            "description": "Name of a defined metric (see list_metrics), e.g. violation_rate.",
        },
        "grain": {"type": "string", "enum": list(GRAINS), "description": "Bucket size (default: the metric's own)."},
        "start": START,
        "end": END,
    },
    ("metric",),
)

LIST_METRICS = obj({})

LEADERBOARD = obj(
    {
        "table": TABLE,
        "measure": MEASURE,
        "dimension": {"type": "string", "description": "Column whose values are ranked, e.g. country."},
        "limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 20, "description": "Values listed."},
        "start": START,
        "end": END,
        "filters": FILTERS,
        "time_column": TIME_COLUMN,
        "compare": {
            "type": "boolean",
            "default": False,
            "description": "Add the change against the previous period of the same length.",
        },
    },
    ("measure", "dimension"),
)

DETECT_ANOMALIES = obj(
    {
        "table": TABLE,
        "measure": MEASURE,
        "grain": {
            "type": "string",
            "enum": [*GRAINS, "auto"],
            "default": "auto",
            "description": "Bucket size; auto picks one from the data's span and density.",
        },
        "filters": FILTERS,
        "by": BY,
        "top": TOP,
        "time_column": TIME_COLUMN,
        "method": {
            "type": "string",
            "enum": list(METHODS),
            "default": "auto",
            "description": "Detector; auto chooses per series (robust rolling, seasonal, EWMA, level shift, "
            "count model).",
        },
        "threshold": {
            "type": "number",
            "exclusiveMinimum": 0,
            "description": "Band half-width in robust standard deviations (default per method).",
        },
        "direction": {
            "type": "string",
            "enum": list(DIRECTIONS),
            "default": "both",
            "description": "Flag rises, drops or both.",
        },
        "upper": {"type": "number", "description": "method threshold: flag values above this."},
        "lower": {"type": "number", "description": "method threshold: flag values below this."},
        "points": {
            "type": "boolean",
            "default": False,
            "description": "Also return every point with its expected band (counts toward the row cap).",
        },
    },
    ("measure",),
)

EXPLAIN_INCIDENT = obj(
    {
        "table": TABLE,
        "measure": MEASURE,
        "window_start": {
            "type": "string",
            "description": "Start of the incident window (inclusive), ISO timestamp, "
            "e.g. explain_with.window_start of an incident from detect_anomalies.",
        },
        "window_end": {"type": "string", "description": "End of the incident window (exclusive), ISO timestamp."},
        "dims": {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "maxItems": 8,
            "description": 'Dimension columns to search, e.g. ["country", "platform", "app_version"].',
        },
        "baseline": {
            "type": "string",
            "enum": list(BASELINES),
            "default": "expected",
            "description": "What the window is compared with: the expected value from the history, the "
            "previous window of the same length, or the same window a day/week earlier.",
        },
        "filters": FILTERS,
        "time_column": TIME_COLUMN,
    },
    ("measure", "window_start", "window_end", "dims"),
)

EXPERIMENT_READOUT = obj(
    {
        "table": TABLE,
        "metrics": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string"},
            "description": "Metrics, each NAME:TYPE[:COLUMN][:option...] with TYPE mean, proportion, ratio "
            "(COLUMN is NUM/DEN) or quantile; options cov=COL (CUPED covariate), dir=lower, "
            "guardrail, margin=2%, q=0.9. Examples: 'time_spent:mean:time_spent_min:"
            "cov=pre_time_spent_min', 'reported:proportion', 'crashes:mean:app_crashes:dir=lower:"
            "guardrail:margin=2%'.",
        },
        "unit": {"type": "string", "default": "user_id", "description": "Unit id column (one row per unit)."},
        "arm": {"type": "string", "default": "arm", "description": "Column holding each unit's arm."},
        "control": {"type": "string", "default": "control", "description": "The control arm's value."},
        "segment": {"type": "string", "description": "Break the readout down by this column (exploratory)."},
        "weights": {
            "type": "string",
            "description": "Intended split for the sample-ratio check, e.g. "
            "'control=0.5,treatment=0.5' (default equal).",
        },
        "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 0.5, "default": 0.05},
        "correction": {
            "type": "string",
            "enum": ["bh", "holm", "bonferroni", "none"],
            "default": "bh",
            "description": "Multiple-testing correction across metrics x arms.",
        },
    },
    ("metrics",),
)

POLICY_IMPACT = obj(
    {
        "table": TABLE,
        "time_column": {"type": "string", "description": "Time column (DATE, TIMESTAMP, epoch or ISO text)."},
        "measure": MEASURE,
        "grain": {"type": "string", "enum": ["day", "week", "month", "quarter", "year"], "description": "Period."},
        "unit": {"type": "string", "description": "Column whose values are treated or not, e.g. country."},
        "treated": {"type": "array", "items": {"type": "string"}, "description": 'Treated unit values, e.g. ["BR"].'},
        "start": {"type": "string", "description": "First day of the change (ISO date)."},
        "cohort": {"type": "string", "description": "Staggered adoption: column with each unit's start date."},
        "method": {
            "type": "string",
            "enum": ["did", "event-study", "synthetic", "staggered", "its", "all"],
            "default": "all",
        },
        "controls": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Control unit values (default: every other unit).",
        },
        "end": END,
        "filters": FILTERS,
    },
    ("time_column", "measure", "grain", "unit"),
)

RUN_SQL = obj(
    {
        "query": {
            "type": "string",
            "description": "One read-only SQL query (DuckDB dialect) over the open tables by "
            "name, e.g. SELECT country, count(*) AS n, sum(reports) AS reports "
            "FROM events GROUP BY country. Aggregates come back with small cells "
            "hidden; a row-level result is capped and personal data is masked.",
        },
    },
    ("query",),
)

_NAMES = {"type": "array", "items": {"type": "string"}}

RECONCILE = obj(
    {
        "table_a": {"type": "string", "description": "First open table (e.g. last week's extract)."},
        "table_b": {"type": "string", "description": "Second open table (the one compared with A)."},
        "key": {
            **_NAMES,
            "description": "Key column(s) matching rows; write 'a_name=b_name' when the key is renamed in B. "
            "Without a key, give 'measures' to compare totals instead.",
        },
        "columns": {**_NAMES, "description": "Columns to compare (default: every column in both besides the key)."},
        "map": {**_NAMES, "description": "Columns renamed in B, each 'a_col=b_col'."},
        "abs_tol": {"type": "number", "minimum": 0, "default": 0, "description": "Numbers within this are equal."},
        "rel_tol": {
            "type": "number",
            "minimum": 0,
            "default": 0,
            "description": "Numbers within this fraction of the larger magnitude are equal (0.01 = 1%).",
        },
        "ignore_case": {"type": "boolean", "default": False, "description": "Compare text case-insensitively."},
        "trim": {"type": "boolean", "default": False, "description": "Compare text without surrounding spaces."},
        "samples": {
            "type": "integer",
            "minimum": 0,
            "maximum": 20,
            "default": 5,
            "description": "Example rows kept per bucket (only in A, only in B, changed per column).",
        },
        "measures": {**_NAMES, "description": "Without a key: numeric columns whose sums are compared."},
        "by": {**_NAMES, "description": "Without a key: compare the sums by these dimension columns."},
    },
    ("table_a", "table_b"),
)

RUN_CHECKS = obj(
    {
        "table": TABLE,
        "rules": {
            **_NAMES,
            "minItems": 1,
            "description": "Rules, each one of: not_null(col), unique(col[,col]), accepted_values(col, v1, v2, ...), "
            "between(col, lo, hi), regex(col, 'pattern'), freshness(col, 2 days), no_gaps(col, day), "
            "row_count(min, max), references(col, OTHER_TABLE, col), expression(SQL condition that must hold). "
            'Example: ["not_null(country)", "between(sla_days, 0, 30)"].',
        },
        "samples": {
            "type": "integer",
            "minimum": 0,
            "maximum": 20,
            "default": 5,
            "description": "Failing rows kept per rule.",
        },
    },
    ("rules",),
)

RENDER_DASHBOARD = obj(
    {
        "dashboard": {"type": "string", "description": "Name of a dashboard in the metrics file (see list_metrics)."},
        "filters": {**FILTERS, "description": 'Cross-filters applied to every tile, e.g. ["country=BR"].'},
    },
    ("dashboard",),
)
