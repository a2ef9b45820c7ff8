"""Workspace files in the app: New, Open (offering an autosave found beside it), Save / Save As, autosave
and crash recovery, and the save-changes question before anything replaces the workspace or closes."""

from __future__ import annotations

import logging
from pathlib import Path

from workbench import workspace as wsm
from workbench.errors import WorkbenchError
from workbench.session import CREATED, OPENED, RECOVERED
from widgets.workspace_dialogs import when

log = logging.getLogger(__name__)


class WorkspaceFiles:
    """File actions of ``ctl``: they ask through its ``ask_*`` hooks and install through ``ctl.install``."""

    def __init__(self, ctl):
        self.ctl = ctl

    # ================================================================== autosave / recovery
    def autosave(self) -> Path | None:
        """Write the recovery file now (never the .wbk). Skipped for an untitled session with no own work."""
        ctl = self.ctl
        ctl.stop_change_timer()
        if not ctl.dirty or not ctl.has_substance():
            return None
        try:
            path = ctl.session.autosave(ctl.collect(), *ctl.own_work())
        except WorkbenchError as exc:
            ctl.window.statusBar().showMessage(f"Autosave failed: {exc}", 10000)
            return None
        if path is not None:
            ctl.autosaved.emit(str(path))
        return path

    def on_autosave_timer_timeout(self) -> None:
        ctl = self.ctl
        if ctl.session.needs_autosave():
            self.autosave()

    def recovery_file(self) -> Path:
        ctl = self.ctl
        return ctl.session.recovery_file()

    def available_recoveries(self) -> list:
        ctl = self.ctl
        return ctl.session.available_recoveries(ctl.settings.value("workspace/open"))

    def check_startup_recovery(self) -> list:
        """After a crash: say that unsaved work can be recovered (non-modal) and enable File ▸ Recover."""
        ctl = self.ctl
        try:
            recs = self.available_recoveries()
        except Exception:  # a damaged recovery folder must not stop the app
            log.exception("Could not look for recovery files")
            recs = []
        ctl.action_recover.setVisible(bool(recs))
        if recs:
            rec = recs[0]
            what = rec.workspace_path.name if rec.workspace_path else "an untitled workspace"
            ctl.window.banner.show_message(
                f"Workbench did not close cleanly: unsaved changes to {what} (autosaved {when(rec.written_at)}) "
                "can be recovered — File ▸ Recover Unsaved Workspace…",
                "warning",
            )
        return recs

    def recover_unsaved(self, recovery=None) -> bool:
        ctl = self.ctl
        recs = [recovery] if recovery is not None else self.available_recoveries()
        if not recs:
            ctl.window.statusBar().showMessage("Nothing to recover", 5000)
            ctl.action_recover.setVisible(False)
            return False
        rec = recs[0]
        if len(recs) > 1 and recovery is None:
            rec = ctl.ask_pick_recovery(recs)
            if rec is None:
                return False
        if not self.maybe_save_changes():
            return False
        try:
            ws = rec.load()
        except WorkbenchError as exc:
            ctl.window.show_error(f"The autosave cannot be read: {exc}")
            return False
        ctl.install(ws, dirty=True, how=RECOVERED)
        ctl.action_recover.setVisible(bool(self.available_recoveries()))
        return True

    # ================================================================== new / open / save
    def maybe_save_changes(self) -> bool:
        """Before replacing the workspace: offer to save own work; False when the user cancelled."""
        ctl = self.ctl
        ctl.notes.flush()
        if not ctl.dirty or not ctl.has_substance():
            return True
        answer = ctl.ask_save_changes()
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        ctl.session.discard_recovery()
        return True

    def new_workspace(self) -> bool:
        ctl = self.ctl
        if not self.maybe_save_changes():
            return False
        ctl.install(wsm.Workspace(), dirty=False, how=CREATED)
        return True

    def open_workspace(self, path: str | Path | None = None) -> bool:
        """File > Open Workspace (asks for the file when ``path`` is None). Returns whether it opened."""
        ctl = self.ctl
        if not self.maybe_save_changes():
            return False
        path = path or ctl.ask_open_path()
        if not path:
            return False
        recovery = wsm.find_recovery(path)
        try:
            ws = wsm.load(path)
        except WorkbenchError as exc:
            if recovery is None:
                ctl.window.show_error(str(exc))
                return False
            ws = None
            ctl.window.show_error(f"{exc} An autosave of it exists.")
        dirty = False
        if recovery is not None:
            if ctl.ask_recover(recovery):
                try:
                    ws, dirty = recovery.load(), True
                except WorkbenchError as exc:
                    ctl.window.show_error(f"The autosave cannot be read: {exc}")
            else:
                wsm.discard_recovery(recovery)
        if ws is None:
            return False
        ctl.menus.add_recent(ws.path or Path(path))
        ctl.install(ws, dirty=dirty, how=OPENED)
        return True

    def save(self) -> bool:
        """File > Save (Save As for a workspace never saved)."""
        ctl = self.ctl
        if ctl.ws.path is None:
            return self.save_as()
        return self.save_to(ctl.ws.path)

    def save_as(self) -> bool:
        ctl = self.ctl
        path = ctl.ask_save_path()
        return self.save_to(path) if path else False

    def save_to(self, path: str | Path) -> bool:
        """Save the workspace to ``path`` (atomic); the audit log follows it. Errors go to the banner."""
        ctl = self.ctl
        ctl.notes.flush()
        try:
            target = ctl.session.save(ctl.collect(), path)
        except WorkbenchError as exc:
            ctl.window.show_error(str(exc))
            return False
        ctl.menus.add_recent(target)
        ctl.settings.setValue("workspace/open", str(target))
        ctl.audit_panel.set_log(ctl.audit.path, ctl.ws.audit_head, ctl.ws.audit_checkpoint)
        ctl.set_clean()
        ctl.window.statusBar().showMessage(f"Saved {target.name}", 6000)
        return True

    # ================================================================== close
    def confirm_close(self) -> bool:
        """MainWindow.closeEvent: offer to save own work; False keeps the window open."""
        ctl = self.ctl
        try:
            ok = self.maybe_save_changes()
        except Exception:
            log.exception("Save on close failed")
            ok = True
        if ok:
            ctl.session.discard_recovery()
            ctl.settings.remove("workspace/open")
        return ok
