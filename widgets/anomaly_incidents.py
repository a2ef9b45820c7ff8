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


def _num(v) -> str:
    return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


class IncidentModel(QAbstractTableModel):
    """Rows: incidents (time, metric, segment, direction, severity, impact)."""

    HEADERS = ("Start", "End", "Metric", "Segment", "Direction", "Severity", "Impact", "Peak score")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self.metric_label = ""

    def set_incidents(self, incidents: list, metric_label: str) -> None:
        self.beginResetModel()
        # Most severe first: that is what an analyst looks at before anyone asks.
        self._rows = sorted(incidents, key=lambda i: -abs(i.peak_score))
        self.metric_label = metric_label
        self.endResetModel()

    def incident(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        inc = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                pd.Timestamp(inc.start).strftime("%Y-%m-%d %H:%M"), pd.Timestamp(inc.end).strftime("%Y-%m-%d %H:%M"),
                self.metric_label, inc.series, "▲ up" if inc.direction == "up" else "▼ down", inc.severity,
                f"{_fmt(inc.impact)} [{_fmt(inc.impact_low)}, {_fmt(inc.impact_high)}]", f"{inc.peak_score:+.1f}",
            ][col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 5:
            return QColor(SEVERITY_COLORS.get(inc.severity, "#000000"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return (f"{inc.n_flagged} flagged of {inc.n_points} points; actual {inc.actual:,.6g} vs expected "
                    f"{inc.expected:,.6g}")
        return None


class SegmentModel(QAbstractTableModel):
    """Rows: ranked root-cause segments (segment, share of change, fit, expected -> actual, impact)."""

    HEADERS = ("Segment", "Share of change", "Fit", "Expected", "Actual", "Impact", "Note")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self._culprits: set[str] = set()

    def set_result(self, result) -> None:
        self.beginResetModel()
        self._rows = list(result.ranked) if result is not None else []
        self._culprits = {c.label for c in result.culprits} if result is not None else set()
        self.endResetModel()

    def segment(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        seg = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            note = "culprit" if seg.label in self._culprits else ""
            return [seg.label, f"{seg.explanatory_power:.0%}", f"{seg.fit:.2f}", _num(seg.expected),
                    _num(seg.actual), _fmt(seg.impact), note][index.column()]
        if role == Qt.ItemDataRole.FontRole and seg.label in self._culprits:
            from PySide6.QtGui import QFont

            f = QFont()
            f.setBold(True)
            return f
        return None
