"""Filters as chips (column → operator → value), with an editor whose value list comes from the data.

The bar only edits a list of ``workbench.metrics.Filter``; the pick list is asked for through the
``values_requested`` signal so the owner can fetch it off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from workbench.errors import WorkbenchError
from workbench.metrics import OPERATORS, Filter
from widgets.icons import icon

_OP_LABELS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
_NO_VALUE = ("is null", "is not null")


MASKED = "•••"


def chip_text(f: Filter, masked: bool = False) -> str:
    """The chip's label; ``masked`` hides the values of a column flagged as personal data."""
    op = _OP_LABELS.get(f.op, f.op)
    if f.op in _NO_VALUE:
        return f"{f.column} {op}"
    if masked:
        return f"{f.column} {op} {MASKED}"
    if f.op in ("in", "not in"):
        values = ", ".join(map(str, f.value))
        return f"{f.column} {op} ({values})"
    if f.op == "between":
        return f"{f.column} between {f.value[0]} and {f.value[1]}"
    return f"{f.column} {op} {f.value}"


class FilterChip(QFrame):
    remove_clicked = Signal()

    def __init__(self, f: Filter, parent=None, masked: bool = False):
        super().__init__(parent)
        self.setObjectName("chip")
        self.filter = f
        self.label = QLabel(chip_text(f, masked))
        self.label.setToolTip(chip_text(f, masked))
        self.remove_button = QToolButton()
        self.remove_button.setIcon(icon("close"))
        self.remove_button.setToolTip("Remove this filter")
        self.remove_button.setFixedSize(18, 18)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addWidget(self.remove_button)
        self.remove_button.clicked.connect(self.remove_clicked)


class FilterEditor(QFrame):
    """A small popup: column, operator, value(s). Emits ``filter_accepted(Filter)``."""

    filter_accepted = Signal(object)
    values_requested = Signal(str)  # column whose pick list is wanted
    value_masked = None  # optional callable(column) -> bool, installed by the workspace's privacy guard

    def __init__(self, parent=None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.column = QComboBox()
        self.column.setMinimumWidth(180)
        self.op = QComboBox()
        for op in OPERATORS:
            self.op.addItem(_OP_LABELS.get(op, op), op)
        self.value = QComboBox()
        self.value.setEditable(True)
        self.value.setMinimumWidth(200)
        self.value.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.value2 = QComboBox()
        self.value2.setEditable(True)
        self.value2.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.and_label = QLabel("and")
        self.hint = QLabel("")
        self.hint.setObjectName("hint")
        self.error = QLabel("")
        self.error.setObjectName("inlineError")
        self.error.hide()
        self.add_button = QPushButton("Add filter")
        self.add_button.setDefault(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 10, 12, 10)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        grid.addWidget(QLabel("Column"), 0, 0)
        grid.addWidget(self.column, 0, 1, 1, 3)
        grid.addWidget(QLabel("Operator"), 1, 0)
        grid.addWidget(self.op, 1, 1, 1, 3)
        grid.addWidget(QLabel("Value"), 2, 0)
        grid.addWidget(self.value, 2, 1)
        grid.addWidget(self.and_label, 2, 2)
        grid.addWidget(self.value2, 2, 3)
        grid.addWidget(self.hint, 3, 1, 1, 3)
        grid.addWidget(self.error, 4, 1, 1, 3)
        grid.addWidget(self.add_button, 5, 3)
        self._types: dict[str, str] = {}
        self.column.currentIndexChanged.connect(self._on_column_changed)
        self.op.currentIndexChanged.connect(self._on_op_changed)
        self.value.activated.connect(self._on_value_activated)
        self.add_button.clicked.connect(self.accept)
        self._on_op_changed()

    def set_columns(self, columns) -> None:
        """``columns``: ColumnInfo list of the current table."""
        self._types = {c.name: c.type for c in columns}
        self.column.blockSignals(True)
        self.column.clear()
        for c in columns:
            self.column.addItem(c.name)
        self.column.blockSignals(False)

    def open_for(self, column: str | None = None) -> None:
        if column is not None and self.column.findText(column) >= 0:
            self.column.setCurrentIndex(self.column.findText(column))
        self.error.hide()
        self._on_column_changed()

    def set_values(self, column: str, values: list) -> None:
        """Fill the pick list (called when the data arrives)."""
        if column != self.column.currentText():
            return
        if self.value_masked is not None and self.value_masked(column):
            # Listing the values of a personal-data column would reveal them: the user types one instead.
            for box in (self.value, self.value2):
                box.clear()
            self.hint.setText("Values of a column flagged as personal data are not listed; type a value")
            return
        for box in (self.value, self.value2):
            text = box.currentText()
            box.blockSignals(True)
            box.clear()
            for v in values:
                box.addItem("NULL" if v is None else str(v))
            box.setEditText(text)
            box.blockSignals(False)
        self.hint.setText(f"{len(values)} most frequent values listed; you can also type a value")

    def _on_column_changed(self, *_):
        col = self.column.currentText()
        self.value.clear()
        self.value2.clear()
        self.hint.setText("Loading values…" if col else "")
        t = self._types.get(col, "")
        # Sensible default operator for the type: equality for text, ≥ for numbers.
        if t.startswith(("VARCHAR", "BOOLEAN")) or not t:
            self.op.setCurrentIndex(self.op.findData("="))
        if col:
            self.values_requested.emit(col)

    def _on_op_changed(self, *_):
        op = self.op.currentData()
        self.value.setEnabled(op not in _NO_VALUE)
        two = op == "between"
        self.value2.setVisible(two)
        self.and_label.setVisible(two)
        if op in ("in", "not in"):
            self.value.lineEdit().setPlaceholderText("pick values or type a, b, c")
        else:
            self.value.lineEdit().setPlaceholderText("")

    def _on_value_activated(self, index: int) -> None:
        # For in / not in, picking a value adds it to the list instead of replacing it.
        if self.op.currentData() in ("in", "not in") and index >= 0:
            picked = self.value.itemText(index)
            current = (
                [v.strip() for v in self._in_text.split(",") if v.strip()] if getattr(self, "_in_text", "") else []
            )
            if picked not in current:
                current.append(picked)
            self._in_text = ", ".join(current)
            self.value.setEditText(self._in_text)

    def build_filter(self) -> Filter:
        col = self.column.currentText()
        op = self.op.currentData()
        if not col:
            raise WorkbenchError("Choose a column")
        if op in _NO_VALUE:
            return Filter(col, op)
        text = self.value.currentText().strip()
        if op in ("in", "not in"):
            values = [v.strip() for v in text.split(",") if v.strip()]
            if not values:
                raise WorkbenchError("Type or pick at least one value")
            return Filter(col, op, tuple(values))
        if op == "between":
            hi = self.value2.currentText().strip()
            if not text or not hi:
                raise WorkbenchError("between needs a low and a high value")
            return Filter(col, op, (text, hi))
        if not text:
            raise WorkbenchError("Type or pick a value")
        if text == "NULL" and op in ("=", "!="):
            return Filter(col, "is null" if op == "=" else "is not null")
        return Filter(col, op, text)

    def accept(self) -> None:
        try:
            f = self.build_filter()
        except WorkbenchError as exc:
            self.error.setText(str(exc))
            self.error.show()
            return
        self._in_text = ""
        self.filter_accepted.emit(f)
        self.hide()


class FilterBar(QWidget):
    """ "+ Filter" button followed by one chip per filter. Emits ``filters_changed(list[Filter])``."""

    filters_changed = Signal(list)
    values_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._filters: list[Filter] = []
        self.add_button = QPushButton(icon("filter"), "Filter")
        self.add_button.setToolTip("Add a filter (column → operator → value)")
        self.editor = FilterEditor(self)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._layout.addWidget(self.add_button)
        self._layout.addStretch(1)
        self._chips: list[FilterChip] = []
        self.add_button.clicked.connect(self.open_editor)
        self.editor.filter_accepted.connect(self.add_filter)
        self.editor.values_requested.connect(self.values_requested)

    def set_columns(self, columns) -> None:
        self.editor.set_columns(columns)

    def filters(self) -> list[Filter]:
        return list(self._filters)

    def chips(self) -> list[FilterChip]:
        return list(self._chips)

    def open_editor(self, column: str | None = None) -> None:
        self.editor.open_for(column if isinstance(column, str) else None)
        self.editor.adjustSize()
        self.editor.move(self.add_button.mapToGlobal(self.add_button.rect().bottomLeft()))
        self.editor.show()
        self.editor.value.setFocus()

    def add_filter(self, f: Filter) -> None:
        if f in self._filters:
            return
        self._filters.append(f)
        self._rebuild()
        self.filters_changed.emit(self.filters())

    def remove_filter(self, index: int) -> None:
        if 0 <= index < len(self._filters):
            del self._filters[index]
            self._rebuild()
            self.filters_changed.emit(self.filters())

    def set_filters(self, filters, emit: bool = False) -> None:
        self._filters = list(filters)
        self._rebuild()
        if emit:
            self.filters_changed.emit(self.filters())

    def clear(self) -> None:
        self.set_filters([], emit=bool(self._filters))

    def set_value_masked(self, predicate) -> None:
        """Install ``predicate(column) -> bool``: chips and pick lists hide values of masked columns."""
        self.editor.value_masked = predicate
        self._rebuild()

    def refresh_mask(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        for chip in self._chips:
            self._layout.removeWidget(chip)
            chip.deleteLater()
        self._chips = []
        for i, f in enumerate(self._filters):
            chip = FilterChip(f, masked=bool(self.editor.value_masked and self.editor.value_masked(f.column)))
            chip.remove_clicked.connect(lambda i=i: self.remove_filter(i))
            self._layout.insertWidget(1 + i, chip)
            self._chips.append(chip)
