"""The read-only guard for SQL typed by users (SQL console, ``workbench sql``).

Only a single query may run: SELECT in all its forms (WITH, FROM-first, VALUES, DESCRIBE, SUMMARIZE, SHOW),
PIVOT/UNPIVOT and EXPLAIN of such a query. ``EXPLAIN ANALYZE`` executes its statement, so the statement it
wraps is checked too. Anything that could change state (CREATE, COPY, INSERT, ATTACH, INSTALL, SET ...)
is refused before it reaches DuckDB, so source files can never be overwritten from a query box.

A SELECT can still call table functions with side effects. The console's connection has
``enable_external_access=false`` (see :mod:`workbench.console_db`), which stops every file read outside the
opened sources, but DuckDB 2.0 still runs these inside a SELECT, so they are refused by name here:
``checkpoint()``/``force_checkpoint()``, ``truncate_duckdb_logs()``, the ``enable_*``/``disable_*`` pragma
functions, ``read_csv(..., store_rejects=true)`` and its ``rejects_*`` options (they create tables),
``query(...)`` and ``json_execute_serialized_sql(...)`` (SQL hidden in a string escapes this check), and the
few others below that write, register or import something.
"""

from __future__ import annotations

import re

from workbench.backend.duckdb_sql_text import statement_kinds, tokens
from workbench.errors import QueryError

_EXPLAIN = re.compile(r"^\s*explain\s+(?:analy[sz]e\s+)?", re.I)
_PIVOT = re.compile(r"^\s*(?:pivot|unpivot|pivot_wider|pivot_longer)\b", re.I)

# Functions that change the database, its logs or its settings, or run SQL text the guard cannot see.
_REFUSED_FUNCTIONS = frozenset(
    {
        "checkpoint",
        "force_checkpoint",
        "truncate_duckdb_logs",
        "write_log",
        "query",
        "json_execute_serialized_sql",
        "copy_database",
        "import_database",
        "add_parquet_key",
        "add_grammar_extension",
        "remove_grammar_extension",
        "create_external_resource",
        "register_external_resource",
        "register_external_resource_type",
        "deregister_external_resource",
        "destroy_external_resource",
        "python_map_function",
        "nextval",
        "setval",
    }
)
_REFUSED_FUNCTION_PREFIXES = ("enable_", "disable_")  # enable_logging(), disable_checkpoint_on_shutdown(), ...
# CSV reader options that make DuckDB create tables of rejected rows.
_REFUSED_OPTIONS = frozenset({"store_rejects", "rejects_table", "rejects_scan", "rejects_limit"})
_NAME_TOKENS = ("identifier", "keyword")


def check_read_only(text: str) -> str:
    """Return the statement kind ("SELECT", "EXPLAIN" or "PIVOT") of one read-only query.

    Raises
    ------
    QueryError when ``text`` is empty, holds several statements, does not parse, could change state or
    calls a function that does.
    """
    statements = statement_kinds(text)
    if not statements:
        raise QueryError("Nothing to run: write one query, e.g. SELECT * FROM <table> LIMIT 100")
    if len(statements) > 1:
        raise QueryError(f"Run one statement at a time (found {len(statements)})")
    kind = statements[0]
    if kind is None:  # a statement type this DuckDB's Python enum does not name (UPDATE EXTENSIONS is 29)
        raise QueryError(
            "Only read-only queries can run here (SELECT, WITH, DESCRIBE, SUMMARIZE, PIVOT, EXPLAIN); "
            "this statement is not one of them"
        )
    if kind == "SELECT":
        _check_functions(text)
        return kind
    if kind == "MULTI" and _PIVOT.match(text):  # a PIVOT with computed columns expands to several steps
        _check_functions(text)
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


def _check_functions(text: str) -> None:
    """Refuse calls of the functions and options listed above, however they are quoted or qualified."""
    for name, next_token in _names(text):
        if next_token == "(" and (name in _REFUSED_FUNCTIONS or name.startswith(_REFUSED_FUNCTION_PREFIXES)):
            raise QueryError(f"{name}() is not allowed here: the console only reads the opened tables")
        if name in _REFUSED_OPTIONS:
            raise QueryError(f"The {name} option is not allowed here: it makes DuckDB create tables")


def _names(text: str):
    """(lower-cased name, first character of the next token) for each identifier or keyword, from DuckDB's
    own tokenizer, so names inside strings and comments are never mistaken for calls."""
    found = tokens(text)
    starts = [start for start, _kind in found]
    kinds = [kind for _start, kind in found]
    pieces = [text[a:b].strip() for a, b in zip(starts, starts[1:] + [len(text)])]
    for i, (raw, kind) in enumerate(zip(pieces, kinds)):
        if kind not in _NAME_TOKENS:
            continue
        if len(raw) >= 2 and raw.startswith('"') and raw.endswith('"'):
            raw = raw[1:-1].replace('""', '"')
        yield raw.lower(), pieces[i + 1][:1] if i + 1 < len(pieces) else ""
