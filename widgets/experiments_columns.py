"""Fitting the experiment results table at 1400 px: a column chooser and a CI bar in the row.

The decision columns (verdict, lift, interval, p, adjusted p, chance to beat) are what a reader needs; the
raw arm values, the absolute difference and CUPED are one right-click away on the header. The interval
column draws the 95% interval as a bar around a zero line (scaled across the table), so the row shows at a
glance whether it crosses zero.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QMenu, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableWidget

from widgets.theme import colors

CI_ROLE = Qt.ItemDataRole.UserRole + 7  # (low, estimate, high, colour) of the relative lift, as fractions
HIDDEN_BY_DEFAULT = ("Control", "Treatment", "Δ", "CUPED Δ % [95% CI]")
BAR_HEIGHT = 5


class CiBarDelegate(QStyledItemDelegate):
    """Paints the cell's text, then the interval as a thin bar along the bottom of the cell."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.scale = 0.0  # largest |bound| in the table: every row's bar shares one axis

    def set_rows(self, intervals) -> None:
        bounds = [abs(v) for lo, _est, hi, _c in intervals for v in (lo, hi) if v is not None and math.isfinite(v)]
        self.scale = max(bounds) if bounds else 0.0

    def paint(self, painter, option, index) -> None:
        data = index.data(CI_ROLE)
        if not data or not self.scale:
            super().paint(painter, option, index)
            return
        # The row's tint under the whole cell, the text above the bar.
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if background is not None and not option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, background)
        text_option = QStyleOptionViewItem(option)
        text_option.rect = option.rect.adjusted(0, 0, 0, -(BAR_HEIGHT + 3))
        super().paint(painter, text_option, index)
        if not data or not self.scale:
            return
        lo, est, hi, color = data
        if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
            return
        rect = option.rect.adjusted(6, 0, -6, -3)
        width = rect.width()

        def x_of(v: float) -> float:
            return rect.left() + width * (0.5 + 0.5 * max(-1.0, min(1.0, v / self.scale)))

        y = rect.bottom() - BAR_HEIGHT
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        zero = QColor(colors()["disabled"])
        painter.setPen(QPen(zero, 1))
        painter.drawLine(int(x_of(0.0)), y - 2, int(x_of(0.0)), y + BAR_HEIGHT + 1)
        bar = QColor(color or colors()["disabled"])
        if option.state & QStyle.StateFlag.State_Selected:
            bar = option.palette.highlightedText().color()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bar)
        painter.drawRoundedRect(QRectF(x_of(lo), y, max(2.0, x_of(hi) - x_of(lo)), BAR_HEIGHT), 2, 2)
        if est is not None and math.isfinite(est):
            painter.setBrush(QColor(colors()["text"]))
            painter.drawRect(QRectF(x_of(est) - 1, y - 1, 2, BAR_HEIGHT + 2))
        painter.restore()


class ColumnChooser:
    """Right-click on the header: tick the columns to show. Starts with ``HIDDEN_BY_DEFAULT`` hidden."""

    def __init__(self, table: QTableWidget, headers, hidden=HIDDEN_BY_DEFAULT):
        self.table = table
        self.headers = list(headers)
        self.menu: QMenu | None = None
        for name in hidden:
            if name in self.headers:
                table.setColumnHidden(self.headers.index(name), True)
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_context_menu_requested)
        header.setToolTip("Right-click to choose the columns")

    def shown(self) -> list[str]:
        return [h for i, h in enumerate(self.headers) if not self.table.isColumnHidden(i)]

    def set_shown(self, name: str, on: bool) -> None:
        if name in self.headers:
            self.table.setColumnHidden(self.headers.index(name), not on)
            if on:
                self.table.resizeColumnToContents(self.headers.index(name))

    def build_menu(self) -> QMenu:
        menu = QMenu(self.table)
        for i, name in enumerate(self.headers):
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(i))
            action.setEnabled(i != 0)  # the metric's name always stays
            action.toggled.connect(lambda on, n=name: self.set_shown(n, on))
        return menu

    def _on_header_context_menu_requested(self, pos) -> None:
        self.menu = self.build_menu()
        self.menu.popup(self.table.horizontalHeader().mapToGlobal(pos))


# Columns that give up width when the table is wider than its view, in this order, down to these widths
# (their text elides; tooltips say all): a verdict's or interval's slack goes before a metric's name.
ELASTIC = {"Verdict": 95, "95% CI (Δ %)": 125, "Segment": 100, "Metric": 100, "Arm": 80}


def fit_to_width(table: QTableWidget, headers) -> None:
    """Shrink the elastic columns (to their minimum) until the shown columns fit the table's view."""
    headers = list(headers)
    shown = [i for i in range(len(headers)) if not table.isColumnHidden(i)]
    # The vertical scroll bar may appear only once the rows are laid out: leave room for it now.
    scroll = table.verticalScrollBar()
    available = table.viewport().width() - (0 if scroll.isVisible() else scroll.sizeHint().width())
    if shown:  # the last shown section stretches: count it at its contents' width, not the stretched one
        table.resizeColumnToContents(shown[-1])
    excess = sum(table.columnWidth(i) for i in shown) - available
    for name, minimum in ELASTIC.items():
        if excess <= 0:
            break
        i = headers.index(name) if name in headers else -1
        if i not in shown:
            continue
        give = min(excess, max(0, table.columnWidth(i) - minimum))
        table.setColumnWidth(i, table.columnWidth(i) - give)
        excess -= give
