"""Table models for the Anomalies panel: incidents and ranked root-cause segments."""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

SEVERITY_COLORS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#8c8c8c"}


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return f"{v:+,.4g}" if abs(v) < 1e4 else f"{v:+,.0f}"


def _length(start, end) -> str:
    """Compact incident length for the table: '45 min', '18 h', '3 d' (exact start/end in the tooltip)."""
    secs = (pd.Timestamp(end) - pd.Timestamp(start)).total_seconds()
    if secs < 3600:
        return f"{secs / 60:.0f} min"
    if secs < 2 * 86400:
        return f"{secs / 3600:.0f} h"
    return f"{secs / 86400:.1f} d".replace(".0 d", " d")


def _num(v) -> str:
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


class _RowsModel(QAbstractTableModel):
    """A read-only table over a list of row objects with fixed headers (and optional header tooltips)."""

    HEADERS: tuple[str, ...] = ()
    HEADER_TIPS: tuple[str, ...] = ()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []

    def row_object(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and self.HEADER_TIPS:
            return self.HEADER_TIPS[section] or None
        return None


class IncidentModel(_RowsModel):
    """Rows: incidents (time, segment, direction, severity, impact); the metric and the impact interval are in
    the tooltip (the metric is the same on every row: the panel's heading names it)."""

    HEADERS = ("Start", "Length", "Segment", "Dir.", "Severity", "Impact", "Score")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.metric_label = ""

    def set_incidents(self, incidents: list, metric_label: str) -> None:
        self.beginResetModel()
        # Most severe first: that is what an analyst looks at before anyone asks.
        self._rows = sorted(incidents, key=lambda i: -abs(i.peak_score))
        self.metric_label = metric_label
        self.endResetModel()

    def incident(self, row: int):
        return self.row_object(row)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        inc = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                pd.Timestamp(inc.start).strftime("%b %d %H:%M"),
                _length(inc.start, inc.end),
                inc.series,
                "▲ up" if inc.direction == "up" else "▼ down",
                inc.severity,
                _fmt(inc.impact),
                f"{inc.peak_score:+.1f}",
            ][col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            return QColor(SEVERITY_COLORS.get(inc.severity, "#000000"))
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{self.metric_label} · {inc.series}\n{pd.Timestamp(inc.start):%Y-%m-%d %H:%M} → "
                f"{pd.Timestamp(inc.end):%Y-%m-%d %H:%M}\nimpact {_fmt(inc.impact)} "
                f"[{_fmt(inc.impact_low)}, {_fmt(inc.impact_high)}] (95 %)\n"
                f"{inc.n_flagged} flagged of {inc.n_points} points; actual {inc.actual:,.6g} vs expected "
                f"{inc.expected:,.6g}"
            )
        return None


class SegmentModel(_RowsModel):
    """Rows: ranked root-cause segments (segment, share of change, fit, expected -> actual, impact)."""

    HEADERS = ("Segment", "Share", "Fit", "Expected", "Actual", "Impact", "Note")
    HEADER_TIPS = (
        "Dimension values of the segment",
        "Share of the incident's change this segment explains",
        "How well the segment's change fits the total's shape (0-1)",
        "Expected over the incident",
        "Actual over the incident",
        "Actual - expected",
        "",
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self._culprits: set[str] = set()

    def set_result(self, result) -> None:
        self.beginResetModel()
        self._rows = list(result.ranked) if result is not None else []
        self._culprits = {c.label for c in result.culprits} if result is not None else set()
        self.endResetModel()

    def segment(self, row: int):
        return self.row_object(row)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        seg = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            note = "culprit" if seg.label in self._culprits else ""
            return [
                seg.label,
                f"{seg.explanatory_power:.0%}",
                f"{seg.fit:.2f}",
                _num(seg.expected),
                _num(seg.actual),
                _fmt(seg.impact),
                note,
            ][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return seg.label
        if role == Qt.ItemDataRole.FontRole and seg.label in self._culprits:
            from PySide6.QtGui import QFont

            f = QFont()
            f.setBold(True)
            return f
        return None
