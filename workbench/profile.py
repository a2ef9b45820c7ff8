"""Column profiles computed in DuckDB: nulls, distinct count, min/max, mean, top values, a small histogram.

Three scans at most (summary, top values, histogram), each an aggregate, so only a few dozen values ever
reach Python. Distinct counts are exact on small tables and HyperLogLog estimates
(``approx_count_distinct``) above ``exact_limit`` rows, where an exact count would cost a large hash table.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from workbench import backend, sql
from workbench.backend import ENGINE_ERRORS, Cursor, run_query, translate_error
from workbench.errors import SpecError

EXACT_DISTINCT_LIMIT = 1_000_000
TOP_K = 10
BINS = 20
NEARLY_UNIQUE = 0.9  # distinct / non-null above which top values are not worth a full group-by

_NESTED = ("STRUCT", "MAP", "UNION")


@dataclass(frozen=True)
class HistogramBin:
    """Values in [lo, hi) (the last bin includes hi). Temporal columns use epoch seconds."""

    lo: float
    hi: float
    count: int


@dataclass(frozen=True)
class ColumnProfile:
    """Summary of one column of one table.

    ``kind`` is numeric, temporal, boolean, text or other. ``mean`` is the share of true values for
    booleans and None for non-numeric columns. ``null_pct`` is None for a table with no rows.
    ``histogram_kind`` is "numeric", "temporal" (bin edges in epoch seconds) or None. Top values are
    skipped (``top_values_skipped``) for a nearly unique column above ``exact_limit`` rows, where they
    would cost a hash table of every value and show counts of 1.
    """

    table: str
    column: str
    type: str
    kind: str
    row_count: int
    null_count: int
    null_pct: float | None
    distinct_count: int
    distinct_approximate: bool
    min: Any
    max: Any
    mean: float | None
    top_values: tuple[tuple[Any, int], ...]
    histogram: tuple[HistogramBin, ...]
    histogram_kind: str | None
    sql: tuple[str, ...]
    top_values_skipped: bool = False  # a nearly unique column on a large table: every count would be ~1

    def to_dict(self) -> dict:
        """JSON-ready: values that JSON cannot hold (timestamps, decimals, bytes) become strings."""
        d = asdict(self)
        d["min"], d["max"] = _jsonable(self.min), _jsonable(self.max)
        d["top_values"] = [[_jsonable(v), c] for v, c in self.top_values]
        d["sql"] = list(self.sql)
        return d


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def column_kind(col_type: str) -> str:
    """The backend's normalised kind of a type name: numeric, temporal, boolean, text or other."""
    return backend.column_kind(col_type).value


def _is_nested(col_type: str) -> bool:
    t = col_type.upper()
    return t.endswith("]") or t.startswith(_NESTED)


def _column_type(cur: Cursor, table: str, column: str) -> str:
    rows = cur.execute(f"DESCRIBE SELECT * FROM {sql.ident(table)}").fetchall()
    types = {r[0]: str(r[1]) for r in rows}
    if column not in types:
        shown = ", ".join(list(types)[:20]) + (" ..." if len(types) > 20 else "")
        raise SpecError(f"{table} has no column {column!r} (columns: {shown})")
    return types[column]


def profile_column(
    con: Cursor,
    table: str,
    column: str,
    *,
    top_k: int = TOP_K,
    bins: int = BINS,
    exact_limit: int = EXACT_DISTINCT_LIMIT,
) -> ColumnProfile:
    """Profile ``column`` of the view/table ``table``.

    Parameters
    ----------
    con : DuckDB connection (a cursor is taken for the duration of the call).
    table, column : names as they appear in the catalog (any characters; quoted here).
    top_k : how many most frequent values to return.
    bins : histogram bins for numeric and temporal columns.
    exact_limit : above this many rows the distinct count is an approximate (HyperLogLog) estimate.

    Raises
    ------
    SpecError when the column does not exist; QueryError when DuckDB cannot read the data.
    """
    cur = con.cursor()
    try:
        return _profile(cur, table, column, top_k, bins, exact_limit)
    except ENGINE_ERRORS as exc:  # DESCRIBE on a broken view
        raise translate_error(exc) from exc
    finally:
        cur.close()


def _profile(cur: Cursor, table: str, column: str, top_k: int, bins: int, exact_limit: int) -> ColumnProfile:
    col_type = _column_type(cur, table, column)
    kind = column_kind(col_type)
    nested = _is_nested(col_type)
    col, tbl = sql.ident(column), sql.ident(table)

    (row_count,) = run_query(cur, f"SELECT count(*) AS n FROM {tbl}").column("n")
    approximate = row_count > exact_limit
    distinct = f"approx_count_distinct({col})" if approximate else f"count(DISTINCT {col})"
    ordered = not nested and kind != "other" or col_type.upper() in ("TIME", "INTERVAL", "UUID", "BLOB")
    value_min = f"min({col})" if ordered else "NULL"
    value_max = f"max({col})" if ordered else "NULL"
    if kind == "numeric":
        mean = f"avg({col}::DOUBLE)"
    elif kind == "boolean":
        mean = f"avg({col}::INTEGER)"
    else:
        mean = "NULL::DOUBLE"
    summary_sql = (
        f"SELECT count({col}) AS non_null, {distinct} AS n_distinct, {value_min} AS lo, {value_max} AS hi, "
        f"{mean} AS mean FROM {tbl}"
    )
    summary = run_query(cur, summary_sql).to_pylist()[0]
    non_null = int(summary["non_null"] or 0)
    queries = [summary_sql]

    top: tuple[tuple[Any, int], ...] = ()
    n_distinct = int(summary["n_distinct"] or 0)
    skip_top = approximate and n_distinct >= NEARLY_UNIQUE * non_null
    if non_null and top_k > 0 and not skip_top:
        top_sql = (
            f"SELECT {col} AS value, count(*) AS n FROM {tbl} WHERE {col} IS NOT NULL "
            f"GROUP BY ALL ORDER BY n DESC, value LIMIT {int(top_k)}"
        )
        if nested:  # nested values cannot be ordered as a tie-break; show them as text
            top_sql = (
                f"SELECT {col}::VARCHAR AS value, count(*) AS n FROM {tbl} WHERE {col} IS NOT NULL "
                f"GROUP BY ALL ORDER BY n DESC, value LIMIT {int(top_k)}"
            )
        rows = run_query(cur, top_sql).to_pylist()
        top = tuple((r["value"], int(r["n"])) for r in rows)
        queries.append(top_sql)

    histogram, hist_kind, hist_sql = _histogram(cur, tbl, col, kind, summary["lo"], summary["hi"], bins, non_null)
    if hist_sql:
        queries.append(hist_sql)

    mean_value = summary["mean"]
    return ColumnProfile(
        table=table,
        column=column,
        type=col_type,
        kind=kind,
        row_count=int(row_count),
        null_count=int(row_count) - non_null,
        null_pct=(100.0 * (row_count - non_null) / row_count) if row_count else None,
        distinct_count=n_distinct,
        distinct_approximate=approximate,
        min=summary["lo"],
        max=summary["hi"],
        mean=float(mean_value) if mean_value is not None else None,
        top_values=top,
        histogram=histogram,
        histogram_kind=hist_kind,
        sql=tuple(queries),
        top_values_skipped=bool(skip_top and non_null and top_k > 0),
    )


def _as_number(value: Any, kind: str) -> float | None:
    if value is None:
        return None
    if kind == "temporal":
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.timezone.utc)
            return value.timestamp()
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc).timestamp()
        return None  # infinity dates and the like
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _histogram(cur: Cursor, tbl: str, col: str, kind: str, lo: Any, hi: Any, bins: int, non_null: int):
    if kind not in ("numeric", "temporal") or not non_null or bins < 1:
        return (), None, None
    lo_n, hi_n = _as_number(lo, kind), _as_number(hi, kind)
    if lo_n is None or hi_n is None:  # NaN/inf in the data: no meaningful equal-width bins
        return (), None, None
    value = f"epoch({col})" if kind == "temporal" else f"{col}::DOUBLE"
    if hi_n == lo_n:
        return (HistogramBin(lo_n, hi_n, non_null),), kind, None
    width = (hi_n - lo_n) / bins
    # Bin index in SQL; the maximum lands in the last bin. Only `bins` counts come back.
    hist_sql = (
        f"SELECT least(floor(({value} - {sql.literal(lo_n)}) / {sql.literal(width)})::BIGINT, {int(bins) - 1}) AS b, "
        f"count(*) AS n FROM {tbl} WHERE {col} IS NOT NULL AND isfinite({value}) GROUP BY ALL ORDER BY b"
    )
    counts = {int(r["b"]): int(r["n"]) for r in run_query(cur, hist_sql).to_pylist() if r["b"] is not None}
    edges = [lo_n + i * width for i in range(bins)] + [hi_n]
    return tuple(HistogramBin(edges[i], edges[i + 1], counts.get(i, 0)) for i in range(bins)), kind, hist_sql


def profile_table(con: Cursor, table: str, **kwargs) -> list[ColumnProfile]:
    """Profiles of every column of ``table`` (one call per column)."""
    cur = con.cursor()
    try:
        names = [r[0] for r in cur.execute(f"DESCRIBE SELECT * FROM {sql.ident(table)}").fetchall()]
    finally:
        cur.close()
    return [profile_column(con, table, name, **kwargs) for name in names]
