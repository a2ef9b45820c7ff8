"""DuckDB's own parser, for checks on SQL text typed by users (the read-only guard, the console's views).

Only the statement kinds and the token stream are exposed, as plain strings, so the checks themselves stay
engine-neutral code outside the backend.
"""

from __future__ import annotations

import duckdb

from workbench.backend.duckdb_backend import clean_duckdb_message
from workbench.errors import QueryError

#: Token kinds :func:`tokens` reports.
TOKEN_KINDS = ("identifier", "numeric_const", "string_const", "operator", "keyword", "comment")


def statement_kinds(text: str) -> list[str | None]:
    """The kind (``"SELECT"``, ``"EXPLAIN"``, ``"MULTI"``, ...) of each statement in ``text``, in order; None
    for a statement type this DuckDB's Python enum does not name.

    Raises
    ------
    QueryError when ``text`` does not parse.
    """
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryError(clean_duckdb_message(exc)) from exc
    kinds: list[str | None] = []
    for statement in statements:
        try:
            kinds.append(statement.type.name)
        except ValueError:  # e.g. UPDATE EXTENSIONS (29) has no enum member
            kinds.append(None)
    return kinds


def tokens(text: str) -> list[tuple[int, str]]:
    """(start offset, kind) of each token of ``text``, kinds from :data:`TOKEN_KINDS`."""
    return [(start, kind.name) for start, kind in duckdb.tokenize(text)]
