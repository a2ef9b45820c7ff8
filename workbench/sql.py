"""The one place SQL text is produced.

Identifiers from users' files may contain quotes, spaces, unicode or reserved words, and values come from
users too, so nothing here splices raw strings: identifiers and literals are rendered by SQLGlot, which
quotes and escapes them for the DuckDB dialect. Queries are defined once, as DuckDB SQL; another engine gets
them through :func:`workbench.dialects.render`, which rewrites DuckDB's conveniences (``GROUP BY ALL``,
``time_bucket``, ``quantile_cont``, file readers, ...) for that dialect or refuses them by name. Builders
here prefer the portable spelling when DuckDB runs it with the same plan (column lists, not ``* REPLACE``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from typing import TYPE_CHECKING, Any, Iterable, cast

if TYPE_CHECKING:
    from sqlglot import exp

DIALECT = "duckdb"


# ident() and literal() are written by hand, not through SQLGlot: every command builds SQL with them, and
# importing SQLGlot costs a third of a second of start-up. DuckDB's quoting is only this (doubling the quote
# character); tests check that both give SQLGlot's text for the same input.
def ident(name: str) -> str:
    """A quoted identifier: ``a "b"; drop`` -> ``"a ""b""; drop"``."""
    return '"' + str(name).replace('"', '""') + '"'


def column(name: str, table: str | None = None) -> exp.Column:
    """A quoted column expression, optionally qualified by a table alias."""
    from sqlglot import exp

    return exp.column(
        exp.to_identifier(str(name), quoted=True), table=exp.to_identifier(table, quoted=True) if table else None
    )


def table(name: str) -> exp.Table:
    from sqlglot import exp

    return exp.Table(this=exp.to_identifier(str(name), quoted=True))


# The exclusive end of a period whose last bucket is in 9999-12-31: Python's datetime stops one microsecond
# short of 10000-01-01, DuckDB's TIMESTAMP does not, so this value is written as 10000-01-01 in SQL.
END_OF_TIME = dt.datetime.max


def literal_expr(value: Any) -> exp.Expression:
    """A SQL literal expression for a Python value (strings escaped, timestamps typed)."""
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return exp.Literal.number(int(value))
    if isinstance(value, (float, decimal.Decimal)) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"
    ):
        f = float(value)
        if math.isnan(f):
            return exp.cast(exp.Literal.string("NaN"), "DOUBLE")
        if math.isinf(f):
            return exp.cast(exp.Literal.string("Infinity" if f > 0 else "-Infinity"), "DOUBLE")
        return exp.Literal.number(repr(f))
    if isinstance(value, dt.datetime):
        if value == END_OF_TIME:
            return exp.cast(exp.Literal.string("10000-01-01 00:00:00"), "TIMESTAMP")
        if value.tzinfo is not None:
            return exp.cast(exp.Literal.string(value.isoformat()), "TIMESTAMPTZ")
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return literal_expr(value.to_pydatetime())
    return exp.Literal.string(str(value))


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cast(text: str, type_name: str) -> str:
    return f"CAST({_string(text)} AS {type_name})"


def literal(value: Any) -> str:
    """SQL text of a literal: ``it's`` -> ``'it''s'`` (the text :func:`literal_expr` renders to)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return str(int(value))
    if isinstance(value, (float, decimal.Decimal)) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"
    ):
        f = float(value)
        if math.isnan(f):
            return _cast("NaN", "DOUBLE")
        if math.isinf(f):
            return _cast("Infinity" if f > 0 else "-Infinity", "DOUBLE")
        return repr(f)
    if isinstance(value, dt.datetime):
        if value == END_OF_TIME:
            return _cast("10000-01-01 00:00:00", "TIMESTAMP")
        if value.tzinfo is not None:
            return _cast(value.isoformat(), "TIMESTAMPTZ")
        return _cast(value.isoformat(sep=" "), "TIMESTAMP")
    if isinstance(value, dt.date):
        return _cast(value.isoformat(), "DATE")
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return literal(value.to_pydatetime())
    return _string(str(value))


def string_list(values: Iterable[str]) -> str:
    """A DuckDB list literal of strings, e.g. file paths for ``read_parquet([...])``."""
    return "[" + ", ".join(literal(str(v)) for v in values) + "]"


def render(expression: exp.Expression | str, dialect: str = DIALECT) -> str:
    """SQL text for a query of this module (DuckDB SQL or an expression) in ``dialect``, pretty-printed so
    "View SQL" is readable; see :func:`workbench.dialects.render` for what another dialect rewrites or refuses."""
    from workbench import dialects

    return dialects.render(expression, dialect, pretty=True)


def parse_one(sql: str) -> exp.Expression:
    """Parse DuckDB SQL (raises sqlglot.errors.ParseError)."""
    import sqlglot

    # Newer SQLGlot types the result as its base class; every parsed statement is an Expression.
    return cast("exp.Expression", sqlglot.parse_one(sql, read=DIALECT))


# --- Catalog ------------------------------------------------------------------------------------------


def read_files(kind: str, files: Iterable[str], hive: bool = False, encoding: str | None = None) -> str:
    """A table function reading local files; mixed schemas in several files are unioned by name.
    ``encoding`` (CSV only): utf-8, utf-16 or latin-1; None leaves DuckDB's default (UTF-8)."""
    paths = string_list(files)
    if kind == "parquet":
        return f"read_parquet({paths}, hive_partitioning = {'true' if hive else 'false'}, union_by_name = true)"
    enc = f", encoding = {literal(encoding)}" if encoding and encoding != "utf-8" else ""
    return f"read_csv({paths}, union_by_name = true, sample_size = 20480{enc})"


def create_view(name: str, reader: str) -> str:
    return f"CREATE OR REPLACE VIEW {ident(name)} AS SELECT * FROM {reader}"


def drop_view(name: str) -> str:
    return f"DROP VIEW IF EXISTS {ident(name)}"


def describe(name: str) -> str:
    return f"DESCRIBE SELECT * FROM {ident(name)}"


def count_rows(name: str) -> str:
    return f"SELECT count(*) FROM {ident(name)}"


def parquet_row_count(files: Iterable[str]) -> str:
    return (
        "SELECT coalesce(sum(num_rows), 0) FROM (SELECT DISTINCT file_name, num_rows "
        f"FROM parquet_file_metadata({string_list(files)}))"
    )


def parquet_nullability(files: list[str]) -> str:
    """Per leaf column: nullable if OPTIONAL in any file or missing from some file (schemas unioned)."""
    return (
        "SELECT name, bool_or(repetition_type IS DISTINCT FROM 'REQUIRED') "
        f"OR count(DISTINCT file_name) < {int(len(files))} "
        f"FROM parquet_schema({string_list(files)}) WHERE coalesce(num_children, 0) = 0 GROUP BY name"
    )


def copy_to_parquet(
    name: str,
    path: str,
    *,
    kv_metadata: dict[str, str] | None = None,
    compression: str = "snappy",
    row_group_size: int | None = None,
) -> str:
    """``COPY <name> TO '<path>'`` as Parquet, with optional file key/value metadata (no pyarrow needed)."""
    options = ["FORMAT parquet", f"COMPRESSION {ident(compression)}"]
    if row_group_size:
        options.append(f"ROW_GROUP_SIZE {int(row_group_size)}")
    if kv_metadata:
        pairs = ", ".join(f"{literal(str(k))}: {literal(str(v))}" for k, v in kv_metadata.items())
        options.append(f"KV_METADATA {{{pairs}}}")
    return f"COPY {ident(name)} TO {literal(str(path))} ({', '.join(options)})"


def create_table(name: str, columns: list[tuple[str, str, bool]]) -> str:
    """``CREATE TABLE`` from ``(column, duckdb_type, nullable)``; types come from code, never from users."""
    for _col, type_name, _nullable in columns:
        if not re.fullmatch(r"[A-Z][A-Z0-9_ ]*(\(\d+(, ?\d+)?\))?", type_name):
            raise ValueError(f"not a plain DuckDB type name: {type_name!r}")
    body = ", ".join(f"{ident(c)} {t}{'' if nullable else ' NOT NULL'}" for c, t, nullable in columns)
    return f"CREATE TABLE {ident(name)} ({body})"


def parquet_kv_value(path: str, key: str) -> str:
    """The value (BLOB) of one key/value metadata entry of a Parquet file."""
    return f"SELECT value FROM parquet_kv_metadata({literal(str(path))}) WHERE key = {literal(key)}::BLOB"


# --- Metrics ------------------------------------------------------------------------------------------
# Metric queries are assembled from quoted identifiers and literals only. Decomposable measures are
# aggregated once per (period, bucket, series) and combined afterwards, so a breakdown with top-N and a
# comparison period cost a single scan of the extract.

GRAIN_INTERVALS = {
    "minute": "1 MINUTE",
    "5min": "5 MINUTES",
    "15min": "15 MINUTES",
    "30min": "30 MINUTES",
    "hour": "1 HOUR",
    "day": "1 DAY",
    "week": "7 DAYS",
    "month": "1 MONTH",
    "quarter": "3 MONTHS",
    "year": "1 YEAR",
}
# Grains that are not a calendar unit of date_trunc: fixed-width buckets aligned on the clock hour.
_SUBHOUR_BUCKETS = {"5min", "15min", "30min"}


def bucket_expr(grain: str, t: str) -> str:
    """SQL truncating timestamp expression ``t`` to the start of its ``grain`` bucket."""
    if grain in _SUBHOUR_BUCKETS:
        return f"time_bucket(INTERVAL {literal(GRAIN_INTERVALS[grain])}, {t})"
    return f"date_trunc({literal(grain)}, {t})"


def time_expr(column_name: str, column_type: str, time_format: str) -> str:
    """A TIMESTAMP (UTC, no zone) expression for a time column stored in any supported way."""
    c = ident(column_name)
    if time_format == "epoch_s":
        return f"timezone('UTC', to_timestamp(CAST({c} AS DOUBLE)))"
    if time_format == "epoch_ms":
        return f"epoch_ms(CAST({c} AS BIGINT))"
    if time_format == "iso":
        return f"timezone('UTC', TRY_CAST({c} AS TIMESTAMPTZ))"
    if column_type.startswith("TIMESTAMP WITH TIME ZONE") or column_type == "TIMESTAMPTZ":
        return f"timezone('UTC', {c})"
    if column_type == "DATE":
        return f"CAST({c} AS TIMESTAMP)"
    return f"CAST({c} AS TIMESTAMP)" if column_type != "TIMESTAMP" else c


def max_abs(table_name: str, column_name: str) -> str:
    return f"SELECT max(abs(CAST({ident(column_name)} AS DOUBLE))) FROM {ident(table_name)}"


def filter_condition(column_name: str, op: str, value: Any) -> str:
    """One filter as a boolean SQL expression. ``!=`` and ``not in`` keep NULL rows (they are not equal)."""
    c = ident(column_name)
    if op == "=":
        return f"{c} = {literal(value)}"
    if op == "!=":
        return f"{c} IS DISTINCT FROM {literal(value)}"
    if op in ("in", "not in"):
        items = ", ".join(literal(v) for v in value) or "NULL"
        return f"{c} IN ({items})" if op == "in" else f"coalesce({c} NOT IN ({items}), true)"
    if op in ("<", "<=", ">", ">="):
        return f"{c} {op} {literal(value)}"
    if op == "between":
        lo, hi = value
        return f"{c} BETWEEN {literal(lo)} AND {literal(hi)}"
    if op == "is null":
        return f"{c} IS NULL"
    if op == "is not null":
        return f"{c} IS NOT NULL"
    if op == "contains":
        return f"contains(lower(CAST({c} AS VARCHAR)), lower({literal(str(value))}))"
    raise ValueError(f"unknown operator {op!r}")


def series_label(column_name: str | None) -> str:
    if column_name is None:
        return literal("all")
    return f"coalesce(CAST({ident(column_name)} AS VARCHAR), '(null)')"


def _partial_columns(agg: str, col: str | None, den: str | None) -> dict[str, str]:
    """Partial aggregates from which the measure can be recombined across buckets or series."""
    if agg == "count":
        return {"p_n": "count(*)"}
    if agg == "sum":
        return {"p_sum": f"sum({col})"}
    if agg == "mean":
        return {"p_sum": f"sum({col})", "p_n": f"count({col})"}
    if agg == "min":
        return {"p_min": f"min({col})"}
    if agg == "max":
        return {"p_max": f"max({col})"}
    if agg == "ratio":
        return {"p_num": f"sum({col})", "p_den": f"sum({den})"}
    raise ValueError(agg)


_COMBINE = {
    "count": "sum(p_n)",
    "sum": "sum(p_sum)",
    "mean": "sum(p_sum) / nullif(sum(p_n), 0)",
    "min": "min(p_min)",
    "max": "max(p_max)",
    "ratio": "sum(p_num) / nullif(sum(p_den), 0)",
}


def direct_aggregate(agg: str, col: str | None, den: str | None) -> str:
    """The measure as one aggregate over raw rows (for measures that cannot be recombined)."""
    return {
        "count": "count(*)",
        "count_distinct": f"count(DISTINCT {col})",
        "sum": f"sum({col})",
        "mean": f"avg({col})",
        "min": f"min({col})",
        "max": f"max({col})",
        "median": f"quantile_cont({col}, 0.5)",
        "p90": f"quantile_cont({col}, 0.9)",
        "p99": f"quantile_cont({col}, 0.99)",
        "ratio": f"sum({col}) / nullif(sum({den}), 0)",
    }[agg]


def measure_operand(column_name: str | None, column_type: str | None) -> str | None:
    """Column reference for an aggregate; booleans count as 0/1, decimals become DOUBLE."""
    if column_name is None:
        return None
    c = ident(column_name)
    if column_type == "BOOLEAN":
        return f"CAST({c} AS INTEGER)"
    if column_type and (column_type.startswith("DECIMAL") or column_type in ("HUGEINT", "UHUGEINT")):
        return f"CAST({c} AS DOUBLE)"
    return c


def _periods(t: str, s: str, e: str, shift: str | None, overlaps: bool) -> tuple[str, str, str, str]:
    """(period expression, time condition, time to draw the row at, join) for the current period [s, e)
    and, with ``shift``, the comparison period [s - shift, e - shift) drawn at t + shift.

    When the periods do not overlap each row belongs to one of them and a CASE labels it (one pass). When
    they overlap, rows are paired with both period labels, still in a single scan of the extract.
    """
    if not shift:
        return "0", f"{t} >= {s} AND {t} < {e}", t, ""
    if not overlaps:
        return (
            f"CASE WHEN {t} >= {s} THEN 0 ELSE 1 END",
            f"{t} >= {s} - {shift} AND {t} < {e}",
            f"CASE WHEN {t} >= {s} THEN {t} ELSE {t} + {shift} END",
            "",
        )
    return (
        "__p.period",
        f"(__p.period = 0 AND {t} >= {s} AND {t} < {e}) OR (__p.period = 1 AND {t} >= {s} - {shift} AND {t} < {e} - {shift})",
        f"CASE WHEN __p.period = 0 THEN {t} ELSE {t} + {shift} END",
        " CROSS JOIN (VALUES (0), (1)) __p(period)",
    )


def metric_query(
    *,
    table_name: str,
    t_expr: str,
    grain: str,
    agg: str,
    operand: str | None,
    denominator: str | None,
    where: list[str],
    start: Any,
    end: Any,
    series_expr: str,
    top_n: int | None,
    top_values: list[str] | None,
    compare_shift: str | None,
    compare_overlaps: bool = False,
) -> str:
    """SQL for a metric series: (bucket, series, value, comparison_value), gaps filled, top-N + "Other".

    ``start``/``end`` bound the current period (half-open). ``compare_shift`` is an interval literal such as
    ``INTERVAL '7 days'``: comparison rows come from [start - shift, end - shift) and are drawn at t + shift.
    ``compare_overlaps`` says the shift is shorter than the period (e.g. week over week across a month), so
    some rows count in both periods.
    ``top_values`` (pre-computed) is used for non-decomposable measures; decomposable ones rank in SQL.
    """
    step = f"INTERVAL {literal(GRAIN_INTERVALS[grain])}"
    s, e = literal(start), literal(end)
    decomposable = agg in _COMBINE
    conditions = list(where)
    period, time_condition, t_drawn, periods_join = _periods("__t", s, e, compare_shift, compare_overlaps)
    conditions.append(time_condition)
    bucket = bucket_expr(grain, t_drawn)
    measure_cols = []
    for name, ref in (("__v", operand), ("__d", denominator)):
        if ref is not None:
            measure_cols.append(f"{ref} AS {name}")
    col = "__v" if operand is not None else None
    den = "__d" if denominator is not None else None
    # Without a breakdown the series label is a constant added after grouping: grouping every row by a
    # constant string costs DuckDB 12-16% on a plain daily metric.
    constant_series = series_expr == series_label(None)
    group_by = "GROUP BY 1, 2" if constant_series else "GROUP BY 1, 2, 3"
    series_col = series_expr if constant_series else "__series"
    select_cols = ", ".join(
        [f"{t_expr} AS __t"] + ([] if constant_series else [f"{series_expr} AS __series"]) + measure_cols
    )
    base = f"SELECT {select_cols} FROM {ident(table_name)}"
    # Filters on raw columns sit in the innermost query so DuckDB pushes them into the Parquet scan.
    raw_where = " AND ".join(f"({c})" for c in where)
    if raw_where:
        base += f" WHERE {raw_where}"
    time_where = " AND ".join(f"({c})" for c in conditions[len(where) :])

    if decomposable:
        partials = _partial_columns(agg, col, den)
        if top_n and agg in ("min", "max"):
            partials["p_rows"] = "count(*)"  # extra work only when series must be ranked by volume
        partial_sql = ", ".join(f"{expr} AS {name}" for name, expr in partials.items())
        combine = _COMBINE[agg]
        lines = [
            f"WITH base AS ({base}),",
            f"parts AS (SELECT {period} AS period, {bucket} AS bucket, {series_col} AS __series, {partial_sql} "
            f"FROM base{periods_join} WHERE {time_where} {group_by}),",
        ]
        if top_n:
            # Rank series by the measure when it is a total, else by volume (rows; the denominator for ratios).
            rank_expr = {"count": combine, "sum": combine, "ratio": "sum(p_den)", "mean": "sum(p_n)"}.get(
                agg, "sum(p_rows)"
            )
            lines.append(
                f"ranked AS (SELECT __series, row_number() OVER (ORDER BY {rank_expr} DESC NULLS LAST, __series) AS rnk "
                f"FROM parts WHERE period = 0 GROUP BY __series),"
            )
            # Columns listed by name (not ``parts.* REPLACE (...)``) so the query is portable beyond DuckDB.
            kept = ", ".join(f"parts.{name}" for name in ("period", "bucket", *partials))
            lines.append(
                f"labelled AS (SELECT {kept}, CASE WHEN rnk <= {int(top_n)} THEN parts.__series ELSE 'Other' END AS __series "
                f"FROM parts LEFT JOIN ranked USING (__series)),"
            )
        else:
            lines.append("labelled AS (SELECT * FROM parts),")
        lines.append(
            f"agg AS (SELECT period, bucket, __series AS series, CAST({combine} AS DOUBLE) AS value FROM labelled GROUP BY ALL),"
        )
    else:
        operand_sql = direct_aggregate(agg, col, den)
        if top_values is not None:
            items = ", ".join(literal(v) for v in top_values) or "NULL"
            label = f"CASE WHEN __series IN ({items}) THEN __series ELSE 'Other' END"
        else:
            label = series_col
        lines = [
            f"WITH base AS ({base}),",
            f"agg AS (SELECT {period} AS period, {bucket} AS bucket, {label} AS series, "
            f"CAST({operand_sql} AS DOUBLE) AS value FROM base{periods_join} WHERE {time_where} {group_by}),",
        ]
    fill = "coalesce(cur.value, 0)" if agg in ("count", "count_distinct") else "cur.value"
    cmp_fill = "coalesce(cmp.value, 0)" if agg in ("count", "count_distinct") else "cmp.value"
    lines += [
        f"buckets AS (SELECT unnest(generate_series({bucket_expr(grain, s)}, {bucket_expr(grain, e + ' - INTERVAL 1 MICROSECOND')}, {step})) AS bucket),",
        "series AS (SELECT DISTINCT series FROM agg),",
        "cur AS (SELECT bucket, series, value FROM agg WHERE period = 0),",
        "cmp AS (SELECT bucket, series, value FROM agg WHERE period = 1)",
        f"SELECT b.bucket, s.series, {fill} AS value, "
        + (f"{cmp_fill} AS comparison_value" if compare_shift else "CAST(NULL AS DOUBLE) AS comparison_value"),
        "FROM buckets b CROSS JOIN series s",
        "LEFT JOIN cur ON cur.bucket = b.bucket AND cur.series = s.series",
        "LEFT JOIN cmp ON cmp.bucket = b.bucket AND cmp.series = s.series",
        "ORDER BY s.series = 'Other', s.series, b.bucket",
    ]
    return "\n".join(lines)


def top_values_query(
    *, table_name: str, t_expr: str, series_expr: str, where: list[str], start: Any, end: Any, top_n: int
) -> str:
    """The top-N series by row volume in the current period (for measures that cannot be recombined)."""
    conditions = list(where) + [f"{t_expr} >= {literal(start)}", f"{t_expr} < {literal(end)}"]
    return (
        f"SELECT {series_expr} AS series, count(*) AS n FROM {ident(table_name)} "
        f"WHERE {' AND '.join(f'({c})' for c in conditions)} GROUP BY ALL ORDER BY n DESC, series LIMIT {int(top_n)}"
    )


def time_bounds_query(table_name: str, t_expr: str, where: list[str]) -> str:
    where_sql = f" WHERE {' AND '.join(f'({c})' for c in where)}" if where else ""
    return f"SELECT min({t_expr}), max({t_expr}), count(*) FROM {ident(table_name)}{where_sql}"


def leaderboard_query(
    *,
    table_name: str,
    t_expr: str,
    dim_expr: str,
    agg: str,
    operand: str | None,
    denominator: str | None,
    where: list[str],
    start: Any,
    end: Any,
    compare_shift: str | None,
    limit: int,
    compare_overlaps: bool = False,
) -> str:
    """Top values of a dimension for a measure, share of total and change vs the comparison period."""
    s, e = literal(start), literal(end)
    measure = direct_aggregate(agg, operand, denominator)
    conditions = list(where)
    period, time_condition, _, periods_join = _periods(t_expr, s, e, compare_shift, compare_overlaps)
    conditions.append(time_condition)
    where_sql = " AND ".join(f"({c})" for c in conditions)
    share_basis = "value" if agg in ("count", "sum", "count_distinct") else "n"
    return "\n".join(
        [
            f"WITH agg AS (SELECT {period} AS period, {dim_expr} AS dimension_value, CAST({measure} AS DOUBLE) AS value, count(*) AS n",
            f"  FROM {ident(table_name)}{periods_join} WHERE {where_sql} GROUP BY ALL),",
            "cur AS (SELECT * FROM agg WHERE period = 0), cmp AS (SELECT * FROM agg WHERE period = 1)",
            "SELECT cur.dimension_value, cur.value, cur.n AS rows,",
            f"  cur.{share_basis} / nullif(sum(cur.{share_basis}) OVER (), 0) AS share,",
            "  cmp.value AS comparison_value, cur.value - cmp.value AS change,",
            "  (cur.value - cmp.value) / nullif(abs(cmp.value), 0) AS change_pct",
            "FROM cur LEFT JOIN cmp USING (dimension_value)",
            f"ORDER BY cur.value DESC NULLS LAST, cur.dimension_value LIMIT {int(limit)}",
        ]
    )


def distinct_values_query(table_name: str, column_name: str, limit: int, prefix: str | None) -> str:
    c = ident(column_name)
    where = f" WHERE contains(lower(CAST({c} AS VARCHAR)), lower({literal(prefix)}))" if prefix else ""
    return (
        f"SELECT {c} AS value, count(*) AS n FROM {ident(table_name)}{where} "
        f"GROUP BY ALL ORDER BY n DESC, value NULLS LAST LIMIT {int(limit)}"
    )
