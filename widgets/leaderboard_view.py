"""The leaderboard beside the chart: top values of a dimension, share of total, change vs comparison.

Clicking a row asks for that value as a filter (``value_clicked``); the Explorer adds the chip. Values of a
column flagged as personal data are shown masked when the ``value_masked`` hook (installed by the
WorkspaceController) says so; "Reveal personal data…" in the context menu asks for it (``reveal_requested``).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.table_model import MASK, format_value
from widgets.theme import colors

ROLE_VALUE = Qt.ItemDataRole.UserRole


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


class LeaderboardView(QWidget):
    """Signals: value_clicked(str dimension, object value), dimension_changed(str), reveal_requested(str)."""

    value_clicked = Signal(str, object)
    dimension_changed = Signal(str)
    reveal_requested = Signal(str)
    rows_requested = Signal(str, object)  # "Show rows" on a row: (dimension, value as the board shows it)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._dimension = ""
        self._frame = None
        self._shown = None  # (board, measure label, compare) on screen, redrawn by refresh_mask
        self.value_masked = None  # (dimension) -> bool; None: values shown as they are
        self._active: set = set()  # values of this dimension the chart is filtered to (drawn bold, marked ✓)
        self.title = QLabel("Top values")
        self.title.setObjectName("sectionTitle")
        self.dimension = QComboBox()
        self.dimension.setToolTip("Which column the leaderboard ranks")
        self.dimension.setMinimumContentsLength(10)
        self.dimension.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Value", "Measure", "Share", "Change"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # A highlighted row reads as "filtered to this": only active filters are marked (see set_active_values).
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setToolTip("Click a row to filter the chart to that value")
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for i in (1, 2, 3):
            header.setSectionResizeMode(i, QHeaderView.ResizeMode.ResizeToContents)
        self.hint = QLabel("Click a row to add it as a filter.")
        self.hint.setObjectName("hint")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(QLabel("by"))
        top.addWidget(self.dimension)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        self.table.cellClicked.connect(self._on_table_cell_clicked)
        self._reveal = QAction("Reveal personal data…", self.table)
        self._reveal.triggered.connect(lambda _=False: self.reveal_requested.emit(self._dimension))
        self.table.addAction(self._reveal)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu_requested)
        self._menu: QMenu | None = None
        self.dimension.currentIndexChanged.connect(self._on_dimension_changed)

    def set_dimensions(self, names: list[str], current: str | None) -> None:
        self.dimension.blockSignals(True)
        self.dimension.clear()
        self.dimension.addItems(names)
        # No fitting column: nothing is ranked until the user picks one (never the first column by accident).
        self.dimension.setCurrentIndex(names.index(current) if current in names else -1)
        self.dimension.setPlaceholderText("choose a column")
        self.dimension.blockSignals(False)
        self._dimension = self.dimension.currentText()

    def current_dimension(self) -> str:
        return self.dimension.currentText()

    def set_leaderboard(self, board, measure_label: str, compare: bool) -> None:
        """Show a ``workbench.metrics.Leaderboard``."""
        frame = board.frame
        self._frame = frame
        self._shown = (board, measure_label, compare)
        self._dimension = board.dimension
        masked = bool(self.value_masked is not None and self.value_masked(board.dimension))
        self.title.setText("Top values")
        self.table.setHorizontalHeaderLabels(["Value", measure_label, "Share", "Change" if compare else ""])
        has_change = compare and "change_pct" in frame and frame["change_pct"].notna().any()
        self.table.setColumnHidden(3, not has_change)
        self.table.setRowCount(len(frame))
        red, green = QColor("#d9534f"), QColor("#2e9e5b")
        for r, row in enumerate(frame.itertuples(index=False)):
            value = getattr(row, "dimension_value")
            label = "NULL" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
            if masked and label != "NULL":
                label = MASK
            active = value in self._active
            greyed = bool(self._active) and not active  # not in the filter: shown for a second click
            item = QTableWidgetItem(("✓ " if active else "") + label)
            item.setData(ROLE_VALUE, value)
            if active:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            item.setToolTip(
                f"{board.dimension} is flagged as personal data: right-click to reveal (the reason is logged)"
                if masked
                else label
            )
            self.table.setItem(r, 0, item)
            v = _num(getattr(row, "value"))
            self.table.setItem(r, 1, self._num_item("—" if v is None else format_value(v)))
            share = _num(getattr(row, "share", None))
            self.table.setItem(r, 2, self._num_item("" if share is None else f"{100 * share:.1f}%"))
            pct = _num(getattr(row, "change_pct", None))
            change = self._num_item("" if pct is None else f"{100 * pct:+.1f}%")
            if pct is not None and pct != 0:
                change.setForeground(green if pct > 0 else red)
            self.table.setItem(r, 3, change)
            if greyed:
                dim = QColor(colors()["disabled"])
                for c in range(4):
                    self.table.item(r, c).setForeground(dim)
        if not len(frame):
            self.hint.setText("No values in this range.")
        else:
            self.hint.setText("Click a row to add it as a filter.")

    def set_active_values(self, values) -> None:
        """The values the chart is filtered to (marked on the next draw); the board has no other selection."""
        self._active = set(values)

    def active_rows(self) -> list[int]:
        """Rows drawn as an active filter."""
        return [r for r in range(self.table.rowCount()) if self.table.item(r, 0).font().bold()]

    def refresh_mask(self) -> None:
        """Redraw the board on screen after the ``value_masked`` answer changed (reveal, flags, settings)."""
        if self._shown is not None:
            self.set_leaderboard(*self._shown)

    def shown_values(self) -> list[str]:
        """The value labels as displayed (masked or not)."""
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def clear(self, message: str = "") -> None:
        self._shown = None
        self.table.setRowCount(0)
        self.hint.setText(message)

    def row_values(self) -> list:
        return [self.table.item(r, 0).data(ROLE_VALUE) for r in range(self.table.rowCount())]

    @staticmethod
    def _num_item(text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    def click_row(self, row: int) -> None:
        """As a user clicking row ``row``."""
        self._on_table_cell_clicked(row, 0)

    def _on_table_cell_clicked(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.value_clicked.emit(self._dimension, item.data(ROLE_VALUE))

    def context_menu(self, row: int) -> QMenu:
        """The right-click menu for ``row`` (-1: no row under the pointer): Show rows, Reveal personal data."""
        menu = QMenu(self)
        item = self.table.item(row, 0) if row >= 0 else None
        show = menu.addAction("Show rows")
        show.setToolTip("Open the rows behind this value (same filters and range) in the SQL console")
        show.setEnabled(item is not None)
        if item is not None:
            show.triggered.connect(
                lambda _=False, v=item.data(ROLE_VALUE): self.rows_requested.emit(self._dimension, v)
            )
        menu.addAction(self._reveal)
        return menu

    def _on_table_context_menu_requested(self, pos) -> None:
        self._menu = self.context_menu(self.table.rowAt(pos.y()))
        self._menu.popup(self.table.viewport().mapToGlobal(pos))

    def _on_dimension_changed(self, *_):
        self._dimension = self.dimension.currentText()
        self.dimension_changed.emit(self._dimension)
