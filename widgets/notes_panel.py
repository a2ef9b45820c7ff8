"""The analyst's notes for a workspace: plain text, saved with it and printed in evidence reports."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

NOTES_DEBOUNCE_MS = 800


class NotesPanel(QWidget):
    """A notes editor. ``notes_changed(str)`` fires ~1 s after the user stops typing (autosave trigger).

    Signals
    -------
    notes_changed(str)
    """

    notes_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(
            "Notes for this analysis: what you looked at, what you concluded, what to check next.\n\n"
            "They are saved with the workspace and printed in evidence reports."
        )
        hint = QLabel("Saved with the workspace · included in evidence reports")
        hint.setObjectName("hint")
        hint.setWordWrap(True)  # else its one line sets the dock's minimum width
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.editor, 1)
        layout.addWidget(hint)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(NOTES_DEBOUNCE_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.editor.textChanged.connect(self._debounce.start)
        self._debounce.timeout.connect(self._on_debounce_timeout)

    def sizeHint(self) -> QSize:  # noqa: N802 — the dock's initial width: the Explorer needs the room
        return QSize(260, 500)

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        """Replace the notes without announcing a change (opening a workspace)."""
        with QSignalBlocker(self.editor):
            self.editor.setPlainText(text or "")
        self._debounce.stop()

    def flush(self) -> None:
        """Announce pending edits now (before a save)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self._on_debounce_timeout()

    def _on_debounce_timeout(self) -> None:
        self.notes_changed.emit(self.text())
