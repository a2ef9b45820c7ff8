"""A workspace session: the workspace being worked on, its audit log, dirty/autosave bookkeeping, recovery
files and the checks of its sources — everything about a workspace's lifecycle that needs no UI.

The desktop app drives one session (``widgets/workspace_controller.py`` adds the timers, dialogs and
signals); a script or test can drive one directly.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Callable, Iterable

from workbench import workspace as wsm
from workbench.errors import QueryCancelled, WorkbenchError
from workbench.session.audit_log import GuardedAuditLog

OPENED, RECOVERED, CREATED = "opened", "recovered", "created"


class WorkspaceSession:
    """One workspace at a time, with its audit log.

    ``changes`` counts edits of substance; ``dirty`` says whether any happened since the last save;
    ``restoring`` is set while a workspace's sources open and its panels are put back (their edits are not
    the user's). ``pending_fingerprints`` names sources whose SHA-256 is still being computed: exports and
    reports wait for them, since every file they write carries the sources' digests.
    """

    def __init__(self, recovery_dir: str | Path, on_audit_error: Callable[[str], None] | None = None):
        self.recovery_dir = Path(recovery_dir)
        self._on_audit_error = on_audit_error
        self.ws = wsm.Workspace()
        self.audit = self.make_log(self.session_log_path(self.ws))
        self.dirty = False
        self.restoring = False
        self.changes = 0
        self.autosaved_changes = 0
        self.pending_fingerprints: set[str] = set()
        self.checks: list[wsm.SourceCheck] = []

    # ------------------------------------------------------------------ audit log
    def make_log(self, path: Path) -> GuardedAuditLog:
        return GuardedAuditLog(path, on_error=self._on_audit_error)

    def session_log_path(self, ws: wsm.Workspace) -> Path:
        """Beside a saved workspace; in the recovery folder for an untitled one."""
        saved_log = ws.audit_path
        if saved_log is not None:
            return saved_log
        return self.recovery_dir / f"untitled-{ws.session_id}.wbk.audit.jsonl"

    def move_audit_to(self, target: Path) -> None:
        """Before saving to ``target``: the log follows the workspace (copied while it is new; otherwise the new
        log starts with a signed reference to the old one, so the old log cannot be swapped)."""
        new_log = Path(str(target) + ".audit.jsonl")
        if new_log == self.audit.path:
            return
        old = self.audit
        old.flush()
        if not new_log.exists() and old.path.exists():
            shutil.copy2(old.path, new_log)  # the chain so far moves with the workspace (the hashes still hold)
            if self.ws.path is None:
                try:
                    old.path.unlink()
                except OSError:
                    pass
            self.audit = self.make_log(new_log)
        else:
            self.audit = self.make_log(new_log)
            if old.path.exists():
                head = old.head()
                self.audit.append(
                    "workspace_saved_as",
                    previous_log=str(old.path),
                    previous_head=head.to_dict(),
                    previous_checkpoint=old.checkpoint(),
                )

    # ------------------------------------------------------------------ lifecycle
    def replace(self, ws: wsm.Workspace, *, dirty: bool, how: str) -> None:
        """Make ``ws`` current (``how``: opened, recovered or created), with its own audit log."""
        self.pending_fingerprints.clear()
        self.ws = ws
        self.audit.flush()
        self.audit = self.make_log(self.session_log_path(ws))
        self.checks = []
        if how != CREATED:
            self.audit.append(
                "workspace_opened" if how == OPENED else "workspace_recovered",
                path=str(ws.path) if ws.path else None,
                sources={s.name: s.sha256 for s in ws.sources},
            )
        self.dirty = dirty
        self.changes = self.autosaved_changes = 0

    def mark_changed(self) -> bool:
        """Count an edit of substance (ignored while restoring). True when it made a clean session dirty."""
        if self.restoring:
            return False
        self.changes += 1
        was_clean, self.dirty = not self.dirty, True
        return was_clean

    def set_clean(self) -> None:
        self.dirty = False
        self.autosaved_changes = self.changes

    def has_substance(self, *own_work: object) -> bool:
        """Worth autosaving / asking about on close: saved before, or holds the analyst's own work (views,
        results, annotations, plus whatever the caller passes: the notes' text, the panels' annotations)."""
        ws = self.ws
        return bool(ws.path or ws.views or ws.saved_results or ws.annotations or any(own_work))

    def save(self, ws: wsm.Workspace, path: str | Path) -> Path:
        """Save ``ws`` (the current workspace with the panels' state collected) to ``path`` atomically; the
        audit log follows it and an untitled session's recovery file is dropped. Returns the resolved path.

        Raises
        ------
        WorkbenchError when the file cannot be written.
        """
        target = Path(path)
        if target.suffix.lower() != wsm.SUFFIX:
            target = target.with_name(target.name + wsm.SUFFIX)
        target = target.resolve()
        old_recovery = self.recovery_file()
        was_untitled = self.ws.path is None
        self.move_audit_to(target)
        wsm.save(ws, target, audit=self.audit)
        if was_untitled:
            wsm.discard_recovery(old_recovery)
        self.set_clean()
        return target

    # ------------------------------------------------------------------ autosave and recovery
    def needs_autosave(self) -> bool:
        """Changed since the last autosave (the periodic timer's test)."""
        return self.dirty and self.changes != self.autosaved_changes

    def autosave(self, ws: wsm.Workspace, *own_work: object) -> Path | None:
        """Write the recovery file now (never the .wbk); None when there is nothing worth keeping.

        Raises
        ------
        WorkbenchError when the recovery file cannot be written.
        """
        if not self.dirty or not self.has_substance(*own_work):
            return None
        path = wsm.write_recovery(ws, recovery_dir=self.recovery_dir)
        self.autosaved_changes = self.changes
        return path

    def recovery_file(self) -> Path:
        return wsm.recovery_path(self.ws.path, recovery_dir=self.recovery_dir, session_id=self.ws.session_id)

    def available_recoveries(self, last_open: str | None = None) -> list[wsm.Recovery]:
        """Autosaves left by sessions that did not close cleanly (this session's own excluded); the one of
        ``last_open`` (the workspace open when the app last ran) first."""
        recs = [
            r
            for r in wsm.list_recoveries(self.recovery_dir)
            if not (self.ws.path is None and r.path == self.recovery_file())
        ]
        if last_open:
            rec = wsm.find_recovery(str(last_open))
            if rec is not None:
                recs.insert(0, rec)
        return recs

    def discard_recovery(self) -> None:
        wsm.discard_recovery(self.recovery_file())

    # ------------------------------------------------------------------ sources
    def present_records(self, ws: wsm.Workspace, checks: Iterable[wsm.SourceCheck]) -> list[wsm.SourceRecord]:
        """The recorded sources whose files were found (changed ones included: they open with a warning)."""
        checks = list(checks)
        return [s for s in ws.sources if not any(c.source == s.name and c.status == wsm.MISSING for c in checks)]

    @staticmethod
    def open_records(
        catalog,
        records: Iterable[wsm.SourceRecord],
        cursor=None,
        cancelled=None,
        check: Callable[[], None] | None = None,
    ) -> tuple[list, list[tuple[str, str]]]:
        """Open recorded sources under their recorded names (on a worker: ``cursor`` and ``cancelled`` are the
        task's). A cancelled task stops and adds no table to the catalog. Returns (opened, [(name, error)])."""
        opened, failed = [], []
        for r in records:
            if check is not None:
                check()
            paths = [f.path for f in r.files]
            try:
                opened.append(
                    catalog.open(
                        paths if len(paths) != 1 else paths[0], name=r.name, cursor=cursor, cancelled=cancelled
                    )
                )
            except QueryCancelled:
                raise
            except WorkbenchError as exc:
                failed.append((r.name, str(exc)))
        return opened, failed

    def opened_files(self, source_name: str) -> list[dict] | None:
        """For the audit entry of a recorded source that opened: its files with their current digests (from
        the checks) beside the recorded ones; None when the workspace does not record it."""
        try:
            record = self.ws.source(source_name)
        except WorkbenchError:
            return None
        current = {c.path: c.sha256 for c in self.checks if c.source == source_name}
        return [
            {"path": f.path, "sha256": current.get(f.path) or f.sha256, "size": f.size, "recorded_sha256": f.sha256}
            for f in record.files
        ]

    def checks_relocated(self, name: str, checks: Iterable[wsm.SourceCheck]) -> None:
        self.checks = [c for c in self.checks if c.source != name] + list(checks)

    def accept_source(self, name: str) -> None:
        """Adopt a changed source's current fingerprint (a deliberate decision, logged).

        Raises
        ------
        WorkbenchError when the source is unknown or cannot be read.
        """
        wsm.accept_current(self.ws, name, [c for c in self.checks if c.source == name], audit=self.audit)
        self.checks = [
            dataclasses.replace(c, status=wsm.OK, message=f"{Path(c.path).name}: current contents accepted")
            if c.source == name and c.status == wsm.CHANGED
            else c
            for c in self.checks
        ]

    def fingerprinted(self, name: str, record: wsm.SourceRecord, still_open: bool) -> bool:
        """A user-opened source's fingerprint arrived: record and log it. False when it was closed meanwhile."""
        self.pending_fingerprints.discard(name)
        if not still_open:
            return False
        self.ws.add_source(record)
        self.audit.source_opened(
            name,
            files=[{"path": f.path, "sha256": f.sha256, "size": f.size} for f in record.files],
            row_count=record.row_count,
        )
        return True

    def sources_closed(self, removed: set[str]) -> None:
        self.ws.sources = [s for s in self.ws.sources if s.name not in removed]


def problems_of(checks: Iterable[wsm.SourceCheck]) -> tuple[list, list]:
    """(serious problems, moved files) among ``checks``: moved files were found by their fingerprint."""
    problems = [c for c in checks if c.status != wsm.OK]
    return [c for c in problems if c.status != wsm.MOVED], [c for c in problems if c.status == wsm.MOVED]
