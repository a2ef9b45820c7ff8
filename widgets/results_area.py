"""The Explorer's results under the chart: the long grid (bucket, series, value) or a pivot of it.

The pivot is a reshape of exactly what the long grid holds (after any on-screen suppression), so it never
shows a number the grid would not. Series names of a column flagged as personal data stay masked in its
headers (the chart's ``label_filter`` decides, as for the legend).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.pivot import pivot_table
from widgets.table_model import MASK, ResultTable

NEEDS_BREAKDOWN = "Break down by a column to pivot: series go across, buckets down."
NOT_ADDITIVE = "No totals: a sum of {agg} values means nothing (totals are shown for row counts and sums)."


class ResultsArea(QWidget):
    """``long`` is the Explorer's grid (``explorer.results``); ``pivot`` its pivoted twin."""

    def __init__(self, long_grid: ResultTable, parent=None):
        super().__init__(parent)
        self.long = long_grid
        self.pivot = ResultTable()
        # () -> the chart's current (series name) -> label function, or None (names as they are)
        self.label_filter = None
        self._value_label = ""
        self._agg = "count"

        self.long_button = QToolButton()
        self.long_button.setText("Rows")
        self.long_button.setToolTip("One row per bucket and series")
        self.pivot_button = QToolButton()
        self.pivot_button.setText("Pivot")
        self.pivot_button.setToolTip("Buckets × series, with totals")
        group = QButtonGroup(self)
        for b in (self.long_button, self.pivot_button):
            b.setCheckable(True)
            b.setAutoRaise(True)
            group.addButton(b)
        self.long_button.setChecked(True)
        self.rows_combo = QComboBox()
        self.rows_combo.addItem("buckets down", "bucket")
        self.rows_combo.addItem("series down", "series")
        self.rows_combo.setToolTip("What the pivot's rows are")
        self.note = QLabel("")
        self.note.setObjectName("hint")

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(4)
        header.addWidget(self.long_button)
        header.addWidget(self.pivot_button)
        header.addWidget(self.rows_combo)
        header.addWidget(self.note, 1)
        host = QWidget()
        self._stack = QStackedLayout(host)
        self._stack.addWidget(self.long)
        self._stack.addWidget(self.pivot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(host, 1)

        self.pivot_button.toggled.connect(self._on_pivot_button_toggled)
        self.rows_combo.currentIndexChanged.connect(self.refresh_pivot)
        self.long.table_model().modelReset.connect(self.refresh_pivot)
        self._update_controls()

    def set_measure(self, value_label: str, agg: str) -> None:
        """The long grid's value column and the measure's aggregation (totals only for additive ones)."""
        self._value_label, self._agg = value_label, agg

    def is_pivot(self) -> bool:
        return self.pivot_button.isChecked()

    def show_pivot(self, on: bool) -> None:
        (self.pivot_button if on else self.long_button).setChecked(True)

    def refresh_pivot(self, *_) -> None:
        self._update_controls()
        if not self.is_pivot() or not self._can_pivot():
            return
        frame = self.long.table_model().table.to_pandas()
        masked = "series" in self.long.table_model().masked_columns()
        label_filter = self.label_filter() if self.label_filter is not None else None
        if masked or label_filter is not None:
            names = list(dict.fromkeys(frame["series"]))
            shown = {n: (f"{MASK} {i + 1}" if masked else label_filter(str(n))) for i, n in enumerate(names)}
            frame = frame.assign(series=frame["series"].map(shown))
        rows = self.rows_combo.currentData()
        columns = "series" if rows == "bucket" else "bucket"
        additive = self._agg in ("count", "sum")
        self.pivot.set_table(pivot_table(frame, rows, columns, self._value_label, totals=additive))
        self.note.setText("" if additive else NOT_ADDITIVE.format(agg=self._agg))

    def _can_pivot(self) -> bool:
        names = self.long.table_model().column_names()
        return "series" in names and "bucket" in names and self._value_label in names

    def _update_controls(self) -> None:
        can = self._can_pivot()
        self.pivot_button.setEnabled(can)
        self.pivot_button.setToolTip("Buckets × series, with totals" if can else NEEDS_BREAKDOWN)
        self.rows_combo.setVisible(self.is_pivot())
        if not can and self.is_pivot():
            self.long_button.setChecked(True)
        self._stack.setCurrentWidget(self.pivot if self.is_pivot() else self.long)
        if not self.is_pivot():
            self.note.setText("")

    def _on_pivot_button_toggled(self, _on: bool) -> None:
        self._stack.setCurrentWidget(self.pivot if self.is_pivot() else self.long)
        self.refresh_pivot()
