"""Rendering one query definition for each engine's SQL dialect.

Queries are defined once, as DuckDB SQL (built from quoted identifiers and literals by :mod:`workbench.sql`
and the domain modules) or as SQLGlot expressions. :func:`render` gives the text to run on an engine:
for DuckDB the definition itself; for Spark the SQLGlot tree rewritten by :mod:`workbench.dialects.spark`.
Anything DuckDB-only that has no faithful form in the target dialect raises :class:`DialectError` here, at
render time, so a query is never sent to an engine that would misread it.
"""

from __future__ import annotations

from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from workbench.dialects.duckdb_only import DUCKDB_ONLY_FUNCTIONS, duckdb_only_constructs
from workbench.errors import DialectError

DIALECTS = ("duckdb", "spark")

__all__ = ["DIALECTS", "DUCKDB_ONLY_FUNCTIONS", "DialectError", "duckdb_only_constructs", "parse", "render"]


def parse(query: str, dialect: str = "duckdb") -> exp.Expression:
    """One statement of ``dialect`` SQL as a SQLGlot tree (DialectError when it does not parse)."""
    try:
        tree = sqlglot.parse_one(query, read=dialect, error_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise DialectError(f"Could not read the query as {dialect} SQL: {exc}") from exc
    if tree is None:
        raise DialectError("Nothing to render: the query is empty.")
    # Newer SQLGlot types the result as its base class; every parsed statement is an Expression.
    return cast(exp.Expression, tree)


def render(query: str | exp.Expression, dialect: str = "duckdb", *, pretty: bool = False) -> str:
    """SQL text of ``query`` (DuckDB SQL or a SQLGlot tree) for ``dialect``.

    Raises
    ------
    DialectError
        The dialect is unknown, or the query uses something it cannot express (named in the message).
    """
    if dialect == "duckdb":
        # The definition is DuckDB SQL: running it unchanged keeps DuckDB's plan exactly as written.
        return query if isinstance(query, str) else query.sql("duckdb", pretty=pretty)
    if dialect != "spark":
        raise DialectError(f"Unknown SQL dialect {dialect!r} (known: {', '.join(DIALECTS)})")
    from workbench.dialects.spark import to_spark

    tree = to_spark(parse(query) if isinstance(query, str) else query)
    leftovers = duckdb_only_constructs(tree)
    if leftovers:
        raise DialectError(
            f"This query uses {', '.join(leftovers)}, which only DuckDB understands; it cannot run on Spark."
        )
    try:
        return tree.sql("spark", pretty=pretty, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise DialectError(f"This query cannot be written in Spark SQL: {exc}") from exc
