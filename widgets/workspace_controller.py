"""Workspaces in the app: File > New / Open / Save / Save As / Recent, autosave and crash recovery, and the
wiring of the helpers that do the rest.

The controller is MainWindow's helper (not a panel). The lifecycle without UI — the workspace, its audit
log, dirty/autosave bookkeeping, recovery files, source checks — is a :class:`workbench.session.WorkspaceSession`;
this class adds the timers, signals and dialogs, and composes small UI controllers, one per concern:

* :mod:`widgets.workspace_files` — New / Open / Save / Save As, autosave, crash recovery, save-on-close;
* :mod:`widgets.workspace_menus` — actions, menus, recent workspaces;
* :mod:`widgets.workspace_sources` — re-checking and opening the sources, fingerprints, the sources window;
* :mod:`widgets.workspace_panels` — the panels' ``state()`` / ``restore()`` (restore waits for the Explorer's
  ``sources_ready`` signal);
* :mod:`widgets.workspace_items` — saved views and saved results;
* :mod:`widgets.workspace_privacy` — personal-data masks, on-screen suppression, Workspace settings;
* :mod:`widgets.workspace_reports` — stamped exports and evidence reports.

Anything that would open a dialog goes through an ``ask_*`` attribute (defaults in
:mod:`widgets.workspace_dialogs`), so tests (and scripts) can answer it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget

from workbench import workspace as wsm
from workbench.session import GuardedAuditLog, WorkspaceSession
from widgets.audit_panel import AuditPanel
from widgets.clipboard_guard import ClipboardGuard
from widgets.experiments_export import ExperimentExportGuard
from widgets.export_actions import ExplorerExporter
from widgets.notes_panel import NotesPanel
from widgets.pii_mask import PiiMasker
from widgets.report_dialog import ReportRequest
from widgets.saved_results import SavedResultsList
from widgets.saved_views import SavedViewsList
from widgets.undo import ExplorerHistory
from widgets.workspace_dialogs import WorkspaceDialogs
from widgets.workspace_files import WorkspaceFiles
from widgets.workspace_items import WorkspaceItems
from widgets.workspace_menus import WorkspaceMenus
from widgets.workspace_panels import WorkspacePanels
from widgets.workspace_privacy import WorkspacePrivacy
from widgets.workspace_reports import WorkspaceReports
from widgets.workspace_sources import WorkspaceSources

__all__ = ["GuardedAuditLog", "WorkspaceController", "default_recovery_dir"]

log = logging.getLogger(__name__)

AUTOSAVE_MS = 30_000
CHANGE_AUTOSAVE_MS = 1_500  # after a change of substance: soon, but not on every keystroke
NOTES_WIDTH = 260
MENU_ATTRIBUTES = (
    "action_new",
    "action_open",
    "action_save",
    "action_save_as",
    "action_recover",
    "action_settings",
    "action_report",
    "export_actions",
    "action_save_view",
    "action_notes",
    "action_audit",
    "action_undo",
    "action_redo",
    "recent_ws_menu",
    "export_menu",
    "edit_menu",
)


def default_recovery_dir(settings: QSettings) -> Path:
    """Where untitled autosaves and session logs go: a setting, beside an ini-file QSettings (tests, the
    screenshot script), else the user's data folder."""
    value = settings.value("workspace/recovery_dir")
    if value:
        return Path(str(value))
    if settings.format() == QSettings.Format.IniFormat and settings.fileName():
        return Path(settings.fileName()).resolve().parent / "recovery"
    return wsm.default_recovery_dir()


class WorkspaceController(QObject):
    """Owns the current :class:`workbench.workspace.Workspace` (through its session) for a MainWindow.

    Signals
    -------
    workspace_changed(object Workspace) — a workspace was created, opened or recovered.
    dirty_changed(bool), autosaved(str path), sources_checked(list[SourceCheck]),
    restored() — after opening: sources opened and the panels' state put back.
    report_written(object ReportResult), export_written(object ExportOutcome).
    """

    workspace_changed = Signal(object)
    dirty_changed = Signal(bool)
    autosaved = Signal(str)
    sources_checked = Signal(list)
    restored = Signal()
    report_written = Signal(object)
    export_written = Signal(object)
    _audit_error = Signal(str)  # from the audit log's writer thread
    _audit_written = Signal()  # from the audit log's writer thread

    def __init__(self, window, recovery_dir: str | Path | None = None):
        super().__init__(window)
        self.shut_down = False
        self.window = window
        self.runner = window.runner
        self.catalog = window.catalog
        self.settings: QSettings = window.settings
        self.recovery_dir = Path(recovery_dir) if recovery_dir else default_recovery_dir(self.settings)
        # on_error and the "written" notice may come from the log's writer thread: relayed by queued signals.
        self.session = WorkspaceSession(self.recovery_dir, on_audit_error=self._audit_error.emit)
        self._explorer_key = ""
        self._last_logged_sql = ""

        dialogs = WorkspaceDialogs(self)  # Dialog hooks (tests replace them).
        self.ask_open_path: Callable[[], str | None] = dialogs.open_path
        self.ask_save_path: Callable[[], str | None] = dialogs.save_path
        self.ask_recover: Callable[[object], bool] = dialogs.recover
        self.ask_pick_recovery: Callable[[list], object | None] = dialogs.pick_recovery
        self.ask_save_changes: Callable[[], str] = dialogs.save_changes
        self.ask_view_name: Callable[[str], str | None] = dialogs.view_name
        self.ask_relocate: Callable[[str, bool], str | None] = dialogs.relocate
        self.ask_report: Callable[[list], ReportRequest | None] = dialogs.report
        self.ask_result_name: Callable[[str], str | None] = dialogs.result_name
        self.ask_rename_result: Callable[[str], str | None] = dialogs.rename_result

        self.explorer = window.explorer
        self.anomalies = window.panels.get("Anomalies")
        self.experiments = window.panels.get("Experiments")
        if self.experiments is not None:
            from workbench.protection.policy import workspace_policy

            self.experiments.policy_provider = lambda: workspace_policy(self.ws)
        self.impact = window.panels.get("Impact")
        self.reconcile, self.checks_panel = window.panels.get("Reconcile"), window.panels.get("Checks")
        self.masker = PiiMasker(self)
        self.history = ExplorerHistory(self.explorer, self) if self.explorer is not None else None
        self.reports = WorkspaceReports(self)
        self.exporter = ExplorerExporter(window, self.explorer, self.reports.export_context)
        self.clipboard_guard = ClipboardGuard(self)  # copies of result data: same guards as exports, logged
        self.experiment_exports = ExperimentExportGuard(self)  # the Experiments panel's CSV/PNG: same guards
        from widgets.reconcile_report import ReconcileExportGuard

        self.reconcile_exports = ReconcileExportGuard(self, self.reconcile)  # differences export: same guards
        self._build_widgets()
        self.privacy = WorkspacePrivacy(self)
        self.privacy.install()
        self.sources = WorkspaceSources(self)
        self.panel_states = WorkspacePanels(self)
        self.items = WorkspaceItems(self)
        self.menus = WorkspaceMenus(self)
        self.files = WorkspaceFiles(self)
        for name in MENU_ATTRIBUTES:
            setattr(self, name, getattr(self.menus, name))
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._change_timer = QTimer(self)
        self._change_timer.setSingleShot(True)
        self._change_timer.setInterval(CHANGE_AUTOSAVE_MS)
        self._audit_refresh_timer = QTimer(self)
        self._audit_refresh_timer.setSingleShot(True)
        self._audit_refresh_timer.setInterval(250)
        self._audit_refresh_timer.timeout.connect(self.refresh_audit)
        self._audit_written.connect(self._audit_refresh_timer.start)
        self._audit_error.connect(self.window.show_error)
        self._connect_signals()
        self._autosave_timer.start()
        self.audit_panel.set_log(self.audit.path, None)
        self._update_title()
        QTimer.singleShot(0, self.check_startup_recovery)

    # ================================================================== construction
    def _build_widgets(self) -> None:
        w = self.window
        self.audit_panel = AuditPanel(self.runner, self.catalog)
        w.add_panel("Audit", self.audit_panel)
        self.notes = NotesPanel()
        self.notes_dock = QDockWidget("Notes", w)
        self.notes_dock.setObjectName("notesDock")
        self.notes_dock.setWidget(self.notes)
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.notes_dock)
        self.notes_dock.hide()
        self._notes_sized = False
        self.views_list = SavedViewsList()
        splitter = getattr(w.data_panel, "splitter", None)
        if splitter is not None:
            splitter.insertWidget(1, self.views_list)
            splitter.setStretchFactor(1, 1)
        self.results_list = SavedResultsList()  # "Add to report" results, under the saved views
        if splitter is not None:
            splitter.insertWidget(2, self.results_list)
            splitter.setStretchFactor(2, 1)
            # The tree of sources is what people use most: give it the room, keep the two lists short
            # (QSplitter scales these proportions to the dock's height).
            splitter.setSizes([460, 80, 80, 300])

    def _connect_signals(self) -> None:
        w = self.window
        self.menus.connect()
        self.sources.connect()
        self.items.connect()
        self.reports.install()
        self._autosave_timer.timeout.connect(self.files.on_autosave_timer_timeout)
        self._change_timer.timeout.connect(self.autosave)
        console = w.sql_console
        if console is not None and hasattr(console, "query_finished"):
            console.query_finished.connect(
                lambda rows, _s, c=console: self._log_query(c.last_sql, rows=rows, origin="sql console")
            )
        self.notes.notes_changed.connect(self._on_notes_changed)
        self.notes_dock.visibilityChanged.connect(self._on_notes_dock_visibility_changed)
        self.audit_panel.error_occurred.connect(w.show_error)
        if self.history is not None:
            self.history.error_occurred.connect(w.show_error)
        ex = self.explorer
        if ex is not None:
            ex.spec_changed.connect(self._on_explorer_spec_changed)
            ex.result_ready.connect(self._on_explorer_result_ready)
        if self.anomalies is not None and hasattr(self.anomalies, "annotations_changed"):
            self.anomalies.annotations_changed.connect(lambda *_: self.mark_changed("annotations"))
        if self.experiments is not None and hasattr(self.experiments, "readout_ready"):
            self.experiments.readout_ready.connect(lambda *_: self.mark_changed("experiment"))

    # ================================================================== the session's state
    @property
    def ws(self) -> wsm.Workspace:
        return self.session.ws

    @property
    def audit(self) -> GuardedAuditLog:
        return self.session.audit

    @property
    def dirty(self) -> bool:
        return self.session.dirty

    @property
    def checks(self) -> list:
        return self.session.checks

    @property
    def source_dialog(self):
        return self.sources.dialog

    def open_names(self) -> list[str]:
        return [s.name for s in self.catalog.sources]

    def refresh_audit(self) -> None:
        if self.audit_panel.path != self.audit.path:  # the log moved (saved elsewhere, or a fallback folder)
            self.audit_panel.set_log(self.audit.path, self.ws.audit_head, self.ws.audit_checkpoint)
        else:
            self.audit_panel.reload()

    def collect(self) -> wsm.Workspace:
        """Copy the panels' state into the workspace object (before saving or autosaving)."""
        self.panel_states.collect(self.ws)
        return self.ws

    def has_substance(self) -> bool:
        """Worth autosaving / asking about on close: saved before, or holds the analyst's own work."""
        return self.session.has_substance(*self.own_work())

    def own_work(self) -> tuple:
        return self.notes.text().strip(), self.anomalies is not None and getattr(self.anomalies, "annotations", None)

    def mark_changed(self, _what: str = "") -> None:
        """A change of substance: the title gets its '*' and an autosave follows shortly."""
        if self.session.restoring:
            return
        if self.session.mark_changed():
            self.dirty_changed.emit(True)
        self._update_title()
        self._change_timer.start()

    def stop_change_timer(self) -> None:
        self._change_timer.stop()

    def set_clean(self) -> None:
        self.session.set_clean()
        self.dirty_changed.emit(False)
        self._update_title()

    def _update_title(self) -> None:
        w = self.window
        w.setWindowTitle(f"{self.ws.name}[*] — Workbench")
        w.setWindowModified(self.dirty)

    # ================================================================== files (widgets.workspace_files)
    def autosave(self) -> Path | None:
        return self.files.autosave()

    def recovery_file(self) -> Path:
        return self.session.recovery_file()

    def available_recoveries(self) -> list:
        return self.files.available_recoveries()

    def check_startup_recovery(self) -> list:
        return self.files.check_startup_recovery()

    def recover_unsaved(self, recovery=None) -> bool:
        return self.files.recover_unsaved(recovery)

    def maybe_save_changes(self) -> bool:
        return self.files.maybe_save_changes()

    def new_workspace(self) -> bool:
        return self.files.new_workspace()

    def open_workspace(self, path: str | Path | None = None) -> bool:
        return self.files.open_workspace(path)

    def save(self) -> bool:
        return self.files.save()

    def save_as(self) -> bool:
        return self.files.save_as()

    def save_to(self, path: str | Path) -> bool:
        return self.files.save_to(path)

    def confirm_close(self) -> bool:
        return self.files.confirm_close()

    def install(self, ws: wsm.Workspace, *, dirty: bool, how: str) -> None:
        """Make ``ws`` current: close the open tables, reset the panels, then re-check and re-open its
        sources in the background (the panels' state follows when they are open)."""
        self.session.restoring = True
        self.panel_states.stop_waiting()
        self.sources.close_all()
        self.session.replace(ws, dirty=dirty, how=how)
        if ws.path is not None:
            self.settings.setValue("workspace/open", str(ws.path))
        else:
            self.settings.remove("workspace/open")
        self.notes.set_text(ws.notes)
        if ws.notes.strip():
            self.notes_dock.show()
        self.views_list.set_views(ws.views)
        self.results_list.set_results(ws.saved_results)
        from widgets.protection_sync import raise_to_system_minimum

        raised = raise_to_system_minimum(ws)
        if raised:
            self.window.statusBar().showMessage(raised, 15000)
        self.masker.enabled = ws.settings.mask_pii
        self.masker.set_flags(ws.pii)
        if self.history is not None:
            self.history.clear()
        self._explorer_key = self.panel_states.saved_explorer_key(ws)
        self.audit_panel.set_log(self.audit.path, ws.audit_head, ws.audit_checkpoint)
        self.dirty_changed.emit(dirty)
        self._update_title()
        self.workspace_changed.emit(ws)
        if ws.sources:
            self.sources.start_check()
        else:
            self.panel_states.restore([])

    # ================================================================== operations of the helpers
    def relocate_source(self, name: str, new_location: str | Path) -> int:
        return self.sources.relocate(name, new_location)

    def accept_source(self, name: str) -> None:
        self.sources.accept_source(name)

    def show_source_dialog(self):
        return self.sources.show_dialog()

    def save_view(self, name: str, description: str = ""):
        return self.items.save_view(name, description)

    def save_view_interactive(self) -> None:
        self.items.save_view_interactive()

    def restore_view(self, name: str) -> bool:
        return self.items.restore_view(name)

    def delete_view(self, name: str) -> None:
        self.items.delete_view(name)

    def add_result(self, kind: str, name: str | None = None) -> dict | None:
        return self.items.add_result(kind, name)

    def add_result_interactive(self, kind: str) -> None:
        self.items.add_result_interactive(kind)

    def restore_result(self, name: str) -> bool:
        return self.items.restore_result(name)

    def delete_result(self, name: str) -> None:
        self.items.delete_result(name)

    def rename_result(self, name: str, new_name: str) -> bool:
        return self.items.rename_result(name, new_name)

    def apply_settings(self, k: int | None, mask_pii: bool, suppress_on_screen: bool, mode: str | None = None) -> None:
        self.privacy.apply_settings(k, mask_pii, suppress_on_screen, mode)

    def edit_settings(self) -> None:
        self.privacy.edit_settings()

    def export_report_interactive(self) -> None:
        self.reports.export_report_interactive()

    def write_report(self, request: ReportRequest) -> int | None:
        return self.reports.write_report(request)

    def recent_workspaces(self) -> list[str]:
        return self.menus.recent_workspaces()

    def _rebuild_recent_menu(self) -> None:
        self.menus.rebuild_recent_menu()

    # ================================================================== explorer, notes, queries
    def _on_explorer_spec_changed(self, spec) -> None:
        current = self.explorer.state(spec)
        key = current.key() if current is not None else ""
        if key and key != self._explorer_key:
            self._explorer_key = key
            self.mark_changed("explorer")

    def _on_explorer_result_ready(self, result) -> None:
        self._log_query(result.sql, rows=len(result.frame), source=result.spec.table, origin="explorer")
        self.privacy.apply_screen_suppression(result)

    def _log_query(self, sql_text: str, rows: int | None = None, source: str | None = None, origin: str = "") -> None:
        if not sql_text or sql_text == self._last_logged_sql:
            return  # the same query again (a redraw) adds nothing to the record
        self._last_logged_sql = sql_text
        # Written off the GUI thread; the Audit panel re-reads the log once the burst of queries is over.
        self.audit.append_later(
            "query_run", done=self._audit_written.emit, sql=sql_text, rows=rows, source=source, origin=origin
        )

    def _on_notes_dock_visibility_changed(self, visible: bool) -> None:
        if visible and not self._notes_sized and not self.notes_dock.isFloating():
            self._notes_sized = True  # narrow by default: the Explorer needs the width more than the notes
            QTimer.singleShot(
                0, lambda: self.window.resizeDocks([self.notes_dock], [NOTES_WIDTH], Qt.Orientation.Horizontal)
            )

    def _on_notes_changed(self, text: str) -> None:
        if text != self.ws.notes:
            self.ws.notes = text
            self.mark_changed("notes")

    def shutdown(self) -> None:
        self.shut_down = True
        self.panel_states.stop_waiting()
        self.audit.flush()
        self._audit_refresh_timer.stop()
        self._autosave_timer.stop()
        self._change_timer.stop()
        self.runner.discard("workspace.", "fingerprint:")  # stop hashing now, before the window waits for it
        if self.sources.dialog is not None:
            self.sources.dialog.close()
