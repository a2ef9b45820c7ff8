"""Forest plot: one row per (metric, arm) with the relative lift and its CI, coloured by verdict."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from widgets.plot_placeholder import PlotPlaceholder

VERDICT_COLORS = {"good": "#2e9e4f", "bad": "#d1453b", "inconclusive": "#7f8b99", "undefined": "#b9c0c8"}


class ForestPlot(pg.PlotWidget):
    """Horizontal CIs of relative lifts (in %) with a zero line; rows top to bottom in the order given."""

    def __init__(
        self,
        parent=None,
        title: str = "Relative lift vs control (95% CI)",
        empty_text: str = "Run the readout to see each metric's lift with its 95% interval.",
    ):
        super().__init__(parent)
        self.setBackground(None)
        self.plot_item = self.getPlotItem()
        self.plot_item.setTitle(title, size="10pt")
        self.plot_item.showGrid(x=True, y=False, alpha=0.25)
        self.plot_item.setLabel("bottom", "lift (%)")
        self.plot_item.setMouseEnabled(x=True, y=False)
        # pyqtgraph's context menu has an "Export..." dialog writing the raw plot data unstamped and without
        # small-cell rules: exports go through the panel's guarded PNG/CSV buttons instead.
        self.plot_item.setMenuEnabled(False)
        self.rows: list[dict] = []
        self.placeholder = PlotPlaceholder(self, empty_text)

    def set_rows(self, rows: list[dict]) -> None:
        """rows: dicts with label, est, lo, hi (fractions, may be None) and verdict."""
        self.rows = list(rows)
        p = self.plot_item
        p.clear()
        self.placeholder.set_empty(not rows)
        n = len(rows)
        p.addItem(pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#888", width=1, style=Qt.PenStyle.DashLine)))
        ticks = []
        xs = []
        for k, r in enumerate(rows):
            y = n - 1 - k
            ticks.append((y, r["label"]))
            color = VERDICT_COLORS.get(r.get("verdict"), VERDICT_COLORS["undefined"])
            if r.get("lo") is not None and r.get("hi") is not None:
                lo, hi = 100 * r["lo"], 100 * r["hi"]
                p.plot([lo, hi], [y, y], pen=pg.mkPen(color, width=3))
                p.plot([lo, lo], [y - 0.15, y + 0.15], pen=pg.mkPen(color, width=2))
                p.plot([hi, hi], [y - 0.15, y + 0.15], pen=pg.mkPen(color, width=2))
                xs += [lo, hi]
            if r.get("est") is not None:
                est = 100 * r["est"]
                p.plot([est], [y], pen=None, symbol="s", symbolSize=9, symbolBrush=color, symbolPen=None)
                xs.append(est)
        p.getAxis("left").setTicks([ticks])
        if xs:
            lo, hi = min(xs + [0.0]), max(xs + [0.0])
            pad = 0.08 * (hi - lo or 1.0)
            p.setXRange(lo - pad, hi + pad, padding=0)
        p.setYRange(-0.7, max(n - 0.3, 0.3), padding=0)

    def as_array(self) -> np.ndarray:
        return np.array([[r.get("est") or np.nan, r.get("lo") or np.nan, r.get("hi") or np.nan] for r in self.rows])
