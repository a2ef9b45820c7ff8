"""The tiles of the Dashboard tab: a frame with a header (title, badge, progress, cancel, tile menu) around
a body that draws one tile dict (``workbench.dashboard.tiles``): KPI, chart, leaderboard, pivot, table, text.

Tiles draw what they are given and emit what the user does (cross-filter clicks, open, move, resize,
remove, cancel); they never query.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets import theme
from widgets.chart_view import to_epoch_seconds
from workbench.dashboard.formatting import format_change, format_value

TILE_TITLES = {
    "kpi": "KPI",
    "chart": "Chart",
    "leaderboard": "Leaderboard",
    "pivot": "Pivot",
    "table": "Table",
    "text": "Note",
}


def _epoch(buckets) -> np.ndarray:
    return to_epoch_seconds(pd.to_datetime(pd.Series(list(buckets))))


class TileFrame(QFrame):
    """One tile on the board grid."""

    cross_filter_requested = Signal(list)  # [(column, value), ...]
    open_requested = Signal(str)  # "explorer" | "anomalies"
    move_requested = Signal(int)  # -1 earlier, +1 later
    resize_requested = Signal(int)  # new width in grid cells
    remove_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, tile_def, parent=None):
        super().__init__(parent)
        self.tile_def = tile_def
        self.tile: dict | None = None
        self.setObjectName("dashboardTile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # The grid decides widths; a wide table scrolls inside its tile instead of widening the board.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(150 if tile_def.type == "kpi" else 260)
        if tile_def.type == "kpi":
            self.setMaximumHeight(210)  # a KPI row stays compact beside taller tiles
        self.title = QLabel(self._default_title())
        self.title.setStyleSheet("font-weight:600")
        self.badge = QLabel("")
        self.badge.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(10)
        self.progress.setMaximumWidth(90)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QToolButton()
        self.cancel_button.setText("✕")
        self.cancel_button.setToolTip("Cancel this tile's query (tiles over the same table and filters share it)")
        self.cancel_button.hide()
        self.menu_button = QToolButton()
        self.menu_button.setText("⋯")
        self.menu_button.setToolTip("Open, move, resize or remove this tile (double-click the tile to open it)")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_button.setMenu(self._build_menu())
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.badge)
        head.addWidget(self.progress)
        head.addWidget(self.cancel_button)
        head.addWidget(self.menu_button)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.hide()
        self.body = _make_body(tile_def.type)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(head)
        layout.addWidget(self.message)
        layout.addWidget(self.body, 1)
        self._connect_signals()

    def _default_title(self) -> str:
        d = self.tile_def
        if d.type == "text":
            return TILE_TITLES["text"]
        name = ", ".join(d.metric_names)
        extra = f" by {d.by}" if d.by else (f" — {d.rows} × {d.columns}" if d.type == "pivot" else "")
        return f"{name}{extra}"

    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        self.action_explorer = menu.addAction("Open in Explorer")
        self.action_anomalies = menu.addAction("Open in Anomalies")
        menu.addSeparator()
        self.action_earlier = menu.addAction("Move earlier")
        self.action_later = menu.addAction("Move later")
        self.width_actions = [menu.addAction(f"Width {n}") for n in (1, 2, 3, 4)]
        menu.addSeparator()
        self.action_remove = menu.addAction("Remove tile")
        return menu

    def _connect_signals(self) -> None:
        self.action_explorer.triggered.connect(lambda: self.open_requested.emit("explorer"))
        self.action_anomalies.triggered.connect(lambda: self.open_requested.emit("anomalies"))
        self.action_earlier.triggered.connect(lambda: self.move_requested.emit(-1))
        self.action_later.triggered.connect(lambda: self.move_requested.emit(1))
        for n, action in enumerate(self.width_actions, start=1):
            action.triggered.connect(lambda _checked=False, n=n: self.resize_requested.emit(n))
        self.action_remove.triggered.connect(self.remove_requested.emit)
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        if hasattr(self.body, "cell_clicked"):
            self.body.cell_clicked.connect(self.cross_filter_requested.emit)
        has_metric = self.tile_def.type != "text"
        self.action_explorer.setEnabled(has_metric)
        self.action_anomalies.setEnabled(has_metric)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        """Double-click opens the tile where it can be explored: Anomalies when it is flagged, else the Explorer."""
        if self.tile_def.type != "text":
            flagged = bool(self.tile and (self.tile.get("alert") or self.tile.get("incidents")))
            self.open_requested.emit("anomalies" if flagged else "explorer")
        super().mouseDoubleClickEvent(event)

    # ------------------------------------------------------------------ state
    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    def set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def set_tile(self, tile: dict) -> None:
        """Draw a computed tile dict."""
        self.tile = tile
        self.set_busy(False)
        if tile.get("label") and self.tile_def.type != "text":
            extra = f" by {self.tile_def.by}" if self.tile_def.by else ""
            self.title.setText(f"{tile['label']}{extra}")
        notes = [n for n in tile.get("notes") or [] if "too little history" not in n]
        self.set_message(tile.get("error") or "; ".join(notes))
        self.set_badge(tile.get("alert"))
        if not tile.get("error"):
            self.body.show_tile(tile)

    def set_badge(self, alert: dict | None) -> None:
        if not alert:
            self.badge.hide()
            return
        bg, fg = theme.tint("bad")
        self.badge.setStyleSheet(f"background:{bg};color:{fg};border-radius:7px;padding:1px 6px")
        source = alert.get("source", "alert")
        when = str(alert.get("bucket", ""))[:10]
        self.badge.setText(f"⚠ {'rule' if source == 'rule' else 'anomaly'}{' ' + when if when else ''}")
        rules = ", ".join(alert.get("rules") or [])
        self.badge.setToolTip(f"Flagged by {source}{': ' + rules if rules else ''} on the last complete period")
        self.badge.show()

    def refresh_theme(self) -> None:
        if self.tile is not None:
            self.set_tile(self.tile)


def _make_body(kind: str) -> QWidget:
    return {
        "kpi": KpiBody,
        "chart": ChartBody,
        "leaderboard": LeaderboardBody,
        "pivot": PivotBody,
        "table": TableBody,
        "text": TextBody,
    }[kind]()


class KpiBody(QWidget):
    def __init__(self):
        super().__init__()
        self.value = QLabel("…")
        self.value.setStyleSheet("font-size:26px;font-weight:600")
        self.change = QLabel("")
        self.spark = pg.PlotWidget()
        self.spark.setMaximumHeight(48)
        self.spark.hideAxis("left")
        self.spark.hideAxis("bottom")
        self.spark.setMouseEnabled(False, False)
        self.spark.setMenuEnabled(False)
        self.spark.hideButtons()
        self.spark.setBackground(None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.value)
        layout.addWidget(self.change)
        layout.addWidget(self.spark)

    def show_tile(self, tile: dict) -> None:
        fmt = tile.get("format")
        self.value.setText(format_value(tile.get("value"), fmt))
        self.value.setToolTip(format_value(tile.get("value"), fmt, compact=False))
        text = format_change(tile.get("change"), tile.get("change_pct"), fmt)
        tone = tile.get("tone", "neutral")
        color = theme.verdict_text(tone) or theme.colors()["disabled"]
        self.change.setText(f"{text} vs comparison" if tile.get("change") is not None else text)
        self.change.setStyleSheet(f"color:{color}")
        self.spark.clear()
        points = [p for p in tile.get("series") or [] if p.get("value") is not None]
        if len(points) >= 2:
            x = _epoch(p["bucket"] for p in points)
            y = np.array([p["value"] for p in points], dtype=float)
            self.spark.plot(x, y, pen=pg.mkPen(theme.SERIES_COLORS[0], width=2))


class ChartBody(pg.PlotWidget):
    def __init__(self):
        super().__init__(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.setBackground(None)
        self.plot_item = self.getPlotItem()
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        self.plot_item.addLegend(offset=(4, 4), labelTextSize="8pt")
        self.plot_item.showGrid(x=False, y=True, alpha=0.2)

    def show_tile(self, tile: dict) -> None:
        self.plot_item.clear()
        by_name: dict[str, list] = {}
        for p in tile.get("series") or []:
            by_name.setdefault(p.get("series", "all"), []).append(p)
        band = [b for b in tile.get("band") or [] if b.get("series", "all") == next(iter(by_name), "all")]
        if band and len(by_name) == 1:
            x = _epoch(b["bucket"] for b in band)
            lo = np.array([np.nan if b["lower"] is None else b["lower"] for b in band], dtype=float)
            hi = np.array([np.nan if b["upper"] is None else b["upper"] for b in band], dtype=float)
            lower, upper = pg.PlotDataItem(x, lo), pg.PlotDataItem(x, hi)
            fill = pg.FillBetweenItem(lower, upper, brush=pg.mkBrush(78, 121, 167, 50))
            self.plot_item.addItem(fill)
        for i, (name, points) in enumerate(by_name.items()):
            x = _epoch(p["bucket"] for p in points)
            y = np.array([np.nan if p["value"] is None else p["value"] for p in points], dtype=float)
            color = theme.OTHER_COLOR if name == "Other" else theme.SERIES_COLORS[i % len(theme.SERIES_COLORS)]
            self.plot_item.plot(x, y, pen=pg.mkPen(color, width=2), name=None if name == "all" else name)
        for inc in tile.get("incidents") or []:
            x0, x1 = _epoch([inc["start"], inc["end"]])
            region = pg.LinearRegionItem((x0, x1 + 1), movable=False, brush=pg.mkBrush(225, 87, 89, 45))
            self.plot_item.addItem(region)


class _Grid(QTableWidget):
    cell_clicked = Signal(list)

    def __init__(self):
        super().__init__()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectItems)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(False)
        self.setAlternatingRowColors(True)
        self.cellClicked.connect(self._on_self_cell_clicked)
        self._filters: dict[tuple[int, int], list] = {}

    def fill(self, headers: list[str], rows: list[list[str]], filters: dict[tuple[int, int], list]) -> None:
        self.clear()
        self.setColumnCount(len(headers))
        self.setRowCount(len(rows))
        self.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if (r, c) in filters:
                    item.setToolTip("Click to filter every tile by this value")
                self.setItem(r, c, item)
        self._filters = filters
        self.resizeColumnsToContents()
        if headers:  # the labels take the spare width; numbers stay beside them
            self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _on_self_cell_clicked(self, row: int, column: int) -> None:
        pairs = self._filters.get((row, column)) or self._filters.get((row, 0))
        if pairs:
            self.cell_clicked.emit(pairs)


class LeaderboardBody(_Grid):
    def show_tile(self, tile: dict) -> None:
        fmt, by = tile.get("format"), tile.get("by")
        rows, filters = [], {}
        for r, row in enumerate(tile.get("rows") or []):
            share = row.get("share")
            share = "—" if share is None else share if isinstance(share, str) else f"{share * 100:.1f}%"
            rows.append(
                [
                    str(row["dimension_value"]),
                    format_value(row.get("value"), fmt),
                    format_change(row.get("change"), row.get("change_pct"), fmt),
                    share,
                ]
            )
            filters[(r, 0)] = [(by, row["dimension_value"])]
        self.fill([by or "value", "metric", "change", "share"], rows, filters)


class PivotBody(_Grid):
    def show_tile(self, tile: dict) -> None:
        rows_data = tile.get("rows") or []
        if not rows_data:
            self.fill([], [], {})
            return
        key = next(iter(rows_data[0]))
        columns = [c for c in rows_data[0] if c != key]
        col_dim = tile.get("pivot_columns")
        rows, filters = [], {}
        for r, row in enumerate(rows_data):
            rows.append([str(row[key])] + [format_value(row.get(c), tile.get("format")) for c in columns])
            if row[key] == "Total":
                continue
            filters[(r, 0)] = [(key, row[key])]
            for c, name in enumerate(columns, start=1):
                if name != "Total" and col_dim:
                    filters[(r, c)] = [(key, row[key]), (col_dim, name)]
        self.fill([key] + columns, rows, filters)


class TableBody(_Grid):
    def show_tile(self, tile: dict) -> None:
        rows_data = tile.get("rows") or []
        if not rows_data:
            self.fill([], [], {})
            return
        headers = list(rows_data[0])
        key = headers[0]
        rows = [[str(r[key])] + [format_value(r.get(h)) for h in headers[1:]] for r in rows_data]
        self.fill(headers, rows, {(i, 0): [(key, r[key])] for i, r in enumerate(rows_data)})


class TextBody(QLabel):
    def __init__(self):
        super().__init__("")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

    def show_tile(self, tile: dict) -> None:
        self.setText(tile.get("text") or "")
