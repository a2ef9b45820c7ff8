"""Temp files a killed process leaves behind, and their safe removal at the next start.

Three kinds:

* **Atomic writes** (:func:`workbench.workspace.atomic_write`: workspaces, autosaves, exports, reports) write
  ``.<target>.wbtmp-<pid>-<random>.tmp`` beside the target and rename it over the target. A kill during a
  save leaves that file (up to the size of the target) beside it.
* **Demo extracts** (:mod:`workbench.demo`) are written through ``.<target>.<pid>.tmp`` and
  ``.<target>.<pid>.partNNNNN`` scratch files; the next demo write of that file removes dead ones.
* **DuckDB spill files** in the temp directory: ``duckdb_temp_<pid>_<instance>_...`` (DuckDB 2.0's names).
  DuckDB removes a dead process's files only when a later process spills into the same folder. The SQL
  console's private spill folders in there are ``console-<pid>-<random>``.

A file is removed only when it carries one of these names and its owner is gone: the pid in its name is not
running, or runs a process started after the file was last written (the pid was reused), or (atomic
writes only: no save takes a day) the file is older than ``STALE_AFTER_S``. Temp files of earlier versions, ``.<target>.<8 random
chars>.tmp`` without a pid, are removed only beside an existing target and when older than ``STALE_AFTER_S``.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

ATOMIC_SUFFIX = ".tmp"
STALE_AFTER_S = 24 * 3600
_ATOMIC = re.compile(r"^\.(?P<target>.+)\.wbtmp-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")
_LEGACY_ATOMIC = re.compile(r"^\.(?P<target>.+)\.[a-z0-9_]{8}\.tmp$")  # tempfile.mkstemp, before the pid was in it
_DUCKDB_SPILL = re.compile(r"^duckdb_temp_(?P<pid>\d+)_\d+_")
_CONSOLE_SPILL_DIR = re.compile(r"^console-(?P<pid>\d+)-[A-Za-z0-9_]+$")  # workbench.console_db's folders


def atomic_temp_prefix(target_name: str) -> str:
    """The ``mkstemp`` prefix of an atomic write of ``target_name`` by this process."""
    return f".{target_name}.wbtmp-{os.getpid()}-"


def owner_gone(pid: int, mtime: float, now: float | None = None, max_age_s: float | None = STALE_AFTER_S) -> bool:
    """Whether the process that wrote a file at ``mtime`` (epoch s) under ``pid`` can no longer be writing it
    (``max_age_s``: older files count as abandoned whatever the pid; None: decide by the pid alone)."""
    now = time.time() if now is None else now
    if max_age_s is not None and now - mtime > max_age_s:
        return True
    if pid == os.getpid():
        return False
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            started = psutil.Process(pid).create_time()
        except psutil.NoSuchProcess:
            return True
        except psutil.Error:  # exists, but we may not look at it: assume it is the owner
            return False
        return started > mtime + 1  # a newer process reused the pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def clean_atomic_temps(
    folder: str | os.PathLike, target_name: str | None = None, now: float | None = None
) -> list[Path]:
    """Remove leftovers of killed atomic writes in ``folder`` (only for ``target_name`` when given).

    Returns the removed paths. Errors (a file vanishing meanwhile, no permission) are skipped quietly.
    """
    now = time.time() if now is None else now
    entries = _entries(folder)
    names = {e.name for e in entries}

    def ours(name: str):
        found = _ATOMIC.match(name) or _LEGACY_ATOMIC.match(name)
        return found if found and (target_name is None or found["target"] == target_name) else None

    def stale(found, mtime: float) -> bool:
        if "pid" in found.groupdict():
            return owner_gone(int(found["pid"]), mtime, now)
        return found["target"] in names and now - mtime > STALE_AFTER_S

    return _remove(entries, ours, stale, files=True)


def clean_demo_temps(folder: str | os.PathLike, target_name: str) -> list[Path]:
    """Remove ``.<target>.<pid>.tmp`` / ``.<target>.<pid>.partNNNNN`` files (the demo writer's scratch files,
    up to the size of the extract) whose process is gone; returns them."""
    pattern = re.compile(rf"^\.{re.escape(target_name)}\.(?P<pid>\d+)\.(?:tmp|part\d{{5}})$")
    return _remove(_entries(folder), pattern.match, lambda m, mtime: owner_gone(int(m["pid"]), mtime), files=True)


def clean_spill_files(temp_directory: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove DuckDB spill files and console spill folders of processes that are gone; returns them."""
    entries = _entries(temp_directory)

    # No age rule here: a long-lived app keeps DuckDB's small "_owner" file unchanged for days.
    def stale(match, mtime: float) -> bool:
        return owner_gone(int(match["pid"]), mtime, now, max_age_s=None)

    return _remove(entries, _DUCKDB_SPILL.match, stale, files=True) + _remove(
        entries, _CONSOLE_SPILL_DIR.match, stale, files=False
    )


def _entries(folder) -> list[os.DirEntry]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []


def _remove(entries, ours, stale, files: bool) -> list[Path]:
    """Remove each regular file (``files``) or real folder whose name ``ours(name)`` matches and for which
    ``stale(match, mtime)`` holds. Names are matched before anything is stat'ed: folders can be large."""
    removed = []
    for entry in entries:
        match = ours(entry.name)
        if match is None:
            continue
        try:
            kind_ok = entry.is_file(follow_symlinks=False) if files else entry.is_dir(follow_symlinks=False)
            if not kind_ok or not stale(match, entry.stat(follow_symlinks=False).st_mtime):
                continue
        except OSError:
            continue
        if files:
            try:
                os.unlink(entry.path)
            except OSError:
                continue
        else:
            shutil.rmtree(entry.path, ignore_errors=True)
            if os.path.exists(entry.path):
                continue
        removed.append(Path(entry.path))
    return removed


def clean_at_start(recovery_dir: str | os.PathLike | None = None) -> list[Path]:
    """What the app cleans when it starts: killed autosaves in the recovery folder (spill files are cleaned
    by :func:`workbench.engine.connect`, temps beside a workspace when it is opened or saved)."""
    if recovery_dir is None:
        from workbench.workspace import default_recovery_dir

        recovery_dir = default_recovery_dir()
    return clean_atomic_temps(recovery_dir)
