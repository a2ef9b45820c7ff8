"""Draw a detector's result over any pyqtgraph PlotItem: expected band (shaded), expected line, flagged
points, incident regions, event annotations, and an "expected vs actual, score" hover box.

The overlay only adds items it owns and removes only those, so it can sit on top of a chart another
widget manages (the Explorer's ChartView). x values are epoch seconds (UTC), like ChartView's.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

FLAG_COLOR = "#d62728"
REGION_UP = (214, 39, 40, 40)
REGION_DOWN = (31, 119, 180, 40)
ANNOTATION_COLOR = "#8c6d31"
DEFAULT_SERIES_COLOR = "#1f77b4"


@dataclass(frozen=True)
class Annotation:
    """A user's mark on the time axis, e.g. "v31.2 release"."""

    x: float  # epoch seconds (UTC)
    label: str

    @classmethod
    def at(cls, when, label: str) -> "Annotation":
        ts = pd.Timestamp(when)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return cls(float(ts.value) / 1e9, label)


def epoch_seconds(index) -> np.ndarray:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.as_unit("ns").asi8.astype("float64") / 1e9


class AnomalyOverlay:
    """Owns the overlay items on one PlotItem.

    Use ``set_detection(detection, colors)`` after each detection, ``set_annotations([...])`` when the
    user's marks change, ``clear()`` when the chart's data changes, ``zoom_to(incident)`` on selection.
    """

    def __init__(self, plot_item: pg.PlotItem, hover: bool = True):
        self.plot_item = plot_item
        self._items: list = []
        self._annotation_items: list = []
        self._detection = None
        self._series: list[str] = []
        self._x = np.array([], dtype="float64")
        self.hover_item = pg.TextItem(anchor=(0, 1))
        self.hover_item.setZValue(110)
        self.hover_item.hide()
        self.plot_item.addItem(self.hover_item, ignoreBounds=True)
        self._proxy = None
        if hover and plot_item.scene() is not None:
            self._proxy = pg.SignalProxy(plot_item.scene().sigMouseMoved, rateLimit=60, slot=self._on_mouse_moved)

    # ------------------------------------------------------------------ drawing
    @property
    def detection(self):
        return self._detection

    def item_count(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Remove the detection overlay (annotations stay: they belong to the time axis, not the data)."""
        for item in self._items:
            self.plot_item.removeItem(item)
        self._items.clear()
        self._detection = None
        self._series = []
        self._x = np.array([], dtype="float64")
        self.hover_item.hide()

    def set_detection(
        self, detection, colors: dict[str, str] | None = None, series: list[str] | None = None, show_band: bool = True
    ) -> None:
        """Draw ``detection`` (a workbench.anomaly Detection) for ``series`` (default: all of its series)."""
        self.clear()
        if detection is None:
            return
        self._detection = detection
        self._series = [s for s in (series or detection.names) if s in detection.names]
        self._x = epoch_seconds(detection.index)
        colors = colors or {}
        for name in self._series:
            s = detection.names.index(name)
            color = QColor(colors.get(name, DEFAULT_SERIES_COLOR))
            lo, hi, exp = detection.lower[:, s], detection.upper[:, s], detection.expected[:, s]
            ok = np.isfinite(lo) & np.isfinite(hi)
            if show_band and ok.sum() >= 2:
                fill = QColor(color)
                fill.setAlpha(45)
                # FillBetweenItem cannot skip NaN: draw the band over its finite span, gaps interpolated.
                a, b = np.flatnonzero(ok)[[0, -1]]
                xs = self._x[a : b + 1]
                lo_f = pd.Series(np.where(ok, lo, np.nan)[a : b + 1]).interpolate().to_numpy()
                hi_f = pd.Series(np.where(ok, hi, np.nan)[a : b + 1]).interpolate().to_numpy()
                # PlotCurveItem, not PlotDataItem: a PlotDataItem without a pen keeps no path to fill between.
                edge = QColor(color)
                edge.setAlpha(90)
                lo_c = pg.PlotCurveItem(xs, lo_f, pen=pg.mkPen(edge, width=0.6))
                hi_c = pg.PlotCurveItem(xs, hi_f, pen=pg.mkPen(edge, width=0.6))
                band = pg.FillBetweenItem(lo_c, hi_c, brush=pg.mkBrush(fill))
                band.setZValue(-10)
                for item in (lo_c, hi_c, band):
                    self._add(item)
            if np.isfinite(exp).any():
                pen = pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine)
                self._add(pg.PlotDataItem(self._x, exp, pen=pen, connect="finite"))
            flags = detection.flags[:, s]
            if flags.any():
                pts = pg.ScatterPlotItem(
                    self._x[flags],
                    detection.actual[flags, s],
                    size=8,
                    brush=pg.mkBrush(FLAG_COLOR),
                    pen=pg.mkPen("w", width=0.8),
                )
                pts.setZValue(20)
                self._add(pts)
        half_step = float(np.median(np.diff(self._x)) / 2) if len(self._x) > 1 else 0.0
        for inc in detection.incidents:
            if inc.series not in self._series:
                continue
            x0 = float(pd.Timestamp(inc.start).value) / 1e9 - half_step
            x1 = float(pd.Timestamp(inc.end).value) / 1e9 + half_step
            region = pg.LinearRegionItem(
                (x0, x1),
                movable=False,
                brush=pg.mkBrush(*(REGION_UP if inc.direction == "up" else REGION_DOWN)),
                pen=pg.mkPen(None),
            )
            region.setZValue(-20)
            self._add(region)

    def set_annotations(self, annotations: list[Annotation]) -> None:
        """Draw the user's time marks (vertical lines with a label)."""
        for item in self._annotation_items:
            self.plot_item.removeItem(item)
        self._annotation_items.clear()
        for a in annotations:
            line = pg.InfiniteLine(
                pos=a.x,
                angle=90,
                movable=False,
                pen=pg.mkPen(ANNOTATION_COLOR, width=1.2, style=Qt.PenStyle.DotLine),
                label=a.label,
                labelOpts={"position": 0.95, "color": ANNOTATION_COLOR, "movable": False, "fill": (255, 255, 255, 180)},
            )
            line.setZValue(30)
            self.plot_item.addItem(line, ignoreBounds=True)
            self._annotation_items.append(line)

    def annotation_count(self) -> int:
        return len(self._annotation_items)

    def zoom_to(self, incident, padding: float = 3.0) -> tuple[float, float]:
        """Show ``incident`` with ``padding`` times its length of context on each side; returns the range."""
        x0 = float(pd.Timestamp(incident.start).value) / 1e9
        x1 = float(pd.Timestamp(incident.end).value) / 1e9
        step = float(np.median(np.diff(self._x))) if len(self._x) > 1 else 3600.0
        span = max(x1 - x0, step)
        lo, hi = x0 - padding * span - step, x1 + padding * span + step
        self.plot_item.setXRange(lo, hi, padding=0)
        return lo, hi

    # ------------------------------------------------------------------ hover
    def hover_text(self, x: float) -> str:
        """Expected vs actual and the score of each overlaid series at the grid point nearest ``x``."""
        det = self._detection
        if det is None or not len(self._x):
            return ""
        i = int(np.clip(np.searchsorted(self._x, x), 0, len(self._x) - 1))
        if i > 0 and abs(self._x[i - 1] - x) < abs(self._x[i] - x):
            i -= 1
        when = dt.datetime.fromtimestamp(self._x[i], dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
        rows = [f"<b>{html.escape(when)}</b>"]
        for name in self._series[:8]:
            s = det.names.index(name)
            a, e, sc = det.actual[i, s], det.expected[i, s], det.score[i, s]
            flag = " ⚑" if det.flags[i, s] else ""
            rows.append(
                f"{html.escape(str(name))}: actual <b>{_fmt(a)}</b>, expected {_fmt(e)}, score {_fmt(sc, 2)}{flag}"
            )
        return "<br>".join(rows)

    def _on_mouse_moved(self, event) -> None:
        pos = event[0]
        if self._detection is None or not self.plot_item.sceneBoundingRect().contains(pos):
            self.hover_item.hide()
            return
        point = self.plot_item.vb.mapSceneToView(pos)
        self.show_hover_at(point.x())

    def show_hover_at(self, x: float) -> None:
        text = self.hover_text(x)
        if not text:
            self.hover_item.hide()
            return
        self.hover_item.setHtml(
            f"<div style='background-color:rgba(255,255,224,220); color:#222; padding:3px;'>{text}</div>"
        )
        (x0, x1), (y0, y1) = self.plot_item.vb.viewRange()
        self.hover_item.setAnchor((1, 1) if x > (x0 + x1) / 2 else (0, 1))
        self.hover_item.setPos(x, y0)
        self.hover_item.show()

    def _add(self, item) -> None:
        self.plot_item.addItem(item)
        self._items.append(item)


def _fmt(v: float, digits: int = 4) -> str:
    if v is None or not np.isfinite(v):
        return "–"
    return f"{v:,.{digits}g}" if abs(v) < 1e6 else f"{v:,.0f}"
