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

import json
import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from workbench import sql
from workbench.backend import ENGINE_ERRORS, Cursor, scratch_connection, translate_error
from workbench.backend.duckdb_backend import apply_session_settings
from workbench.backend.duckdb_sql_text import tokens
from workbench.memory_budget import MIN_LIMIT_BYTES, parse_size

CONSOLE_MEMORY_SHARE = 0.5  # of the analysis connection's limit, for the desktop console (see ConsoleSettings.of)


@dataclass(frozen=True)
class ConsoleSettings:
    """The resources the console database may use, copied from the analysis connection."""

    temp_directory: str
    memory_limit: str
    threads: int | None = None

    @classmethod
    def of(cls, con: Cursor, memory_share: float = 1.0) -> "ConsoleSettings":
        """The spill folder and threads ``con`` runs with, and ``memory_share`` of its memory limit.

        DuckDB's limit is per database, so two databases in one process may use the sum of theirs: the
        desktop console, which can run beside the analyses, takes half (``CONSOLE_MEMORY_SHARE``); the
        ``workbench sql`` command, whose analysis connection sits idle, takes it all.
        """
        cur = con.cursor()
        try:
            temp_dir, memory, threads = cur.execute(
                "SELECT current_setting('temp_directory'), current_setting('memory_limit'), current_setting('threads')"
            ).fetchone()
        finally:
            cur.close()
        limit = str(memory)
        if memory_share != 1.0:
            limit = f"{max(int(parse_size(limit) * memory_share), MIN_LIMIT_BYTES) // 1024**2}MiB"
        return cls(temp_directory=str(temp_dir), memory_limit=limit, threads=int(threads))


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

    con: Cursor
    tables: tuple[str, ...]
    allowed_paths: tuple[str, ...]
    unavailable: dict[str, str] = field(default_factory=dict)
    spill_directory: str = ""

    def cursor(self) -> Cursor:
        return self.con.cursor()

    def close(self) -> None:
        try:
            self.con.close()
        except ENGINE_ERRORS:
            pass
        if self.spill_directory:
            shutil.rmtree(self.spill_directory, ignore_errors=True)


def sources_key(sources: Iterable, view_masks: Mapping | None = None) -> tuple:
    """What the console database depends on: each source's name and view definition, and the columns
    masked in the views (``Catalog.view_masks``, when the catalog masks personal data at the source)."""
    masks = tuple(sorted((name, tuple(sorted(m.items()))) for name, m in (view_masks or {}).items()))
    return tuple((s.name, s.view_sql) for s in sources), masks


def current_view_sql(con: Cursor, names: Iterable[str]) -> dict[str, str]:
    """The ``CREATE VIEW`` statements the analysis database holds now for ``names`` (as DuckDB renders them).

    Copying these, rather than each source's original ``view_sql``, carries over whatever the catalog did
    to a view since it was opened — masked personal-data columns above all — so the console never sees
    more than the analyses do.
    """
    cur = con.cursor()
    try:
        rows = cur.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary "
            "AND schema_name = 'main' AND database_name = current_database()"
        ).fetchall()
    finally:
        cur.close()
    wanted = set(names)
    return {name: text for name, text in rows if name in wanted}


def console_db_for(
    con: Cursor, sources: Iterable, memory_share: float = 1.0, aliases: Mapping[str, str] | None = None
) -> ConsoleDB:
    """The console database for a catalog's ``sources`` on the analysis connection ``con``: its views as
    they are now, its spill folder and threads, ``memory_share`` of its memory limit."""
    sources = list(sources)
    return open_console_db(
        sources,
        ConsoleSettings.of(con, memory_share),
        aliases=aliases,
        view_sql=current_view_sql(con, [s.name for s in sources]),
    )


def open_console_db(
    sources: Iterable,
    settings: ConsoleSettings,
    aliases: Mapping[str, str] | None = None,
    view_sql: Mapping[str, str] | None = None,
) -> ConsoleDB:
    """Build a locked database with a view per source (plus ``aliases``: alias -> source name).

    Parameters
    ----------
    sources : :class:`workbench.catalog.Source` objects (their ``files``, and ``view_sql`` unless given).
    settings : spill folder, memory limit and threads, usually ``ConsoleSettings.of(analysis_con)``.
    aliases : extra view names over a source, e.g. ``{"data": "events"}`` for ``workbench sql``.
    view_sql : source name -> the CREATE VIEW statement to use (:func:`current_view_sql`).
    """
    view_sql = dict(view_sql or {})
    views = [(s.name, view_sql.get(s.name) or s.view_sql, tuple(s.files)) for s in sources]
    views += [(alias, sql.create_view(alias, sql.ident(target)), ()) for alias, target in (aliases or {}).items()]
    return _locked_db(views, settings)


def console_db_from_views(con: Cursor, memory_share: float = 1.0) -> ConsoleDB:
    """The console database for whatever views ``con`` holds, when no catalog is at hand (a recipe replayed
    on a bare connection): each view as it is now, and the files its table functions read as the allow-list."""
    cur = con.cursor()
    try:
        rows = cur.execute(
            "SELECT view_name, sql FROM duckdb_views() WHERE NOT internal AND NOT temporary "
            "AND schema_name = 'main' AND database_name = current_database()"
        ).fetchall()
        views = [(name, text, files_read_by(cur, text)) for name, text in rows]
    finally:
        cur.close()
    return _locked_db(views, ConsoleSettings.of(con, memory_share))


def files_read_by(con: Cursor, create_view_sql: str) -> tuple[str, ...]:
    """The paths a view's table functions are given as their first argument (``read_parquet([...])``),
    found by DuckDB's own parser."""
    token_list = tokens(create_view_sql)
    starts = [start for start, _ in token_list]
    select = None
    for i, (start, kind) in enumerate(token_list[:-1]):
        end = starts[i + 1]
        if kind == "keyword" and create_view_sql[start:end].strip().upper() == "AS":
            select = create_view_sql[end:].strip().rstrip(";")
            break
    if not select:
        return ()
    (serialized,) = con.execute("SELECT json_serialize_sql(?)", [select]).fetchone()
    tree = json.loads(serialized)
    found: list[str] = []
    _collect_paths(tree, found)
    return tuple(dict.fromkeys(found))


def _collect_paths(node, found: list[str]) -> None:
    if isinstance(node, list):
        for child in node:
            _collect_paths(child, found)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "TABLE_FUNCTION":
        positional = [a["expression"] for a in node.get("function", {}).get("arguments", []) if not a.get("name")]
        if positional:
            first = positional[0]
            items = (
                first.get("arguments", []) if first.get("function_name") == "list_value" else [{"expression": first}]
            )
            for item in items:
                literal = item.get("expression", {}).get("literal") or {}
                if literal.get("kind") == "STRING":
                    found.append(literal["text"])
    for child in node.values():
        _collect_paths(child, found)


def _locked_db(views: list[tuple[str, str, tuple[str, ...]]], settings: ConsoleSettings) -> ConsoleDB:
    """A fresh database holding ``views`` ((name, CREATE VIEW statement, files it reads)), locked down."""
    # A spill folder of its own (0700): the analysis folder also holds other processes' spill files.
    os.makedirs(settings.temp_directory, exist_ok=True)  # DuckDB creates it only when it first spills
    spill = tempfile.mkdtemp(prefix=console_spill_prefix(), dir=settings.temp_directory)
    config = dict(memory_limit=settings.memory_limit, temp_directory=spill, python_enable_replacements=False)
    if settings.threads:
        config["threads"] = settings.threads
    try:
        con = scratch_connection(**config)
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        raise
    tables, unavailable = [], {}
    try:
        pending = list(views)
        while pending:  # a view over another view (an alias) can only follow it: retry until nothing moves
            failed = []
            for name, statement, files in pending:
                try:
                    con.execute(statement)
                    tables.append((name, files))
                except ENGINE_ERRORS as exc:
                    failed.append((name, statement, files, str(translate_error(exc))))
            if len(failed) == len(pending):
                unavailable.update({name: why for name, _s, _f, why in failed})
                break
            pending = [(name, statement, files) for name, statement, files, _why in failed]
        paths = sorted({f for _name, files in tables for f in files})
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
    db = ConsoleDB(
        con=con,
        tables=tuple(name for name, _ in tables),
        allowed_paths=tuple(paths),
        unavailable=unavailable,
        spill_directory=spill,
    )
    # A database dropped without close() (e.g. replaced while a query still ran on it) still loses its folder.
    weakref.finalize(db, shutil.rmtree, spill, True)
    return db


def console_spill_prefix() -> str:
    """Console spill folders are ``console-<pid>-<random>``, so a dead process's folder can be recognised."""
    return f"console-{os.getpid()}-"
