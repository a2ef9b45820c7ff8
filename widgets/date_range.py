"""Custom date ranges for the Explorer: a start/end picker with the presets analysts use.

``preset_range`` is plain date arithmetic (no Qt) so it is testable on its own; ranges are whole UTC days,
start inclusive and end exclusive, which is how ``MetricSpec.start`` / ``end`` (and the CLI's --start/--end)
read them. Presets are anchored on a day the caller gives: the last day of the data when it is known (an
offline extract's "today" is the day it ends), else today.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QSpinBox, QWidget

PRESETS = (
    "Today",
    "Yesterday",
    "This week",
    "Last week",
    "This month",
    "Last month",
    "This quarter",
    "Last quarter",
    "Year to date",
    "Last N days",
)


def preset_range(name: str, today: dt.date, n_days: int = 7) -> tuple[dt.date, dt.date]:
    """(first day, day after the last) of preset ``name`` around ``today``. Weeks start on Monday."""
    if name == "Today":
        return today, today + dt.timedelta(days=1)
    if name == "Yesterday":
        return today - dt.timedelta(days=1), today
    week = today - dt.timedelta(days=today.weekday())
    if name == "This week":
        return week, today + dt.timedelta(days=1)
    if name == "Last week":
        return week - dt.timedelta(days=7), week
    month = today.replace(day=1)
    if name == "This month":
        return month, today + dt.timedelta(days=1)
    if name == "Last month":
        return (month - dt.timedelta(days=1)).replace(day=1), month
    quarter = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    if name == "This quarter":
        return quarter, today + dt.timedelta(days=1)
    if name == "Last quarter":
        prev = (quarter - dt.timedelta(days=1)).replace(day=1)
        return prev.replace(month=3 * ((prev.month - 1) // 3) + 1), quarter
    if name == "Year to date":
        return today.replace(month=1, day=1), today + dt.timedelta(days=1)
    if name == "Last N days":
        n = max(1, int(n_days))
        return today - dt.timedelta(days=n - 1), today + dt.timedelta(days=1)
    raise ValueError(f"Unknown preset {name!r}")


def _qdate(d: dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


class DateRangePicker(QWidget):
    """Start and end day (both inclusive on screen) plus a preset list. Signal: range_changed()."""

    range_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.anchor = dt.datetime.now(dt.timezone.utc).date()
        self.preset = QComboBox()
        self.preset.addItem("Preset…")
        self.preset.addItems(PRESETS)
        self.preset.setToolTip("Fill start and end from a common range (anchored on the last day of the data)")
        self.n_days = QSpinBox()
        self.n_days.setRange(1, 3650)
        self.n_days.setValue(14)
        self.n_days.setSuffix(" days")
        self.n_days.setVisible(False)
        self.n_days.setMaximumWidth(96)
        self.start_edit, self.end_edit = QDateEdit(), QDateEdit()
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.start_edit.setToolTip("First day of the range (00:00 UTC)")
        self.end_edit.setToolTip("Last day of the range (included, up to 24:00 UTC)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for w in (self.preset, self.n_days, self.start_edit, QLabel("–"), self.end_edit):
            layout.addWidget(w)
        self.set_days(self.anchor - dt.timedelta(days=6), self.anchor + dt.timedelta(days=1))
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.preset.activated.connect(self._on_preset_activated)
        self.n_days.valueChanged.connect(self._on_n_days_changed)
        self.start_edit.dateChanged.connect(self._on_date_edited)
        self.end_edit.dateChanged.connect(self._on_date_edited)

    def set_anchor(self, day: dt.date) -> None:
        """The day presets count from (the data's last day)."""
        self.anchor = day

    def apply_preset(self, name: str, n_days: int | None = None) -> None:
        """As a user picking ``name`` from the list (and typing N for "Last N days")."""
        if n_days is not None:
            with QSignalBlocker(self.n_days):
                self.n_days.setValue(n_days)
        self.n_days.setVisible(name == "Last N days")
        start, end = preset_range(name, self.anchor, self.n_days.value())
        with QSignalBlocker(self.preset):
            self.preset.setCurrentText(name)
        self.set_days(start, end)
        self.range_changed.emit()

    def set_days(self, start: dt.date, end: dt.date) -> None:
        """Show [start, end) without emitting; ``end`` is exclusive (the picker shows end - 1 day)."""
        with QSignalBlocker(self.start_edit), QSignalBlocker(self.end_edit):
            self.start_edit.setDate(_qdate(start))
            self.end_edit.setDate(_qdate(max(start, end - dt.timedelta(days=1))))

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """(start, end) as naive UTC datetimes, end exclusive: what MetricSpec.start / end take."""
        start = _pydate(self.start_edit.date())
        last = max(start, _pydate(self.end_edit.date()))
        return (dt.datetime.combine(start, dt.time()), dt.datetime.combine(last + dt.timedelta(days=1), dt.time()))

    def _on_preset_activated(self, index: int) -> None:
        if index > 0:
            self.apply_preset(self.preset.itemText(index))

    def _on_n_days_changed(self, _value: int) -> None:
        if self.preset.currentText() == "Last N days":
            self.apply_preset("Last N days")

    def _on_date_edited(self, *_) -> None:
        with QSignalBlocker(self.preset):
            self.preset.setCurrentIndex(0)  # the dates no longer match a preset
        self.n_days.setVisible(False)
        self.range_changed.emit()
