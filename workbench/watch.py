"""Watch a folder for data landing: poll file signatures (path, size, mtime) and report what changed.

Polling needs no extra dependency and behaves the same on every OS and on network shares, where change
notifications are unreliable; a few thousand ``os.stat`` calls every couple of seconds cost nothing.
Files still being written are reported once their size and mtime hold still for one poll (``settle``),
so a half-copied Parquet file is not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_SUFFIXES = (".parquet", ".parq", ".pq", ".csv", ".tsv", ".csv.gz", ".tsv.gz")


@dataclass(frozen=True)
class Change:
    path: str
    kind: str  # "added" | "changed" | "removed"

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind}


class FolderWatcher:
    """``poll()`` returns the data files added, changed or removed since the previous poll.

    The first poll records the folder as it is and reports nothing.
    """

    def __init__(self, folder: str | os.PathLike, suffixes: tuple[str, ...] = DATA_SUFFIXES, settle: bool = True):
        self.folder = Path(folder)
        self.suffixes = suffixes
        self.settle = settle
        self._known: dict[str, tuple[int, int]] | None = None
        self._pending: dict[str, tuple[int, int]] = {}

    def signatures(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith(".") or not name.lower().endswith(self.suffixes):
                    continue
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:  # removed between listing and stat
                    continue
                out[path] = (st.st_size, st.st_mtime_ns)
        return out

    def poll(self) -> list[Change]:
        now = self.signatures()
        if self._known is None:
            self._known = now
            return []
        changes: list[Change] = []
        for path, sig in now.items():
            old = self._known.get(path)
            if old == sig:
                self._pending.pop(path, None)
                continue
            if self.settle and self._pending.get(path) != sig:
                self._pending[path] = sig  # still moving: look again next poll
                continue
            self._pending.pop(path, None)
            changes.append(Change(path, "added" if old is None else "changed"))
            self._known[path] = sig
        for path in [p for p in self._known if p not in now]:
            changes.append(Change(path, "removed"))
            del self._known[path]
            self._pending.pop(path, None)
        return changes
