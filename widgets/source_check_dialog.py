"""Non-modal dialog listing the workspace's sources after they were re-fingerprinted on open: each file is
unchanged, changed, moved (found elsewhere with the same SHA-256) or missing; "Locate…" points a source at a
new file or folder, "Accept current contents" adopts a changed file's new fingerprint (logged)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

STATUS_TEXT = {"ok": "unchanged", "changed": "CHANGED", "moved": "moved", "missing": "MISSING"}
STATUS_COLOR = {"ok": "#1a7f37", "changed": "#b42318", "moved": "#9a6700", "missing": "#b42318"}


class SourceCheckDialog(QDialog):
    """Signals: relocate_requested(str source), accept_requested(str source)."""

    relocate_requested = Signal(str)
    accept_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Workspace sources")
        self.setModal(False)
        self.resize(880, 360)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Source", "File", "Status", "What happened"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for i in range(3):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.locate_button = QPushButton("Locate…")
        self.locate_button.setToolTip("Point the selected source at the file or folder where its data is now")
        self.accept_button = QPushButton("Accept current contents")
        self.accept_button.setToolTip("Adopt the selected source's current fingerprint (written to the audit log)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        row = QHBoxLayout()
        row.addWidget(self.locate_button)
        row.addWidget(self.accept_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        buttons.rejected.connect(self.close)
        self.locate_button.clicked.connect(lambda: self._emit_for_selected(self.relocate_requested))
        self.accept_button.clicked.connect(lambda: self._emit_for_selected(self.accept_requested))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._checks: list = []

    def set_checks(self, checks) -> None:
        self._checks = list(checks)
        problems = [c for c in self._checks if c.status != "ok"]
        self.summary.setText(
            "All sources are unchanged since the workspace was saved."
            if not problems
            else f"{len(problems)} file(s) differ from what this workspace recorded. Numbers computed from changed or "
            "missing data will not match the saved analysis: locate the right files, or accept the current "
            "contents deliberately."
        )
        self.table.setRowCount(len(self._checks))
        for r, c in enumerate(self._checks):
            cells = (c.source, Path(c.path).name, STATUS_TEXT.get(c.status, c.status), c.message)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(c.path if col == 1 else text)
                if col == 2:
                    item.setForeground(QColor(STATUS_COLOR.get(c.status, "#000000")))
                self.table.setItem(r, col, item)
        first_problem = next((r for r, c in enumerate(self._checks) if c.status != "ok"), 0)
        if self._checks:
            self.table.selectRow(first_problem)
        self._update_buttons()

    def selected_source(self) -> str | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self._checks[rows.pop()].source if len(rows) == 1 else None

    def selected_check(self):
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self._checks[rows.pop()] if len(rows) == 1 else None

    def _update_buttons(self) -> None:
        c = self.selected_check()
        self.locate_button.setEnabled(c is not None and c.status in ("missing", "changed", "moved"))
        self.accept_button.setEnabled(c is not None and c.status == "changed")

    def _emit_for_selected(self, signal) -> None:
        name = self.selected_source()
        if name:
            signal.emit(name)
