"""The read-only guard for SQL typed by users (SQL console, ``workbench sql``).

Only a single query may run: SELECT in all its forms (WITH, FROM-first, VALUES, DESCRIBE, SUMMARIZE, SHOW),
PIVOT/UNPIVOT and EXPLAIN of such a query. ``EXPLAIN ANALYZE`` executes its statement, so the statement it
wraps is checked too. Anything that could change state (CREATE, COPY, INSERT, ATTACH, INSTALL, SET ...)
is refused before it reaches DuckDB, so source files can never be overwritten from a query box.
"""

from __future__ import annotations

import re

import duckdb

from workbench.engine import clean_duckdb_message
from workbench.errors import QueryError

_EXPLAIN = re.compile(r"^\s*explain\s+(?:analy[sz]e\s+)?", re.I)
_PIVOT = re.compile(r"^\s*(?:pivot|unpivot|pivot_wider|pivot_longer)\b", re.I)


def check_read_only(text: str) -> str:
    """Return the statement kind ("SELECT", "EXPLAIN" or "PIVOT") of one read-only query.

    Raises
    ------
    QueryError when ``text`` is empty, holds several statements, does not parse, or could change state.
    """
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryError(clean_duckdb_message(exc)) from exc
    if not statements:
        raise QueryError("Nothing to run: write one query, e.g. SELECT * FROM <table> LIMIT 100")
    if len(statements) > 1:
        raise QueryError(f"Run one statement at a time (found {len(statements)})")
    try:
        kind = statements[0].type.name
    except ValueError:  # a statement type this DuckDB's Python enum does not name (UPDATE EXTENSIONS is 29)
        raise QueryError("Only read-only queries can run here (SELECT, WITH, DESCRIBE, SUMMARIZE, PIVOT, EXPLAIN); "
                         "this statement is not one of them") from None
    if kind == "SELECT":
        return kind
    if kind == "MULTI" and _PIVOT.match(text):  # a PIVOT with computed columns expands to several steps
        return "PIVOT"
    if kind == "EXPLAIN":
        inner = _EXPLAIN.sub("", text, count=1)
        if inner == text:
            raise QueryError("Cannot read this EXPLAIN statement")
        check_read_only(inner)
        return kind
    raise QueryError(
        f"Only read-only queries can run here (SELECT, WITH, DESCRIBE, SUMMARIZE, PIVOT, EXPLAIN); "
        f"this is a {kind.replace('_', ' ')} statement"
    )
