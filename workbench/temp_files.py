"""Temp files a killed process leaves behind, and their safe removal at the next start.

Two kinds:

* **Atomic writes** (:func:`workbench.workspace.atomic_write`: workspaces, autosaves, exports, reports) write
  ``.<target>.wbtmp-<pid>-<random>.tmp`` beside the target and rename it over the target. A kill during a
  save leaves that file (up to the size of the target) beside it.
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


def clean_atomic_temps(folder: str | os.PathLike, target_name: str | None = None,
                       now: float | None = None) -> list[Path]:
    """Remove leftovers of killed atomic writes in ``folder`` (only for ``target_name`` when given).

    Returns the removed paths. Errors (a file vanishing meanwhile, no permission) are skipped quietly.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    names = {e.name for e in entries}
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(ATOMIC_SUFFIX)):
            continue
        match = _ATOMIC.match(entry.name)
        legacy = None if match else _LEGACY_ATOMIC.match(entry.name)
        found = match or legacy
        if found is None or (target_name is not None and found["target"] != target_name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if match:
            stale = owner_gone(int(match["pid"]), mtime, now)
        else:
            stale = found["target"] in names and now - mtime > STALE_AFTER_S
        if stale and _unlink(entry.path):
            removed.append(Path(entry.path))
    return removed


def clean_spill_files(temp_directory: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Remove DuckDB spill files of processes that are gone from ``temp_directory``; returns them."""
    removed = []
    try:
        entries = list(os.scandir(temp_directory))
    except OSError:
        return removed
    for entry in entries:
        file_match = _DUCKDB_SPILL.match(entry.name)
        dir_match = None if file_match else _CONSOLE_SPILL_DIR.match(entry.name)
        match = file_match or dir_match
        if match is None:
            continue
        try:
            if not (entry.is_file(follow_symlinks=False) if file_match else entry.is_dir(follow_symlinks=False)):
                continue
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        # No age rule here: a long-lived app keeps DuckDB's small "_owner" file unchanged for days.
        if not owner_gone(int(match["pid"]), mtime, now, max_age_s=None):
            continue
        if file_match and _unlink(entry.path):
            removed.append(Path(entry.path))
        elif dir_match:
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.exists(entry.path):
                removed.append(Path(entry.path))
    return removed


def _unlink(path: str) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


def clean_at_start(recovery_dir: str | os.PathLike | None = None) -> list[Path]:
    """What the app cleans when it starts: killed autosaves in the recovery folder (spill files are cleaned
    by :func:`workbench.engine.connect`, temps beside a workspace when it is opened or saved)."""
    if recovery_dir is None:
        from workbench.workspace import default_recovery_dir

        recovery_dir = default_recovery_dir()
    return clean_atomic_temps(recovery_dir)
