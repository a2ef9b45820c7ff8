"""An empty-state sentence over a pyqtgraph PlotWidget: empty axes with 0..1 ticks look broken.

self.placeholder = PlotPlaceholder(plot_widget, "Run the readout to see …")
self.placeholder.set_empty(not rows)   # after each redraw
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel


class PlotPlaceholder(QObject):
    """Covers a PlotWidget with a centred message (axes, title and legend hidden) while it has no data."""

    def __init__(self, widget, text: str):
        super().__init__(widget)
        self.widget = widget
        self.text = text
        self.label = QLabel(text, widget)
        self.label.setObjectName("emptyState")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setWordWrap(True)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.label.setStyleSheet("background: transparent;")
        widget.installEventFilter(self)
        self.set_empty(True)

    @property
    def is_empty(self) -> bool:
        return not self.label.isHidden()

    def set_empty(self, empty: bool, text: str | None = None) -> None:
        """Show the message (and hide the axes) when ``empty``; ``text`` replaces the message."""
        if text is not None:
            self.label.setText(text)
        item = self.widget.getPlotItem()
        for name in ("left", "bottom"):
            item.showAxis(name, not empty)
        item.titleLabel.setVisible(not empty)
        legend = getattr(item, "legend", None)
        if legend is not None:
            legend.setVisible(not empty)
        self.label.setGeometry(self.widget.rect().adjusted(16, 16, -16, -16))
        self.label.setVisible(empty)
        if empty:
            self.label.raise_()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if obj is self.widget and event.type() == QEvent.Type.Resize:
            self.label.setGeometry(self.widget.rect().adjusted(16, 16, -16, -16))
        return False
