"""File > Export Evidence Report…: pick the saved views and saved anomaly/experiment results, the title and
where the HTML (and PDF) go."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widgets.report_items import result_summary
from widgets.saved_views import view_summary


@dataclass
class ReportRequest:
    title: str
    views: list[str]
    html_path: Path
    pdf: bool
    results: list[str] = field(default_factory=list)  # names of ws.saved_results


class ReportDialog(QDialog):
    """Collects a :class:`ReportRequest` (``request()`` after ``exec()`` returned Accepted)."""

    def __init__(self, views, title: str, default_path: str, k: int | None, parent=None, results=()):
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
        for r in results:  # anomaly incidents / experiment readouts added from their panels
            item = QListWidgetItem(r["name"])
            item.setData(Qt.ItemDataRole.UserRole, ("result", r["name"]))
            item.setToolTip(result_summary(r))
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
            "The report embeds each view's chart and table (anomaly incidents with their root cause, experiment "
            "readouts with their forest plot), the method notes, the SQL, the sources' SHA-256 "
            "fingerprints and your notes. A replay script (…replay.py) is written beside it: it re-checks the "
            "fingerprints and recomputes every number. "
            + (f"Groups with fewer than {k} units are suppressed." if k else "Small-cell suppression is OFF.")
        )
        note.setWordWrap(True)
        note.setObjectName("hint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Write report")
        form = QFormLayout()
        form.addRow("Title", self.title_edit)
        form.addRow("Include", self.views)
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
        ok = bool(self.selected_views() or self.selected_results())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _checked(self) -> list:
        return [
            self.views.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.views.count())
            if self.views.item(i).checkState() == Qt.CheckState.Checked
        ]

    def selected_views(self) -> list[str]:
        return [d for d in self._checked() if isinstance(d, str)]

    def selected_results(self) -> list[str]:
        return [d[1] for d in self._checked() if not isinstance(d, str)]

    def request(self) -> ReportRequest:
        return ReportRequest(
            self.title_edit.text().strip() or "Evidence report",
            self.selected_views(),
            Path(self.path_edit.text()).expanduser(),
            self.pdf_check.isChecked(),
            self.selected_results(),
        )

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Evidence report", self.path_edit.text() or os.getcwd(), "HTML report (*.html)"
        )
        if path:
            self.path_edit.setText(path)
