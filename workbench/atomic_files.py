"""Atomic file writes: readers see either the old file or the complete new one, never a half-written one
(temp file beside the target, fsync, ``os.replace``, fsync of the folder). Workspaces, autosaves, exports and
reports all write through here."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path
from typing import Callable


def save_error_message(target: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "permission denied (the folder is not writable)"
    else:
        why = exc.strerror or str(exc)
    return f"Could not save {target.name}: {why}. The previous version of the file is unchanged."


def _write_all(fh, data: bytes) -> None:
    # A seam for tests that simulate a full disk mid-write.
    fh.write(data)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the complete new one."""
    atomic_write(path, lambda tmp: _write_file(tmp, data))


def _write_file(tmp: Path, data: bytes) -> None:
    with open(tmp, "wb") as fh:
        _write_all(fh, data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write(path: str | os.PathLike, writer: Callable[[Path], object]) -> None:
    """Call ``writer(tmp_path)`` for a temp file beside ``path``, fsync it, then replace ``path`` with it.

    On any error the temp file is removed and ``path`` is left untouched; the error propagates.
    Exports use this too (DuckDB/openpyxl write to the temp path).
    """
    from workbench.temp_files import ATOMIC_SUFFIX, atomic_temp_prefix, clean_atomic_temps

    target = Path(path)
    clean_atomic_temps(target.parent, target.name)  # leftovers of earlier saves of this file that were killed
    fd, tmp_name = tempfile.mkstemp(prefix=atomic_temp_prefix(target.name), suffix=ATOMIC_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        _fsync_path(tmp)
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            except OSError:
                pass
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        unlink_quietly(tmp)
        raise
    _fsync_dir(target.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_path(p: Path) -> None:
    with open(p, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(d: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unlink_quietly(p: Path) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass
