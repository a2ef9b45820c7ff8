"""The column profile shown under the Data tree: summary figures, top values and a small histogram.

Drawn with plain QPainter: a profile is a few dozen numbers and needs no plotting machinery.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QFormLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from widgets.table_model import format_value


def _fmt_count(n) -> str:
    return f"{int(n):,}" if n is not None else "—"


class BarList(QWidget):
    """Top values as labelled horizontal bars (value, count, share of non-null rows)."""

    ROW = 20

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[tuple[str, int]] = []
        self._total = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_items(self, items: list[tuple[str, int]], total: int) -> None:
        self._items, self._total = list(items), max(int(total), 1)
        self.setFixedHeight(max(1, len(self._items)) * self.ROW + 2)
        self.update()

    def items(self) -> list[tuple[str, int]]:
        return list(self._items)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, max(1, len(self._items)) * self.ROW + 2)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        pal = self.palette()
        bar = QColor(pal.color(QPalette.ColorRole.Highlight))
        bar.setAlpha(60)
        text = pal.color(QPalette.ColorRole.Text)
        fm = self.fontMetrics()
        top = max((c for _, c in self._items), default=1)
        w = self.width()
        for i, (label, count) in enumerate(self._items):
            y = i * self.ROW
            painter.fillRect(QRectF(0, y + 2, (w - 2) * count / top, self.ROW - 4), bar)
            painter.setPen(text)
            right = f"{count:,}  {100 * count / self._total:.1f}%"
            rw = fm.horizontalAdvance(right) + 6
            painter.drawText(
                QRectF(6, y, w - rw - 12, self.ROW),
                Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(label, Qt.TextElideMode.ElideRight, int(w - rw - 12)),
            )
            painter.drawText(
                QRectF(w - rw, y, rw - 4, self.ROW), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, right
            )
        painter.end()


class Histogram(QWidget):
    """Equal-width bins as columns, with the range printed underneath."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._counts: list[int] = []
        self._lo_label = self._hi_label = ""
        self.setFixedHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_bins(self, counts: list[int], lo_label: str, hi_label: str) -> None:
        self._counts, self._lo_label, self._hi_label = list(counts), lo_label, hi_label
        self.update()

    def counts(self) -> list[int]:
        return list(self._counts)

    def paintEvent(self, event) -> None:  # noqa: N802
        if not self._counts:
            return
        painter = QPainter(self)
        pal = self.palette()
        fm = self.fontMetrics()
        label_h = fm.height() + 2
        h = self.height() - label_h
        w = self.width()
        top = max(self._counts) or 1
        n = len(self._counts)
        step = w / n
        color = QColor(pal.color(QPalette.ColorRole.Highlight))
        color.setAlpha(170)
        for i, c in enumerate(self._counts):
            bh = (h - 4) * c / top
            painter.fillRect(QRectF(i * step + 1, h - bh, max(step - 2, 1), bh), color)
        painter.setPen(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        painter.drawText(
            QRectF(0, h, w / 2, label_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self._lo_label
        )
        painter.drawText(
            QRectF(w / 2, h, w / 2, label_h),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            self._hi_label,
        )
        painter.end()


def _edge_label(value: float, kind: str) -> str:
    if kind == "temporal":
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime("%Y-%m-%d")
    return format_value(value)


class ProfileView(QWidget):
    """Shows a ``workbench.profile.ColumnProfile`` (or a placeholder / 'profiling…' message)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Column profile")
        self.title.setObjectName("sectionTitle")
        self.message = QLabel("Select a column to see its profile.")
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self._fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(3)
        for key in ("Type", "Rows", "Nulls", "Distinct", "Min", "Max", "Mean"):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._fields[key] = value
            form.addRow(key, value)
        self._form = QWidget()
        self._form.setLayout(form)
        self.top_title = QLabel("Top values")
        self.top_title.setObjectName("sectionTitle")
        self.top_values = BarList()
        self.hist_title = QLabel("Distribution")
        self.hist_title.setObjectName("sectionTitle")
        self.histogram = Histogram()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self._form)
        layout.addSpacing(4)
        layout.addWidget(self.top_title)
        layout.addWidget(self.top_values)
        layout.addSpacing(4)
        layout.addWidget(self.hist_title)
        layout.addWidget(self.histogram)
        layout.addStretch(1)
        self.show_message("Select a column to see its profile.")

    def field_text(self, key: str) -> str:
        return self._fields[key].text()

    def show_message(self, text: str, title: str = "Column profile") -> None:
        self.title.setText(title)
        self.message.setText(text)
        self.message.show()
        for w in (self._form, self.top_title, self.top_values, self.hist_title, self.histogram):
            w.hide()

    def show_profile(self, profile) -> None:
        self.title.setText(f"{profile.column}")
        self.title.setToolTip(f"{profile.table}.{profile.column}")
        self.message.hide()
        f = self._fields
        f["Type"].setText(profile.type)
        f["Rows"].setText(_fmt_count(profile.row_count))
        if profile.null_pct is None:
            f["Nulls"].setText("—")
        else:
            f["Nulls"].setText(f"{profile.null_count:,}  ({profile.null_pct:.1f}%)")
        f["Distinct"].setText(("≈ " if profile.distinct_approximate else "") + _fmt_count(profile.distinct_count))
        f["Min"].setText(format_value(profile.min) if profile.min is not None else "—")
        f["Max"].setText(format_value(profile.max) if profile.max is not None else "—")
        if profile.mean is None:
            f["Mean"].setText("—")
        elif profile.kind == "boolean":
            f["Mean"].setText(f"{100 * profile.mean:.1f}% true")
        else:
            f["Mean"].setText(format_value(profile.mean))
        self._form.show()
        non_null = profile.row_count - profile.null_count
        if profile.top_values:
            self.top_values.set_items([(format_value(v), c) for v, c in profile.top_values], non_null)
            self.top_title.show()
            self.top_values.show()
        else:
            self.top_title.hide()
            self.top_values.hide()
        if profile.histogram and len(profile.histogram) > 1:
            bins = profile.histogram
            self.histogram.set_bins(
                [b.count for b in bins],
                _edge_label(bins[0].lo, profile.histogram_kind),
                _edge_label(bins[-1].hi, profile.histogram_kind),
            )
            self.hist_title.show()
            self.histogram.show()
        else:
            self.hist_title.hide()
            self.histogram.hide()
        if profile.row_count == 0:
            self.message.setText("The table has no rows.")
            self.message.show()
        elif profile.null_count == profile.row_count:
            self.message.setText("Every value in this column is NULL.")
            self.message.show()
