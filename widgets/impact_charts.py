"""Charts of the Impact panel: a dated series chart with the start marked (treated vs counterfactual, the
gap, the placebo spaghetti) and the event-study coefficient plot with 95 % CIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_placeholder import PlotPlaceholder
from widgets.theme import SERIES_COLORS

TREATED_COLOR, COUNTERFACTUAL_COLOR, PLACEBO_COLOR = SERIES_COLORS[0], SERIES_COLORS[1], "#9aa3ad"


def epoch_seconds(periods) -> np.ndarray:
    """Bucket starts as epoch seconds for a DateAxisItem with a zero UTC offset (naive times are UTC)."""
    idx = pd.DatetimeIndex(pd.to_datetime(list(periods)))
    return (idx - pd.Timestamp("1970-01-01")).total_seconds().to_numpy(float)


def _base(widget: pg.PlotWidget, title: str, empty_text: str):
    widget.setBackground(None)
    item = widget.getPlotItem()
    item.setTitle(title, size="10pt")
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setMenuEnabled(False)  # exports go through the app's guarded actions, not pyqtgraph's dialog
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    return item, PlotPlaceholder(widget, empty_text)


class SeriesChart(pg.PlotWidget):
    """Named lines over dated periods, a vertical line at the start and an optional zero line."""

    def __init__(self, title: str, empty_text: str, zero_line: bool = False, parent=None):
        super().__init__(parent, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.plot_item, self.placeholder = _base(self, title, empty_text)
        self.legend = self.plot_item.addLegend(offset=(10, 10))
        self.zero_line = zero_line
        self.lines: dict[str, np.ndarray] = {}

    def set_series(
        self,
        periods,
        lines: list[tuple[str, np.ndarray, str, int]],
        start=None,
        background: list[np.ndarray] | None = None,
    ) -> None:
        """lines: (name, values, colour, width); background: unnamed grey lines drawn first (placebos)."""
        p = self.plot_item
        p.clear()
        self.legend.clear()
        self.lines = {}
        x = epoch_seconds(periods) if len(periods) else np.array([])
        self.placeholder.set_empty(len(x) == 0)
        if len(x) == 0:
            return
        for values in background or []:
            p.plot(x, np.asarray(values, float), pen=pg.mkPen(PLACEBO_COLOR, width=1), connect="finite")
        for name, values, color, width in lines:
            values = np.asarray(values, float)
            self.lines[name] = values
            p.plot(x, values, pen=pg.mkPen(color, width=width), name=name, connect="finite")
        if self.zero_line:
            p.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        if start is not None:
            marker = pg.InfiniteLine(
                pos=float(epoch_seconds([start])[0]),
                angle=90,
                label="start",
                labelOpts={"position": 0.95, "color": "#d1453b"},
                pen=pg.mkPen("#d1453b", width=1.5, style=Qt.PenStyle.DashLine),
            )
            p.addItem(marker)


class EventStudyChart(pg.PlotWidget):
    """Coefficients by relative period with their 95 % CIs; the reference period -1 sits at zero."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot_item, self.placeholder = _base(
            self,
            "Event study: effect by period relative to the start (95% CI)",
            "Run the analysis to see the leads and lags (reference period −1).",
        )
        self.plot_item.setLabel("bottom", "periods since the start")
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.rows = list(rows)
        p = self.plot_item
        p.clear()
        self.placeholder.set_empty(not rows)
        if not rows:
            return
        k = np.array([r["relative_period"] for r in rows], float)
        est = np.array([r["estimate"] for r in rows], float)
        lo = np.array([r["ci95"][0] for r in rows], float)
        hi = np.array([r["ci95"][1] for r in rows], float)
        p.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        p.addItem(pg.InfiniteLine(pos=-0.5, angle=90, pen=pg.mkPen("#d1453b", width=1.5, style=Qt.PenStyle.DashLine)))
        p.addItem(
            pg.ErrorBarItem(
                x=k, y=est, top=hi - est, bottom=est - lo, beam=0.25, pen=pg.mkPen(TREATED_COLOR, width=1.5)
            )
        )
        brushes = [pg.mkBrush(COUNTERFACTUAL_COLOR if kk >= 0 else TREATED_COLOR) for kk in k]
        p.plot(k, est, pen=None, symbol="o", symbolSize=7, symbolBrush=brushes, symbolPen=None)
