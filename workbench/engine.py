"""The DuckDB connection, configured for restricted and offline machines.

* Extension auto-install/auto-load are off and the extension repository points at a folder that does not
  exist, so nothing is ever downloaded (an ``https://`` path would otherwise trigger a download attempt).
* Spill files go to an explicit temp directory under the user's cache dir, not ``./.tmp``; those of killed
  processes are removed when a connection opens.
* A memory limit (default: half of the memory available, within any cgroup limit) makes a huge query spill
  instead of exhausting the machine.
* Progress reporting is on (without printing) so the UI can poll ``cursor.query_progress()``.
* Configuration is locked, so a statement typed in the SQL console cannot switch any of this back.

Use one ``con.cursor()`` per task or thread: a DuckDB 2.0 connection refuses concurrent use.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from workbench.errors import QueryCancelled, QueryError
from workbench.memory_budget import DEFAULT_MEMORY_SHARE, measure as measure_memory
from workbench.result import Result
from workbench.temp_files import clean_spill_files

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


def connect(settings: EngineSettings | None = None) -> duckdb.DuckDBPyConnection:
    """Open an in-memory DuckDB configured for offline use (see module docstring)."""
    settings = settings or EngineSettings()
    temp_dir = settings.temp_directory or str(default_temp_directory())
    clean_spill_files(temp_dir)  # DuckDB leaves a killed process's spill files until someone spills again
    memory_limit = resolved_memory_limit(settings)
    config = dict(OFFLINE_CONFIG, memory_limit=memory_limit, temp_directory=temp_dir)
    if settings.threads:
        config["threads"] = settings.threads
    con = duckdb.connect(":memory:", config=config)
    _record_claim(memory_limit)
    apply_session_settings(con)
    con.execute("SET lock_configuration = true")
    return con


def _record_claim(memory_limit: str) -> None:
    """Tell later Workbench processes how much this one may use (see :mod:`workbench.memory_claims`)."""
    from workbench.memory_budget import parse_size
    from workbench.memory_claims import record_claim

    try:
        record_claim(parse_size(memory_limit))
    except ValueError:  # a size spelling we do not parse: DuckDB accepted it, the ledger just skips it
        pass


def apply_session_settings(con: duckdb.DuckDBPyConnection) -> None:
    """Settings every Workbench database gets before it is locked: no extension repository to download
    from, progress reporting on without printing."""
    # A repository that cannot exist: even an explicit INSTALL has nowhere to download from.
    con.execute("SET custom_extension_repository = '/nonexistent/workbench-offline'")
    con.execute("SET autoinstall_extension_repository = '/nonexistent/workbench-offline'")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")


def engine_info(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The settings that matter to a reviewer, as DuckDB reports them."""
    names = [
        "autoinstall_known_extensions",
        "autoload_known_extensions",
        "memory_limit",
        "temp_directory",
        "threads",
        "lock_configuration",
    ]
    rows = con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE list_contains(?, name)", [names]
    ).fetchall()
    return dict(rows)


def run_query(cur: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """Execute ``sql`` on a cursor and return a :class:`workbench.result.Result`, translating DuckDB errors.

    The result is Arrow-free (NumPy columns): ``to_pylist()``, ``to_pandas()``, ``column(name)``, ``num_rows``.

    Raises
    ------
    QueryCancelled when the cursor was interrupted; QueryError for anything DuckDB refuses.
    """
    try:
        relation = cur.sql(sql, params=params) if params else cur.sql(sql)
        if relation is None:  # a statement with no result set (CREATE VIEW, SET ...)
            return Result.empty()
        return Result.from_relation(relation)
    except duckdb.InterruptException as exc:
        raise QueryCancelled("Query cancelled") from exc
    except duckdb.Error as exc:
        raise QueryError(clean_duckdb_message(exc)) from exc


_FRIENDLIER = (
    (re.compile(r'No files found that match the pattern "(?P<path>[^"]+)"'),
     "{path} is missing: it was moved or deleted after it was opened. Re-open it or relocate the source."),
    (re.compile(r'Cannot open file "(?P<path>[^"]+)": Permission denied'),
     "{path} can no longer be read (permission denied)."),
    (re.compile(r'Cannot access (?:file|directory) "(?P<path>[^"]+)" - file system operations are disabled'),
     "{path} is outside the opened sources: SQL here reads only the opened tables (open the file to query it)."),
    (re.compile(r"Out of Memory Error: (?P<rest>.*)"),
     "The query needs more memory than the configured limit allows ({rest}). Narrow the time range or filters, "
     "or raise the memory limit in the settings."),
)


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
