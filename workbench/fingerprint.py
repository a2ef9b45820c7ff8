"""SHA-256 fingerprints of extract files, streamed so multi-gigabyte files never sit in memory.

The hash proves that an extract is byte-for-byte the one an analysis was run on. Hashing a large file
takes seconds, so the functions here report progress and can be cancelled from another thread (the UI
runs them on a worker and passes a ``threading.Event`` or any ``() -> bool`` callable).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Union

from workbench.errors import QueryCancelled, SourceError

CHUNK_BYTES = 1024 * 1024

# progress(done_bytes, total_bytes); cancel() -> True to stop (a threading.Event works too).
ProgressFn = Callable[[int, int], None]
CancelFn = Union[Callable[[], bool], Any, None]  # or a threading.Event (its is_set() is used)


class FingerprintCancelled(QueryCancelled):
    """Fingerprinting was cancelled on request."""


@dataclass(frozen=True)
class FileFingerprint:
    """What identifies one file: its path (absolute), size and SHA-256 (lower-case hex)."""

    path: str
    size: int
    sha256: str


def _cancelled(cancel: CancelFn) -> bool:
    if cancel is None:
        return False
    is_set = getattr(cancel, "is_set", None)  # threading.Event
    return bool(is_set() if is_set is not None else cancel())


def sha256_file(
    path: str | os.PathLike,
    progress: ProgressFn | None = None,
    cancel: CancelFn = None,
    *,
    _offset: int = 0,
    _total: int | None = None,
) -> str:
    """SHA-256 of a file, read in 1 MiB chunks.

    Parameters
    ----------
    path : the file to hash.
    progress : called as ``progress(done_bytes, total_bytes)`` after every chunk (and once at the end).
    cancel : ``threading.Event`` or ``() -> bool``; checked between chunks.

    Returns
    -------
    str : the lower-case hex digest.

    Raises
    ------
    SourceError when the file cannot be read; FingerprintCancelled when cancelled.
    """
    p = Path(path)
    digest = hashlib.sha256()
    try:
        size = p.stat().st_size
        total = _total if _total is not None else size
        done = _offset
        with open(p, "rb") as fh:
            while True:
                if _cancelled(cancel):
                    raise FingerprintCancelled(f"Fingerprinting {p.name} was cancelled")
                chunk = fh.read(CHUNK_BYTES)
                if not chunk:
                    break
                digest.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
    except FileNotFoundError:
        raise SourceError(f"{p.name}: no such file ({p})") from None
    except IsADirectoryError:
        raise SourceError(f"{p.name}: is a folder, not a file") from None
    except PermissionError:
        raise SourceError(f"{p.name}: permission denied (the file is not readable by this user)") from None
    except OSError as exc:
        raise SourceError(f"{p.name}: cannot be read ({exc.strerror or exc})") from exc
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """SHA-256 of bytes in memory (lower-case hex)."""
    return hashlib.sha256(data).hexdigest()


def fingerprint_files(
    paths: Iterable[str | os.PathLike],
    progress: ProgressFn | None = None,
    cancel: CancelFn = None,
) -> list[FileFingerprint]:
    """Fingerprint several files with one combined progress (bytes over the total of all files).

    Raises
    ------
    SourceError for an unreadable file; FingerprintCancelled when cancelled.
    """
    files = [Path(p) for p in paths]
    sizes = []
    for f in files:
        try:
            sizes.append(f.stat().st_size)
        except OSError:
            raise SourceError(f"{f.name}: no such file ({f})") from None
    total = sum(sizes)
    out, offset = [], 0
    for f, size in zip(files, sizes):
        digest = sha256_file(f, progress, cancel, _offset=offset, _total=total)
        out.append(FileFingerprint(path=str(f.resolve()), size=size, sha256=digest))
        offset += size
    if progress is not None and not files:
        progress(0, 0)
    return out


def combined_sha256(fingerprints: Iterable[FileFingerprint | str]) -> str:
    """One digest for a multi-file source: SHA-256 over the sorted per-file digests (order-independent)."""
    digests = sorted(fp.sha256 if isinstance(fp, FileFingerprint) else str(fp) for fp in fingerprints)
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
