"""The audit log of a workspace session, guarded so that recording never takes the app down.

Audit log files: a saved workspace writes to ``<name>.wbk.audit.jsonl`` beside it; an untitled session
writes to ``<recovery dir>/untitled-<session>.wbk.audit.jsonl`` and that log is copied beside the workspace on
its first Save, so the chain starts with the first file the session opened.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from workbench.audit import AuditLog


class GuardedAuditLog(AuditLog):
    """An AuditLog that never takes the app down: when its file cannot be written (no writable data folder,
    disk full), an untitled session's log moves to the temp folder; failing that, one plain message is shown
    and the app keeps working without a record (the message says so)."""

    def __init__(self, path, on_error: Callable[[str], None] | None = None, **kwargs):
        super().__init__(path, **kwargs)
        self._on_error = on_error
        self._warned = False
        self._pool: ThreadPoolExecutor | None = None  # one thread for append_later (keeps the entries in order)

    def append_later(self, action: str, done: Callable[[], None] | None = None, **details) -> None:
        """Append on a background thread: an append fsyncs the file (10-40 ms on a busy disk), too long for
        the GUI thread after every Explorer result. ``done`` is called on that thread afterwards."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-log")
        pool = self._pool

        def job():
            self._append_now(action, **details)
            if done is not None:
                done()

        pool.submit(job)

    def flush(self) -> None:
        """Wait until every append_later entry is on disk (before reading the log or moving it)."""
        if self._pool is not None:
            self._pool.submit(lambda: None).result()

    def head(self):
        self.flush()
        return super().head()

    def entries(self) -> list[dict]:
        self.flush()
        return super().entries()

    def append(self, action: str, **details) -> dict:
        self.flush()  # entries stay in the order they were made
        return self._append_now(action, **details)

    def checkpoint(self) -> dict | None:  # type: ignore[override]  # None: the app keeps going without one
        """A signed checkpoint, or None (after one message) when the log or the key is out of reach."""
        from workbench.audit import AuditError

        try:
            return super().checkpoint()
        except AuditError as exc:
            if not self._warned and self._on_error is not None:
                self._warned = True
                self._on_error(f"{exc} — exports and reports carry no audit checkpoint until this is fixed")
            return None

    def _append_now(self, action: str, **details) -> dict:
        from workbench.audit import AuditError

        try:
            return super().append(action, **details)
        except AuditError as first:
            fallback = Path(tempfile.gettempdir()) / "workbench-audit" / self.path.name
            if "untitled-" in self.path.name and fallback != self.path:
                try:
                    fallback.parent.mkdir(parents=True, exist_ok=True)
                    if self.path.exists():
                        shutil.copy2(self.path, fallback)
                    self.path = fallback
                    return super().append(action, **details)
                except (OSError, AuditError):
                    pass
            if not self._warned and self._on_error is not None:
                self._warned = True
                self._on_error(f"{first} — actions are not being recorded in the audit trail until this is fixed")
            return {}
