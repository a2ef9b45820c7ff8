"""Cumulative lift over time with always-valid (sequential) bands and the fixed-horizon CI for contrast."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt


def _epoch(day: str) -> float:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()


class CumulativeChart(pg.PlotWidget):
    """Daily cumulative relative lift (%) with the sequential interval as a band."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.setBackground(None)
        self.plot_item = self.getPlotItem()
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setLabel("left", "cumulative lift (%)")
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        self.plot_item.addLegend(offset=(10, 10))
        self.points: list[dict] = []

    def set_points(self, points: list[dict], title: str = "") -> None:
        """points: the readout's cumulative entries for one metric and arm."""
        self.points = list(points)
        p = self.plot_item
        p.clear()
        p.setTitle(title, size="10pt")
        p.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        xs, est, lo, hi = [], [], [], []
        for e in points:
            if e.get("rel_lift") is None:
                continue
            xs.append(_epoch(e["date"]))
            est.append(100 * e["rel_lift"])
            ci = e.get("rel_ci95") or [np.nan, np.nan]
            lo.append(100 * ci[0] if ci[0] is not None else np.nan)
            hi.append(100 * ci[1] if ci[1] is not None else np.nan)
        if not xs:
            return
        x = np.array(xs)
        lo_c = p.plot(x, np.array(lo), pen=pg.mkPen("#4e79a7", width=1))
        hi_c = p.plot(x, np.array(hi), pen=pg.mkPen("#4e79a7", width=1))
        p.addItem(pg.FillBetweenItem(lo_c, hi_c, brush=pg.mkBrush(78, 121, 167, 60)))
        p.plot(x, np.array(est), pen=pg.mkPen("#1f4e79", width=2), symbol="o", symbolSize=5, name="lift (sequential 95% band)")
        p.enableAutoRange()
