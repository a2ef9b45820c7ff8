"""The Audit panel: the workspace's hash-chained log (what was opened, queried, saved, exported, revealed),
with filters, the details of an entry, and "Verify chain".

Reading the log is cheap (one JSON line per entry); verifying re-hashes every entry and runs on the
QueryRunner (key ``audit.verify``) so a long log never blocks the window.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.icons import icon
from widgets.theme import monospace_font

ALL_ACTIONS = "All actions"
COLUMNS = ("#", "Time", "User", "Action", "What")
ACTION_LABELS = {
    "source_opened": "Source opened",
    "query_run": "Query run",
    "view_saved": "View saved",
    "workspace_saved": "Workspace saved",
    "workspace_opened": "Workspace opened",
    "export_written": "Export written",
    "report_written": "Report written",
    "pii_revealed": "Personal data revealed",
    "source_relocated": "Source relocated",
    "source_fingerprint_accepted": "Fingerprint accepted",
    "workspace_recovered": "Workspace recovered",
    "workspace_saved_as": "Workspace saved as",
    "suppression_skipped": "Suppression skipped",
    "settings_changed": "Settings changed",
    "view_deleted": "View deleted",
    "pii_exported": "Personal data exported",
    "clipboard_copied": "Copied to clipboard",
    "signing_key": "Signing key",
    "agent_tool_call": "Agent tool call",
}


def summarize(entry: dict) -> str:
    """One line saying what an entry is about."""
    d = entry.get("details") or {}
    action = entry.get("action")
    if action == "source_opened":
        files = d.get("files") or []
        digest = files[0].get("sha256", "")[:16] + "…" if len(files) == 1 else f"{len(files)} files"
        rows = f", {d['row_count']:,} rows" if isinstance(d.get("row_count"), int) else ""
        return f"{d.get('source')} ({digest}{rows})"
    if action == "query_run":
        return " ".join(str(d.get("sql", "")).split())[:200]
    if action == "view_saved":
        return str(d.get("view", ""))
    if action in ("export_written", "report_written"):
        return f"{Path(str(d.get('path', ''))).name}  sha256 {str(d.get('sha256', ''))[:16]}…"
    if action == "pii_revealed":
        return f"{d.get('source')}.{d.get('column')}: “{d.get('reason')}”"
    if action in ("workspace_saved", "workspace_opened", "workspace_recovered"):
        return Path(str(d.get("path") or "untitled")).name
    if action == "suppression_skipped":
        return f"{Path(str(d.get('path', ''))).name}: {d.get('reason', '')} ({d.get('measure', '')}, k = {d.get('k')})"
    if action == "settings_changed":
        return (
            f"k = {d.get('suppression_k') or 'off'}, mask personal data {'on' if d.get('mask_pii') else 'OFF'}, "
            f"suppress on screen {'on' if d.get('suppress_on_screen') else 'off'}"
        )
    if action == "view_deleted":
        return str(d.get("view", ""))
    if action == "clipboard_copied":
        what = {
            "explorer": "Explorer grid",
            "sql_console": "SQL console grid",
            "experiment_readout": "experiment readout",
        }.get(d.get("origin"), d.get("origin") or "data")
        if d.get("suppression_applied"):
            guard = f"suppressed with k = {d.get('suppression_k')}"
        else:
            guard = "no suppression"
        text = f"{what}: {d.get('rows')} row(s), {len(d.get('columns') or [])} column(s), {guard}"
        if d.get("pii_columns"):
            text += f"; personal data {', '.join(d['pii_columns'])}: “{d.get('pii_reason', '')}”"
        return text
    if action == "agent_tool_call":  # made by an assistant through `workbench mcp`
        args = json.dumps(d.get("arguments") or {}, ensure_ascii=False, default=str)
        if d.get("outcome") == "refused":
            return f"agent: {d.get('tool')} {args[:120]} refused: {d.get('error', '')}"[:200]
        guard = f"{d.get('hidden_cells', 0)} cell(s) hidden" if d.get("suppression_applied") else "nothing hidden"
        return f"agent: {d.get('tool')} {args[:120]} → {d.get('rows_returned', 0)} row(s), {guard}"
    if action == "pii_exported":
        return f"{Path(str(d.get('path', ''))).name}: “{d.get('reason')}”"
    if action == "signing_key":
        from workbench.audit_keys import short_fingerprint

        return (
            f"{d.get('algorithm', 'Ed25519')} key {short_fingerprint(str(d.get('fingerprint', '')))} ({d.get('owner')})"
        )
    text = json.dumps(d, ensure_ascii=False, default=str)
    return text[:200]


def local_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(iso)


class AuditPanel(QWidget):
    """Shows one audit log. Constructed as AuditPanel(runner, catalog=None).

    Signals
    -------
    error_occurred(str), status_message(str), verified(object: a VerifyResult, or an AgainstResult when the
    workspace carries a signed checkpoint).
    """

    error_occurred = Signal(str)
    status_message = Signal(str)
    verified = Signal(object)

    VERIFY_KEY = "audit.verify"

    def __init__(self, runner, catalog=None, parent=None):
        super().__init__(parent)
        self._runner = runner
        self._path: Path | None = None
        self._expected_head: dict | None = None
        self._checkpoint: dict | None = None  # the workspace's signed checkpoint (workbench.audit_checkpoint)
        self._entries: list[dict] = []
        self._verify_request: int | None = None

        self.path_label = QLabel("No audit log yet")
        self.path_label.setObjectName("hint")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_combo = QComboBox()
        self.action_combo.addItem(ALL_ACTIONS, None)
        self.action_combo.setMinimumContentsLength(18)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Filter: file, SQL, column, reason…")
        self.text_filter.setClearButtonEnabled(True)
        self.text_filter.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.refresh_button = QPushButton(icon("reset-zoom"), "Refresh")
        self.verify_button = QPushButton("Verify chain")
        self.verify_button.setToolTip(
            "Re-hash every entry and check the chain (and the head recorded in the "
            "workspace file): edited, deleted, reordered or inserted lines are found"
        )
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.count_label = QLabel("")
        self.count_label.setObjectName("hint")

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for i in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setFont(monospace_font())
        self.details.setPlaceholderText("Select an entry to see everything it records (details, hashes).")

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(QLabel("Action"))
        top.addWidget(self.action_combo)
        top.addWidget(self.text_filter, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.verify_button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 160])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.result_label)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.path_label, 1)
        bottom.addWidget(self.count_label)
        layout.addLayout(bottom)
        self.result_label.hide()

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        # Exports and reports append to the log from the engine: follow the file, not only our own calls.
        self._watcher = QFileSystemWatcher(self)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(100)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.action_combo.currentIndexChanged.connect(self.apply_filters)
        self.text_filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self._filter_timer.timeout.connect(self.apply_filters)
        self.refresh_button.clicked.connect(self.reload)
        self._watcher.fileChanged.connect(lambda _p: self._reload_timer.start())
        self._watcher.directoryChanged.connect(lambda _p: self._reload_timer.start())
        self._reload_timer.timeout.connect(self.reload)
        self.verify_button.clicked.connect(self.verify)
        self.table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self._runner.result_ready.connect(self._on_runner_result_ready)
        self._runner.failed.connect(self._on_runner_failed)

    # ------------------------------------------------------------------ public
    def set_sources(self, sources) -> None:  # panel contract; the log does not depend on the catalog
        pass

    def set_log(self, path, expected_head: dict | None = None, checkpoint: dict | None = None) -> None:
        """Show the log at ``path`` (which may not exist yet); ``expected_head`` is the head recorded in the
        workspace file and ``checkpoint`` its signed checkpoint, both checked by Verify."""
        self._path = Path(path) if path is not None else None
        self._expected_head = expected_head
        self._checkpoint = checkpoint
        self.result_label.hide()
        self.path_label.setText(str(self._path) if self._path else "No audit log yet")
        self.path_label.setToolTip(self.path_label.text())
        self.reload()

    def _watch(self) -> None:
        watched = self._watcher.files() + self._watcher.directories()
        if self._path is None:
            if watched:
                self._watcher.removePaths(watched)
            return
        want = str(self._path) if self._path.exists() else str(self._path.parent)
        if watched != [want]:
            if watched:
                self._watcher.removePaths(watched)
            if Path(want).exists():
                self._watcher.addPath(want)

    def set_expected_head(self, head: dict | None, checkpoint: dict | None = None) -> None:
        self._expected_head = head
        self._checkpoint = checkpoint

    @property
    def path(self) -> Path | None:
        return self._path

    def entries(self) -> list[dict]:
        if getattr(self, "_stale", False):
            self._read()
        return list(self._entries)

    def reload(self) -> None:
        """Re-read the log (call after anything appended to it). While the panel is hidden this only marks it
        stale: re-reading and refilling the table after every query cost the GUI thread milliseconds."""
        self._reload_timer.stop()
        self._watch()
        if not self.isVisible():
            self._stale = True
            return
        self._read()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self._read()

    def _read(self) -> None:
        from workbench.audit import AuditLog

        self._stale = False
        self._entries = AuditLog(self._path).entries() if self._path is not None and self._path.exists() else []
        self._show_keys()
        current = self.action_combo.currentData()
        actions = sorted({str(e.get("action")) for e in self._entries})
        self.action_combo.blockSignals(True)
        self.action_combo.clear()
        self.action_combo.addItem(ALL_ACTIONS, None)
        for a in actions:
            self.action_combo.addItem(ACTION_LABELS.get(a, a), a)
        i = self.action_combo.findData(current)
        self.action_combo.setCurrentIndex(max(i, 0))
        self.action_combo.blockSignals(False)
        self._fill()

    def _show_keys(self) -> None:
        """The log's path and the fingerprints of the keys that signed it (what an auditor compares)."""
        from workbench.audit_keys import short_fingerprint

        keys = {
            str(e["details"].get("fingerprint")): e["details"].get("owner")
            for e in self._entries
            if e.get("action") == "signing_key" and isinstance(e.get("details"), dict)
        }
        text = str(self._path) if self._path else "No audit log yet"
        if keys:
            text += "  ·  signed by " + ", ".join(
                f"key {short_fingerprint(fp)} ({owner})" for fp, owner in keys.items()
            )
        self.path_label.setText(text)
        self.path_label.setToolTip(text)

    def set_action_filter(self, action: str | None) -> None:
        i = self.action_combo.findData(action)
        self.action_combo.setCurrentIndex(max(i, 0))

    def visible_entries(self) -> list[dict]:
        if getattr(self, "_stale", False):
            self._read()
        return [self._entries[r] for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]

    def verify(self) -> int | None:
        """Check the chain on a worker thread; the result shows above the table (and ``verified`` fires)."""
        if self._path is None or not self._path.exists():
            self._show_result(False, "There is no audit log to verify yet (nothing has been recorded).")
            return None
        from workbench.audit import verify
        from workbench.audit_checkpoint import verify_against

        path, head, cp = self._path, self._expected_head, self._checkpoint
        self.verify_button.setEnabled(False)
        if cp:  # the signed checkpoint binds the log to the saved workspace; the bare head only to itself
            task = lambda ctx: verify_against(path, extra=[("the saved workspace", cp)], expected_head=head)  # noqa: E731
        else:
            task = lambda ctx: verify(path, expected_head=head)  # noqa: E731
        self._verify_request = self._runner.submit(self.VERIFY_KEY, task)
        return self._verify_request

    # ------------------------------------------------------------------ table
    def _fill(self) -> None:
        self.table.setRowCount(len(self._entries))
        for row, e in enumerate(self._entries):
            action = str(e.get("action"))
            cells = (
                str(e.get("seq", "")),
                local_time(e.get("time", "")),
                str(e.get("user", "")),
                ACTION_LABELS.get(action, action),
                summarize(e),
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == len(cells) - 1:
                    item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.apply_filters()
        if self._entries:
            self.table.scrollToBottom()

    def apply_filters(self) -> None:
        action = self.action_combo.currentData()
        needle = self.text_filter.text().strip().lower()
        shown = 0
        for row, e in enumerate(self._entries):
            ok = action is None or e.get("action") == action
            if ok and needle:
                ok = needle in json.dumps(e, ensure_ascii=False, default=str).lower()
            self.table.setRowHidden(row, not ok)
            shown += ok
        total = len(self._entries)
        self.count_label.setText(f"{shown:,} of {total:,} entries" if shown != total else f"{total:,} entries")

    def _on_table_selection_changed(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        if len(rows) != 1:
            self.details.clear()
            return
        entry = self._entries[rows.pop()]
        self.details.setPlainText(json.dumps(entry, indent=2, ensure_ascii=False, default=str))

    # ------------------------------------------------------------------ verify
    def _show_result(self, ok: bool, text: str) -> None:
        from widgets.theme import verdict_text

        color = verdict_text("good" if ok else "bad")  # readable on the light and the dark palette
        mark = "✔" if ok else "✘"
        self.result_label.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.result_label.setText(f"{mark} {text}")
        self.result_label.show()

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key != self.VERIFY_KEY or request_id != self._verify_request:
            return
        self.verify_button.setEnabled(True)
        text = result.report()
        if result.ok and self._expected_head and not hasattr(result, "checks"):
            text += f" (matches the head recorded in the workspace: {self._expected_head.get('count')} entries)"
        self._show_result(result.ok, text)
        problem = getattr(result, "log", result).problem  # a checkpoint check wraps the chain's own result
        if not result.ok and problem is not None:
            self._select_line(problem.line)
        self.status_message.emit("Audit chain intact" if result.ok else "Audit chain BROKEN")
        self.verified.emit(result)

    def _select_line(self, line: int) -> None:
        # The table holds parseable entries only; the problem line is 1-based in the file. Near enough to
        # point at: select the entry with seq line-1 if it is there.
        for row, e in enumerate(self._entries):
            if e.get("seq") == line - 1:
                self.table.selectRow(row)
                return

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == self.VERIFY_KEY and request_id == self._verify_request:
            self.verify_button.setEnabled(True)
            self._show_result(False, message)
