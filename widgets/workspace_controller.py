"""Workspaces in the app: File > New / Open / Save / Save As / Recent, autosave and crash recovery, source
re-fingerprinting on open, undo/redo of the Explorer, saved views, notes, the audit trail, personal-data
masking, stamped exports and evidence reports.

The controller is MainWindow's helper (not a panel): it reads and restores the panels' state through
:mod:`widgets.workspace_state`, and all file hashing and queries run on the window's QueryRunner. Anything
that would open a dialog goes through an ``ask_*`` attribute, so tests (and scripts) can answer it.

Audit log: a saved workspace writes to ``<name>.wbk.audit.jsonl`` beside it; an untitled session writes
to ``<recovery dir>/untitled-<session>.wbk.audit.jsonl`` and that log is copied beside the workspace on
its first Save, so the chain starts with the first file the session opened.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QDockWidget, QFileDialog, QFormLayout, QInputDialog, QMenu,
    QMessageBox, QSpinBox,
)

from workbench import workspace as wsm
from workbench.audit import AuditLog
from workbench.errors import QueryCancelled, WorkbenchError
from widgets.audit_panel import AuditPanel
from widgets.clipboard_guard import ClipboardGuard
from widgets.experiments_export import ExperimentExportGuard
from widgets.export_actions import COUNT_AGGS, ExplorerExporter, display_frame, render_chart_png
from widgets.notes_panel import NotesPanel
from widgets.pii_mask import PiiMasker
from widgets.report_dialog import ReportDialog, ReportRequest
from widgets.saved_results import KIND_TEXT, SavedResultsList
from widgets.saved_views import SavedViewsList
from widgets.source_check_dialog import SourceCheckDialog
from widgets.table_model import MASK
from widgets.undo import ExplorerHistory
from widgets import workspace_state as state

log = logging.getLogger(__name__)

AUTOSAVE_MS = 30_000
CHANGE_AUTOSAVE_MS = 1_500  # after a change of substance: soon, but not on every keystroke
RECENT_LIMIT = 10
NOTES_WIDTH = 260
WBK_FILTER = "Workbench workspace (*.wbk);;All files (*)"


class GuardedAuditLog(AuditLog):
    """An AuditLog that never takes the app down: when its file cannot be written (no writable data folder,
    disk full), an untitled session's log moves to the temp folder; failing that, one plain message is shown
    and the app keeps working without a record (the message says so)."""

    def __init__(self, path, on_error: Callable[[str], None] | None = None, **kwargs):
        super().__init__(path, **kwargs)
        self._on_error = on_error
        self._warned = False
        self._pool = None  # one background thread for append_later (keeps the entries in order)

    def append_later(self, action: str, done: Callable[[], None] | None = None, **details) -> None:
        """Append on a background thread: an append fsyncs the file (10-40 ms on a busy disk), too long for
        the GUI thread after every Explorer result. ``done`` is called on that thread afterwards."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-log")

        def job():
            self._append_now(action, **details)
            if done is not None:
                done()

        self._pool.submit(job)

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

    def checkpoint(self) -> dict | None:
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
    """Owns the current :class:`workbench.workspace.Workspace` and its audit log for a MainWindow.

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
        self._shut_down = False
        self.window = window
        self.runner = window.runner
        self.catalog = window.catalog
        self.settings: QSettings = window.settings
        self.recovery_dir = Path(recovery_dir) if recovery_dir else default_recovery_dir(self.settings)
        self.ws = wsm.Workspace()
        self.audit = self._make_log(self._session_log_path(self.ws))
        self.dirty = False
        self._restoring = False
        self._changes = 0
        self._autosaved_changes = 0
        self._pending_fingerprints: set[str] = set()
        self._catalog_names: set[str] = set(self._open_names())
        self._explorer_key = ""
        self._last_logged_sql = ""
        self._pending_zoom: dict | None = None
        self._report_request: ReportRequest | None = None
        self._report_id: int | None = None
        self._report_write_id: int | None = None
        self.checks: list = []
        self.source_dialog: SourceCheckDialog | None = None

        # Dialog hooks (tests replace them).
        self.ask_open_path: Callable[[], str | None] = self._ask_open_path_dialog
        self.ask_save_path: Callable[[], str | None] = self._ask_save_path_dialog
        self.ask_recover: Callable[[object], bool] = self._ask_recover_dialog
        self.ask_save_changes: Callable[[], str] = self._ask_save_changes_dialog
        self.ask_view_name: Callable[[str], str | None] = self._ask_view_name_dialog
        self.ask_relocate: Callable[[str, bool], str | None] = self._ask_relocate_dialog
        self.ask_report: Callable[[list], ReportRequest | None] = self._ask_report_dialog
        self.ask_result_name: Callable[[str], str | None] = self._ask_result_name_dialog
        self.ask_rename_result: Callable[[str], str | None] = self._ask_rename_result_dialog

        self.explorer = window.explorer
        self.anomalies = window.panels.get("Anomalies")
        self.experiments = window.panels.get("Experiments")
        if self.experiments is not None:
            from workbench.protection.policy import workspace_policy

            self.experiments.policy_provider = lambda: workspace_policy(self.ws)
        self.impact = window.panels.get("Impact")
        self.masker = PiiMasker(self)
        self.history = ExplorerHistory(self.explorer, self) if self.explorer is not None else None
        self.exporter = ExplorerExporter(window, self.explorer, self._export_context)
        self.clipboard_guard = ClipboardGuard(self)  # copies of result data: same guards as exports, logged
        self.experiment_exports = ExperimentExportGuard(self)  # the Experiments panel's CSV/PNG: same guards
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._change_timer = QTimer(self)
        self._change_timer.setSingleShot(True)
        self._change_timer.setInterval(CHANGE_AUTOSAVE_MS)
        self._audit_refresh_timer = QTimer(self)
        self._audit_refresh_timer.setSingleShot(True)
        self._audit_refresh_timer.setInterval(250)
        self._audit_refresh_timer.timeout.connect(self._refresh_audit)
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
        self.source_dialog = None
        if self.explorer is not None:
            for table in (self.explorer.results,):
                self.masker.register(table, self._explorer_column_map)
            # The leaderboard and the chart legend show breakdown values too: masked like the grid.
            self.explorer.leaderboard.value_masked = self._leaderboard_masked
            self.explorer.filter_bar.set_value_masked(self._filter_column_masked)
            self.explorer.leaderboard.reveal_requested.connect(self._reveal_leaderboard)
            self.explorer.chart.label_filter = self._chart_label
            self.masker.flags_changed.connect(self._refresh_explorer_masks)
        # Personal data is masked in the catalog's views; the console grid marks token columns (any alias).
        from widgets.protection_sync import ProtectionSync

        self.protection = ProtectionSync(self.catalog, self.masker, self)
        console = w.sql_console
        if console is not None and hasattr(console, "results"):
            self.masker.register(console.results, self.protection.console_column_map(console.results.table_model()))
            self.protection.views_changed.connect(lambda c=console: c.run() if getattr(c, "_last_sql", "") else None)
        if self.explorer is not None:
            self.protection.views_changed.connect(
                lambda: self.explorer.refresh_now() if self.explorer.last_result is not None else None)
            self.protection.watch_explorer(self.explorer, self.runner, lambda: self.ws)

    def _build_actions(self) -> None:
        w = self.window
        A = QAction
        self.action_new = A("&New Workspace", w)
        self.action_new.setShortcut(QKeySequence.StandardKey.New)
        self.action_open = A("Open &Workspace…", w)
        self.action_open.setShortcut(QKeySequence("Ctrl+Alt+O"))
        self.action_save = A("&Save Workspace", w)
        self.action_save.setShortcut(QKeySequence.StandardKey.Save)
        self.action_save_as = A("Save Workspace &As…", w)
        self.action_save_as.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.action_recover = A("Recover &Unsaved Workspace…", w)
        self.action_recover.setVisible(False)
        self.action_settings = A("Workspace Se&ttings…", w)
        self.action_report = A("Export Evidence &Report…", w)
        self.action_report.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_actions: dict[str, QAction] = {}
        for fmt, label in (("csv", "Table as &CSV…"), ("parquet", "Table as &Parquet…"), ("xlsx", "Table as &Excel…"),
                           ("png", "Chart as P&NG…"), ("svg", "Chart as &SVG…")):
            self.export_actions[fmt] = A(label, w)
        self.action_save_view = A("Save &View…", w)
        self.action_save_view.setShortcut(QKeySequence("Ctrl+D"))
        self.action_notes = self.notes_dock.toggleViewAction()
        self.action_notes.setText("&Notes")
        self.action_notes.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.action_audit = A("Audit", w)
        if self.history is not None:
            self.action_undo = self.history.stack.createUndoAction(w, "&Undo")
            self.action_undo.setShortcuts([QKeySequence("Ctrl+Z")])
            self.action_redo = self.history.stack.createRedoAction(w, "&Redo")
            self.action_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        else:
            self.action_undo = self.action_redo = None

    def _build_menus(self) -> None:
        w = self.window
        fm: QMenu = w.file_menu
        first = fm.actions()[0] if fm.actions() else None
        self.recent_ws_menu = QMenu("Recent &Workspaces", fm)
        for item in (self.action_new, self.action_open, self.recent_ws_menu.menuAction(), self.action_save,
                     self.action_save_as, self.action_recover):
            fm.insertAction(first, item)
        fm.insertSeparator(first)
        anchor = getattr(w, "workspace_separator", None)
        self.export_menu = QMenu("&Export", fm)
        for fmt in ("csv", "parquet", "xlsx"):
            self.export_menu.addAction(self.export_actions[fmt])
        self.export_menu.addSeparator()
        for fmt in ("png", "svg"):
            self.export_menu.addAction(self.export_actions[fmt])
        for item in (self.export_menu.menuAction(), self.action_report, self.action_settings):
            fm.insertAction(anchor, item)
        self.edit_menu = QMenu("&Edit", w.menuBar())
        if self.action_undo is not None:
            self.edit_menu.addAction(self.action_undo)
            self.edit_menu.addAction(self.action_redo)
            self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.action_save_view)
        view_menu = getattr(w, "view_menu", None)
        w.menuBar().insertMenu(view_menu.menuAction() if view_menu else None, self.edit_menu)
        if view_menu is not None:
            actions = view_menu.actions()
            view_menu.insertAction(actions[1] if len(actions) > 1 else None, self.action_notes)
            theme_i = next((i for i, a in enumerate(actions) if a.menu() is not None), None)
            before = actions[theme_i - 1] if theme_i else None
            self.action_audit.setShortcut(QKeySequence(f"Ctrl+{len(w.panels)}"))
            view_menu.insertAction(before, self.action_audit)

    def _connect_signals(self) -> None:
        w = self.window
        self.action_new.triggered.connect(self.new_workspace)
        self.action_open.triggered.connect(lambda: self.open_workspace())
        self.action_save.triggered.connect(self.save)
        self.action_save_as.triggered.connect(self.save_as)
        self.action_recover.triggered.connect(self.recover_unsaved)
        self.action_settings.triggered.connect(self.edit_settings)
        self.action_report.triggered.connect(self.export_report_interactive)
        self.action_save_view.triggered.connect(self.save_view_interactive)
        self.action_audit.triggered.connect(lambda: w.show_panel("Audit"))
        for fmt, action in self.export_actions.items():
            action.triggered.connect(lambda _=False, f=fmt: self._on_export_action(f))
        self.recent_ws_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self._autosave_timer.timeout.connect(self._on_autosave_timer_timeout)
        self._change_timer.timeout.connect(self.autosave)
        self.runner.result_ready.connect(self._on_runner_result_ready)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.cancelled.connect(self._on_runner_cancelled)
        w.source_opened.connect(self._on_window_source_opened)
        w.sources_changed.connect(self._on_window_sources_changed)
        self.notes.notes_changed.connect(self._on_notes_changed)
        self.notes_dock.visibilityChanged.connect(self._on_notes_dock_visibility_changed)
        self.views_list.view_activated.connect(self.restore_view)
        self.views_list.save_requested.connect(self.save_view_interactive)
        self.views_list.delete_requested.connect(self.delete_view)
        self.results_list.result_activated.connect(self.restore_result)
        self.results_list.rename_requested.connect(self.rename_result_interactive)
        self.results_list.delete_requested.connect(self.delete_result)
        self.masker.revealed.connect(self._on_masker_revealed)
        self.audit_panel.error_occurred.connect(w.show_error)
        if self.history is not None:
            self.history.error_occurred.connect(w.show_error)
        ex = self.explorer
        if ex is not None:
            ex.spec_changed.connect(self._on_explorer_spec_changed)
            ex.result_ready.connect(self._on_explorer_result_ready)
            chart = ex.chart
            for button, fmt in ((chart.png_button, "png"), (chart.csv_button, "csv")):
                try:  # the chart's own buttons write unstamped files: route them through the guarded export
                    button.clicked.disconnect()
                except (RuntimeError, TypeError):
                    pass
                button.clicked.connect(lambda _=False, f=fmt: self._on_export_action(f))
            chart.png_button.setToolTip("Export the chart as PNG, stamped with the sources' fingerprints")
            chart.csv_button.setToolTip("Export the table on screen as CSV (suppression and stamp applied)")
        if self.anomalies is not None and hasattr(self.anomalies, "annotations_changed"):
            self.anomalies.annotations_changed.connect(lambda *_: self.mark_changed("annotations"))
        if self.experiments is not None and hasattr(self.experiments, "readout_ready"):
            self.experiments.readout_ready.connect(lambda *_: self.mark_changed("experiment"))
        for panel, kind in ((self.anomalies, "anomaly"), (self.experiments, "experiment"), (self.impact, "impact")):
            if panel is not None and hasattr(panel, "add_to_report_requested"):
                panel.add_to_report_requested.connect(lambda k=kind: self.add_result_interactive(k))

    # ================================================================== state
    def _make_log(self, path: Path) -> GuardedAuditLog:
        # on_error and the "written" notice may come from the log's writer thread: relayed by queued signals.
        return GuardedAuditLog(path, on_error=self._audit_error.emit)

    def _refresh_audit(self) -> None:
        if self.audit_panel.path != self.audit.path:  # the log moved (saved elsewhere, or a fallback folder)
            self.audit_panel.set_log(self.audit.path, self.ws.audit_head, self.ws.audit_checkpoint)
        else:
            self.audit_panel.reload()

    def _open_names(self) -> list[str]:
        return [s.name for s in self.catalog.sources]

    def _session_log_path(self, ws) -> Path:
        if ws.path is not None:
            return ws.audit_path
        return self.recovery_dir / f"untitled-{ws.session_id}.wbk.audit.jsonl"

    def collect(self) -> wsm.Workspace:
        """Copy the panels' state into the workspace object (before saving or autosaving)."""
        ws = self.ws
        ws.notes = self.notes.text()
        explorer_state = state.capture_explorer(self.explorer)
        if explorer_state is not None:
            ws.settings.extra["explorer"] = explorer_state
        ws.settings.extra["current_tab"] = self.window.tabs.tabText(self.window.tabs.currentIndex())
        if self.anomalies is not None:
            ws.annotations = state.capture_annotations(self.anomalies)
            rules = state.capture_anomaly_rules(self.anomalies)
            if rules:
                ws.anomaly_rules = rules + [r for r in ws.anomaly_rules if r.get("name") != rules[0]["name"]]
        config = state.capture_experiment(self.experiments)
        if config is not None:
            config["name"] = "Experiments panel"
            ws.experiments = [config] + [e for e in ws.experiments if e.get("name") != "Experiments panel"]
        dashboard = self.window.panels.get("Dashboard")
        if dashboard is not None and dashboard.state():  # the metrics file and the board on screen
            ws.settings.extra["dashboard"] = dashboard.state()
        ws.pii = json.loads(json.dumps(self.masker.flags))
        return ws

    def has_substance(self) -> bool:
        """Worth autosaving / asking about on close: saved before, or holds the analyst's own work."""
        ws = self.ws
        return bool(ws.path or ws.views or ws.saved_results or self.notes.text().strip() or ws.annotations
                    or (self.anomalies is not None and getattr(self.anomalies, "annotations", None)))

    def mark_changed(self, _what: str = "") -> None:
        """A change of substance: the title gets its '*' and an autosave follows shortly."""
        if self._restoring:
            return
        self._changes += 1
        if not self.dirty:
            self.dirty = True
            self.dirty_changed.emit(True)
        self._update_title()
        self._change_timer.start()

    def _set_clean(self) -> None:
        self.dirty = False
        self._autosaved_changes = self._changes
        self.dirty_changed.emit(False)
        self._update_title()

    def _update_title(self) -> None:
        w = self.window
        w.setWindowTitle(f"{self.ws.name}[*] — Workbench")
        w.setWindowModified(self.dirty)

    # ================================================================== autosave / recovery
    def autosave(self) -> Path | None:
        """Write the recovery file now (never the .wbk). Skipped for an untitled session with no own work."""
        self._change_timer.stop()
        if not self.dirty or not self.has_substance():
            return None
        try:
            path = wsm.write_recovery(self.collect(), recovery_dir=self.recovery_dir)
        except WorkbenchError as exc:
            self.window.statusBar().showMessage(f"Autosave failed: {exc}", 10000)
            return None
        self._autosaved_changes = self._changes
        self.autosaved.emit(str(path))
        return path

    def _on_autosave_timer_timeout(self) -> None:
        if self.dirty and self._changes != self._autosaved_changes:
            self.autosave()

    def recovery_file(self) -> Path:
        return wsm.recovery_path(self.ws.path, recovery_dir=self.recovery_dir, session_id=self.ws.session_id)

    def available_recoveries(self) -> list:
        recs = [r for r in wsm.list_recoveries(self.recovery_dir)
                if not (self.ws.path is None and r.path == self.recovery_file())]
        last = self.settings.value("workspace/open")
        if last:
            rec = wsm.find_recovery(str(last))
            if rec is not None:
                recs.insert(0, rec)
        return recs

    def check_startup_recovery(self) -> list:
        """After a crash: say that unsaved work can be recovered (non-modal) and enable File ▸ Recover."""
        try:
            recs = self.available_recoveries()
        except Exception:  # a damaged recovery folder must not stop the app
            log.exception("Could not look for recovery files")
            recs = []
        self.action_recover.setVisible(bool(recs))
        if recs:
            rec = recs[0]
            what = rec.workspace_path.name if rec.workspace_path else "an untitled workspace"
            self.window.banner.show_message(
                f"Workbench did not close cleanly: unsaved changes to {what} (autosaved {_when(rec.written_at)}) "
                "can be recovered — File ▸ Recover Unsaved Workspace…", "warning")
        return recs

    def recover_unsaved(self, recovery=None) -> bool:
        recs = [recovery] if recovery is not None else self.available_recoveries()
        if not recs:
            self.window.statusBar().showMessage("Nothing to recover", 5000)
            self.action_recover.setVisible(False)
            return False
        rec = recs[0]
        if len(recs) > 1 and recovery is None:
            labels = [f"{r.workspace_path.name if r.workspace_path else 'Untitled'} — autosaved {_when(r.written_at)}"
                      for r in recs]
            label, ok = QInputDialog.getItem(self.window, "Recover unsaved workspace", "Which one?", labels, 0, False)
            if not ok:
                return False
            rec = recs[labels.index(label)]
        if not self.maybe_save_changes():
            return False
        try:
            ws = rec.load()
        except WorkbenchError as exc:
            self.window.show_error(f"The autosave cannot be read: {exc}")
            return False
        self._install(ws, dirty=True, how="recovered")
        self.action_recover.setVisible(bool(self.available_recoveries()))
        return True

    # ================================================================== new / open / save
    def maybe_save_changes(self) -> bool:
        """Before replacing the workspace: offer to save own work; False when the user cancelled."""
        self.notes.flush()
        if not self.dirty or not self.has_substance():
            return True
        answer = self.ask_save_changes()
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        wsm.discard_recovery(self.recovery_file())
        return True

    def new_workspace(self) -> bool:
        if not self.maybe_save_changes():
            return False
        self._install(wsm.Workspace(), dirty=False, how="created")
        return True

    def open_workspace(self, path: str | Path | None = None) -> bool:
        """File > Open Workspace (asks for the file when ``path`` is None). Returns whether it opened."""
        if not self.maybe_save_changes():
            return False
        path = path or self.ask_open_path()
        if not path:
            return False
        recovery = wsm.find_recovery(path)
        try:
            ws = wsm.load(path)
        except WorkbenchError as exc:
            if recovery is None:
                self.window.show_error(str(exc))
                return False
            ws = None
            self.window.show_error(f"{exc} An autosave of it exists.")
        dirty = False
        if recovery is not None:
            if self.ask_recover(recovery):
                try:
                    ws, dirty = recovery.load(), True
                except WorkbenchError as exc:
                    self.window.show_error(f"The autosave cannot be read: {exc}")
            else:
                wsm.discard_recovery(recovery)
        if ws is None:
            return False
        self._add_recent(ws.path or Path(path))
        self._install(ws, dirty=dirty, how="opened")
        return True

    def save(self) -> bool:
        """File > Save (Save As for a workspace never saved)."""
        if self.ws.path is None:
            return self.save_as()
        return self.save_to(self.ws.path)

    def save_as(self) -> bool:
        path = self.ask_save_path()
        return self.save_to(path) if path else False

    def save_to(self, path: str | Path) -> bool:
        """Save the workspace to ``path`` (atomic); the audit log follows it. Errors go to the banner."""
        self.notes.flush()
        target = Path(path)
        if target.suffix.lower() != wsm.SUFFIX:
            target = target.with_name(target.name + wsm.SUFFIX)
        target = target.resolve()
        old_recovery = self.recovery_file()
        was_untitled = self.ws.path is None
        try:
            self._move_audit_to(target)
            wsm.save(self.collect(), target, audit=self.audit)
        except WorkbenchError as exc:
            self.window.show_error(str(exc))
            return False
        if was_untitled:
            wsm.discard_recovery(old_recovery)
        self._add_recent(target)
        self.settings.setValue("workspace/open", str(target))
        self.audit_panel.set_log(self.audit.path, self.ws.audit_head, self.ws.audit_checkpoint)
        self._set_clean()
        self.window.statusBar().showMessage(f"Saved {target.name}", 6000)
        return True

    def _move_audit_to(self, target: Path) -> None:
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
            self.audit = self._make_log(new_log)
        else:
            self.audit = self._make_log(new_log)
            if old.path.exists():
                head = old.head()
                self.audit.append("workspace_saved_as", previous_log=str(old.path), previous_head=head.to_dict(),
                                  previous_checkpoint=old.checkpoint())  # signed: the old log cannot be swapped

    def _install(self, ws: wsm.Workspace, *, dirty: bool, how: str) -> None:
        """Make ``ws`` current: close the open tables, reset the panels, then re-check and re-open its
        sources in the background (the panels' state follows when they are open)."""
        self._restoring = True
        # First stop the previous workspace's pending checks, opens and fingerprints, then close the tables: a
        # late open can then neither deliver nor add a table to the new workspace's catalog.
        self.runner.discard("workspace.", "fingerprint:")
        for name in self._open_names():
            self.catalog.close(name)
        self._catalog_names = set()
        self.window._sources_changed()  # noqa: SLF001 — MainWindow's own "catalog changed" broadcast
        self._pending_fingerprints.clear()
        self.ws = ws
        self.audit.flush()
        self.audit = self._make_log(self._session_log_path(ws))
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
        self._explorer_key = state.state_key(ws.settings.extra.get("explorer"))
        self.checks = []
        if how != "created":
            self.audit.append("workspace_opened" if how == "opened" else "workspace_recovered",
                              path=str(ws.path) if ws.path else None,
                              sources={s.name: s.sha256 for s in ws.sources})
        self.audit_panel.set_log(self.audit.path, ws.audit_head, ws.audit_checkpoint)
        self.dirty = dirty
        self._changes = self._autosaved_changes = 0
        self.dirty_changed.emit(dirty)
        self._update_title()
        self.workspace_changed.emit(ws)
        if ws.sources:
            self._start_source_check()
        else:
            self._finish_restore([])

    # ================================================================== sources on open
    @staticmethod
    def _hashing_progress(ctx):
        """Hashing reports (bytes done, bytes total): the task's progress. Its cancel is ``ctx.cancelled``, so
        Esc, a superseding request or a replaced workspace stop the hashing, not only drop its result."""
        return lambda done, total: ctx.progress(done / total) if total else None

    def _start_source_check(self) -> int:
        ws = self.ws
        self.window.statusBar().showMessage(f"Checking the fingerprints of {len(ws.sources)} source(s)…")
        return self.runner.submit("workspace.verify", lambda ctx: (
            ws, wsm.verify_sources(ws, self._hashing_progress(ctx), ctx.cancelled)))

    def _on_sources_verified(self, ws, checks: list) -> None:
        if ws is not self.ws:
            return  # another workspace was opened meanwhile
        moved = wsm.apply_moves(ws, checks)
        self.checks = checks
        if moved:
            self.mark_changed("moved sources")
        self.sources_checked.emit(checks)
        self._report_checks(checks)
        present = {s.name for s in ws.sources
                   if not any(c.source == s.name and c.status == wsm.MISSING for c in checks)}
        records = [s for s in ws.sources if s.name in present]
        self.window.statusBar().showMessage(f"Opening {len(records)} source(s)…")
        self.runner.submit("workspace.open", lambda ctx: (ws, self._open_records(ctx, records)))

    def _open_records(self, ctx, records):
        """Worker side: open recorded sources under their recorded names, on the task's cursor. A cancelled
        task (Esc, or its workspace replaced) stops and adds no table to the catalog."""
        opened, failed = [], []
        for r in records:
            ctx.check()
            paths = [f.path for f in r.files]
            try:
                opened.append(self.catalog.open(paths if len(paths) != 1 else paths[0], name=r.name,
                                                cursor=ctx.cursor, cancelled=ctx.cancelled))
            except QueryCancelled:
                raise
            except WorkbenchError as exc:
                failed.append((r.name, str(exc)))
        return opened, failed

    def _report_checks(self, checks) -> None:
        problems = [c for c in checks if c.status != wsm.OK]
        moved = [c for c in problems if c.status == wsm.MOVED]
        serious = [c for c in problems if c.status != wsm.MOVED]
        if serious:
            summary = wsm.sources_summary(serious)
            lines = summary.splitlines()
            text = lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
            self.window.banner.show_message(text + " — see the Workspace sources window to locate or accept them.",
                                            "warning")
            self.show_source_dialog()
        elif moved:
            self.window.banner.show_message(
                f"{len(moved)} source file(s) had moved and were found by their fingerprint: "
                + "; ".join(c.message for c in moved[:2]), "info")
        else:
            self.window.statusBar().showMessage("All sources unchanged since the workspace was saved", 8000)

    def show_source_dialog(self) -> SourceCheckDialog:
        if self.source_dialog is None:
            self.source_dialog = SourceCheckDialog(self.window)
            self.source_dialog.relocate_requested.connect(self._on_source_dialog_relocate)
            self.source_dialog.accept_requested.connect(self.accept_source)
        self.source_dialog.set_checks(self.checks)
        self.source_dialog.show()
        self.source_dialog.raise_()
        return self.source_dialog

    def _on_sources_opened(self, ws, opened: list, failed: list) -> None:
        if ws is not self.ws:
            return
        self._after_sources_opened(opened)
        banner = self.window.banner
        if not failed and banner.isVisible() and banner.level == "error":
            banner.hide()  # an earlier failure does not describe the workspace that just opened cleanly
        for name, message in failed:
            self.window.show_error(f"{name} could not be opened: {message}")
        QTimer.singleShot(0, self, lambda: self._finish_restore(opened))  # after the panels received the sources

    def _after_sources_opened(self, opened: list) -> None:
        """Catalog changed: tell the panels, log each source with its current digests, look for PII."""
        self._catalog_names |= {s.name for s in opened}
        self.window._sources_changed()  # noqa: SLF001
        by_source: dict[str, list] = {}
        for c in self.checks:
            by_source.setdefault(c.source, []).append(c)
        for source in opened:
            try:
                record = self.ws.source(source.name)
            except WorkbenchError:
                continue
            current = {c.path: c.sha256 for c in by_source.get(source.name, [])}
            files = [{"path": f.path, "sha256": current.get(f.path) or f.sha256, "size": f.size,
                      "recorded_sha256": f.sha256} for f in record.files]
            self.audit.source_opened(source.name, files=files, row_count=source.row_count)
            self.masker.flag_by_name(source)
            self._detect_pii(source)
        self._refresh_audit()

    def _finish_restore(self, opened: list, attempt: int = 0) -> None:
        if self._shut_down:  # the window closed while its sources were still being opened
            return
        ws = self.ws
        extra = ws.settings.extra
        explorer_state = extra.get("explorer")
        wanted = {s.name for s in opened}
        known = set(getattr(self.explorer, "_sources", {}) or {}) if self.explorer is not None else wanted
        if not wanted <= known and attempt < 50:
            # MainWindow hands the panels their sources one event-loop turn at a time: wait for them.
            QTimer.singleShot(10, self, lambda: self._finish_restore(opened, attempt + 1))
            return
        try:
            if explorer_state and self.history is not None and explorer_state["spec"].get("table") in self.catalog:
                self.history.apply(explorer_state)
                self._pending_zoom = explorer_state
            if self.anomalies is not None:
                state.apply_annotations(self.anomalies, ws.annotations)
                state.apply_anomaly_rules(self.anomalies, ws.anomaly_rules)
            exp = next((e for e in ws.experiments if e.get("name") == "Experiments panel"), None)
            if exp:
                state.apply_experiment(self.experiments, exp)
            dashboard = self.window.panels.get("Dashboard")
            if dashboard is not None and extra.get("dashboard"):
                dashboard.restore(extra["dashboard"])
            tab = extra.get("current_tab")
            if tab and tab in self.window.panels:
                self.window.show_panel(tab)
        except Exception as exc:  # restoring someone else's panel must not leave the workspace half-open
            log.exception("Could not restore the panels")
            self.window.show_error(f"Part of the workspace's panel state could not be restored: {exc}")
        finally:
            self._restoring = False
        if opened:
            self.window.statusBar().showMessage(f"Opened workspace {ws.name}: {len(opened)} source(s)", 8000)
        self.restored.emit()

    # ------------------------------------------------------------------ relocate / accept
    def _on_source_dialog_relocate(self, name: str) -> None:
        record = self.ws.source(name)
        path = self.ask_relocate(name, len(record.files) > 1)
        if path:
            self.relocate_source(name, path)

    def relocate_source(self, name: str, new_location: str | Path) -> int:
        """Point a source at a new file/folder, re-check it (background) and open it when found."""
        ws, audit = self.ws, self.audit
        return self.runner.submit("workspace.relocate", lambda ctx: (ws, name, wsm.relocate(
            ws, name, new_location, self._hashing_progress(ctx), ctx.cancelled, audit=audit)))

    def _on_source_relocated(self, ws, name: str, checks: list) -> None:
        if ws is not self.ws:
            return
        self.checks = [c for c in self.checks if c.source != name] + list(checks)
        self.mark_changed("relocated")
        self.sources_checked.emit(self.checks)
        if self.source_dialog is not None:
            self.source_dialog.set_checks(self.checks)
        bad = [c for c in checks if c.status != wsm.OK]
        if bad:
            self.window.banner.show_message(wsm.sources_summary(bad).splitlines()[0], "warning")
        else:
            self.window.banner.show_message(f"{name} found: fingerprints match", "info")
        if not any(c.status == wsm.MISSING for c in checks):
            self._reopen(name)
        self._refresh_audit()

    def _reopen(self, name: str) -> None:
        if name in self.catalog:
            self.catalog.close(name)
        record = self.ws.source(name)
        self.runner.submit(f"workspace.reopen:{name}", lambda ctx: self._open_records(ctx, [record]))

    def accept_source(self, name: str) -> None:
        """Adopt a changed source's current fingerprint (a deliberate decision, logged)."""
        checks = [c for c in self.checks if c.source == name]
        try:
            wsm.accept_current(self.ws, name, checks, audit=self.audit)
        except WorkbenchError as exc:
            self.window.show_error(str(exc))
            return
        self.checks = [dataclasses.replace(c, status=wsm.OK, message=f"{Path(c.path).name}: current contents accepted")
                       if c.source == name and c.status == wsm.CHANGED else c for c in self.checks]
        if self.source_dialog is not None:
            self.source_dialog.set_checks(self.checks)
        self.mark_changed("accepted")
        self._refresh_audit()

    # ================================================================== sources opened by the user
    def _on_window_source_opened(self, source) -> None:
        """A file the user opened: fingerprint it (background), log it, look for personal data."""
        name = source.name
        self._catalog_names.add(name)
        self._pending_fingerprints.add(name)
        self.runner.submit(f"fingerprint:{name}", lambda ctx: wsm.SourceRecord.from_source(
            source, self._hashing_progress(ctx), ctx.cancelled))
        self.masker.flag_by_name(source)
        self._detect_pii(source)

    def _detect_pii(self, source) -> None:
        from workbench.privacy import detect_pii

        self.runner.submit(f"pii:{source.name}", lambda ctx, s=source: (s.name, detect_pii(ctx.cursor, s.name, s.columns)))

    def _on_window_sources_changed(self, sources) -> None:
        names = {s.name for s in sources}
        removed = self._catalog_names - names
        self._catalog_names = names
        if removed and not self._restoring:
            self.ws.sources = [s for s in self.ws.sources if s.name not in removed]
            for name in removed:
                self.masker.forget(name)
            self.mark_changed("closed")

    # ================================================================== runner results
    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key.startswith("fingerprint:"):
            self._on_fingerprinted(key.split(":", 1)[1], result)
        elif key.startswith("pii:"):
            name, findings = result
            if name in self.catalog:
                self.masker.set_findings(name, findings)
        elif key == "workspace.verify":
            self._on_sources_verified(*result)
        elif key == "workspace.open":
            ws, (opened, failed) = result
            self._on_sources_opened(ws, opened, failed)
        elif key == "workspace.relocate":
            self._on_source_relocated(*result)
        elif key.startswith("workspace.reopen:"):
            opened, failed = result
            self._after_sources_opened(opened)
            for name, message in failed:
                self.window.show_error(f"{name} could not be opened: {message}")
        elif key == "report.compute" and request_id == self._report_id:
            self._on_report_computed(result)
        elif key == "report.write" and request_id == self._report_write_id:
            self._on_report_file_written(result)
        elif key == "sql":
            console = self.window.sql_console
            if console is not None and getattr(console, "_request", None) == request_id:
                table = result[0]
                self._log_query(getattr(console, "_last_sql", ""), rows=table.num_rows, origin="sql console")

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key.startswith("fingerprint:"):
            name = key.split(":", 1)[1]
            self._pending_fingerprints.discard(name)
            self.window.show_error(f"Could not fingerprint {name}: {message}")
        elif key.startswith("pii:"):
            self.window.statusBar().showMessage(f"Personal-data check failed: {message}", 8000)
        elif key in ("workspace.verify", "workspace.open", "workspace.relocate") or key.startswith("workspace.reopen:"):
            self.window.show_error(message)
            if key != "workspace.relocate":
                self._restoring = False
        elif key == "report.compute" and request_id == self._report_id:
            self.window.show_error(f"The report could not be computed: {message}")
        elif key == "report.write" and request_id == self._report_write_id:
            self._refresh_audit()
            self.window.show_error(f"The report could not be written: {message}")

    def _on_runner_cancelled(self, request_id: int, key: str) -> None:
        if key.startswith("fingerprint:"):
            self._pending_fingerprints.discard(key.split(":", 1)[1])
        if key in ("workspace.verify", "workspace.open"):
            self._restoring = False
            self.window.banner.show_message("Checking the workspace's sources was cancelled: their fingerprints were "
                                            "not verified and they were not opened.", "warning")

    def _on_fingerprinted(self, name: str, record) -> None:
        self._pending_fingerprints.discard(name)
        if name not in self.catalog:
            return  # closed meanwhile
        self.ws.add_source(record)
        self.audit.source_opened(name, files=[{"path": f.path, "sha256": f.sha256, "size": f.size}
                                              for f in record.files], row_count=record.row_count)
        self._refresh_audit()
        self.mark_changed("source")

    # ================================================================== explorer hooks
    def _on_explorer_spec_changed(self, spec) -> None:
        key = state.state_key(state.capture_explorer(self.explorer, spec))
        if key and key != self._explorer_key:
            self._explorer_key = key
            self.mark_changed("explorer")

    def _on_explorer_result_ready(self, result) -> None:
        self._log_query(result.sql, rows=len(result.frame), source=result.spec.table, origin="explorer")
        if self._pending_zoom is not None:
            pending, self._pending_zoom = self._pending_zoom, None
            state.apply_zoom(self.explorer.chart, pending)
        self._apply_screen_suppression(result)

    def _log_query(self, sql_text: str, rows: int | None = None, source: str | None = None, origin: str = "") -> None:
        if not sql_text or sql_text == self._last_logged_sql:
            return  # the same query again (a redraw) adds nothing to the record
        self._last_logged_sql = sql_text
        # Written off the GUI thread; the Audit panel re-reads the log once the burst of queries is over.
        self.audit.append_later("query_run", done=self._audit_written.emit, sql=sql_text, rows=rows, source=source,
                                origin=origin)

    def _apply_screen_suppression(self, result) -> None:
        """Optionally hide small cells on screen too (count measures: the grid shows "<k")."""
        k = self.ws.settings.suppression_k
        if not (self.ws.settings.suppress_on_screen and k and result.spec.measure.agg in COUNT_AGGS):
            return
        from workbench.privacy import suppress

        frame = display_frame(result)
        label = result.spec.measure.label
        try:
            res = suppress(frame, label, k, dims=[c for c in ("bucket", "series") if c in frame.columns])
        except WorkbenchError:
            return
        if res.applied:
            shown = res.frame.astype({c: "string" for c in res.frame.columns if res.frame[c].dtype == object})
            # After the Explorer's own (possibly deferred) fill of the grid, and only if still current.
            QTimer.singleShot(0, lambda r=result, f=shown: self.explorer.results.set_table(f)
                              if self.explorer.last_result is r else None)

    def _explorer_column_map(self, columns: list[str]) -> dict:
        result = self.explorer.last_result if self.explorer is not None else None
        if result is None or not result.spec.breakdown or "series" not in columns:
            return {}
        kind = self.masker.kind(result.spec.table, result.spec.breakdown)
        return {"series": (result.spec.table, result.spec.breakdown, kind)} if kind else {}

    def _leaderboard_table(self) -> str | None:
        spec = self.explorer.last_leaderboard_spec or (self.explorer.last_result.spec
                                                       if self.explorer.last_result is not None else None)
        return spec.table if spec is not None else None

    def _leaderboard_masked(self, dimension: str) -> bool:
        table = self._leaderboard_table()
        return bool(table and dimension and self.masker.is_masked(table, dimension))

    def _reveal_leaderboard(self, dimension: str) -> None:
        table = self._leaderboard_table()
        if not self._leaderboard_masked(dimension):
            return
        kind = self.masker.kind(table, dimension)
        answer = self.masker.ask_reveal([(f"{dimension}  ({kind or 'personal data'}, from {table}.{dimension})",
                                          table, dimension)])
        if answer:
            self.masker.reveal(table, dimension, answer[1])

    def _chart_label(self, group: str) -> str:
        result = self.explorer.last_result
        spec = result.spec if result is not None else None
        if spec is None or not spec.breakdown or group == "Other" or not self.masker.is_masked(spec.table,
                                                                                               spec.breakdown):
            return group
        return MASK

    def _filter_column_masked(self, column: str) -> bool:
        table = self.explorer.current_table() if self.explorer is not None else None
        return bool(table and column and self.masker.is_masked(table, column))

    def _refresh_explorer_masks(self) -> None:
        try:
            self.explorer.filter_bar.refresh_mask()
            self.explorer.leaderboard.refresh_mask()
            self.explorer.chart.refresh_labels()
        except RuntimeError:  # the window is closing: its widgets are already gone
            pass

    def _on_masker_revealed(self, source: str, column: str, reason: str) -> None:
        self.audit.pii_revealed(source, column, reason)
        self._refresh_audit()
        self.window.statusBar().showMessage(f"{column} revealed for this session (reason logged)", 8000)

    # ================================================================== notes, views, settings
    def _on_notes_dock_visibility_changed(self, visible: bool) -> None:
        if visible and not self._notes_sized and not self.notes_dock.isFloating():
            self._notes_sized = True  # narrow by default: the Explorer needs the width more than the notes
            QTimer.singleShot(0, lambda: self.window.resizeDocks([self.notes_dock], [NOTES_WIDTH],
                                                                 Qt.Orientation.Horizontal))

    def _on_notes_changed(self, text: str) -> None:
        if text != self.ws.notes:
            self.ws.notes = text
            self.mark_changed("notes")

    def save_view(self, name: str, description: str = "") -> wsm.SavedView | None:
        """Bookmark what the Explorer shows under ``name`` (replacing a view of that name)."""
        current = state.capture_explorer(self.explorer)
        if current is None:
            self.window.show_error("Nothing to save yet: pick a table and a measure in the Explorer first")
            return None
        chart = {k: current[k] for k in ("range", "hidden", "x_range")}
        view = wsm.SavedView(name=name, spec=current["spec"], chart=chart, description=description)
        self.ws.save_view(view)
        self.audit.view_saved(name, view.spec)
        self.views_list.set_views(self.ws.views)
        self._refresh_audit()
        self.mark_changed("view")
        self.window.statusBar().showMessage(f"Saved view “{name}”", 6000)
        return view

    def save_view_interactive(self) -> None:
        if state.capture_explorer(self.explorer) is None:
            self.window.show_error("Nothing to save yet: pick a table and a measure in the Explorer first")
            return
        default = self.explorer.chart.title.text() or f"View {len(self.ws.views) + 1}"
        name = self.ask_view_name(default)
        if name:
            self.save_view(name.strip())

    def restore_view(self, name: str) -> bool:
        try:
            view = self.ws.view(name)
        except WorkbenchError as exc:
            self.window.show_error(str(exc))
            return False
        target = {"spec": view.spec, **view.chart}
        if self.history is not None:
            # Restoring a view is itself an undoable Explorer change.
            try:
                state.apply_explorer(self.explorer, target)
            except WorkbenchError as exc:
                self.window.show_error(str(exc))
                return False
        self._pending_zoom = target if view.chart.get("x_range") else None
        self.window.show_panel("Explorer")
        return True

    def delete_view(self, name: str) -> None:
        self.ws.views = [v for v in self.ws.views if v.name != name]
        self.views_list.set_views(self.ws.views)
        self.audit.append("view_deleted", view=name)

    def add_result(self, kind: str, name: str | None = None) -> dict | None:
        """Keep the Anomalies / Experiments panel's current result in the workspace for the evidence report
        (replacing a result of the same name)."""
        from widgets.report_items import capture_result

        try:
            item = capture_result(kind, self._result_panel(kind))
        except WorkbenchError as exc:
            self.window.show_error(str(exc))
            return None
        if name:
            item["name"] = name
        self.ws.saved_results = [r for r in self.ws.saved_results if r.get("name") != item["name"]] + [item]
        self.results_list.set_results(self.ws.saved_results)
        self.audit.append("result_saved", name=item["name"], kind=kind, recipe=item["recipe"])
        self._refresh_audit()
        self.mark_changed("result")
        self.window.statusBar().showMessage(f"Added “{item['name']}” to the workspace: File ▸ Export Evidence "
                                            "Report… lists it", 8000)
        return item

    def add_result_interactive(self, kind: str) -> None:
        from widgets.report_items import capture_result

        try:
            default = capture_result(kind, self._result_panel(kind))["name"]
        except WorkbenchError as exc:
            self.window.show_error(str(exc))
            return
        name = self.ask_result_name(default)
        if name:
            self.add_result(kind, name.strip())
        self._refresh_audit()
        self.mark_changed("view")

    def _result_panel(self, kind: str):
        return {"anomaly": self.anomalies, "experiment": self.experiments, "impact": self.impact}.get(kind)

    def _saved_result(self, name: str) -> dict | None:
        return next((r for r in self.ws.saved_results if r.get("name") == name), None)

    def restore_result(self, name: str) -> bool:
        """Open a saved result's panel with the settings it was computed with (the table must be open).
        An anomaly result re-detects; an experiment's form is filled and waits for Run readout."""
        from workbench import report_analyses as ra
        from workbench.experiments.spec import format_metric
        from workbench.metrics import Measure, MetricSpec

        item = self._saved_result(name)
        panel = None if item is None else self._result_panel(item.get("kind"))
        if item is None or panel is None:
            self.window.show_error(f"No saved result named “{name}”" if item is None else
                                   f"The {KIND_TEXT.get(item.get('kind'), 'result')} panel is not available")
            return False
        recipe = item.get("recipe") or {}
        table = (recipe.get("spec") or {}).get("table")
        if table not in set(self._open_names()):
            self.window.show_error(f"Open {table} first: “{name}” was computed on it")
            return False
        try:
            if item["kind"] == "impact":
                spec = recipe["spec"]
                panel.open_for(spec["table"], spec["unit"], spec.get("treated") or [], spec.get("start"),
                               time_column=spec.get("time_column"), measure=Measure(**spec["measure"]).label)
                self.window.show_panel("Impact")
                self.window.statusBar().showMessage(f"“{name}”: settings restored; Run analysis to recompute it",
                                                    8000)
            elif item["kind"] == "anomaly":
                spec = MetricSpec.from_dict(recipe["spec"])
                panel._on_form_edited()  # noqa: SLF001 — restored settings: stop following the Explorer
                panel.set_metric_spec(spec)
                if recipe.get("grain") and panel.grain_combo.findText(recipe["grain"]) >= 0:
                    panel.grain_combo.setCurrentText(recipe["grain"])
                state.apply_anomaly_rules(panel, [{"name": "Anomalies panel", "detector": recipe.get("params") or {}}])
                self.window.show_panel("Anomalies")
                panel.run_detection()
            else:
                spec = ra.experiment_spec_from_dict(recipe["spec"])
                state.apply_experiment(panel, {
                    "table": spec.table, "unit": spec.unit, "arm": spec.arm, "control": spec.control,
                    "metrics": [format_metric(m) for m in spec.metrics], "segment": spec.segment or "",
                    "time_column": spec.time_column or "", "correction": spec.correction,
                    "sequential_tuning": spec.sequential_tuning})
                self.window.show_panel("Experiments")
                self.window.statusBar().showMessage(f"“{name}”: settings restored; Run readout to recompute it",
                                                    8000)
        except (WorkbenchError, KeyError, TypeError, ValueError) as exc:
            self.window.show_error(f"Could not restore “{name}”: {exc}")
            return False
        return True

    def delete_result(self, name: str) -> None:
        if self._saved_result(name) is None:
            return
        self.ws.saved_results = [r for r in self.ws.saved_results if r.get("name") != name]
        self.results_list.set_results(self.ws.saved_results)
        self.audit.append("result_deleted", name=name)
        self._refresh_audit()
        self.mark_changed("result")

    def rename_result(self, name: str, new_name: str) -> bool:
        new_name = (new_name or "").strip()
        item = self._saved_result(name)
        if item is None or not new_name or new_name == name:
            return False
        if self._saved_result(new_name) is not None:
            self.window.show_error(f"A result named “{new_name}” exists already: pick another name")
            return False
        item["name"] = new_name
        self.results_list.set_results(self.ws.saved_results)
        self.audit.append("result_renamed", name=name, new_name=new_name)
        self._refresh_audit()
        self.mark_changed("result")
        return True

    def rename_result_interactive(self, name: str) -> None:
        new_name = self.ask_rename_result(name)
        if new_name:
            self.rename_result(name, new_name)

    def apply_settings(self, k: int | None, mask_pii: bool, suppress_on_screen: bool, mode: str | None = None) -> None:
        from widgets.protection_sync import raise_to_system_minimum, store_settings_policy

        s = self.ws.settings
        unchanged = (s.suppression_k, s.mask_pii, s.suppress_on_screen) == (k, mask_pii, suppress_on_screen)
        if unchanged and (mode is None or mode == self.protection.mode(self.ws)):
            return
        self.audit.append("settings_changed", suppression_k=k, mask_pii=mask_pii,
                          suppress_on_screen=suppress_on_screen, previous_k=s.suppression_k,
                          **({"mode": mode} if mode else {}))
        s.suppression_k, s.mask_pii, s.suppress_on_screen = k, mask_pii, suppress_on_screen
        store_settings_policy(self.ws, mode)  # the CLI and reports read the same policy
        raised = raise_to_system_minimum(self.ws)  # no workspace setting goes below the installation's
        if raised:
            self.window.statusBar().showMessage(raised, 15000)
        self.masker.enabled = s.mask_pii
        self.masker.refresh()
        self._refresh_audit()
        self.mark_changed("settings")
        if self.explorer is not None and self.explorer.last_result is not None:
            self.explorer.refresh_now()

    def edit_settings(self) -> None:
        s = self.ws.settings
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Workspace settings")
        k_spin = QSpinBox()
        k_spin.setRange(0, 10_000)
        k_spin.setSpecialValueText("off")
        k_spin.setValue(s.suppression_k or 0)
        k_spin.setToolTip("Groups with fewer units than this are hidden in every export (0 = off)")
        on_screen = QCheckBox("Also suppress small groups on screen (count measures)")
        on_screen.setChecked(s.suppress_on_screen)
        mask = QCheckBox("Mask columns flagged as personal data in grids")
        mask.setChecked(s.mask_pii)
        mode_box = self.protection.mode_box(self.ws)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        form = QFormLayout(dialog)
        form.addRow("Minimum group size k", k_spin)
        form.addRow("Protection of exports", mode_box)
        form.addRow("", on_screen)
        form.addRow("", mask)
        form.addRow(buttons)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            k = k_spin.value()
            if k == 1:
                k = 2  # k = 1 hides nothing; the engine needs at least 2
            self.apply_settings(k or None, mask.isChecked(), on_screen.isChecked(), mode=mode_box.currentData())

    # ================================================================== exports and reports
    def _export_context(self):
        pending = self._pending_fingerprints & {self.explorer.last_result.spec.table} \
            if self.explorer is not None and self.explorer.last_result is not None else set()
        if pending:
            raise WorkbenchError(f"{', '.join(sorted(pending))} is still being fingerprinted: export again in a "
                                 "moment (every export carries the sources' SHA-256)")
        return self.collect(), self.audit, self.masker

    def _on_export_action(self, fmt: str) -> None:
        outcome = self.exporter.export_interactive(fmt)
        self._refresh_audit()
        if outcome is not None:
            self.export_written.emit(outcome)

    def export_report_interactive(self) -> None:
        if not self.ws.views and not self.ws.saved_results:
            self.window.show_error("Save at least one view first (Edit ▸ Save View…), or add an anomaly or experiment "
                                   "result (Add to report in its panel): a report is made of saved items")
            return
        request = self.ask_report(self.ws.views)
        if request is not None:
            self.write_report(request)

    def write_report(self, request: ReportRequest) -> int | None:
        """Recompute the selected views (background), then write HTML + replay script (+ PDF)."""
        from workbench.metrics import MetricSpec

        from widgets.report_items import result_tables

        views = [self.ws.view(n) for n in request.views]
        saved = {r.get("name"): r for r in self.ws.saved_results}
        items = [saved[n] for n in request.results if n in saved]
        needed = {v.spec.get("table") for v in views}.union(*[result_tables(r) for r in items])
        missing = sorted(needed - set(self._open_names()))
        if missing:
            self.window.show_error(f"Open {', '.join(missing)} first: the report recomputes every view from the data")
            return None
        if self._pending_fingerprints:
            self.window.show_error("Sources are still being fingerprinted: try again in a moment")
            return None
        pii = [v.name for v in views if v.spec.get("breakdown")
               and self.masker.kind(v.spec.get("table"), v.spec.get("breakdown"))]
        reason = None
        if pii:
            reason = self.exporter.ask_pii_reason(
                f"Views {', '.join(pii)} break down by a column flagged as personal data; the report would show "
                "its values.")
            if not reason:
                return None
        self._report_request = request
        self._report_pii_reason = reason
        from workbench.analysis import Analysis, MetricView

        # The same analyses the screen ran: saved views as MetricViews (their relative range resolved now),
        # saved results from their recipes.
        jobs = [(v.name, MetricView(MetricSpec.from_dict(v.spec), _range_delta(v.chart.get("range")))) for v in views]
        analyses = [(r["name"], Analysis.from_dict(r["recipe"])) for r in items]

        from workbench.protection.policy import CELL_KEY, workspace_policy

        policy = workspace_policy(self.ws)
        masks = dict(self.window.catalog.view_masks)

        def compute(ctx):
            out = []
            for name, analysis in jobs + analyses:
                ctx.check()
                value = analysis.run(ctx.cursor).value
                if analysis.kind == "metric":
                    # Under cell-key, count tables get the engine's perturbation (as exports and the CLI do).
                    protected = None
                    if policy.mode == CELL_KEY and value.spec.measure.agg in COUNT_AGGS and not value.frame.empty:
                        from workbench.protection.apply import protect_metric

                        protected = protect_metric(ctx.cursor, value, policy,
                                                   pii_columns=set(masks.get(value.spec.table, {})))
                    out.append((name, value if protected is None else (value, protected)))
                else:  # an anomaly detection (AnomalyRun) or an experiment readout (its document)
                    data = {"experiment": lambda v: v.data, "impact": lambda v: v.doc}.get(analysis.kind, lambda v: v)
                    out.append((name, (analysis.kind, data(value))))
            return out

        self.window.statusBar().showMessage(f"Computing {len(jobs) + len(analyses)} item(s) for the report…")
        self._report_id = self.runner.submit("report.compute", compute)
        return self._report_id

    def _on_report_computed(self, results) -> None:
        from workbench.analysis import MetricView
        from workbench.report import EvidenceReport, ReportSection, ReportError, write_report

        request = self._report_request
        ws = self.collect()
        rep = EvidenceReport.for_workspace(ws, title=request.title,
                                           description={"views": request.views, "results": request.results,
                                                        "workspace": ws.name})
        saved = {r.get("name"): r for r in ws.saved_results}
        for name, result in results:
            protected = None
            if isinstance(result, tuple) and not isinstance(result[0], str):  # a metric with its protected table
                result, protected = result
            if isinstance(result, tuple):  # an anomaly detection or experiment readout
                rep.sections.append(self._analysis_section(name, saved[name], *result, k=rep.k))
                continue
            view = ws.view(name)
            spec = result.spec
            notes = {
                "Table": spec.table, "Measure": spec.measure.label, "Grain": spec.grain,
                "Time column": spec.time_column or "", "Filters": "; ".join(f.label for f in spec.filters) or "none",
                "Breakdown": f"{spec.breakdown} (top {spec.top_n})" if spec.breakdown else "none",
                "Comparison": (spec.compare_offset or "previous period") if spec.compare else "none",
                "Range": f"{view.chart.get('range', 'All data')}"
                         + (f" ({result.start:%Y-%m-%d} → {result.end:%Y-%m-%d})" if result.start else ""),
            }
            count = spec.measure.agg in COUNT_AGGS
            frame = result.frame if spec.compare else result.frame.drop(columns=["comparison_value"])
            if protected is not None:
                frame = protected.frame[[c for c in frame.columns if c in protected.frame.columns]]
            rep.sections.append(ReportSection(
                title=name, text=view.description or "", data=frame,
                image_png=render_chart_png(result, hidden=view.chart.get("hidden") or ()),
                method_notes=notes, sql=result.sql, recipe=MetricView(spec).to_dict(),
                count_column="value" if count else None,
                dims=[c for c in ("bucket", "series") if c in frame.columns] if count else None,
                protection=protected.statement if protected is not None else None,
                perturbation_bound=protected.policy.cell_key.max_perturbation if protected is not None else None))
        audit = self.audit
        replay_pdf = request.pdf

        def write(ctx):  # on a worker: HTML, replay script and PDF layout take seconds on a large report
            try:
                res = write_report(rep, request.html_path, audit=audit)
                pdf_path = None
                if replay_pdf:
                    from widgets.report_pdf import report_to_pdf
                    from workbench.fingerprint import sha256_file

                    pdf_path = report_to_pdf(rep, res.html_path.with_suffix(".pdf"),
                                             replay_name=res.replay_path.name if res.replay_path else None)
                    audit.export_written(pdf_path, sha256_file(pdf_path), format="pdf", report=str(res.html_path))
            except OSError as exc:
                raise ReportError(f"{exc.strerror or exc} ({exc.filename or request.html_path})") from exc
            return res, pdf_path

        self.window.statusBar().showMessage("Writing the evidence report…")
        self._report_write_id = self.runner.submit("report.write", write)

    def _on_report_file_written(self, result) -> None:
        res, pdf_path = result
        if self._report_pii_reason:
            self.audit.append("pii_exported", path=str(res.html_path), reason=self._report_pii_reason)
        self._refresh_audit()
        extra = f" and {pdf_path.name}" if pdf_path else ""
        self.window.banner.show_message(f"Evidence report written: {res.html_path.name}{extra} "
                                        f"(+ {res.replay_path.name if res.replay_path else 'no replay script'})", "info")
        self.report_written.emit(res)

    @staticmethod
    def _analysis_section(name: str, item: dict, kind: str, result, k):
        from workbench import report_analyses as ra
        from widgets.report_items import anomaly_chart_png, forest_png

        if kind == "anomaly":
            return ra.anomaly_section(result, item["recipe"], title=name, k=k, image_png=anomaly_chart_png(result),
                                      description=item.get("description", ""))
        if kind == "impact":
            from workbench.causal.report_section import impact_section

            return impact_section(result, item["recipe"], title=name, description=item.get("description", ""))
        return ra.experiment_section(result, item["recipe"], title=name, k=k, image_png=forest_png(result, k),
                                     description=item.get("description", ""))

    # ================================================================== recent workspaces
    def recent_workspaces(self) -> list[str]:
        try:
            items = json.loads(str(self.settings.value("recent/workspaces", "[]")))
        except (ValueError, TypeError):
            return []
        return [str(i) for i in items if isinstance(i, str)]

    def _add_recent(self, path: Path) -> None:
        entry = str(Path(path).resolve())
        items = [i for i in self.recent_workspaces() if i != entry]
        self.settings.setValue("recent/workspaces", json.dumps(([entry] + items)[:RECENT_LIMIT]))

    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_ws_menu
        menu.clear()
        items = self.recent_workspaces()
        if not items:
            menu.addAction("No recent workspaces").setEnabled(False)
            return
        for i, path in enumerate(items):
            action = menu.addAction(f"&{i + 1}  {Path(path).name}" if i < 9 else Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_workspace(p))
        menu.addSeparator()
        menu.addAction("Clear Recent", lambda: self.settings.setValue("recent/workspaces", "[]"))

    # ================================================================== close
    def confirm_close(self) -> bool:
        """MainWindow.closeEvent: offer to save own work; False keeps the window open."""
        try:
            ok = self.maybe_save_changes()
        except Exception:
            log.exception("Save on close failed")
            ok = True
        if ok:
            wsm.discard_recovery(self.recovery_file())
            self.settings.remove("workspace/open")
        return ok

    def shutdown(self) -> None:
        self._shut_down = True
        self.audit.flush()
        self._audit_refresh_timer.stop()
        self._autosave_timer.stop()
        self._change_timer.stop()
        self.runner.discard("workspace.", "fingerprint:")  # stop hashing now, before the window waits for it
        if self.source_dialog is not None:
            self.source_dialog.close()

    # ================================================================== dialogs
    def _ask_open_path_dialog(self) -> str | None:
        start = str(self.settings.value("recent/workspace_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self.window, "Open workspace", start, WBK_FILTER)
        if path:
            self.settings.setValue("recent/workspace_dir", str(Path(path).parent))
        return path or None

    def _ask_save_path_dialog(self) -> str | None:
        start = str(self.settings.value("recent/workspace_dir", str(Path.home())))
        name = self.ws.name if self.ws.name != "Untitled" else "analysis"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save workspace", str(Path(start) / f"{name}.wbk"), WBK_FILTER)
        if path:
            self.settings.setValue("recent/workspace_dir", str(Path(path).parent))
        return path or None

    def _ask_recover_dialog(self, recovery) -> bool:
        answer = QMessageBox.question(
            self.window, "Recover unsaved changes?",
            f"{recovery.workspace_path.name if recovery.workspace_path else 'This workspace'} has changes that were "
            f"autosaved {_when(recovery.written_at)} but never saved (Workbench did not close cleanly).\n\n"
            "Recover them? (No discards the autosave.)")
        return answer == QMessageBox.StandardButton.Yes

    def _ask_save_changes_dialog(self) -> str:
        box = QMessageBox(self.window)
        box.setWindowTitle("Save changes?")
        box.setText(f"Save the changes to workspace “{self.ws.name}”?")
        box.setInformativeText("Your saved views, notes and annotations are lost if you don't save them.")
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel")

    def _ask_result_name_dialog(self, default: str) -> str | None:
        name, ok = QInputDialog.getText(self.window, "Add to report", "Name in the evidence report:", text=default)
        return name.strip() if ok and name.strip() else None

    def _ask_rename_result_dialog(self, name: str) -> str | None:
        new, ok = QInputDialog.getText(self.window, "Rename result", "New name in the evidence report:", text=name)
        return new.strip() if ok and new.strip() else None

    def _ask_view_name_dialog(self, default: str) -> str | None:
        name, ok = QInputDialog.getText(self.window, "Save view", "Name of this view:", text=default)
        return name.strip() if ok and name.strip() else None

    def _ask_relocate_dialog(self, name: str, folder: bool) -> str | None:
        start = str(Path(self.ws.path).parent) if self.ws.path else str(Path.home())
        if folder:
            path = QFileDialog.getExistingDirectory(self.window, f"Where are the files of {name} now?", start)
        else:
            path, _ = QFileDialog.getOpenFileName(self.window, f"Where is {name} now?", start,
                                                  "Data files (*.parquet *.parq *.pq *.csv *.tsv *.csv.gz);;All files (*)")
        return path or None

    def _ask_report_dialog(self, views) -> ReportRequest | None:
        base = Path(self.ws.path).parent if self.ws.path else Path.home()
        default = str(base / f"{self.ws.name}-evidence.html")
        dialog = ReportDialog(views, f"Evidence report — {self.ws.name}", default, self.ws.settings.suppression_k,
                              self.window, results=self.ws.saved_results)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.request()


def _range_delta(label: str | None):
    from widgets.explorer_panel import RANGES

    return dict(RANGES).get(label or "All data")


def _when(iso: str) -> str:
    try:
        t = dt.datetime.fromisoformat(iso).astimezone()
    except (TypeError, ValueError):
        return "earlier"
    today = dt.datetime.now().astimezone().date()
    return f"at {t:%H:%M}" if t.date() == today else f"on {t:%Y-%m-%d %H:%M}"
