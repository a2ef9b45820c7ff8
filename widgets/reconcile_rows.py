"""Rows of one reconciliation bucket, A and B side by side, changed cells highlighted."""

from __future__ import annotations

import pandas as pd
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from widgets.theme import tint
from workbench.number_format import grid


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):  # row values (ids, codes): no thousands separators
        return str(value)
    if isinstance(value, float):
        return grid(value)
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


class SideBySideRows(QTableWidget):
    """``set_rows(frame, flags)``: the frame's columns except the boolean ``changed: col`` flags; the
    ``A: col`` and ``B: col`` cells of a row whose flag is true are tinted."""

    def __init__(self, parent=None):
        super().__init__(0, 0, parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.frame = pd.DataFrame()
        self.highlighted: set[tuple[int, int]] = set()

    def set_rows(self, frame: pd.DataFrame, flags: list[str]) -> None:
        self.frame = frame
        shown = [c for c in frame.columns if c not in flags]
        self.clear()
        self.setColumnCount(len(shown))
        self.setRowCount(len(frame))
        self.setHorizontalHeaderLabels(shown)
        bg, fg = tint("warning")
        self.highlighted = set()
        changed_of = {f.split(": ", 1)[1]: f for f in flags}
        for r, row in enumerate(frame.itertuples(index=False)):
            values = dict(zip(frame.columns, row))
            for c, name in enumerate(shown):
                item = QTableWidgetItem(_text(values[name]))
                side, _, col = name.partition(": ")
                if side in ("A", "B") and col in changed_of and bool(values[changed_of[col]]):
                    item.setBackground(QColor(bg))
                    item.setForeground(QColor(fg))
                    item.setToolTip("changed")
                    self.highlighted.add((r, c))
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
