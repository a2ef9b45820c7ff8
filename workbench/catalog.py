"""Catalog: opens local Parquet/CSV files, folders and globs as DuckDB views.

Opening never copies data into memory: each source is a view over ``read_parquet``/``read_csv``, the
schema comes from DuckDB's binder and the row count from Parquet footers. Files are opened read-only.
"""

from __future__ import annotations

import glob as globmod
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from workbench import csv_check, parquet_check, source_identity, sql
from workbench.backend import ENGINE_ERRORS, ColumnKind, Cursor, column_kind, is_cancel, translate_error
from workbench.errors import QueryCancelled, RemotePathError, SourceError

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
CSV_SUFFIXES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")
PARQUET_MAGIC = b"PAR1"
_REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|s3:|gs:|gcs:|az:|abfss?:|hf:)")
_HIVE_PART = re.compile(r"^[^=/\\]+=[^/\\]*$")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    nullable: bool = True

    @property
    def kind(self) -> ColumnKind:
        """The engine-neutral kind of ``type`` (numeric, temporal, text, boolean or other)."""
        return column_kind(self.type)

    @property
    def is_temporal(self) -> bool:
        return self.kind is ColumnKind.TEMPORAL

    @property
    def is_numeric(self) -> bool:
        return self.kind is ColumnKind.NUMERIC

    @property
    def is_text(self) -> bool:
        return self.kind is ColumnKind.TEXT

    @property
    def is_boolean(self) -> bool:
        return self.kind is ColumnKind.BOOLEAN


@dataclass(frozen=True)
class Source:
    """One opened extract: a DuckDB view named ``name`` over ``files``."""

    name: str
    kind: str  # "parquet" or "csv"
    location: str  # what the user opened: a file, a folder or a glob
    files: tuple[str, ...]
    columns: tuple[ColumnInfo, ...]
    row_count: int | None  # from Parquet metadata; None for CSV until counted
    size_bytes: int
    skipped_files: tuple[str, ...] = ()
    hive_columns: tuple[str, ...] = ()
    view_sql: str = field(default="", compare=False)
    encoding: str | None = None  # CSV: the text encoding the files were read with
    notes: tuple[str, ...] = ()  # what a person should know about how the source was read
    # Parquet: what the page-checksum check found ("12 page checksums verified ...", or that none are stored)
    checksums: str | None = None
    # size, mtime and inode of each file when opened: re-checked before each analysis (check_unchanged)
    identities: tuple[source_identity.FileIdentity, ...] = field(default=(), compare=False)
    # Sources read by a cluster: each file's size as the cluster reported it (local files are stat-ed instead)
    file_sizes: tuple[int, ...] = ()

    def column(self, name: str) -> ColumnInfo:
        for col in self.columns:
            if col.name == name:
                return col
        raise SourceError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def time_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.is_temporal]


def reject_remote(path: str) -> None:
    if _REMOTE.match(str(path)) and not re.match(r"^[a-zA-Z]:[\\/]", str(path)):
        raise RemotePathError(
            f"{path}: remote paths are not supported — Workbench reads local files only (offline by design). "
            "Copy the extract to this machine and open the local copy."
        )


def _is_parquet(path: str) -> bool:
    return path.lower().endswith(PARQUET_SUFFIXES)


def _is_csv(path: str) -> bool:
    return path.lower().endswith(CSV_SUFFIXES)


def check_readable_file(path: str) -> None:
    """Fail with a clear message when ``path`` cannot be read as a data file."""
    p = Path(path)
    if not p.exists():
        raise SourceError(f"{path}: no such file or folder")
    if not p.is_file():
        raise SourceError(f"{path}: not a regular file")
    if not os.access(p, os.R_OK):
        raise SourceError(f"{path}: permission denied (the file is not readable by this user)")
    size = p.stat().st_size
    if size == 0:
        raise SourceError(f"{p.name} is empty (0 bytes)")
    if _is_parquet(path):
        try:
            with open(p, "rb") as fh:
                head = fh.read(4)
                fh.seek(max(size - 4, 0))
                tail = fh.read(4)
        except OSError as exc:
            raise SourceError(f"{p.name}: cannot be read ({exc.strerror})") from exc
        if head != PARQUET_MAGIC:
            raise SourceError(f"{p.name} is not a Parquet file (bad magic bytes)")
        if size < 12 or tail != PARQUET_MAGIC:
            raise SourceError(f"{p.name} is truncated or damaged (no Parquet footer)")


def expand(location: str) -> tuple[str, list[str], list[str]]:
    """Resolve a file, folder or glob into (kind, data files, skipped files)."""
    reject_remote(location)
    if any(ch in location for ch in "*?[") and not Path(location).exists():
        matches = sorted(m for m in globmod.glob(location, recursive=True) if Path(m).is_file())
        if not matches:
            raise SourceError(f"{location}: no files match this pattern")
        return _classify(location, matches)
    p = Path(location).expanduser()
    if not p.exists():
        raise SourceError(f"{location}: no such file or folder")
    if p.is_dir():
        if not os.access(p, os.R_OK | os.X_OK):
            raise SourceError(f"{location}: permission denied (the folder is not readable by this user)")
        found = sorted(str(f) for f in p.rglob("*") if f.is_file() and not f.name.startswith((".", "_")))
        if not found:
            raise SourceError(f"{location}: the folder contains no files")
        return _classify(location, found)
    return _classify(location, [str(p)])


def _classify(location: str, paths: list[str]) -> tuple[str, list[str], list[str]]:
    parquet = [p for p in paths if _is_parquet(p)]
    csv = [p for p in paths if _is_csv(p)]
    if parquet:
        return "parquet", parquet, [p for p in paths if p not in set(parquet)]
    if csv:
        return "csv", csv, [p for p in paths if p not in set(csv)]
    if len(paths) == 1:
        # A single file without a known suffix: sniff the magic bytes rather than guessing from the name.
        try:
            with open(paths[0], "rb") as fh:
                if fh.read(4) == PARQUET_MAGIC:
                    return "parquet", paths, []
        except OSError:
            pass
        raise SourceError(f"{Path(paths[0]).name}: unsupported file type (open .parquet or .csv files)")
    raise SourceError(f"{location}: no Parquet or CSV files found")


def readable_name(location: str) -> str:
    """A short, readable view name from a path: ``/x/Views 2024.parquet`` -> ``views_2024``."""
    base = Path(location.rstrip("/\\*?")).name or "source"
    for suffix in PARQUET_SUFFIXES + CSV_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    name = re.sub(r"\W+", "_", base, flags=re.UNICODE).strip("_").lower()
    return name or "source"


class Catalog:
    """The extracts opened in one session, each a DuckDB view on ``con``."""

    def __init__(self, con: Cursor, verify_checksums: bool = True):
        self.con = con
        # Verify Parquet page CRCs when a source is opened: a flipped bit inside a page is otherwise read
        # silently by DuckDB. Costs one read of each file that stores CRCs (see bench/bench_checksums.py).
        self.verify_checksums = verify_checksums
        self._sources: dict[str, Source] = {}
        # Opens run on worker threads: a view name is reserved under the lock before its view is created,
        # so two concurrent opens of ``events.parquet`` get ``events`` and ``events_2``, never one name twice.
        self._names = threading.Condition()
        self._reserved: dict[str, Callable[[], bool]] = {}  # name -> the reserving open's cancelled()
        # Masking at the source (workbench/protection/masked_views.py): (view, columns) -> {column: kind}
        # to mask in the view from the start; the masks each view has now; the session's token salt.
        self.column_masks = None
        self.view_masks: dict[str, dict[str, str]] = {}
        self.mask_salt = secrets.token_hex(8)  # per session: tokens cannot be matched across sessions

    @property
    def sources(self) -> list[Source]:
        return list(self._sources.values())

    def get(self, name: str) -> Source:
        try:
            return self._sources[name]
        except KeyError:
            raise SourceError(f"No open table named {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._sources

    def replace_source(self, source: Source) -> None:
        """Swap in a re-described source of the same name (its view was re-created, e.g. masks changed)."""
        with self._names:
            self.get(source.name)
            self._sources[source.name] = source

    def _unique_name(self, base: str, cancelled: Callable[[], bool] | None = None, wait_s: float = 10.0) -> str:
        """Reserve the first free name ``base``, ``base_2``, ...; :meth:`_register` or :meth:`_release` frees it.

        A name still reserved by a cancelled open (a replaced workspace's, winding down) is waited for, up to
        ``wait_s``, rather than skipped, so the new workspace's table gets its recorded name.
        """
        with self._names:
            end = time.monotonic() + wait_s
            while True:
                name = self._first_free(base, skip_cancelled=False)
                remaining = end - time.monotonic()
                if name not in self._reserved or remaining <= 0:
                    break
                self._names.wait(min(remaining, 0.05))
            if name in self._reserved:  # the cancelled open did not let go in time: take the next free name
                name = self._first_free(base, skip_cancelled=True)
            self._reserved[name] = cancelled or _never
            return name

    def _name_beside_namesake(self, base: str, files: list[str]) -> str:
        """``events`` from another folder than the open ``events`` is ``events_<folder>`` (e.g.
        ``events_archive``), not ``events_2``: the name says which one it is."""
        other = self._sources.get(base)
        if other is None or not files or not other.files:
            return base
        folder = Path(files[0]).parent
        if folder == Path(other.files[0]).parent:
            return base
        label = readable_name(folder.name) if folder.name else "root"
        return f"{base}_{label}" if label != "source" else base

    def _first_free(self, base: str, skip_cancelled: bool) -> str:
        name, n = base, 2
        while name in self._sources or (name in self._reserved and (skip_cancelled or not self._reserved[name]())):
            name, n = f"{base}_{n}", n + 1
        return name

    def _release(self, name: str) -> None:
        with self._names:
            self._reserved.pop(name, None)
            self._names.notify_all()

    def _register(self, source: Source, cancelled: Callable[[], bool] | None) -> bool:
        """Add an opened source unless its open was cancelled meanwhile (checked under the lock that
        :meth:`close` takes, so a catalog cleared after a cancel never receives a late table)."""
        with self._names:
            if cancelled is not None and cancelled():
                return False  # the name stays reserved until the view is dropped
            self._reserved.pop(source.name, None)
            self._sources[source.name] = source
            self._names.notify_all()
            return True

    def open(
        self,
        locations: str | os.PathLike | Sequence[str | os.PathLike],
        name: str | None = None,
        *,
        cursor: Cursor | None = None,
        cancelled: Callable[[], bool] | None = None,
        encoding: str = "auto",
    ) -> Source:
        """Open one location (file, folder, glob) or several files as a single table.

        Parameters
        ----------
        cursor : run the queries on this cursor (a worker task's own, so it can be interrupted); default: a
            fresh cursor of the catalog's connection.
        cancelled : when it returns True at the end, the view is dropped and :class:`QueryCancelled` raised
            instead of adding the table.
        encoding : applies to CSV files: auto (UTF-16 by byte-order mark, UTF-8, else Latin-1 with a
            note), utf-8, utf-16 or latin-1.

        Raises
        ------
        SourceError with a message naming the file and what is wrong with it.
        """
        given = [locations] if isinstance(locations, (str, os.PathLike)) else locations
        paths = [str(os.fspath(loc)) for loc in given]
        if not paths:
            raise SourceError("Nothing to open")
        kinds, files, skipped = set(), [], []
        for loc in paths:
            kind, found, skip = expand(loc)
            kinds.add(kind)
            files.extend(found)
            skipped.extend(skip)
        if len(kinds) > 1:
            raise SourceError("Cannot open Parquet and CSV files as one table; open them separately")
        kind = kinds.pop()
        for f in files:
            check_readable_file(f)
        files = [str(Path(f).resolve()) for f in files]
        location = paths[0] if len(paths) == 1 else f"{len(paths)} files"
        view = self._unique_name(name or self._name_beside_namesake(readable_name(paths[0]), files), cancelled)
        try:
            source = self._open_view(view, kind, files, skipped, location, cursor, encoding)
        except BaseException:
            self._release(view)
            raise
        if not self._register(source, cancelled):
            try:
                self._drop_quietly(view)
            finally:
                self._release(view)
            raise QueryCancelled(f"Opening {source.location} was cancelled")
        return source

    def _open_view(
        self,
        view: str,
        kind: str,
        files: list[str],
        skipped: list[str],
        location: str,
        cursor: Cursor | None,
        encoding: str = "auto",
    ) -> Source:
        opened_as = source_identity.identities(files)  # before reading: a change during opening shows too
        hive = kind == "parquet" and any(_HIVE_PART.match(part) for f in files for part in Path(f).parts[:-1])
        enc, notes = csv_check.resolve_encoding(encoding, files) if kind == "csv" else (None, ())
        view_sql = sql.create_view(view, sql.read_files(kind, files, hive, enc))
        cur = cursor if cursor is not None else self.con.cursor()
        try:
            cur.execute(view_sql)
            described = cur.execute(sql.describe(view)).fetchall()
            masks: dict = self.column_masks(view, [row[0] for row in described]) if self.column_masks else {}
            if masks:
                from workbench.protection.masked_views import masked_view_sql

                view_sql = masked_view_sql(
                    view, sql.read_files(kind, files, hive, enc), [row[0] for row in described], masks, self.mask_salt
                )
                cur.execute(view_sql)  # the console database re-creates views from this SQL: masked too
            nullable = self._parquet_nullability(cur, files) if kind == "parquet" else {}
            row_count = self._parquet_row_count(cur, files) if kind == "parquet" else None
            if kind == "csv":
                csv_check.check_not_ragged(len(described), files, enc or "utf-8")
            checksums = self._verify_checksums(cur, files) if kind == "parquet" and self.verify_checksums else None
        except SourceError:
            self._drop_quietly(view)
            raise
        except ENGINE_ERRORS as exc:
            self._drop_quietly(view)
            if is_cancel(exc):
                raise translate_error(exc) from exc
            hint = " (pass --encoding utf-8|utf-16|latin-1)" if kind == "csv" and "encod" in str(exc) else ""
            raise SourceError(f"{Path(location).name}: cannot be read — {translate_error(exc)}{hint}") from exc
        finally:
            if cursor is None:
                cur.close()
        hive_cols = (
            tuple(
                sorted({part.split("=", 1)[0] for f in files for part in Path(f).parts[:-1] if _HIVE_PART.match(part)})
            )
            if hive
            else ()
        )
        columns = tuple(
            ColumnInfo(name=row[0], type=str(row[1]), nullable=nullable.get(row[0], True)) for row in described
        )
        self.view_masks[view] = dict(masks)
        return Source(
            name=view,
            kind=kind,
            location=location,
            files=tuple(files),
            columns=columns,
            row_count=row_count,
            size_bytes=sum(Path(f).stat().st_size for f in files),
            skipped_files=tuple(skipped),
            hive_columns=hive_cols,
            view_sql=view_sql,
            encoding=enc,
            notes=notes,
            checksums=checksums,
            identities=opened_as,
        )

    def _drop_quietly(self, view: str) -> None:
        # A fresh cursor: the task's own may be interrupted again (the runner repeats interrupts) mid-drop.
        cur = self.con.cursor()
        try:
            cur.execute(sql.drop_view(view))
        except ENGINE_ERRORS:
            pass
        finally:
            cur.close()

    @staticmethod
    def _verify_checksums(cur: Cursor, files: list[str]) -> str:
        reports = parquet_check.verify_files(cur, files)
        if len(reports) == 1:
            return reports[0].summary
        with_crc = [r for r in reports if r.has_checksums]
        if not with_crc:
            return f"none of the {len(reports):,} files stores page checksums, so pages cannot be verified"
        pages = sum(r.pages_verified for r in with_crc)
        return f"{pages:,} page checksums verified in {len(with_crc)} of {len(reports)} files" + (
            f"; {len(reports) - len(with_crc)} files store none" if len(with_crc) < len(reports) else ""
        )

    @staticmethod
    def _parquet_row_count(cur: Cursor, files: list[str]) -> int:
        (count,) = cur.execute(sql.parquet_row_count(files)).fetchall()[0]
        return int(count)

    @staticmethod
    def _parquet_nullability(cur: Cursor, files: list[str]) -> dict[str, bool]:
        return {name: bool(nullable) for name, nullable in cur.execute(sql.parquet_nullability(files)).fetchall()}

    def count_rows(self, name: str, cursor: Cursor | None = None) -> int:
        """Exact row count (a scan for CSV sources, on ``cursor`` when given; metadata for Parquet)."""
        source = self.get(name)
        if source.row_count is not None:
            return source.row_count
        cur = cursor if cursor is not None else self.con.cursor()
        try:
            (n,) = cur.execute(sql.count_rows(name)).fetchall()[0]
        finally:
            if cursor is None:
                cur.close()
        return int(n)

    def close(self, name: str) -> None:
        with self._names:  # the lock _register takes: a late open lands before this close or not at all
            self.get(name)
            cur = self.con.cursor()
            try:
                cur.execute(sql.drop_view(name))
            finally:
                cur.close()
            del self._sources[name]
            self.view_masks.pop(name, None)

    def take_sources(self) -> tuple[dict[str, Source], dict[str, dict[str, str]]]:
        """Remove every source (and its masks) without touching the database and return them, so a window
        switching to another engine can :meth:`put_sources` them back later (their views are kept)."""
        with self._names:
            taken = (dict(self._sources), dict(self.view_masks))
            self._sources.clear()
            self.view_masks.clear()
            self._names.notify_all()
            return taken

    def put_sources(self, taken: tuple[dict[str, Source], dict[str, dict[str, str]]]) -> None:
        """Bring back what :meth:`take_sources` returned (the catalog's connection is theirs again)."""
        sources, masks = taken
        with self._names:
            self._sources.update(sources)
            self.view_masks.update(masks)
            self._names.notify_all()

    def check_unchanged(self, names: Iterable[str] | None = None) -> None:
        """Refuse to analyse a source whose files changed since it was opened (one ``os.stat`` per file).

        Raises
        ------
        SourceChangedError naming the file and what changed (replaced, resized, modified, deleted).
        """
        for name in list(names) if names is not None else list(self._sources):
            source = self._sources.get(name)
            if source is not None:
                source_identity.check_unchanged(name, source.identities)

    def missing_files(self, name: str) -> list[str]:
        """Files of a source that vanished or became unreadable since it was opened."""
        return [f for f in self.get(name).files if not os.access(f, os.R_OK)]


def _never() -> bool:
    return False


def open_paths(con: Cursor, paths: Iterable[str], encoding: str = "auto") -> tuple[Catalog, Source]:
    """Convenience for scripts and the CLI: a catalog with ``paths`` opened as one table."""
    catalog = Catalog(con)
    source = catalog.open(list(paths), encoding=encoding)
    return catalog, source
