"""The one place SQL text is produced.

Identifiers from users' files may contain quotes, spaces, unicode or reserved words, and values come from
users too, so nothing here splices raw strings: identifiers and literals are rendered by SQLGlot, which
quotes and escapes them for the DuckDB dialect, and queries are assembled from SQLGlot expressions (which
can also be rendered for Spark, Trino or BigQuery later).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any, Iterable

from sqlglot import exp

DIALECT = "duckdb"


def ident(name: str) -> str:
    """A quoted identifier: ``a "b"; drop`` -> ``"a ""b""; drop"``."""
    return exp.to_identifier(str(name), quoted=True).sql(DIALECT)


def column(name: str, table: str | None = None) -> exp.Column:
    """A quoted column expression, optionally qualified by a table alias."""
    return exp.column(exp.to_identifier(str(name), quoted=True), table=exp.to_identifier(table, quoted=True) if table else None)


def table(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(str(name), quoted=True))


def literal_expr(value: Any) -> exp.Expression:
    """A SQL literal expression for a Python value (strings escaped, timestamps typed)."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return exp.Literal.number(int(value))
    if isinstance(value, (float, decimal.Decimal)) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        f = float(value)
        if math.isnan(f):
            return exp.cast(exp.Literal.string("NaN"), "DOUBLE")
        if math.isinf(f):
            return exp.cast(exp.Literal.string("Infinity" if f > 0 else "-Infinity"), "DOUBLE")
        return exp.Literal.number(repr(f))
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return exp.cast(exp.Literal.string(value.isoformat()), "TIMESTAMPTZ")
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return literal_expr(value.to_pydatetime())
    return exp.Literal.string(str(value))


def literal(value: Any) -> str:
    """SQL text of a literal: ``it's`` -> ``'it''s'``."""
    return literal_expr(value).sql(DIALECT)


def string_list(values: Iterable[str]) -> str:
    """A DuckDB list literal of strings, e.g. file paths for ``read_parquet([...])``."""
    return "[" + ", ".join(literal(str(v)) for v in values) + "]"


def render(expression: exp.Expression) -> str:
    """SQL text for an expression, pretty-printed so "View SQL" is readable."""
    return expression.sql(DIALECT, pretty=True)


def parse_one(sql: str) -> exp.Expression:
    """Parse DuckDB SQL (raises sqlglot.errors.ParseError)."""
    import sqlglot

    return sqlglot.parse_one(sql, read=DIALECT)


# --- Catalog ------------------------------------------------------------------------------------------

def read_files(kind: str, files: Iterable[str], hive: bool = False) -> str:
    """A table function reading local files; mixed schemas in several files are unioned by name."""
    paths = string_list(files)
    if kind == "parquet":
        return f"read_parquet({paths}, hive_partitioning = {'true' if hive else 'false'}, union_by_name = true)"
    return f"read_csv({paths}, union_by_name = true, sample_size = 20480)"


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
