"""The backend seam: the only package that talks to a database engine's client library.

* :mod:`workbench.backend.base` -- the engine-neutral interface: :class:`Backend`, the per-task
  :class:`Cursor` handle, normalised :class:`ColumnKind`s.
* :mod:`workbench.backend.duckdb_backend` -- :class:`DuckDBBackend`, the default engine (offline lock-down,
  memory limit, spill folder), and :mod:`workbench.backend.duckdb_sql_text` for checks on typed SQL.
* :mod:`workbench.backend.spark_backend` -- ``SparkBackend`` (Spark Connect, ``--engine spark``): its cursor
  raises already-translated ``WorkbenchError``s and its client library loads only when a connection opens,
  so it stays out of :data:`BACKEND_CLASSES` and importing this package never imports ``pyspark``.
* Here: the one error translator every caller uses (:func:`translate_error`, :func:`translated`,
  :data:`ENGINE_ERRORS` for ``except`` clauses) and :func:`column_kind`.

Import-linter contracts keep every ``import duckdb`` (and ``pyspark``) inside this package.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from workbench.backend.base import Backend, ColumnDescription, ColumnKind, Cursor
from workbench.backend.duckdb_backend import (
    OFFLINE_CONFIG,
    DuckDBBackend,
    EngineSettings,
    clean_duckdb_message,
    connect,
    duckdb_version,
    run_frame,
    run_query,
    run_statement,
    scratch_connection,
)
from workbench.errors import QueryCancelled, QueryError, WorkbenchError

#: Every engine Workbench can run on; the translator asks each in turn.
BACKEND_CLASSES: tuple[type[Backend], ...] = (DuckDBBackend,)
#: The engines' exception classes, for ``except ENGINE_ERRORS as exc: raise translate_error(exc) from exc``.
ENGINE_ERRORS: tuple[type[BaseException], ...] = tuple(t for cls in BACKEND_CLASSES for t in cls.error_types)

__all__ = [
    "BACKEND_CLASSES",
    "ENGINE_ERRORS",
    "OFFLINE_CONFIG",
    "Backend",
    "ColumnDescription",
    "ColumnKind",
    "Cursor",
    "DuckDBBackend",
    "EngineSettings",
    "clean_duckdb_message",
    "column_kind",
    "connect",
    "engine_version",
    "is_cancel",
    "run_frame",
    "run_query",
    "run_statement",
    "scratch_connection",
    "translate_error",
    "translated",
]


def translate_error(exc: BaseException) -> WorkbenchError:
    """The ``WorkbenchError`` an engine exception stands for: ``QueryCancelled`` for an interrupt,
    ``UnknownTableError`` for a table that is not open, ``QueryError`` (first line of the engine's message,
    common file problems in plain words) for anything else the engine refused. A ``WorkbenchError`` is
    returned as it is; any other exception becomes a ``QueryError`` with its first line."""
    for cls in BACKEND_CLASSES:
        translated_exc = cls.translate_error(exc)
        if translated_exc is not None:
            return translated_exc
    return QueryError(clean_duckdb_message(exc))


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """``with translated(): ...`` -- engine errors raised inside leave as their ``WorkbenchError``."""
    try:
        yield
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc


def is_cancel(exc: BaseException) -> bool:
    """Whether ``exc`` means the query was interrupted on request."""
    return isinstance(exc, QueryCancelled) or (
        isinstance(exc, ENGINE_ERRORS) and isinstance(translate_error(exc), QueryCancelled)
    )


def column_kind(type_name: str) -> ColumnKind:
    """The normalised kind of an engine type name (today: DuckDB's spelling)."""
    return DuckDBBackend.column_kind(type_name)


def engine_version() -> str:
    """Name and version of the engine, e.g. ``DuckDB 2.0.1``."""
    return f"DuckDB {duckdb_version()}"
