"""The SQL console's own DuckDB database: it can read the opened sources and nothing else.

The analysis connection (:func:`workbench.engine.connect`) must stay able to open any file the user picks,
so typed SQL never runs on it. The console gets a separate in-memory database holding the same views,
with ``allowed_paths`` set to exactly the sources' files and ``allowed_directories`` to a spill folder of
its own (a ``console-<pid>-*`` folder inside the engine's temp directory, removed on close), then ``enable_external_access=false`` and ``lock_configuration=true``. DuckDB refuses to change the
allow-list once external access is off, so when sources are opened or closed the console database is built
again (:func:`open_console_db`), never amended.

What that blocks, measured on DuckDB 2.0.1: every file function outside the list (``read_text``,
``read_blob``, ``read_csv``/``read_json``/``read_parquet``, ``sniff_csv``, ``glob`` — ``glob('/**')``
included), secrets and extension directories. What it does not block (``checkpoint()``,
``truncate_duckdb_logs()``, ``store_rejects``) is refused by name in :mod:`workbench.readonly`. Python
replacement scans are off too, so a query cannot name a DataFrame that happens to live in the caller.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import duckdb

from workbench import sql
from workbench.engine import OFFLINE_CONFIG, apply_session_settings, clean_duckdb_message


@dataclass(frozen=True)
class ConsoleSettings:
    """The resources the console database may use, copied from the analysis connection."""

    temp_directory: str
    memory_limit: str
    threads: int | None = None

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection) -> "ConsoleSettings":
        """The spill folder, memory limit and threads ``con`` runs with."""
        cur = con.cursor()
        try:
            temp_dir, memory, threads = cur.execute(
                "SELECT current_setting('temp_directory'), current_setting('memory_limit'), "
                "current_setting('threads')"
            ).fetchone()
        finally:
            cur.close()
        return cls(temp_directory=str(temp_dir), memory_limit=str(memory), threads=int(threads))


@dataclass
class ConsoleDB:
    """A restricted connection with a view per opened source.

    Attributes
    ----------
    con : the locked connection; take one ``con.cursor()`` per query.
    tables : view names available to queries.
    unavailable : view name -> why it could not be registered (e.g. its file vanished).
    allowed_paths : the files DuckDB lets this database read.
    spill_directory : its private spill folder (the only other place it may read or write).
    """

    con: duckdb.DuckDBPyConnection
    tables: tuple[str, ...]
    allowed_paths: tuple[str, ...]
    unavailable: dict[str, str] = field(default_factory=dict)
    key: tuple = ()
    spill_directory: str = ""

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    def close(self) -> None:
        try:
            self.con.close()
        except duckdb.Error:
            pass
        if self.spill_directory:
            shutil.rmtree(self.spill_directory, ignore_errors=True)


def sources_key(sources: Iterable) -> tuple:
    """What the console database depends on: each source's name and view definition."""
    return tuple((s.name, s.view_sql) for s in sources)


def open_console_db(sources: Iterable, settings: ConsoleSettings,
                    aliases: Mapping[str, str] | None = None, view_sql: Mapping[str, str] | None = None) -> ConsoleDB:
    """Build a locked database with a view per source (plus ``aliases``: alias -> source name).

    Parameters
    ----------
    sources : :class:`workbench.catalog.Source` objects (their ``view_sql`` and ``files`` are used).
    settings : spill folder, memory limit and threads, usually ``ConsoleSettings.of(analysis_con)``.
    aliases : extra view names over a source, e.g. ``{"data": "events"}`` for ``workbench sql``.
    view_sql : source name -> the statement to create its view with instead of ``view_sql`` (masked views).
    """
    sources = list(sources)
    # A spill folder of its own (0700): the analysis folder also holds other processes' spill files.
    os.makedirs(settings.temp_directory, exist_ok=True)  # DuckDB creates it only when it first spills
    spill = tempfile.mkdtemp(prefix=console_spill_prefix(), dir=settings.temp_directory)
    config = dict(OFFLINE_CONFIG)
    config.update(memory_limit=settings.memory_limit, temp_directory=spill, python_enable_replacements=False)
    if settings.threads:
        config["threads"] = settings.threads
    try:
        con = duckdb.connect(":memory:", config=config)
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        raise
    tables, unavailable = [], {}
    try:
        for source in sources:
            try:
                con.execute((view_sql or {}).get(source.name, source.view_sql))
                tables.append(source.name)
            except duckdb.Error as exc:
                unavailable[source.name] = clean_duckdb_message(exc)
        for alias, target in (aliases or {}).items():
            if target in tables and alias not in tables:
                con.execute(sql.create_view(alias, sql.ident(target)))
                tables.append(alias)
        paths = sorted({f for s in sources if s.name in tables for f in s.files})
        # Order matters: DuckDB accepts the allow-list only while external access is still on.
        con.execute(f"SET allowed_paths = {sql.string_list(paths)}")
        con.execute(f"SET allowed_directories = {sql.string_list([spill])}")
        apply_session_settings(con)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        raise
    db = ConsoleDB(con=con, tables=tuple(tables), allowed_paths=tuple(paths), unavailable=unavailable,
                   key=sources_key(sources) + tuple(sorted((view_sql or {}).items())), spill_directory=spill)
    # A database dropped without close() (e.g. replaced while a query still ran on it) still loses its folder.
    weakref.finalize(db, shutil.rmtree, spill, True)
    return db


def console_spill_prefix() -> str:
    """Console spill folders are ``console-<pid>-<random>``, so a dead process's folder can be recognised."""
    return f"console-{os.getpid()}-"
