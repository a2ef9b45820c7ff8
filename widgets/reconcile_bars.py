"""The Reconcile panel's summary chart: one horizontal bar per bucket (matched, only in A, only in B,
duplicated keys, changed per column), labelled on the left; clicking a bar asks for that bucket's rows."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor

from widgets.theme import colors, is_dark

_COLORS = {
    "matched": "#4c9a5f",
    "only_a": "#d08a2c",
    "only_b": "#3f7fbf",
    "duplicates": "#9a5fb4",
    "changed": "#c8483b",
}


class BucketBars(pg.PlotWidget):
    """Bars of ``[(bucket, label, count, colour key)]``, first at the top; ``bucket_clicked(bucket)``."""

    bucket_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.buckets: list[tuple[str, str, int, str]] = []
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().showGrid(x=True, alpha=0.2)
        self.setLabel("bottom", "rows")
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.refresh_theme()

    def refresh_theme(self) -> None:
        c = colors()
        self.setBackground(QColor(c["base"]))
        for axis in ("left", "bottom"):
            ax = self.getAxis(axis)
            ax.setPen(pg.mkPen(c["text"]))
            ax.setTextPen(pg.mkPen(c["text"]))
        if self.buckets:
            self.set_buckets(self.buckets)

    def set_buckets(self, buckets) -> None:
        self.buckets = list(buckets)
        self.clear()
        if not self.buckets:
            return
        n = len(self.buckets)
        ys = [n - 1 - i for i in range(n)]  # the first bucket on top
        widths = [b[2] for b in self.buckets]
        brushes = [pg.mkBrush(QColor(_COLORS[b[3]]).lighter(115 if is_dark() else 100)) for b in self.buckets]
        self.addItem(pg.BarGraphItem(x0=[0] * n, y=ys, width=widths, height=0.7, brushes=brushes, pen=pg.mkPen(None)))
        top = max(widths) or 1
        for y, (_, _, count, _) in zip(ys, self.buckets):
            text = pg.TextItem(f"{count:,}", color=colors()["text"], anchor=(0, 0.5))
            text.setPos(count + top * 0.01, y)
            self.addItem(text)
        self.getAxis("left").setTicks([[(y, b[1]) for y, b in zip(ys, self.buckets)]])
        self.setXRange(0, top * 1.18, padding=0)
        self.setYRange(-0.6, n - 0.4, padding=0)

    def _on_scene_clicked(self, event) -> None:
        if not self.buckets:
            return
        point = self.getPlotItem().vb.mapSceneToView(event.scenePos())
        index = len(self.buckets) - 1 - round(point.y())
        if 0 <= index < len(self.buckets) and abs(point.y() - round(point.y())) <= 0.4:
            self.bucket_clicked.emit(self.buckets[index][0])
