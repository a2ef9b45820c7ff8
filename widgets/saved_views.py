"""Saved Explorer views (bookmarks) of the workspace, listed in the Data dock; a click restores one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QToolButton, QVBoxLayout, QWidget,
)

from widgets.icons import icon


def view_summary(view) -> str:
    """"sum(reports) by country per day · country=BR · Last 30 days" for a SavedView."""
    spec = view.spec or {}
    measure = spec.get("measure") or {}
    agg, col, den = measure.get("agg", "count"), measure.get("column"), measure.get("denominator")
    label = "count(*)" if agg == "count" else (f"ratio({col}, {den})" if agg == "ratio" else f"{agg}({col})")
    parts = [f"{label}{' by ' + spec['breakdown'] if spec.get('breakdown') else ''} per {spec.get('grain', 'day')}"]
    filters = spec.get("filters") or []
    if filters:
        parts.append(f"{len(filters)} filter{'s' if len(filters) != 1 else ''}")
    rng = (view.chart or {}).get("range")
    if rng:
        parts.append(rng)
    return f"{spec.get('table', '?')}: " + " · ".join(parts)


class SavedViewsList(QWidget):
    """The bookmarks list.

    Signals
    -------
    view_activated(str name), save_requested(), delete_requested(str name).
    """

    view_activated = Signal(str)
    save_requested = Signal()
    delete_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Saved views")
        title.setObjectName("sectionTitle")
        self.add_button = QToolButton()
        self.add_button.setText("Save view")
        self.add_button.setIcon(icon("chart"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setAutoRaise(True)
        self.add_button.setToolTip("Bookmark what the Explorer shows now (Ctrl+D)")
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icon("close"))
        self.delete_button.setAutoRaise(True)
        self.delete_button.setToolTip("Delete the selected saved view")
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setToolTip("Click a view to restore it in the Explorer")
        self.empty = QLabel("None yet: set up the Explorer, then Save view (Ctrl+D).")
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.add_button)
        header.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self._connect_signals()
        self.set_views([])
        # Never squeezed below the header and two lines by the dock's splitter.
        self.setMinimumHeight(self.add_button.sizeHint().height() + 2 * self.fontMetrics().height() + 24)

    def _connect_signals(self) -> None:
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_clicked)
        self.add_button.clicked.connect(self.save_requested)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)

    def set_views(self, views) -> None:
        self.list.clear()
        for v in views:
            item = QListWidgetItem(icon("chart"), v.name)
            item.setData(Qt.ItemDataRole.UserRole, v.name)
            tip = view_summary(v) + (f"\n{v.description}" if v.description else "")
            item.setToolTip(tip)
            self.list.addItem(item)
        self.list.setVisible(bool(views))
        self.empty.setVisible(not views)
        self.delete_button.setEnabled(bool(views))

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def item(self, name: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                return self.list.item(i)
        return None

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.view_activated.emit(item.data(Qt.ItemDataRole.UserRole))

    def _on_delete_button_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.delete_requested.emit(item.data(Qt.ItemDataRole.UserRole))
