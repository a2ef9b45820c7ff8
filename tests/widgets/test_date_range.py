"""Custom ranges in the Explorer: a start/end picker with presets, sent as the spec's start/end."""

from __future__ import annotations

import datetime as dt

import pytest

from widgets.date_range import preset_range

WED = dt.date(2024, 5, 15)  # a Wednesday in Q2


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Today", (dt.date(2024, 5, 15), dt.date(2024, 5, 16))),
        ("Yesterday", (dt.date(2024, 5, 14), dt.date(2024, 5, 15))),
        ("This week", (dt.date(2024, 5, 13), dt.date(2024, 5, 16))),
        ("Last week", (dt.date(2024, 5, 6), dt.date(2024, 5, 13))),
        ("This month", (dt.date(2024, 5, 1), dt.date(2024, 5, 16))),
        ("Last month", (dt.date(2024, 4, 1), dt.date(2024, 5, 1))),
        ("This quarter", (dt.date(2024, 4, 1), dt.date(2024, 5, 16))),
        ("Last quarter", (dt.date(2024, 1, 1), dt.date(2024, 4, 1))),
        ("Year to date", (dt.date(2024, 1, 1), dt.date(2024, 5, 16))),
    ],
)
def test_presets(name, expected):
    assert preset_range(name, WED) == expected


def test_last_n_days_and_year_boundaries():
    assert preset_range("Last N days", WED, 3) == (dt.date(2024, 5, 13), dt.date(2024, 5, 16))
    assert preset_range("Last month", dt.date(2024, 1, 10)) == (dt.date(2023, 12, 1), dt.date(2024, 1, 1))
    assert preset_range("Last quarter", dt.date(2024, 2, 29)) == (dt.date(2023, 10, 1), dt.date(2024, 1, 1))


def test_explorer_custom_range_and_preset_drive_the_query(qtbot, explorer_on_events):
    explorer = explorer_on_events  # events: 2024-01-01 00:00 .. 2024-01-10 23:00, hourly
    explorer.set_range("Custom range")
    assert explorer.range_picker.isVisible()
    picker = explorer.range_picker
    picker.start_edit.setDate(picker.start_edit.date().fromString("2024-01-03", "yyyy-MM-dd"))
    picker.end_edit.setDate(picker.end_edit.date().fromString("2024-01-04", "yyyy-MM-dd"))
    qtbot.waitUntil(lambda: explorer.last_result.spec.start == dt.datetime(2024, 1, 3), timeout=15000)
    result = explorer.last_result
    assert result.spec.end == dt.datetime(2024, 1, 5)
    assert result.frame["value"].sum() == 48  # two whole days of hourly rows
    # "Yesterday" counts from the last day of the data (Jan 10), not from the wall clock.
    picker.apply_preset("Yesterday")
    qtbot.waitUntil(lambda: explorer.last_result.spec.start == dt.datetime(2024, 1, 9), timeout=15000)
    assert explorer.last_result.frame["value"].sum() == 24


def test_previous_period_needs_a_bounded_range(qtbot, explorer_on_events):
    explorer = explorer_on_events
    assert explorer.range_combo.currentText() == "All data"
    item = explorer.compare_combo.model().item(0)
    assert not item.isEnabled() and "bounded range" in explorer.compare_combo.toolTip()
    explorer.set_range("Last 7 days")
    assert item.isEnabled() and explorer.compare_combo.toolTip() == ""


from tests.widgets.test_explorer import explorer_on_events  # noqa: E402,F401 (fixture)


def _drag(widget, start, end, modifier):
    """Press, move with the button held, release: a real drag through the viewport (QTest has no drag)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    def send(kind, pos, buttons):
        button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
        ev = QMouseEvent(kind, QPointF(pos), widget.mapToGlobal(QPointF(pos)), button, buttons, modifier)
        QApplication.sendEvent(widget, ev)

    held = Qt.MouseButton.LeftButton
    send(QEvent.Type.MouseButtonPress, start, held)
    for i in range(1, 11):
        send(QEvent.Type.MouseMove, start + (end - start) * (i / 10), held)
    send(QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_shift_drag_across_the_chart_sets_the_range(qtbot, explorer_on_events):
    from PySide6.QtCore import QPointF, Qt

    explorer = explorer_on_events
    chart = explorer.chart
    qtbot.waitUntil(chart.is_showing_chart, timeout=5000)
    vb = chart.plot_item.vb
    (_, _), (y0, y1) = vb.viewRange()
    ymid = (y0 + y1) / 2

    def at(day: str):
        x = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc).timestamp()
        return QPointF(chart.plot_widget.mapFromScene(vb.mapViewToScene(QPointF(x, ymid))))

    _drag(
        chart.plot_widget.viewport(), at("2024-01-04T06:00"), at("2024-01-06T18:00"), Qt.KeyboardModifier.ShiftModifier
    )
    assert explorer.is_custom_range()
    qtbot.waitUntil(lambda: explorer.last_result.spec.start == dt.datetime(2024, 1, 4), timeout=15000)
    assert explorer.last_result.spec.end == dt.datetime(2024, 1, 7)
