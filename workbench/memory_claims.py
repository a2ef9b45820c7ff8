"""Memory promised to other running Workbench processes, so a crowd of them cannot each take half.

DuckDB's limit is a ceiling, not a reservation: twenty idle processes each see the same free memory, and
each would get half of it. So every process records the limit it set in a small file
(``<user cache>/workbench/memory-claims/<pid>.claim``), and a new process subtracts what the others may
still grow into — their limit minus what they already hold (RSS, already missing from "available") —
before taking its share. Processes started one after another then get 1/2, 1/4, 1/8 ... of the free
memory and together stay within it. Files of processes that are gone are removed when read.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbench.temp_files import owner_gone

CLAIM_SUFFIX = ".claim"


def default_claims_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("workbench", appauthor=False)) / "memory-claims"


def unused_claims_of_others(folder: str | os.PathLike | None = None) -> int:
    """Bytes other live Workbench processes may still add: sum of (their limit - their RSS), at least 0 each."""
    folder = Path(folder) if folder is not None else default_claims_dir()
    total = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if not name.endswith(CLAIM_SUFFIX) or not name[: -len(CLAIM_SUFFIX)].isdigit():
            continue
        pid = int(name[: -len(CLAIM_SUFFIX)])
        if pid == os.getpid():
            continue
        try:
            mtime = entry.stat().st_mtime
            claim = int(Path(entry.path).read_text().strip() or 0)
        except (OSError, ValueError):
            continue
        if owner_gone(pid, mtime, max_age_s=None):
            _unlink(entry.path)
            continue
        total += max(claim - _rss(pid), 0)
    return total


def record_claim(limit_bytes: int, folder: str | os.PathLike | None = None) -> None:
    """Record that this process lets DuckDB use up to ``limit_bytes`` (the largest limit it set so far).

    Best effort: an unwritable cache dir only means other processes cannot account for this one.
    """
    folder = Path(folder) if folder is not None else default_claims_dir()
    path = folder / f"{os.getpid()}{CLAIM_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            previous = int(path.read_text().strip() or 0)
        except (OSError, ValueError):
            previous = 0
        if previous < limit_bytes:
            path.write_text(str(int(limit_bytes)))  # a reader seeing it half-written counts 0: harmless
    except OSError:
        pass


def _rss(pid: int) -> int:
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except Exception:  # gone meanwhile, or not ours to look at: count the whole claim
        return 0


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
