"""SQL of a shared scan: every measure and grouping the tiles over one table and filter set need, in one pass.

One query reads the rows of ``[window_start, end)`` once and aggregates them by ``GROUPING SETS``: the whole
range (KPI values), each bucket (sparklines, chart lines, the detector's history), each dimension
(leaderboards, chart ranking, tables), bucket × dimension (chart lines by a breakdown) and pivot cells and
margins. Each aggregate appears three times, restricted by ``FILTER`` to the current period, the comparison
period and the whole window, so overlapping periods ("1 week" against a month) need no second pass.
Identifiers and literals are quoted by :mod:`workbench.sql`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbench import sql

BUCKET = "__bucket"
PERIODS = ("cur", "cmp", "all")


@dataclass(frozen=True)
class MeasureSql:
    """One measure of a scan: its aggregation and the SQL operands (already quoted by metrics.resolve)."""

    agg: str
    operand: str | None
    denominator: str | None


def partial_names(agg: str) -> tuple[str, ...]:
    """The partial aggregates a measure is fetched as (so "Other" can be recombined where it adds up)."""
    return {
        "count": ("n",),
        "sum": ("s",),
        "mean": ("s", "c"),
        "min": ("v",),
        "max": ("v",),
        "ratio": ("num", "den"),
    }.get(agg, ("v",))


def _partials(m: MeasureSql, v: str | None, d: str | None) -> dict[str, str]:
    if m.agg == "count":
        return {"n": "count(*)"}
    if m.agg == "sum":
        return {"s": f"sum({v})"}
    if m.agg == "mean":
        return {"s": f"sum({v})", "c": f"count({v})"}
    if m.agg == "ratio":
        return {"num": f"sum({v})", "den": f"sum({d})"}
    return {"v": sql.direct_aggregate(m.agg, v, d)}


def column_name(measure_index: int, period: str, part: str) -> str:
    return f"__m{measure_index}_{period}_{part}"


def dim_column(index: int) -> str:
    return f"__d{index}"


def scan_query(
    *,
    table: str,
    t_expr: str,
    where: tuple[str, ...],
    grain: str,
    window_start: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    cmp_start: dt.datetime | None,
    cmp_end: dt.datetime | None,
    measures: list[MeasureSql],
    dims: list[str],
    grouping_sets: list[tuple[str, ...]],
) -> str:
    """The shared scan's SQL.

    ``dims`` are source column names (labelled as the Explorer labels series: text, NULL as "(null)");
    ``grouping_sets`` name ``BUCKET`` and dims; the result has ``__gid`` (DuckDB's GROUPING bitmask over
    ``BUCKET, __d0, __d1, ...``), the group keys, ``__max_t``, ``__rows_<period>`` and
    ``column_name(i, period, part)`` per measure.
    """
    select = [f"{t_expr} AS __t"]
    select += [f"{sql.series_label(d)} AS {sql.ident(dim_column(i))}" for i, d in enumerate(dims)]
    for i, m in enumerate(measures):
        if m.operand is not None:
            select.append(f"{m.operand} AS {sql.ident(f'__v{i}')}")
        if m.denominator is not None:
            select.append(f"{m.denominator} AS {sql.ident(f'__w{i}')}")
    conditions = [f"({c})" for c in where]
    conditions.append(f"{t_expr} >= {sql.literal(window_start)} AND {t_expr} < {sql.literal(end)}")
    base = f"SELECT {', '.join(select)} FROM {sql.ident(table)} WHERE {' AND '.join(conditions)}"
    in_cur = f"__t >= {sql.literal(start)} AND __t < {sql.literal(end)}"
    in_cmp = (
        f"__t >= {sql.literal(cmp_start)} AND __t < {sql.literal(cmp_end)}"
        if cmp_start is not None and cmp_end is not None
        else "false"
    )
    filters = {"cur": in_cur, "cmp": in_cmp, "all": None}
    aggregates = ["max(__t) AS __max_t"]
    for period, cond in filters.items():
        aggregates.append(f"count(*){_filter(cond)} AS {sql.ident(f'__rows_{period}')}")
    for i, m in enumerate(measures):
        v = sql.ident(f"__v{i}") if m.operand is not None else None
        d = sql.ident(f"__w{i}") if m.denominator is not None else None
        for period, cond in filters.items():
            for part, expr in _partials(m, v, d).items():
                aggregates.append(f"{expr}{_filter(cond)} AS {sql.ident(column_name(i, period, part))}")
    keys = group_keys(len(dims), grouping_sets)
    key_sql = ", ".join(sql.ident(k) for k in keys)
    sets = ", ".join("(" + ", ".join(sql.ident(k) for k in gs) + ")" for gs in grouping_sets)
    bucket = sql.bucket_expr(grain, "__t")
    return "\n".join(
        [
            f"WITH base AS ({base}),",
            f"rows_ AS (SELECT *, {bucket} AS {sql.ident(BUCKET)} FROM base)",
            f"SELECT GROUPING({key_sql}) AS __gid, {key_sql},",
            "  " + ",\n  ".join(aggregates),
            f"FROM rows_ GROUP BY GROUPING SETS ({sets})",
        ]
    )


def _filter(condition: str | None) -> str:
    return f" FILTER (WHERE {condition})" if condition else ""


def group_keys(n_dims: int, grouping_sets: list[tuple[str, ...]]) -> list[str]:
    """The GROUPING() arguments: the bucket when some set groups by it (DuckDB refuses others), then dims."""
    bucket = [BUCKET] if any(BUCKET in gs for gs in grouping_sets) else []
    return bucket + [dim_column(i) for i in range(n_dims)]


def grouping_id(keys: list[str], grouped: tuple[str, ...]) -> int:
    """DuckDB's GROUPING() value for a grouping set: bit set (MSB first) for each key NOT grouped."""
    gid = 0
    for key in keys:
        gid = (gid << 1) | (0 if key in grouped else 1)
    return gid


DECOMPOSABLE = ("count", "sum", "mean", "min", "max", "ratio")
_LEVEL2 = {"n": "sum", "s": "sum", "c": "sum", "num": "sum", "den": "sum"}


def maximal_sets(grouping_sets: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The requested sets no other requested set contains: the only ones read from the rows."""
    sets = list(dict.fromkeys(grouping_sets))
    return [s for s in sets if not any(set(s) < set(o) for o in sets)]


def two_level_query(
    *,
    table: str,
    t_expr: str,
    where: tuple[str, ...],
    grain: str,
    window_start: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
    cmp_start: dt.datetime | None,
    cmp_end: dt.datetime | None,
    measures: list[MeasureSql],
    dims: list[str],
    grouping_sets: list[tuple[str, ...]],
    text_dims: frozenset[str] = frozenset(),
) -> str:
    """The shared scan for measures that add up: the rows are read once and aggregated only by the
    *largest* requested sets, with the period flags ``__in_cur`` / ``__in_cmp`` as keys (so no aggregate is
    repeated per period). Every requested set is then summed from the smallest of those containing it
    (:func:`workbench.dashboard.scans.roll_up`): a few thousand rows, not the extract.

    Result columns: ``__g1`` (GROUPING over :func:`group_keys` of the largest sets), the flags, the keys,
    ``__max_t``, ``__n`` and ``level_one_name(i, part)`` per measure partial.
    """
    select = [f"{t_expr} AS __t"]
    # Text columns are grouped as they are (cheaper than labelling every row); their NULL becomes "(null)"
    # when the few grouped rows are rolled up. Other types are labelled here, as the Explorer labels them.
    select += [
        f"{sql.ident(d) if d in text_dims else sql.series_label(d)} AS {sql.ident(dim_column(i))}"
        for i, d in enumerate(dims)
    ]
    for i, m in enumerate(measures):
        if m.operand is not None:
            select.append(f"{m.operand} AS {sql.ident(f'__v{i}')}")
        if m.denominator is not None:
            select.append(f"{m.denominator} AS {sql.ident(f'__w{i}')}")
    conditions = [f"({c})" for c in where]
    conditions.append(f"{t_expr} >= {sql.literal(window_start)} AND {t_expr} < {sql.literal(end)}")
    base = f"SELECT {', '.join(select)} FROM {sql.ident(table)} WHERE {' AND '.join(conditions)}"
    in_cur = f"__t >= {sql.literal(start)} AND __t < {sql.literal(end)}"
    in_cmp = (
        f"__t >= {sql.literal(cmp_start)} AND __t < {sql.literal(cmp_end)}"
        if cmp_start is not None and cmp_end is not None
        else "false"
    )
    top = maximal_sets(grouping_sets)
    l1_keys = group_keys(len(dims), top)
    aggs = ["max(__t) AS __max_t", "count(*) AS __n"]
    for i, m in enumerate(measures):
        v = sql.ident(f"__v{i}") if m.operand is not None else None
        d = sql.ident(f"__w{i}") if m.denominator is not None else None
        aggs += [f"{expr} AS {sql.ident(level_one_name(i, part))}" for part, expr in _partials(m, v, d).items()]
    sets = ", ".join("(" + ", ".join(sql.ident(k) for k in ("__in_cur", "__in_cmp", *gs)) + ")" for gs in top)
    grouping = f"GROUPING({', '.join(sql.ident(k) for k in l1_keys)})" if l1_keys else "0"
    return "\n".join(
        [
            f"WITH base AS ({base}),",
            f"rows_ AS (SELECT *, {sql.bucket_expr(grain, '__t')} AS {sql.ident(BUCKET)}, ({in_cur}) AS __in_cur, "
            f"({in_cmp}) AS __in_cmp FROM base)",
            f"SELECT {grouping} AS __g1, __in_cur, __in_cmp{''.join(', ' + sql.ident(k) for k in l1_keys)},",
            "  " + ",\n  ".join(aggs),
            f"FROM rows_ GROUP BY GROUPING SETS ({sets})",
        ]
    )


def level_one_name(measure_index: int, part: str) -> str:
    return f"__p{measure_index}_{part}"
