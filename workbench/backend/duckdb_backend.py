"""DuckDB behind the backend seam, configured for restricted and offline machines.

* Extension auto-install/auto-load are off and the extension repository points at a folder that does not
  exist, so nothing is ever downloaded (an ``https://`` path would otherwise trigger a download attempt).
* Spill files go to an explicit temp directory under the user's cache dir, not ``./.tmp``; those of killed
  processes are removed when a connection opens.
* A memory limit (default: half of the memory available, within any cgroup limit) makes a huge query spill
  instead of exhausting the machine.
* Progress reporting is on (without printing) so the UI can poll ``cursor.query_progress()``.
* Configuration is locked, so a statement typed in the SQL console cannot switch any of this back.

Use one ``con.cursor()`` per task or thread: a DuckDB 2.0 connection refuses concurrent use. This module
(with :mod:`workbench.backend.duckdb_tools`) is the only one that imports ``duckdb``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Iterator, cast

import duckdb

from workbench.backend.base import Backend, ColumnDescription, ColumnKind, Cursor
from workbench.errors import QueryCancelled, QueryError, UnknownTableError, WorkbenchError
from workbench.memory_budget import DEFAULT_MEMORY_SHARE, measure as measure_memory
from workbench.temp_files import clean_spill_files

if TYPE_CHECKING:
    from workbench.result import Result  # imported where used: it loads NumPy, which schema and sql skip
    import pandas as pd

# No extension is ever fetched or loaded behind the user's back (an https:// path would trigger a download).
OFFLINE_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


@dataclass(frozen=True)
class EngineSettings:
    """How the embedded DuckDB may use the machine.

    Parameters
    ----------
    memory_limit : DuckDB size string ("4GB"); default is ``memory_share`` of the memory budget.
    memory_share : fraction of the memory budget (available memory, within cgroup limits) used when
        ``memory_limit`` is not given.
    threads : worker threads; default lets DuckDB use every core.
    temp_directory : where spill files go; default ``<user cache>/workbench/duckdb-tmp``.
    """

    memory_limit: str | None = None
    memory_share: float = DEFAULT_MEMORY_SHARE
    threads: int | None = None
    temp_directory: str | None = None


def default_temp_directory() -> Path:
    """A writable spill folder under the user's cache dir, falling back to the system temp dir."""
    from platformdirs import user_cache_dir

    # Not "<tmp>/workbench": a folder of that name in the temp dir would shadow the package for scripts run there.
    for base in (Path(user_cache_dir("workbench", appauthor=False)), Path(tempfile.gettempdir()) / "workbench-cache"):
        candidate = base / "duckdb-tmp"
        try:
            candidate.mkdir(parents=True, exist_ok=True)
            if os.access(candidate, os.W_OK):
                return candidate
        except OSError:
            continue
    return Path(tempfile.mkdtemp(prefix="workbench-duckdb-"))


def resolved_memory_limit(settings: EngineSettings) -> str:
    """``settings.memory_limit``, or a share of the memory really free here (see :mod:`workbench.memory_budget`)."""
    if settings.memory_limit:
        return settings.memory_limit
    return f"{measure_memory().limit_bytes(settings.memory_share) // 1024**2}MiB"


def connect(settings: EngineSettings | None = None) -> Cursor:
    """Open an in-memory DuckDB configured for offline use (see module docstring)."""
    settings = settings or EngineSettings()
    temp_dir = settings.temp_directory or str(default_temp_directory())
    clean_spill_files(temp_dir)  # DuckDB leaves a killed process's spill files until someone spills again
    memory_limit = resolved_memory_limit(settings)
    config: dict[str, Any] = dict(OFFLINE_CONFIG, memory_limit=memory_limit, temp_directory=temp_dir)
    if settings.threads:
        config["threads"] = settings.threads
    con = duckdb.connect(":memory:", config=config)
    _record_claim(memory_limit)
    apply_session_settings(con)
    con.execute("SET lock_configuration = true")
    return con


def scratch_connection(**config: Any) -> Cursor:
    """A private in-memory DuckDB for a helper job (writing an export, building the demo data, the SQL
    console's restricted database): offline like the analysis connection, with ``config`` on top."""
    return duckdb.connect(":memory:", config=dict(OFFLINE_CONFIG, **config))


def _record_claim(memory_limit: str) -> None:
    """Tell later Workbench processes how much this one may use (see :mod:`workbench.memory_claims`)."""
    from workbench.memory_budget import parse_size
    from workbench.memory_claims import record_claim

    try:
        record_claim(parse_size(memory_limit))
    except ValueError:  # a size spelling we do not parse: DuckDB accepted it, the ledger just skips it
        pass


def apply_session_settings(con: Cursor) -> None:
    """Settings every Workbench database gets before it is locked: no extension repository to download
    from, progress reporting on without printing."""
    # A repository that cannot exist: even an explicit INSTALL has nowhere to download from.
    con.execute("SET custom_extension_repository = '/nonexistent/workbench-offline'")
    con.execute("SET autoinstall_extension_repository = '/nonexistent/workbench-offline'")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")


def engine_info(con: Cursor) -> dict[str, str]:
    """The settings that matter to a reviewer, as DuckDB reports them."""
    names = [
        "autoinstall_known_extensions",
        "autoload_known_extensions",
        "memory_limit",
        "temp_directory",
        "threads",
        "lock_configuration",
    ]
    rows = con.execute("SELECT name, value FROM duckdb_settings() WHERE list_contains(?, name)", [names]).fetchall()
    return dict(rows)


def duckdb_version() -> str:
    """The DuckDB library's version string."""
    return str(duckdb.__version__)


# --- column types -------------------------------------------------------------------------------------------

_NUMERIC_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "UHUGEINT",
        "FLOAT",
        "DOUBLE",
        "REAL",
        "INT",
        "INT1",
        "INT2",
        "INT4",
        "INT8",
        "FLOAT4",
        "FLOAT8",
        "VARINT",
        "BIGNUM",
    }
)
_TEXT_TYPES = frozenset({"VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR"})
_NESTED_PREFIXES = ("STRUCT", "MAP", "UNION", "LIST")


def duckdb_column_kind(type_name: str) -> ColumnKind:
    """The normalised kind of a DuckDB type name as ``DESCRIBE`` or ``relation.types`` spell it."""
    t = str(type_name).strip().upper()
    if t.endswith("]") or t.startswith(_NESTED_PREFIXES):  # INTEGER[], TIMESTAMP[3], STRUCT(...), MAP(...)
        return ColumnKind.OTHER
    base = t.split("(", 1)[0].strip()
    if base in _NUMERIC_TYPES or base in ("DECIMAL", "NUMERIC"):
        return ColumnKind.NUMERIC
    if t.startswith(("TIMESTAMP", "DATE")) and t != "DATETIME_INTERVAL":
        return ColumnKind.TEMPORAL
    if base in ("BOOLEAN", "BOOL", "LOGICAL"):
        return ColumnKind.BOOLEAN
    if base in _TEXT_TYPES or base == "ENUM":
        return ColumnKind.TEXT
    return ColumnKind.OTHER  # BLOB, UUID, INTERVAL, TIME, BIT, "NULL" (an all-NULL column), ...


# --- errors -------------------------------------------------------------------------------------------------

_FRIENDLIER = (
    (
        re.compile(r'No files found that match the pattern "(?P<path>[^"]+)"'),
        "{path} is missing: it was moved or deleted after it was opened. Re-open it or relocate the source.",
    ),
    (
        re.compile(r'Cannot open file "(?P<path>[^"]+)": Permission denied'),
        "{path} can no longer be read (permission denied).",
    ),
    (
        re.compile(r'Cannot access (?:file|directory) "(?P<path>[^"]+)" - file system operations are disabled'),
        "{path} is outside the opened sources: SQL here reads only the opened tables (open the file to query it).",
    ),
    (
        re.compile(r"Out of Memory Error: (?P<rest>.*)"),
        "The query needs more memory than the configured limit allows ({rest}). Narrow the time range or filters, "
        "or raise the memory limit in the settings.",
    ),
)
_MISSING_TABLE = re.compile(r"Table with name .* does not exist", re.S)


def clean_duckdb_message(exc: BaseException) -> str:
    """DuckDB messages carry a type prefix and a multi-line LINE/caret context; keep the first sentence,
    and say in plain words what the common file problems mean."""
    text = str(exc).strip()
    first = (text.splitlines()[0] if text else type(exc).__name__).strip()
    for pattern, template in _FRIENDLIER:
        match = pattern.search(first)
        if match:
            return template.format(**match.groupdict())
    return first


def translate_duckdb_error(exc: BaseException) -> WorkbenchError | None:
    """The ``WorkbenchError`` a DuckDB exception means, or None when ``exc`` is not DuckDB's."""
    if isinstance(exc, WorkbenchError):
        return exc
    if isinstance(exc, duckdb.InterruptException):
        return QueryCancelled("Query cancelled")
    if isinstance(exc, duckdb.CatalogException) and _MISSING_TABLE.search(str(exc)):
        return UnknownTableError(clean_duckdb_message(exc))
    if isinstance(exc, duckdb.Error):
        return QueryError(clean_duckdb_message(exc))
    return None


# --- the backend --------------------------------------------------------------------------------------------


class DuckDBBackend(Backend):
    """The embedded DuckDB: an offline, memory-limited, locked in-memory database (see module docstring).

    Parameters
    ----------
    connection : an existing DuckDB connection to work on (e.g. the one a ``Catalog`` holds); default: a
        new one from :func:`connect` with ``settings``.
    settings : how the new connection may use the machine.
    """

    dialect = "duckdb"
    error_types: ClassVar[tuple[type[BaseException], ...]] = (duckdb.Error,)

    def __init__(self, connection: Cursor | None = None, settings: EngineSettings | None = None):
        self._con = connection if connection is not None else connect(settings)

    @property
    def connection(self) -> Cursor:
        return self._con

    @property
    def version(self) -> str:
        return duckdb_version()

    def open_view(self, name: str, reader: str, cursor: Cursor | None = None) -> list[ColumnDescription]:
        from workbench import sql

        with _cursor_for(self, cursor) as cur:
            run_statement(cur, sql.create_view(name, reader))
            return self.describe(name, cur)

    def describe(self, relation: str, cursor: Cursor | None = None) -> list[ColumnDescription]:
        from workbench import sql

        with _cursor_for(self, cursor) as cur:
            try:
                rows = cur.execute(sql.describe(relation)).fetchall()
            except duckdb.Error as exc:
                raise _translated(exc) from exc
        return [ColumnDescription(str(row[0]), str(row[1]), duckdb_column_kind(str(row[1]))) for row in rows]

    def execute(self, query: str, params: list | None = None, cursor: Cursor | None = None) -> Result:
        with _cursor_for(self, cursor) as cur:
            return run_query(cur, query, params)

    def frame(self, query: str, params: list | None = None, cursor: Cursor | None = None) -> pd.DataFrame:
        with _cursor_for(self, cursor) as cur:
            return run_frame(cur, query, params)

    @staticmethod
    def column_kind(type_name: str) -> ColumnKind:
        return duckdb_column_kind(type_name)

    @classmethod
    def translate_error(cls, exc: BaseException) -> WorkbenchError | None:
        return translate_duckdb_error(exc)


@contextlib.contextmanager
def _cursor_for(backend: Backend, cursor: Cursor | None) -> Iterator[Cursor]:
    """``with _cursor_for(backend, cursor) as cur``: the given cursor, or a fresh one closed afterwards."""
    if cursor is not None:
        yield cursor
        return
    own = backend.cursor()
    try:
        yield own
    finally:
        own.close()


def _translated(exc: BaseException) -> WorkbenchError:
    return cast(WorkbenchError, translate_duckdb_error(exc))


def run_query(cur: Cursor, query: str, params: list | None = None) -> Result:
    """Execute ``query`` on a cursor and return a :class:`workbench.result.Result`, translating DuckDB errors.

    The result is Arrow-free (NumPy columns): ``to_pylist()``, ``to_pandas()``, ``column(name)``, ``num_rows``.

    Raises
    ------
    QueryCancelled when the cursor was interrupted; QueryError for anything DuckDB refuses.
    """
    from workbench.result import Result

    try:
        relation = cur.sql(query, params=params) if params else cur.sql(query)
        if relation is None:  # a statement with no result set (CREATE VIEW, SET ...)
            return Result.empty()
        return Result.from_relation(relation)
    except duckdb.Error as exc:
        raise _translated(exc) from exc


def run_frame(cur: Cursor, query: str, params: list | None = None) -> pd.DataFrame:
    """Execute ``query`` on a cursor and fetch a pandas DataFrame, translating DuckDB errors."""
    try:
        return cur.sql(query, params=params).df() if params else cur.sql(query).df()
    except duckdb.Error as exc:
        raise _translated(exc) from exc


def run_statement(cur: Cursor, query: str, params: list | None = None) -> Cursor:
    """``cur.execute(query)`` with DuckDB errors translated; returns the cursor for ``fetch*``."""
    try:
        return cur.execute(query, params) if params is not None else cur.execute(query)
    except duckdb.Error as exc:
        raise _translated(exc) from exc


def result_from_arrow(table: Any) -> Result:
    """A :class:`workbench.result.Result` of an Arrow table (read through DuckDB, no pandas round trip)."""
    from workbench.result import Result

    return Result.from_relation(duckdb.from_arrow(table))
