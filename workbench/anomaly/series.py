"""Fetch the series a detector runs on: a MetricSpec at a grain, or "raw" (one point per distinct
timestamp, for extracts that already hold one row per time step), or "auto" (raw when the extract looks
pre-aggregated, otherwise the finest grain with at most ~5,000 buckets)."""

from __future__ import annotations

import pandas as pd

from workbench import metrics, sql
from workbench.errors import SpecError

_MAX_AUTO_BUCKETS = 5000
_GRAIN_SECONDS = (("minute", 60), ("hour", 3600), ("day", 86400), ("week", 7 * 86400), ("month", 31 * 86400))


def choose_grain(con, spec: metrics.MetricSpec) -> str:
    """"raw" when there are about as many distinct timestamps as rows, else the finest grain that keeps the
    series under ~5,000 points."""
    r = metrics.resolve(con, spec)
    where = f" WHERE {' AND '.join(r.where)}" if r.where else ""
    n, n_t, lo, hi = con.execute(f"SELECT count(*), count(DISTINCT {r.t_expr}), min({r.t_expr}), max({r.t_expr}) "
                                 f"FROM {sql.ident(spec.table)}{where}").fetchall()[0]
    if not n or lo is None:
        raise SpecError("No rows match the metric's filters")
    if n_t * 2 >= n and n_t <= 200_000:
        return "raw"
    span = (pd.Timestamp(hi) - pd.Timestamp(lo)).total_seconds()
    for grain, seconds in _GRAIN_SECONDS:
        if span / seconds <= _MAX_AUTO_BUCKETS:
            return grain
    return "month"


def fetch_series(con, spec: metrics.MetricSpec, grain: str | None = None) -> tuple[pd.DataFrame, str, str]:
    """(frame with bucket, series, value; the grain used; the SQL)."""
    grain = grain or "auto"
    if grain == "auto":
        grain = choose_grain(con, spec.replace(breakdown=None))
    if grain != "raw":
        result = metrics.metric_series(con, spec.replace(grain=grain))
        return result.frame, grain, result.sql
    r = metrics.resolve(con, spec)
    agg = sql.direct_aggregate(spec.measure.agg, r.operand, r.denominator)
    label = sql.series_label(spec.breakdown)
    where = f"\nWHERE {' AND '.join(r.where)}" if r.where else ""
    query = (f"SELECT {r.t_expr} AS bucket, {label} AS series, CAST({agg} AS DOUBLE) AS value\n"
             f"FROM {sql.ident(spec.table)}{where}\nGROUP BY ALL\nORDER BY bucket")
    try:
        frame = con.sql(query).df()
    except Exception as exc:  # duckdb.Error: keep the message short
        from workbench.errors import QueryError

        raise QueryError(str(exc).splitlines()[0]) from exc
    return frame, "raw", query
