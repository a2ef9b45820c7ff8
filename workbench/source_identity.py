"""Is an opened extract still the file it was? Cheap identity before each analysis, SHA-256 before a report.

A DuckDB view reads its files afresh on every query, so a file replaced after opening (a new export copied
over the old one, a sync tool rewriting it) would be analysed silently as if nothing had happened: numbers
from two different files side by side. Before each analysis the catalog compares size, mtime (ns) and
inode with what it saw at open — one ``os.stat`` per file, microseconds. Before a report, where the
numbers become evidence, the full SHA-256 is compared with the recorded fingerprint.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from workbench.errors import SourceError


class SourceChangedError(SourceError):
    """A file of an open source changed, moved or vanished since it was opened."""


@dataclass(frozen=True)
class FileIdentity:
    """What one ``os.stat`` says about a file: enough to notice a replacement or an in-place rewrite."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, path: str) -> "FileIdentity":
        st = os.stat(path)
        return cls(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, device=st.st_dev)


def identities(paths: Iterable[str]) -> tuple[FileIdentity, ...]:
    return tuple(FileIdentity.of(p) for p in paths)


def _when(ns: int) -> str:
    return dt.datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def difference(before: FileIdentity) -> str | None:
    """What changed about a file since ``before`` was taken, in words; None when nothing did."""
    try:
        now = FileIdentity.of(before.path)
    except FileNotFoundError:
        return "it was deleted or moved"
    except OSError as exc:
        return f"it can no longer be read ({exc.strerror or exc})"
    if (now.inode, now.device) != (before.inode, before.device):
        return "it was replaced by another file"
    if now.size != before.size:
        return f"its size changed from {before.size:,} to {now.size:,} bytes"
    if now.mtime_ns != before.mtime_ns:
        return f"it was modified at {_when(now.mtime_ns)} (opened when last modified {_when(before.mtime_ns)})"
    return None


def check_unchanged(source_name: str, files: Iterable[FileIdentity]) -> None:
    """Raise SourceChangedError naming the first file of ``source_name`` that changed since opening."""
    for before in files:
        change = difference(before)
        if change:
            raise SourceChangedError(
                f"{Path(before.path).name} (table {source_name}) changed on disk after it was opened: {change}. "
                "Close and reopen it so that every number comes from one version of the file."
            )


def check_fingerprints(files: Iterable[tuple[str, str | None]], label: str = "the report") -> None:
    """Raise SourceChangedError when a file's SHA-256 differs from the recorded one.

    ``files`` are (path, recorded sha256) pairs; files without a recorded hash are skipped.
    """
    from workbench.fingerprint import sha256_file

    for path, recorded in files:
        if not recorded:
            continue
        if not Path(path).exists():
            raise SourceChangedError(f"{Path(path).name} is missing: {label} cannot be written from data that is gone")
        actual = sha256_file(path)
        if actual != recorded:
            raise SourceChangedError(
                f"{Path(path).name} is no longer the file the workspace fingerprinted (SHA-256 {recorded[:12]}… "
                f"recorded, {actual[:12]}… now): {label} would mix versions; reopen the source and re-verify it"
            )
