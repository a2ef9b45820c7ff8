"""The Explorer's non-modal "View SQL" dialog: the exact query behind the chart, copyable, sendable to the
SQL console."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout

from widgets.theme import monospace_font


class SqlDialog(QDialog):
    """Non-modal "View SQL": the exact query text, copyable, and sendable to the SQL console."""

    open_in_console = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("SQL behind this chart")
        self.setModal(False)
        self.resize(760, 520)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(monospace_font())
        buttons = QDialogButtonBox()
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.console_button = buttons.addButton("Open in SQL console", QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        buttons.rejected.connect(self.close)
        self.copy_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        self.console_button.clicked.connect(self._on_console_button_clicked)
        self._main_sql = ""

    def set_sql(self, main_sql: str, extra: str = "") -> None:
        self._main_sql = main_sql
        text = main_sql or "-- no query has run yet"
        if extra:
            text += "\n\n-- leaderboard\n" + extra
        self.text.setPlainText(text)

    def _on_console_button_clicked(self) -> None:
        self.open_in_console.emit(self._main_sql)
        self.close()
