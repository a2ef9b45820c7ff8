"""A non-modal message strip at the top of the window: errors stay until dismissed, info fades away.

Never a modal dialog for an error a user caused: they keep working while the message is visible.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton

from widgets.icons import icon

_STYLES = {
    "error": ("#fdecea", "#f5c2c0", "#7a1f1b", "#3b1d1d", "#7a2e2b", "#ffd7d5"),
    "warning": ("#fff6e5", "#f0d59b", "#6b4a00", "#3a2f17", "#6e5a25", "#ffe2a8"),
    "info": ("#e8f1fd", "#b9d3f5", "#173f73", "#17263a", "#2d4d75", "#cfe3ff"),
}
INFO_TIMEOUT_MS = 6000


class Banner(QFrame):
    """Show one message at a time; ``show_message`` replaces the current one.

    Signals
    -------
    dismissed() when the user closes it.
    """

    dismissed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._icon = QLabel()
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._count = QLabel()
        self._close = QToolButton()
        self._close.setIcon(icon("close"))
        self._close.setAutoRaise(True)
        self._close.setToolTip("Dismiss")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.setSpacing(8)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        layout.addWidget(self._count)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._level = "info"
        self._repeats = 0
        self._connect_signals()
        self.hide()

    def _connect_signals(self) -> None:
        self._close.clicked.connect(self._on_close_clicked)
        self._timer.timeout.connect(self.hide)

    @property
    def level(self) -> str:
        return self._level

    def text(self) -> str:
        return self._text.text()

    def show_message(self, text: str, level: str = "error") -> None:
        """Display ``text``; ``level`` is "error", "warning" or "info" (info hides itself)."""
        level = level if level in _STYLES else "error"
        if self.isVisible() and text == self._text.text():
            self._repeats += 1  # the same failure again: count it instead of flickering
        else:
            self._repeats = 0
        self._level = level
        self._text.setText(text)
        self._count.setText(f"×{self._repeats + 1}" if self._repeats else "")
        self._icon.setPixmap(icon({"error": "error", "warning": "warning", "info": "info"}[level]).pixmap(18, 18))
        self._apply_style()
        self.show()
        if level == "info":
            self._timer.start(INFO_TIMEOUT_MS)
        else:
            self._timer.stop()

    def _apply_style(self) -> None:
        from widgets.theme import is_dark

        bg, border, fg, dbg, dborder, dfg = _STYLES[self._level]
        if is_dark():
            bg, border, fg = dbg, dborder, dfg
        self.setStyleSheet(
            f"QFrame#banner {{ background: {bg}; border: 1px solid {border}; border-radius: 6px; }}"
            f"QFrame#banner QLabel {{ color: {fg}; background: transparent; }}"
        )

    def _on_close_clicked(self) -> None:
        self.hide()
        self.dismissed.emit()
