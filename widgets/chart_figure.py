"""An exported chart as a figure that stands on its own: title, what it shows (table, filters, range,
comparison), the plot, its legend and the keys for dashed and hatched marks.

A PNG or SVG pasted into a ticket or a slide loses the window around it, so everything needed to read it
travels inside the image. One painting routine serves both formats (SVG through QSvgGenerator, as vector
paths and text).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPen

from widgets.theme import colors

MARGIN = 16
SWATCH = 14


@dataclass
class Figure:
    """What the figure says around the plot."""

    title: str
    details: list[str] = field(default_factory=list)  # "Filters: …", "Range: …", "Compared with: …"
    legend: list[tuple[str, str]] = field(default_factory=list)  # (label, colour) of each visible series
    compare_key: str = ""  # "previous period" etc. when dashed lines are drawn
    partial_key: bool = False  # hatched incomplete periods are drawn


def describe_chart(chart, title: str, details: list[str], compare_key: str = "") -> Figure:
    """The figure for a ChartView as it is on screen (visible series only, labels as the legend shows them)."""
    visible = set(chart.visible_series())
    legend, seen = [], set()
    for s in chart.series():
        group = s.group or s.name
        if s.name in visible and not s.dashed and group not in seen:
            seen.add(group)
            legend.append((chart._label(group), s.color))
    dashed = any(s.dashed and s.name in visible for s in chart.series())
    return Figure(
        title or "Workbench chart",
        list(details),
        legend,
        compare_key if dashed else "",
        bool(chart.partial_marks.spans),
    )


def figure_details(spec, range_text: str, start=None, end=None) -> tuple[list[str], str]:
    """(detail lines, comparison key) for a MetricSpec: table, filters, range and what it is compared with."""
    lines = [f"Table: {spec.table}"]
    lines.append("Filters: " + ("; ".join(f.label for f in spec.filters) if spec.filters else "none"))
    span = f" ({start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M})" if start is not None and end is not None else ""
    lines.append(f"Range: {range_text}{span}")
    compare = ""
    if spec.compare:
        compare = {"day": "the day before", "week": "the week before", "4 weeks": "4 weeks before"}.get(
            spec.compare_offset or "", "the previous period of the same length"
        )
        lines.append(f"Compared with: {compare} (dashed)")
    return lines, compare


class _Layout:
    def __init__(self, fig: Figure, plot_size: QSize, width: int):
        self.title_font = QFont()
        self.title_font.setPointSizeF(13)
        self.title_font.setBold(True)
        self.text_font = QFont()
        self.text_font.setPointSizeF(9.5)
        tm, fm = QFontMetrics(self.title_font), QFontMetrics(self.text_font)
        self.line = fm.height() + 2
        self.width = width
        self.title_h = tm.height() + 4
        self.details_h = self.line * len(fig.details)
        self.plot_top = MARGIN + self.title_h + self.details_h + 6
        self.plot = QRect(MARGIN, self.plot_top, plot_size.width(), plot_size.height())
        # Legend entries wrap within the width; the keys follow on their own row.
        self.entries: list[tuple[QRect, str, str]] = []
        x, y = MARGIN, self.plot.bottom() + 10
        for label, color in fig.legend:
            w = SWATCH + 6 + fm.horizontalAdvance(label) + 16
            if x + w > width - MARGIN and x > MARGIN:
                x, y = MARGIN, y + self.line
            self.entries.append((QRect(x, y, w, self.line), label, color))
            x += w
        keys = ([f"- - -  {fig.compare_key}"] if fig.compare_key else []) + (
            ["hatched: incomplete period (the range or the data covers only part of it)"] if fig.partial_key else []
        )
        self.keys_y = (y + self.line) if self.entries else y
        self.keys = keys
        self.height = self.keys_y + self.line * len(keys) + MARGIN


def _paint(painter: QPainter, fig: Figure, chart, lay: _Layout) -> None:
    c = colors()
    painter.fillRect(QRect(0, 0, lay.width, lay.height), QColor(c["base"]))
    painter.setPen(QColor(c["text"]))
    painter.setFont(lay.title_font)
    painter.drawText(QRect(MARGIN, MARGIN, lay.width - 2 * MARGIN, lay.title_h), Qt.AlignmentFlag.AlignLeft, fig.title)
    painter.setFont(lay.text_font)
    painter.setPen(QColor(c["disabled"]))
    for i, text in enumerate(fig.details):
        rect = QRect(MARGIN, MARGIN + lay.title_h + i * lay.line, lay.width - 2 * MARGIN, lay.line)
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, fig.details[i])
    view = chart.plot_widget  # a QGraphicsView: its render() draws the scene into a target rectangle
    view.render(painter, QRectF(lay.plot), view.viewport().rect())
    painter.setPen(QColor(c["text"]))
    for rect, label, color in lay.entries:
        painter.setBrush(QBrush(QColor(color)))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(rect.x(), rect.y() + (rect.height() - 6) / 2, SWATCH, 6), 2, 2)
        painter.setPen(QColor(c["text"]))
        text_rect = QRect(rect.x() + SWATCH + 6, rect.y(), rect.width() - SWATCH - 6, rect.height())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
    painter.setPen(QPen(QColor(c["disabled"])))
    for i, text in enumerate(lay.keys):
        rect = QRect(MARGIN, lay.keys_y + i * lay.line, lay.width - 2 * MARGIN, lay.line)
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)


def _layout(fig: Figure, chart) -> _Layout:
    size = chart.plot_widget.size()
    if size.width() < 200 or size.height() < 120:
        size = QSize(900, 420)
    return _Layout(fig, size, size.width() + 2 * MARGIN)


def figure_png(fig: Figure, chart) -> bytes:
    """PNG bytes of the figure (the plot at its on-screen size)."""
    lay = _layout(fig, chart)
    ratio = chart.devicePixelRatioF() or 1.0
    image = QImage(int(lay.width * ratio), int(lay.height * ratio), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(QColor(colors()["base"]))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        _paint(painter, fig, chart, lay)
    finally:
        painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data)


def figure_svg(fig: Figure, chart) -> str:
    """SVG text of the figure, drawn through QSvgGenerator."""
    from PySide6.QtSvg import QSvgGenerator

    lay = _layout(fig, chart)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(buf)
    gen.setSize(QSize(lay.width, lay.height))
    gen.setViewBox(QRect(0, 0, lay.width, lay.height))
    gen.setTitle(fig.title)
    gen.setDescription("Exported by Workbench. " + " · ".join(fig.details))
    painter = QPainter(gen)
    try:
        _paint(painter, fig, chart, lay)
    finally:
        painter.end()
    buf.close()
    return bytes(data).decode("utf-8")
