"""Incomplete buckets on the chart: a hatched band over each one and the line into it dotted.

An incomplete bucket (the range or the data covers only part of its period) reads as a drop that did not
happen; drawing it differently keeps people from reading it as one. The solid line stops at the last
complete bucket (its ``connect`` array leaves out segments that touch an incomplete point) and a dotted
twin draws just those segments.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from widgets.theme import colors

PARTIAL_TOOLTIP = "Incomplete period: the range or the data covers only part of it"


def partial_mask(x: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """True for points whose bucket start lies in one of the incomplete ``spans`` [x0, x1)."""
    mask = np.zeros(len(x), dtype=bool)
    for x0, x1 in spans:
        mask |= (x >= x0) & (x < x1)
    return mask


def solid_connect(y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """pyqtgraph's per-point ``connect`` array: point i joins i+1 when both are finite and complete."""
    ok = np.isfinite(y) & ~mask
    connect = np.zeros(len(y), dtype=bool)
    if len(y) > 1:
        connect[:-1] = ok[:-1] & ok[1:]
    return connect


def dotted_values(y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The values the dotted twin draws: incomplete points and their neighbours, NaN elsewhere."""
    near = mask.copy()
    near[:-1] |= mask[1:]
    near[1:] |= mask[:-1]
    return np.where(near, y, np.nan)


class PartialMarks:
    """Hatched bands and dotted segments for incomplete buckets, on one PlotItem."""

    def __init__(self, plot_item: pg.PlotItem):
        self._plot = plot_item
        self._bands: list[pg.LinearRegionItem] = []
        self._dotted: dict[str, pg.PlotDataItem] = {}
        self.spans: list[tuple[float, float]] = []

    def clear(self) -> None:
        for band in self._bands:
            self._plot.removeItem(band)
        for item in self._dotted.values():
            self._plot.removeItem(item)
        self._bands.clear()
        self._dotted.clear()
        self.spans = []

    def draw(self, spans: list[tuple[float, float]], series) -> None:
        """Mark ``spans`` (epoch seconds) and add a dotted twin for each of ``series`` that has points there."""
        self.clear()
        self.spans = list(spans)
        if not spans:
            return
        hatch = QColor(colors()["disabled"])
        hatch.setAlpha(110)
        for x0, x1 in spans:
            band = pg.LinearRegionItem((x0, x1), movable=False, brush=QBrush(hatch, Qt.BrushStyle.BDiagPattern))
            band.setZValue(-10)
            for line in band.lines:
                line.setPen(pg.mkPen(None))
            band.setToolTip(PARTIAL_TOOLTIP)
            self._plot.addItem(band, ignoreBounds=True)
            self._bands.append(band)
        for s in series:
            mask = partial_mask(s.x, spans)
            if not mask.any():
                continue
            pen = pg.mkPen(QColor(s.color), width=1.6, style=Qt.PenStyle.DotLine)
            item = pg.PlotDataItem(s.x, dotted_values(s.y, mask), pen=pen, connect="finite")
            self._plot.addItem(item)
            self._dotted[s.name] = item

    def dotted_item(self, name: str) -> pg.PlotDataItem | None:
        return self._dotted.get(name)

    def set_visible(self, name: str, visible: bool) -> None:
        item = self._dotted.get(name)
        if item is not None:
            item.setVisible(visible)
