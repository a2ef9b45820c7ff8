"""File > Export Evidence Report…: pick the saved views, the title and where the HTML (and PDF) go."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QVBoxLayout, QWidget,
)

from widgets.saved_views import view_summary


@dataclass
class ReportRequest:
    title: str
    views: list[str]
    html_path: Path
    pdf: bool


class ReportDialog(QDialog):
    """Collects a :class:`ReportRequest` (``request()`` after ``exec()`` returned Accepted)."""

    def __init__(self, views, title: str, default_path: str, k: int | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export evidence report")
        self.resize(620, 480)
        self.title_edit = QLineEdit(title)
        self.views = QListWidget()
        for v in views:
            item = QListWidgetItem(v.name)
            item.setData(Qt.ItemDataRole.UserRole, v.name)
            item.setToolTip(view_summary(v))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.views.addItem(item)
        self.path_edit = QLineEdit(default_path)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QWidget()
        pr = QHBoxLayout(path_row)
        pr.setContentsMargins(0, 0, 0, 0)
        pr.addWidget(self.path_edit, 1)
        pr.addWidget(browse)
        self.pdf_check = QCheckBox("Also write a PDF beside it")
        self.pdf_check.setChecked(True)
        note = QLabel(
            "The report embeds each view's chart and table, the method notes, the SQL, the sources' SHA-256 "
            "fingerprints and your notes. A replay script (…replay.py) is written beside it: it re-checks the "
            "fingerprints and recomputes every number. "
            + (f"Groups with fewer than {k} units are suppressed." if k else "Small-cell suppression is OFF."))
        note.setWordWrap(True)
        note.setObjectName("hint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Write report")
        form = QFormLayout()
        form.addRow("Title", self.title_edit)
        form.addRow("Views", self.views)
        form.addRow("HTML file", path_row)
        form.addRow("", self.pdf_check)
        layout = QVBoxLayout(self)
        layout.addLayout(form, 1)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.views.itemChanged.connect(self._update_ok)
        self._update_ok()

    def _update_ok(self, *_):
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.selected_views()))

    def selected_views(self) -> list[str]:
        return [self.views.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.views.count())
                if self.views.item(i).checkState() == Qt.CheckState.Checked]

    def request(self) -> ReportRequest:
        return ReportRequest(self.title_edit.text().strip() or "Evidence report", self.selected_views(),
                             Path(self.path_edit.text()).expanduser(), self.pdf_check.isChecked())

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Evidence report", self.path_edit.text() or os.getcwd(),
                                              "HTML report (*.html)")
        if path:
            self.path_edit.setText(path)
