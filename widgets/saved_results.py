"""Anomaly and experiment results kept for the evidence report ("Add to report"), listed in the Data dock
under the saved views: a click opens the result's panel with its settings; right-click renames or deletes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu, QToolButton, QVBoxLayout, QWidget,
)

from widgets.icons import icon
from widgets.report_items import result_summary

KIND_TEXT = {"anomaly": "Anomalies", "experiment": "Experiments"}


class SavedResultsList(QWidget):
    """The report results list.

    Signals
    -------
    result_activated(str name), rename_requested(str name), delete_requested(str name).
    """

    result_activated = Signal(str)
    rename_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Report results")
        title.setObjectName("sectionTitle")
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icon("close"))
        self.delete_button.setAutoRaise(True)
        self.delete_button.setToolTip("Delete the selected result")
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setToolTip("Click a result to open its panel with its settings; right-click to rename or delete")
        self.empty = QLabel("None yet: Add to report in the Anomalies or Experiments panel keeps a result here "
                            "for File ▸ Export Evidence Report.")
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self._connect_signals()
        self.set_results([])

    def _connect_signals(self) -> None:
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_clicked)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)

    def set_results(self, results) -> None:
        """``results``: the workspace's saved_results ({"name", "kind", "recipe", "description", ...})."""
        self.list.clear()
        for r in results:
            kind = r.get("kind")
            item = QListWidgetItem(icon("warning" if kind == "anomaly" else "compare"), r.get("name", "?"))
            item.setData(Qt.ItemDataRole.UserRole, r.get("name"))
            tip = f"{r.get('name')}\n{KIND_TEXT.get(kind, kind)} panel · {result_summary(r)}"  # the name may be elided
            if r.get("created"):
                tip += f"\nadded {r['created']}"
            if r.get("description"):
                tip += f"\n{r['description']}"
            item.setToolTip(tip)
            self.list.addItem(item)
        self.list.setVisible(bool(results))
        self.empty.setVisible(not results)
        self.delete_button.setEnabled(bool(results))
        # Up to three results visible without scrolling; the dock's splitter may not squeeze them further.
        rows = self.list.sizeHintForRow(0) if results else self.fontMetrics().height()
        self.setMinimumHeight(self.delete_button.sizeHint().height() + max(2, min(len(results), 3)) * rows + 28)

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def item(self, name: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                return self.list.item(i)
        return None

    def context_menu(self, name: str) -> QMenu:
        """The right-click menu of one result (Open, Rename…, Delete); built separately so tests can trigger
        its actions without a modal popup."""
        menu = QMenu(self)
        menu.addAction("Open in its panel", lambda: self.result_activated.emit(name))
        menu.addAction("Rename…", lambda: self.rename_requested.emit(name))
        menu.addSeparator()
        menu.addAction(icon("close"), "Delete", lambda: self.delete_requested.emit(name))
        return menu

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.result_activated.emit(item.data(Qt.ItemDataRole.UserRole))

    def _on_list_context_menu_requested(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = self.context_menu(item.data(Qt.ItemDataRole.UserRole))
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def _on_delete_button_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.delete_requested.emit(item.data(Qt.ItemDataRole.UserRole))
