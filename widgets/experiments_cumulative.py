"""Cumulative lift over time with always-valid (sequential) bands and the fixed-horizon CI for contrast."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.theme import colors, is_dark

SEQ_COLOR = (78, 121, 167)  # blue: the always-valid band, safe to read on any day
FIXED_COLOR = (225, 112, 30)  # orange, dashed: the fixed-horizon CI, valid once at the planned end
SEQ_LABEL = "always-valid 95% band (safe to check every day)"
FIXED_LABEL = "fixed-horizon 95% CI (valid only at the planned end)"


def _epoch(day: str) -> float:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()


def _bounds(ci, scale: float) -> tuple[float, float]:
    if not ci or ci[0] is None or ci[1] is None:
        return np.nan, np.nan
    return scale * ci[0], scale * ci[1]


class CumulativeChart(pg.PlotWidget):
    """Daily cumulative lift with the sequential interval as a filled band and the fixed-horizon interval
    as dashed lines: the gap between them is the price of peeking."""

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.setBackground(None)
        self.plot_item = self.getPlotItem()
        self.plot_item.showGrid(x=True, y=True, alpha=0.2)
        self.plot_item.setLabel("left", "cumulative lift (%)")
        self.plot_item.setLabel("bottom", "assignment day (UTC), units assigned up to that day")
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        # pyqtgraph's context menu has an "Export..." dialog writing the raw plot data unstamped and without
        # small-cell rules: exports go through the panel's guarded PNG/CSV buttons instead.
        self.plot_item.setMenuEnabled(False)
        # An opaque-ish legend box: the band runs under it.
        self.legend = self.plot_item.addLegend(
            offset=(10, 10), brush=pg.mkBrush(255, 255, 255, 215), pen=pg.mkPen("#c8ccd2"), labelTextColor="#1f2328"
        )
        self._style_legend()
        self.points: list[dict] = []
        self.mode = "relative"
        from widgets.plot_placeholder import PlotPlaceholder

        self.placeholder = PlotPlaceholder(
            self, "Run the readout with an assignment time column to see the lift day by day."
        )

    def _style_legend(self) -> None:
        """Legend box from the palette (a white box glares on the dark theme); re-applied on every draw."""
        c = colors()
        base = pg.mkColor(c["base"])
        base.setAlpha(215)
        self.legend.setBrush(pg.mkBrush(base))
        self.legend.setPen(pg.mkPen(c["mid"]))
        self.legend.setLabelTextColor(c["text"])

    def set_points(self, points: list[dict], title: str = "") -> None:
        self._style_legend()
        """points: the readout's cumulative entries for one metric and arm. Relative lift (%) when the
        entries have one, else the absolute difference."""
        self.points = list(points)
        p = self.plot_item
        p.clear()
        self.legend.clear()
        p.setTitle(title, size="10pt")
        p.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        rel = any(e.get("rel_lift") is not None for e in points)
        self.mode = "relative" if rel else "absolute"
        key, seq_key, fixed_key, scale = (
            ("rel_lift", "rel_ci95", "fixed_rel_ci95", 100.0) if rel else ("abs_diff", "ci95", "fixed_abs_ci95", 1.0)
        )
        p.setLabel("left", "cumulative lift (%)" if rel else "cumulative difference (treatment − control)")
        xs, est, lo, hi, flo, fhi = [], [], [], [], [], []
        for e in points:
            if e.get(key) is None:
                continue
            xs.append(_epoch(e["date"]))
            est.append(scale * e[key])
            a, b = _bounds(e.get(seq_key), scale)
            lo.append(a)
            hi.append(b)
            a, b = _bounds(e.get(fixed_key), scale)
            flo.append(a)
            fhi.append(b)
        self.placeholder.set_empty(not xs)
        if not xs:
            return
        x = np.array(xs)
        seq_pen = pg.mkPen(SEQ_COLOR, width=1)
        lo_c = p.plot(x, np.array(lo), pen=seq_pen)
        hi_c = p.plot(x, np.array(hi), pen=seq_pen)
        p.addItem(pg.FillBetweenItem(lo_c, hi_c, brush=pg.mkBrush(*SEQ_COLOR, 60)))
        # The legend draws samples of PlotDataItems only (a FillBetweenItem there crashes the paint): a
        # filled stand-in that is never added to the plot.
        self.legend.addItem(pg.PlotDataItem(pen=seq_pen, fillLevel=0, fillBrush=pg.mkBrush(*SEQ_COLOR, 60)), SEQ_LABEL)
        fixed_pen = pg.mkPen(FIXED_COLOR, width=2, style=Qt.PenStyle.DashLine)
        p.plot(x, np.array(flo), pen=fixed_pen, name=FIXED_LABEL)
        p.plot(x, np.array(fhi), pen=fixed_pen)
        est_color = "#7fb2f0" if is_dark() else "#1f4e79"  # dark navy vanishes on the dark background
        p.plot(
            x,
            np.array(est),
            pen=pg.mkPen(est_color, width=2),
            symbol="o",
            symbolSize=5,
            symbolBrush=est_color,
            name="estimate",
        )
        p.enableAutoRange()
