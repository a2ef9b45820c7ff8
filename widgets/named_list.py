"""A titled list of named workspace items in the Data dock (saved views, report results): header with
buttons, the list, an empty-state hint, lookup by name and a delete button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.icons import icon


class NamedItemList(QWidget):
    """Base of the Data dock's item lists. Subclasses fill it with :meth:`_fill` and react to
    :meth:`_activate` (a click or Enter on an item).

    Signals
    -------
    delete_requested(str name)
    """

    delete_requested = Signal(str)

    def __init__(
        self,
        title: str,
        empty_text: str,
        list_tip: str,
        delete_tip: str,
        header_buttons: tuple[QToolButton, ...] = (),
        parent=None,
    ):
        super().__init__(parent)
        title_label = QLabel(title)
        title_label.setObjectName("sectionTitle")
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icon("close"))
        self.delete_button.setAutoRaise(True)
        self.delete_button.setToolTip(delete_tip)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setToolTip(list_tip)
        self.empty = QLabel(empty_text)
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(title_label)
        header.addStretch(1)
        for button in (*header_buttons, self.delete_button):
            header.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.itemActivated.connect(self._on_list_item_clicked)
        self.delete_button.clicked.connect(self._on_delete_button_clicked)

    def _fill(self, entries) -> None:
        """``entries``: (icon name, item name, tooltip) per item, in order."""
        self.list.clear()
        for icon_name, name, tip in entries:
            item = QListWidgetItem(icon(icon_name), name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(tip)
            self.list.addItem(item)
        has_items = self.list.count() > 0
        self.list.setVisible(has_items)
        self.empty.setVisible(not has_items)
        self.delete_button.setEnabled(has_items)

    def names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def item(self, name: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                return self.list.item(i)
        return None

    def _activate(self, name: str) -> None:  # overridden: emit the subclass's own signal
        raise NotImplementedError

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self._activate(item.data(Qt.ItemDataRole.UserRole))

    def _on_delete_button_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.delete_requested.emit(item.data(Qt.ItemDataRole.UserRole))
