"""Time-series chart (pyqtgraph): date axis, clickable legend, hover crosshair, zoom/pan, exports.

The chart receives arrays and never queries. Timestamps are naive UTC from the engine, drawn as epoch
seconds on a ``DateAxisItem`` with a zero UTC offset, so the axis shows the same times as the data.
Downsampling (peak mode) and clip-to-view are switched on *on the PlotItem*: passing ``clipToView`` to
``plot()`` raises in pyqtgraph 0.14 (upstream #1854), and with both on a 10M-point series stays fluid.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QSizePolicy,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench import number_format
from widgets.chart_partial import PartialMarks, partial_mask, solid_connect
from widgets.chart_readout import ChartReadoutMixin
from widgets.icons import icon
from widgets.theme import OTHER_COLOR, SERIES_COLORS, colors


@dataclass
class Series:
    """One line: ``x`` epoch seconds (float64), ``y`` values (NaN = gap)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dashed: bool = False
    group: str | None = None  # legend entry that shows/hides it (the comparison follows its series)


def to_epoch_seconds(values) -> np.ndarray:
    """Naive (UTC) datetimes -> float epoch seconds."""
    idx = pd.DatetimeIndex(pd.to_datetime(values))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.asi8.astype("float64") / _unit_per_second(idx)


def _unit_per_second(idx: pd.DatetimeIndex) -> float:
    unit = getattr(idx, "unit", "ns")
    return {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[unit]


def series_from_frame(frame: pd.DataFrame, compare: bool) -> list[Series]:
    """Lines for a MetricResult frame (bucket, series, value, comparison_value), in the frame's series order."""
    out: list[Series] = []
    if frame is None or frame.empty:
        return out
    names = list(dict.fromkeys(frame["series"]))
    palette_i = 0
    for name in names:
        part = frame[frame["series"] == name].sort_values("bucket")
        x = to_epoch_seconds(part["bucket"])
        label = str(name)
        if label == "Other":
            color = OTHER_COLOR
        else:
            color = SERIES_COLORS[palette_i % len(SERIES_COLORS)]
            palette_i += 1
        out.append(Series(label, x, part["value"].to_numpy(dtype="float64"), color, group=label))
        if compare and "comparison_value" in part and part["comparison_value"].notna().any():
            out.append(
                Series(
                    f"{label} (previous)",
                    x,
                    part["comparison_value"].to_numpy(dtype="float64"),
                    color,
                    dashed=True,
                    group=label,
                )
            )
    return out


class FlowLayout(QLayout):
    """Lays children left to right and wraps (for the legend)."""

    def __init__(self, parent=None, spacing: int = 6):
        super().__init__(parent)
        self._items: list = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # noqa: N802
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, i):  # noqa: N802
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i):  # noqa: N802
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._layout(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._layout(rect, apply=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _layout(self, rect, apply: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() and line > 0:
                x, y, line = rect.x(), y + line + self.spacing(), 0
            if apply:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self.spacing()
            line = max(line, hint.height())
        return y + line - rect.y()


class DateAxis(pg.DateAxisItem):
    """UTC date axis whose labels always say which day they are ("Oct 04", not "04")."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph naming)
        out = []
        for v in values:
            try:
                d = dt.datetime.fromtimestamp(float(v), dt.timezone.utc)
            except (OverflowError, OSError, ValueError):
                out.append("")
                continue
            if spacing >= 28 * 86400:
                out.append(d.strftime("%b %Y") if d.month == 1 or spacing >= 300 * 86400 else d.strftime("%b"))
            elif spacing >= 86400:
                out.append(d.strftime("%b %d"))
            elif spacing >= 60:
                out.append(d.strftime("%b %d") if (d.hour, d.minute) == (0, 0) else d.strftime("%H:%M"))
            else:
                out.append(d.strftime("%H:%M:%S"))
        return out


class RangeSelectViewBox(pg.ViewBox):
    """A ViewBox where Shift+drag marks a time span (drawn as a shaded region) instead of panning; the span
    is reported by ``range_selected`` when the button is released. Plain drags pan and zoom as before."""

    range_selected = Signal(float, float)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._region: pg.LinearRegionItem | None = None

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (pyqtgraph naming)
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() != Qt.MouseButton.LeftButton or not shift or axis is not None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        x0 = self.mapSceneToView(ev.buttonDownScenePos()).x()
        x1 = self.mapSceneToView(ev.scenePos()).x()
        lo, hi = min(x0, x1), max(x0, x1)
        if self._region is None:
            self._region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(100, 140, 220, 60))
            self._region.setZValue(50)
            self.addItem(self._region, ignoreBounds=True)
        self._region.setRegion((lo, hi))
        self._region.show()
        if ev.isFinish():
            self._region.hide()
            if hi > lo:
                self.range_selected.emit(lo, hi)


class CompactAxis(pg.AxisItem):
    """Value axis in the short form (9.5M, 265k): the grid below the chart has the exact numbers."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph naming)
        return [number_format.compact(v * scale) for v in values]


def _swatch(color: str, dashed: bool = False) -> QIcon:
    pm = QPixmap(16, 16)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(color))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(2, 5, 12, 6, 2, 2)
    p.end()
    return QIcon(pm)


class ChartView(ChartReadoutMixin, QWidget):
    """A metric chart with a legend below it.

    Signals
    -------
    series_visibility_changed(str name, bool visible), status_message(str), error_occurred(str).
    """

    series_visibility_changed = Signal(str, bool)
    range_selected = Signal(float, float)  # Shift+drag across the plot: epoch seconds (start, end)
    context_requested = Signal(float, float, QPoint)  # right-click on the plot: view x, y and the screen position
    anomalies_toggled = Signal(bool)  # the "Anomalies" button; MainWindow asks the Anomalies panel to detect
    status_message = Signal(str)
    error_occurred = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._series: list[Series] = []
        self._items: dict[str, pg.PlotDataItem] = {}
        self._pool: list[pg.PlotDataItem] = []
        self._legend_key: tuple | None = None
        # (series group) -> label shown in the legend and hover box; the workspace installs one that masks a
        # breakdown column flagged as personal data (see refresh_labels). None: the group names as they are.
        self.label_filter = None
        self.figure_for_export = None  # () -> widgets.chart_figure.Figure, for the PNG button's export
        self._hidden: set[str] = set()
        self._legend_buttons: dict[str, QToolButton] = {}
        self._x_all = np.array([], dtype="float64")
        self.value_label = "value"
        # True once the user zooms or pans (ViewBox.sigRangeChangedManually) after the last result: a new result
        # then keeps that view when it overlaps the new data; otherwise a new result fits its own data.
        self.user_zoomed = False

        self.axis = DateAxis(orientation="bottom", utcOffset=0)
        # Never shrink the label band: one paint with no ticks (a transient range while a new result is drawn)
        # set its height to 0, and with no room no label was drawn again — the axis stayed blank.
        self.axis.setStyle(autoReduceTextSpace=False)
        self.value_axis = CompactAxis(orientation="left")
        self.value_axis.enableAutoSIPrefix(False)  # "9.5M" on each tick, not "x1e6" beside the axis
        self.view_box = RangeSelectViewBox()
        self.plot_widget = pg.PlotWidget(
            viewBox=self.view_box, axisItems={"bottom": self.axis, "left": self.value_axis}
        )
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        self.plot_item.setMenuEnabled(False)  # its SVG export crashes with PySide6 >= 6.11 (pyqtgraph #3485)
        self.plot_item.hideButtons()
        self.plot_widget.setAntialiasing(True)
        self.plot_widget.setMinimumHeight(220)

        self.v_line = pg.InfiniteLine(angle=90, movable=False)
        self.h_line = pg.InfiniteLine(angle=0, movable=False)
        self.readout = pg.TextItem(anchor=(0, 0))
        self.readout.setZValue(100)
        for item in (self.v_line, self.h_line, self.readout):
            item.hide()
            self.plot_item.addItem(item, ignoreBounds=True)
        self.partial_marks = PartialMarks(self.plot_item)
        self._proxy = pg.SignalProxy(self.plot_widget.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse_moved)

        self.message = QLabel("")
        self.message.setObjectName("emptyState")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(24)

        self.reset_button = QToolButton()
        self.reset_button.setIcon(icon("reset-zoom"))
        self.reset_button.setToolTip(
            "Reset zoom (or double-click the chart). Shift+drag across the chart sets the date range"
        )
        self.png_button = QToolButton()
        self.png_button.setIcon(icon("export"))
        self.png_button.setText("PNG")
        self.png_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.png_button.setToolTip("Export the chart as it is on screen (PNG)")
        self.csv_button = QToolButton()
        self.csv_button.setIcon(icon("export"))
        self.csv_button.setText("CSV")
        self.csv_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.csv_button.setToolTip("Export the data on screen (visible series, visible time range) as CSV")
        for b in (self.reset_button, self.png_button, self.csv_button):
            b.setAutoRaise(True)
        # Anomaly overlay (drawn by widgets/anomaly_overlay.py; fed by the Anomalies panel via set_anomalies).
        self.anomaly_button = QToolButton()
        self.anomaly_button.setText("Anomalies")
        self.anomaly_button.setCheckable(True)
        self.anomaly_button.setAutoRaise(True)
        self.anomaly_button.setToolTip("Show the expected band, flagged points and incidents")
        self._anomaly_overlay = None
        self._detection = None

        self.legend = QWidget()
        self._legend_layout = FlowLayout(self.legend, spacing=4)
        self.legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

        self.title = QLabel("")
        self.title.setObjectName("sectionTitle")
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(2)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.anomaly_button)
        header.addWidget(self.reset_button)
        header.addWidget(self.png_button)
        header.addWidget(self.csv_button)

        stack_host = QWidget()
        self._stack = QStackedLayout(stack_host)
        self._stack.addWidget(self.plot_widget)
        self._stack.addWidget(self.message)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(stack_host, 1)
        layout.addWidget(self.legend)
        self._connect_signals()
        self.refresh_theme()
        self.show_message("Open a file and pick a measure to draw a chart.")

    def _connect_signals(self) -> None:
        self.reset_button.clicked.connect(self.reset_zoom)
        self.anomaly_button.toggled.connect(self._on_anomaly_button_toggled)
        self.png_button.clicked.connect(self._on_png_button_clicked)
        self.csv_button.clicked.connect(self._on_csv_button_clicked)
        self.plot_widget.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.plot_item.vb.sigRangeChangedManually.connect(self._on_view_range_changed_manually)
        self.view_box.range_selected.connect(self.range_selected)

    # ------------------------------------------------------------------ data
    def set_series(
        self, series: list[Series], value_label: str = "value", title: str = "", partial: list[tuple[float, float]] = ()
    ) -> None:
        """Draw ``series`` (replacing what is shown); hidden legend entries stay hidden by name.

        ``partial``: [x0, x1) spans (epoch seconds) of incomplete buckets, hatched and drawn dotted.
        """
        self._series = list(series)
        self.value_label = value_label
        if self._anomaly_overlay is not None:  # a detection belongs to the data it was run on
            self._anomaly_overlay.clear()
            self._detection = None
        self.title.setText(title)
        self._items.clear()
        xs = [s.x for s in series if len(s.x)]
        self._x_all = np.unique(np.concatenate(xs)) if xs else np.array([], dtype="float64")
        # Re-use line items between results: adding/removing graphics items is what costs GUI time.
        while len(self._pool) > len(series):
            self.plot_item.removeItem(self._pool.pop())
        for i, s in enumerate(series):
            color = QColor(s.color)
            if s.dashed:
                color.setAlpha(150)  # the previous period is context: lighter than the current one
            pen = pg.mkPen(
                color,
                width=1.8 if not s.dashed else 1.4,
                style=Qt.PenStyle.DashLine if s.dashed else Qt.PenStyle.SolidLine,
            )
            single = len(s.x) <= 1  # a single bucket would draw nothing as a line
            mask = partial_mask(s.x, list(partial)) if partial and not s.dashed else None
            connect = solid_connect(s.y, mask) if mask is not None and mask.any() else "finite"
            if i < len(self._pool):
                item = self._pool[i]
                item.opts["name"] = s.name
                item.setData(
                    s.x,
                    s.y,
                    pen=pen,
                    connect=connect,
                    symbol="o" if single else None,
                    symbolSize=6,
                    symbolBrush=QColor(s.color),
                    symbolPen=None,
                )
            else:
                item = pg.PlotDataItem(
                    s.x,
                    s.y,
                    pen=pen,
                    name=s.name,
                    connect=connect,
                    symbol="o" if single else None,
                    symbolSize=6,
                    symbolBrush=QColor(s.color),
                    symbolPen=None,
                )
                self.plot_item.addItem(item)
                self._pool.append(item)
            item.setVisible((s.group or s.name) not in self._hidden)
            self._items[s.name] = item
        self.partial_marks.draw(list(partial), [s for s in series if not s.dashed])
        for s in series:
            self.partial_marks.set_visible(s.name, self._items[s.name].isVisible())
        self._rebuild_legend()
        if not series or not any(len(s.x) for s in series):
            self.show_message("No data in this range.")
        else:
            self._stack.setCurrentWidget(self.plot_widget)
            if not (self.user_zoomed and self._view_overlaps_data()):
                self.reset_zoom()

    # ------------------------------------------------------------------ anomaly overlay
    def anomaly_overlay(self):
        """The overlay helper on this chart's PlotItem (created on first use)."""
        if self._anomaly_overlay is None:
            from widgets.anomaly_overlay import AnomalyOverlay

            self._anomaly_overlay = AnomalyOverlay(self.plot_item)
        return self._anomaly_overlay

    def set_anomalies(self, detection) -> None:
        """Overlay a workbench.anomaly Detection (drawn while the Anomalies button is on)."""
        self._detection = detection
        if self.anomaly_button.isChecked():
            self._draw_anomalies()

    def set_annotations(self, annotations) -> None:
        """Draw the user's event marks (list of widgets.anomaly_overlay.Annotation)."""
        self.anomaly_overlay().set_annotations(annotations)

    def _draw_anomalies(self) -> None:
        overlay = self.anomaly_overlay()
        if self._detection is None:
            overlay.clear()
            return
        shown = [s.name for s in self._series if s.name in self._detection.names and self._items[s.name].isVisible()]
        overlay.set_detection(self._detection, {s.name: s.color for s in self._series}, series=shown or None)

    def _on_anomaly_button_toggled(self, on: bool) -> None:
        if on:
            self._draw_anomalies()
        elif self._anomaly_overlay is not None:
            detection = self._detection
            self._anomaly_overlay.clear()
            self._detection = detection
        self.anomalies_toggled.emit(on)

    def show_message(self, text: str) -> None:
        """Replace the chart with a message (empty state, what the Explorer needs, errors)."""
        self.message.setText(text)
        self._stack.setCurrentWidget(self.message)

    def is_showing_chart(self) -> bool:
        return self._stack.currentWidget() is self.plot_widget

    def series(self) -> list[Series]:
        return list(self._series)

    def plotted_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) arrays of the named line as handed to pyqtgraph (full resolution)."""
        item = self._items[name]
        return item.xData, item.yData

    def set_series_visible(self, group: str, visible: bool) -> None:
        """Show/hide a legend entry (a series and its comparison line)."""
        if visible:
            self._hidden.discard(group)
        else:
            self._hidden.add(group)
        for s in self._series:
            if (s.group or s.name) == group:
                self._items[s.name].setVisible(visible)
                self.partial_marks.set_visible(s.name, visible)
        button = self._legend_buttons.get(group)
        if button is not None and button.isChecked() != visible:
            button.blockSignals(True)
            button.setChecked(visible)
            button.blockSignals(False)
        self.series_visibility_changed.emit(group, visible)

    def visible_series(self) -> list[str]:
        return [s.name for s in self._series if self._items[s.name].isVisible()]

    def legend_button(self, group: str) -> QToolButton | None:
        return self._legend_buttons.get(group)

    # ------------------------------------------------------------------ view state (saved with a workspace)
    def hidden_groups(self) -> list[str]:
        """Legend groups the user switched off, in legend order."""
        groups = list(dict.fromkeys(s.group or s.name for s in self._series))
        visible = set(self.visible_series())
        return [g for g in groups if not any((s.group or s.name) == g and s.name in visible for s in self._series)]

    def user_zoom(self) -> tuple[float, float] | None:
        """The x range the user zoomed to; None while the chart fits the data (not a zoom worth keeping)."""
        try:
            if self.is_showing_chart() and self.user_zoomed:
                x0, x1 = self.plot_item.vb.viewRange()[0]
                return float(x0), float(x1)
        except Exception:  # pyqtgraph internals: a zoom we cannot read is not worth failing a save
            return None
        return None

    def hide_groups(self, hidden) -> None:
        """Show every group except ``hidden``; names not drawn yet are remembered for the next result."""
        hidden = set(hidden)
        for s in self._series:
            g = s.group or s.name
            self.set_series_visible(g, g not in hidden)
        for g in hidden:
            self.set_series_visible(g, False)

    def restore_zoom(self, x_range) -> None:
        """Zoom to a saved x range; it stays the user's zoom, so the next result keeps it."""
        if x_range and len(x_range) == 2:
            self.plot_item.setXRange(float(x_range[0]), float(x_range[1]), padding=0)
            self.user_zoomed = True

    def reset_zoom(self) -> None:
        """Fit the view to all visible data.

        Computed from the full arrays: with clip-to-view on, pyqtgraph's own autoRange measures only the points
        inside the *previous* view, so a new result kept the old window.
        """
        self.user_zoomed = False
        bounds = self.data_bounds()
        if bounds is None:
            return
        (x0, x1), (y0, y1) = bounds
        if x1 - x0 <= 0:  # one bucket: give the date axis a day either side so it still has labels
            x0, x1 = x0 - 86400.0, x1 + 86400.0
        if y1 - y0 <= 0:
            pad = abs(y0) * 0.1 or 1.0
            y0, y1 = y0 - pad, y1 + pad
        self.plot_item.vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.04)

    def data_bounds(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """((x min, x max), (y min, y max)) over the visible series' finite points; None when there are none."""
        xs, ys = [], []
        for s in self._series:
            item = self._items.get(s.name)
            if item is None or not item.isVisible() or not len(s.x):
                continue
            finite = np.isfinite(s.y) & np.isfinite(s.x)
            if finite.any():
                xs.append(s.x[finite])
                ys.append(s.y[finite])
        if not xs:
            return None
        x, y = np.concatenate(xs), np.concatenate(ys)
        return (float(x.min()), float(x.max())), (float(y.min()), float(y.max()))

    def _view_overlaps_data(self) -> bool:
        bounds = self.data_bounds()
        if bounds is None:
            return False
        (x0, x1), _ = self.plot_item.vb.viewRange()
        (d0, d1), _ = bounds
        return x0 <= d1 and d0 <= x1

    def _on_view_range_changed_manually(self, *_):
        self.user_zoomed = True

    # ------------------------------------------------------------------ legend
    def _label(self, group: str) -> str:
        return self.label_filter(group) if self.label_filter is not None else group

    def refresh_labels(self) -> None:
        """Redraw the legend after ``label_filter``'s answers changed (e.g. a column was revealed)."""
        self._rebuild_legend()

    def _rebuild_legend(self) -> None:
        key = tuple((s.group or s.name, self._label(s.group or s.name), s.color, s.dashed) for s in self._series)
        if key == self._legend_key:  # same entries: keep the buttons (and their checked state)
            return
        self._legend_key = key
        while self._legend_layout.count():
            item = self._legend_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self._legend_buttons.clear()
        groups = []
        for s in self._series:
            g = s.group or s.name
            if g not in [x[0] for x in groups]:
                groups.append((g, s.color))
        if len(groups) <= 1 and not any(s.dashed for s in self._series):
            self.legend.hide()
            return
        for g, color in groups:
            b = QToolButton()
            b.setText(self._label(g))
            b.setIcon(_swatch(color))
            b.setCheckable(True)
            b.setChecked(g not in self._hidden)
            b.setAutoRaise(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            b.setToolTip("Click to hide or show this series")
            b.toggled.connect(lambda on, g=g: self.set_series_visible(g, on))
            self._legend_layout.addWidget(b)
            self._legend_buttons[g] = b
        if any(s.dashed for s in self._series):
            note = QLabel("- - - previous period")
            note.setObjectName("hint")
            self._legend_layout.addWidget(note)
        self.legend.show()
        self.legend.updateGeometry()

    # ------------------------------------------------------------------ hover (readout: ChartReadoutMixin)
    def leaveEvent(self, event) -> None:  # noqa: N802
        self._hide_crosshair()
        super().leaveEvent(event)

    def _on_scene_clicked(self, event) -> None:
        if event.double():
            self.reset_zoom()
        elif event.button() == Qt.MouseButton.RightButton and self._series and len(self._x_all):
            point = self.plot_item.vb.mapSceneToView(event.scenePos())
            event.accept()
            self.context_requested.emit(point.x(), point.y(), event.screenPos().toPoint())

    # ------------------------------------------------------------------ export
    def visible_frame(self) -> pd.DataFrame:
        """What is on screen: visible series within the visible time range, as a tidy table."""
        (x0, x1), _ = self.plot_item.vb.viewRange()
        parts = []
        for s in self._series:
            if not self._items[s.name].isVisible():
                continue
            mask = (s.x >= x0) & (s.x <= x1)
            parts.append(
                pd.DataFrame(
                    {
                        "bucket": pd.to_datetime(s.x[mask], unit="s"),
                        "series": s.name,
                        self.value_label: s.y[mask],
                    }
                )
            )
        if not parts:
            return pd.DataFrame({"bucket": [], "series": [], self.value_label: []})
        return pd.concat(parts, ignore_index=True)

    def export_png(self, path: str) -> bool:
        """The figure (title, details, legend and keys around the plot) when the owner set
        ``figure_for_export``; otherwise the plot as drawn."""
        if self.figure_for_export is None:
            return self.plot_widget.grab().save(path, "PNG")
        from widgets.chart_figure import figure_png

        try:
            with open(path, "wb") as fh:
                fh.write(figure_png(self.figure_for_export(), self))
        except OSError:
            return False
        return True

    def export_csv(self, path: str) -> None:
        frame = self.visible_frame()
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(list(frame.columns))
            for row in frame.itertuples(index=False):
                writer.writerow([row[0].isoformat(sep=" "), row[1], "" if pd.isna(row[2]) else repr(float(row[2]))])

    def _on_png_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart as PNG", "chart.png", "PNG image (*.png)")
        if path:
            if self.export_png(path):
                self.status_message.emit(f"Saved {path}")
            else:
                self.error_occurred.emit(f"Could not write {path}")

    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export chart data as CSV", "chart.csv", "CSV (*.csv)")
        if path:
            try:
                self.export_csv(path)
                self.status_message.emit(f"Saved {path}")
            except OSError as exc:
                self.error_occurred.emit(f"Could not write {path}: {exc.strerror}")

    # ------------------------------------------------------------------ theme
    def refresh_theme(self) -> None:
        c = colors()
        self.plot_widget.setBackground(QColor(c["base"]))
        axis_pen = pg.mkPen(QColor(c["disabled"]))
        text_pen = pg.mkPen(QColor(c["text"]))
        for name in ("bottom", "left"):
            ax = self.plot_item.getAxis(name)
            ax.setPen(axis_pen)
            ax.setTextPen(text_pen)
        fill = QColor(c["base"])
        fill.setAlpha(235)
        self.readout.fill = pg.mkBrush(fill)
        self.readout.border = pg.mkPen(QColor(c["mid"]))
        cross = pg.mkPen(QColor(c["disabled"]), width=1, style=Qt.PenStyle.DotLine)
        self.v_line.setPen(cross)
        self.h_line.setPen(cross)
