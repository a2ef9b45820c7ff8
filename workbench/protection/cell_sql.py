"""SQL for the per-cell companion of an analysis: each cell's number of units and the sum of its record keys.

The companion groups exactly as the metric query does (same time expression, filters, bucket, series
labels — top-N series kept, the rest "Other"), so protection applies to the cells the user sees. DuckDB
does the work: only one row per cell comes back.
"""

from __future__ import annotations

from typing import Sequence

from workbench import sql
from workbench.protection.cellkey import record_key_sql, unit_key_sql


def metric_cells_query(
    *,
    table_name: str,
    t_expr: str,
    where: Sequence[str],
    grain: str,
    start,
    end,
    breakdown: str | None,
    shown_series: Sequence[str] | None,
    key_columns: Sequence[str] | None,
    seed: str,
    distinct_column: str | None = None,
    compare_shift: str | None = None,
) -> str:
    """(period, bucket, series, n, key_sum) for the current period (0) and, with ``compare_shift``, the
    comparison period (1) drawn at t + shift, as the metric query does. ``key_columns`` None: counts only."""
    series_expr = sql.series_label(breakdown)
    if breakdown is not None and shown_series is not None:
        kept = [s for s in shown_series if s != "Other"]
        items = ", ".join(sql.literal(s) for s in kept) or "NULL"
        label = f"CASE WHEN __series IN ({items}) THEN __series ELSE 'Other' END"
    else:
        label = "__series"
    if distinct_column is not None:
        unit = sql.ident(distinct_column)
        key, n = unit_key_sql(seed, distinct_column), "count(DISTINCT __u)"
        key_sum = "coalesce(sum(DISTINCT __rk), 0.0)"
        extra = f", {unit} AS __u"
    elif key_columns is None:  # counts only (suppression): no record keys to hash
        key, n, key_sum, extra = "0.0", "count(*)", "0.0", ""
    else:
        key, n, key_sum, extra = record_key_sql(seed, list(key_columns)), "count(*)", "coalesce(sum(__rk), 0.0)", ""
    base = f"SELECT {t_expr} AS __t, {series_expr} AS __series, {key} AS __rk{extra} FROM {sql.ident(table_name)}"
    if where:
        base += " WHERE " + " AND ".join(f"({c})" for c in where)
    s, e = sql.literal(start), sql.literal(end)
    periods = [("0", "__t", f"__t >= {s} AND __t < {e}")]
    if compare_shift:
        periods.append(("1", f"__t + {compare_shift}", f"__t >= {s} - {compare_shift} AND __t < {e} - {compare_shift}"))
    parts = [
        f"SELECT {p} AS period, {sql.bucket_expr(grain, drawn)} AS bucket, {label} AS series, {n} AS n, "
        f"CAST({key_sum} AS DOUBLE) AS key_sum FROM base WHERE {cond} GROUP BY ALL"
        for p, drawn, cond in periods
    ]
    return f"WITH base AS ({base}) " + " UNION ALL ".join(parts)


def grouped_cells_query(
    *, table_name: str, groups: dict[str, str], where: Sequence[str], key_columns: Sequence[str], seed: str
) -> str:
    """(group aliases..., n, key_sum) per group; ``groups`` maps each output name to the column grouped by
    (e.g. a profile's top values: ``{"value": "country"}``). Group values are text, NULL as "(null)"."""
    cols = ", ".join(f"{sql.series_label(column)} AS {sql.ident(alias)}" for alias, column in groups.items())
    q = (
        f"SELECT {cols}, count(*) AS n, CAST(sum({record_key_sql(seed, list(key_columns))}) AS DOUBLE) AS key_sum "
        f"FROM {sql.ident(table_name)}"
    )
    if where:
        q += " WHERE " + " AND ".join(f"({c})" for c in where)
    return q + " GROUP BY ALL"
