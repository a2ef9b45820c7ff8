"""The engine-neutral side of the backend seam: what a database engine must offer the rest of Workbench.

Why the per-task handle is the engine's own cursor, typed by :class:`Cursor`, and not a wrapper object:
engine code already talks to DuckDB through a handful of cursor methods (``execute``/``sql`` and the
``fetch*``/``df`` readers, ``interrupt``, ``query_progress``, ``cursor``, ``close``). A Python wrapper around
each cursor would add a call on every hot path (the grid fetches blocks of rows) and would have to wrap
every lazy relation ``sql()`` returns, while changing nothing a second engine needs. So the handle is the
engine's cursor itself, and :class:`Cursor` is the contract it fulfils: a Spark Connect backend implements
a handle with these methods (plus a dialect for the SQL renderer) and engine code runs unchanged.

Everything engine-specific beyond that contract -- opening views, describing columns as normalised
:class:`ColumnKind`s, running a query into a :class:`workbench.result.Result` or a DataFrame, interrupting,
progress and turning the engine's exceptions into :class:`workbench.errors.WorkbenchError`s -- is a
:class:`Backend` method, implemented once per engine.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

    from workbench.errors import WorkbenchError
    from workbench.result import Result


class ColumnKind(str, enum.Enum):
    """What a column holds, whatever the engine calls its type."""

    NUMERIC = "numeric"
    TEMPORAL = "temporal"  # dates and timestamps (with or without a time zone): usable as a time axis
    TEXT = "text"
    BOOLEAN = "boolean"
    OTHER = "other"  # lists, structs, maps, blobs, intervals, times of day, the type of an all-NULL column


@dataclass(frozen=True)
class ColumnDescription:
    """One column as the engine describes it: its name, the engine's type name and the normalised kind."""

    name: str
    type_name: str
    kind: ColumnKind


@runtime_checkable
class Cursor(Protocol):
    """The per-task handle engine code runs queries on (one per task or thread, never shared).

    ``execute`` returns the handle itself, ready for ``fetchall``/``fetchone``/``fetchmany``/``df``;
    ``sql`` returns a lazy relation (``.df()``, ``.fetchnumpy()``, ``.limit(n)``, ``.project(...)``) or None for
    a statement without a result set. ``interrupt`` may be called from another thread; ``query_progress``
    reports 0-100, or -1 when unknown.
    """

    def execute(self, query: str, parameters: Any = ...) -> Any: ...

    def sql(self, query: str, *, params: Any = ...) -> Any: ...

    @property
    def description(self) -> Any: ...  # DB-API: None after a statement without a result set

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def df(self, *, date_as_object: bool = ...) -> Any: ...

    def cursor(self) -> Any: ...

    def register(self, view_name: str, python_object: object) -> Any: ...

    def unregister(self, view_name: str) -> Any: ...

    def interrupt(self) -> Any: ...

    def query_progress(self) -> float: ...

    def close(self) -> None: ...


class Backend(ABC):
    """One database engine behind Workbench: a connection, the cursors tasks run on, and the translations.

    A backend owns one connection (``connection``); every task takes its own ``cursor()``. Methods taking
    ``cursor=None`` use a fresh cursor of the connection for the duration of the call.
    """

    #: SQLGlot dialect name the SQL renderer produces for this engine.
    dialect: ClassVar[str]
    #: The engine client's exception classes that :meth:`translate_error` understands.
    error_types: ClassVar[tuple[type[BaseException], ...]]

    @property
    @abstractmethod
    def connection(self) -> Cursor:
        """The backend's connection (take one ``cursor()`` per task from it)."""

    @property
    @abstractmethod
    def version(self) -> str:
        """The engine's version, for an About box or a report footer."""

    def cursor(self) -> Cursor:
        """A fresh per-task handle."""
        return self.connection.cursor()

    def render(self, query: Any) -> str:
        """SQL text of ``query`` (DuckDB SQL text or a SQLGlot expression) in this backend's dialect.

        Raises
        ------
        DialectError when the query uses something this engine cannot express.
        """
        from workbench.dialects import render

        return render(query, self.dialect)

    @abstractmethod
    def open_view(self, name: str, reader: str, cursor: Cursor | None = None) -> list[ColumnDescription]:
        """Create (or replace) the view ``name`` of every row of ``reader`` and describe its columns.

        ``reader`` is what the view selects from: a table function over files (``read_parquet([...])``), a
        table's name or a parenthesised query.
        """

    @abstractmethod
    def describe(self, relation: str, cursor: Cursor | None = None) -> list[ColumnDescription]:
        """The columns of a table or view (by name) with their normalised kinds."""

    @abstractmethod
    def execute(self, query: str, params: list | None = None, cursor: Cursor | None = None) -> Result:
        """Run ``query`` and fetch its result; engine errors arrive as ``WorkbenchError``s."""

    @abstractmethod
    def frame(self, query: str, params: list | None = None, cursor: Cursor | None = None) -> pd.DataFrame:
        """Run ``query`` and fetch its result as a pandas DataFrame; engine errors arrive as ``WorkbenchError``s."""

    def interrupt(self, cursor: Cursor) -> None:
        """Ask the query running on ``cursor`` to stop (safe from another thread)."""
        cursor.interrupt()

    def progress(self, cursor: Cursor) -> float | None:
        """How far the query on ``cursor`` got, as a fraction in [0, 1]; None when unknown."""
        percent = cursor.query_progress()
        return None if percent is None or percent < 0 else min(1.0, percent / 100.0)

    @staticmethod
    @abstractmethod
    def column_kind(type_name: str) -> ColumnKind:
        """The normalised kind of one of this engine's type names."""

    @classmethod
    @abstractmethod
    def translate_error(cls, exc: BaseException) -> WorkbenchError | None:
        """The ``WorkbenchError`` an engine exception means (a cancel is ``QueryCancelled``), or None when
        ``exc`` is not one of this engine's errors."""

    def close(self) -> None:
        """Close the connection (cursors still open become unusable)."""
        self.connection.close()
