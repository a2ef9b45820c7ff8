"""Fetch the series a detector runs on: a MetricSpec at a grain, or "raw" (one point per distinct
timestamp, for extracts that already hold one row per time step), or "auto" (the native step when the extract is
pre-aggregated, otherwise the finest grain with at most ~5,000 buckets)."""

from __future__ import annotations

import pandas as pd

from workbench import metrics, sql
from workbench.errors import SpecError

_MAX_AUTO_BUCKETS = 5000
# Grains an event log (many rows per timestamp) is bucketed at under "auto": calendar units only.
_GRAIN_SECONDS = (("minute", 60), ("hour", 3600), ("day", 86400), ("week", 7 * 86400), ("month", 31 * 86400))
# A pre-aggregated extract's native step (median seconds between timestamps) -> the grain that keeps it:
# (grain, lowest, highest median step in seconds).
_NATIVE_STEPS = (
    ("minute", 60, 60),
    ("5min", 300, 300),
    ("15min", 900, 900),
    ("30min", 1800, 1800),
    ("hour", 3600, 3600),
    ("day", 86400, 86400),
    ("week", 7 * 86400, 7 * 86400),
    ("month", 28 * 86400, 31 * 86400),
    ("quarter", 89 * 86400, 92 * 86400),
    ("year", 365 * 86400, 366 * 86400),
)
_MAX_DISTINCT_FOR_STEP = 200_000


def _seconds_text(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds:g} seconds"


def choose_grain_reason(con, spec: metrics.MetricSpec, allow_raw: bool = True) -> tuple[str, str]:
    """(grain, why) for grain "auto".

    ``allow_raw=False`` (a protection policy releases only bucketed cells): a native step that matches no
    grain is bucketed at the finest grain at least as coarse as the step.

    An extract with about one row per timestamp is already a series: it is analysed at its native step
    (the median gap between timestamps, one cheap query over the distinct timestamps), as that grain
    when one matches (a 5-minute series at 5min) and as "raw" otherwise (a 10-minute series). An event
    log is bucketed at the finest calendar grain that keeps the series under ~5,000 points."""
    r = metrics.resolve(con, spec)
    where = f" WHERE {' AND '.join(r.where)}" if r.where else ""
    table = sql.ident(spec.table)
    n, n_t, lo, hi = con.execute(
        f"SELECT count(*), count(DISTINCT {r.t_expr}), min({r.t_expr}), max({r.t_expr}) FROM {table}{where}"
    ).fetchall()[0]
    if not n or lo is None:
        raise SpecError("No rows match the metric's filters")
    step = None
    if n_t <= _MAX_DISTINCT_FOR_STEP:
        step = con.execute(
            f"SELECT median(d) FROM (SELECT epoch(t) - lag(epoch(t)) OVER (ORDER BY t) AS d "
            f"FROM (SELECT DISTINCT {r.t_expr} AS t FROM {table}{where}))"
        ).fetchall()[0][0]
    native = next((g for g, low, high in _NATIVE_STEPS if step is not None and low <= step <= high), None)
    if n_t * 2 >= n and n_t <= _MAX_DISTINCT_FOR_STEP:
        if step is None:
            return ("raw", "one timestamp only") if allow_raw else ("day", "one timestamp only")
        if native:
            return native, f"the data's native step ({_seconds_text(step)} between timestamps)"
        if allow_raw:
            return "raw", f"one point per timestamp (native step {_seconds_text(step)} matches no grain)"
        coarser = next((g for g, _low, high in _NATIVE_STEPS if high >= step), "year")
        return coarser, f"the finest grain at least as coarse as the native step ({_seconds_text(step)})"
    span = (pd.Timestamp(hi) - pd.Timestamp(lo)).total_seconds()
    by_span = next(((g, s) for g, s in _GRAIN_SECONDS if span / s <= _MAX_AUTO_BUCKETS), ("month", 31 * 86400))
    # Several rows per timestamp on a regular step (a 5-minute extract of several series): buckets finer than
    # the step would be mostly empty, so keep the step.
    if native and step is not None and step > by_span[1]:  # a native grain implies a step
        return native, f"the data's native step ({_seconds_text(step)} between timestamps, several rows each)"
    if span / by_span[1] <= _MAX_AUTO_BUCKETS:
        return by_span[0], f"finest grain with at most {_MAX_AUTO_BUCKETS:,} points over the data's span"
    return "month", "the data spans too long for a finer grain"


def choose_grain(con, spec: metrics.MetricSpec, allow_raw: bool = True) -> str:
    return choose_grain_reason(con, spec, allow_raw)[0]


def fetch_series(con, spec: metrics.MetricSpec, grain: str | None = None) -> tuple[pd.DataFrame, str, str]:
    """(frame with bucket, series, value; the grain used; the SQL). Under "auto" the frame's
    ``attrs["grain_reason"]`` says why that grain was chosen."""
    grain = grain or "auto"
    reason = None
    if grain == "auto":
        grain, reason = choose_grain_reason(con, spec.replace(breakdown=None))
    frame, used, query = _fetch(con, spec, grain)
    if reason:
        frame.attrs["grain_reason"] = reason
    return frame, used, query


def _fetch(con, spec: metrics.MetricSpec, grain: str) -> tuple[pd.DataFrame, str, str]:
    if grain != "raw":
        result = metrics.metric_series(con, spec.replace(grain=grain))
        return result.frame, grain, result.sql
    r = metrics.resolve(con, spec)
    agg = sql.direct_aggregate(spec.measure.agg, r.operand, r.denominator)
    label = sql.series_label(spec.breakdown)
    where = f"\nWHERE {' AND '.join(r.where)}" if r.where else ""
    query = (
        f"SELECT {r.t_expr} AS bucket, {label} AS series, CAST({agg} AS DOUBLE) AS value\n"
        f"FROM {sql.ident(spec.table)}{where}\nGROUP BY ALL\nORDER BY bucket"
    )
    from workbench.backend import run_frame

    frame = run_frame(con, query)  # engine errors arrive translated: a cancel stays a cancel
    return frame, "raw", query
