"""The chart shows what was asked: a new result fits its data unless the user zoomed since the last one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait


def _epoch(ts: str) -> float:
    return pd.Timestamp(ts).value / 1e9


def _wait_chart(qtbot, explorer, table):
    qtbot.waitUntil(
        lambda: (
            explorer.last_result is not None
            and explorer.last_result.spec.table == table
            and explorer.chart.is_showing_chart()
        ),
        timeout=15000,
    )


def _covers(chart, x0, x1, y0, y1):
    (vx0, vx1), (vy0, vy1) = chart.plot_item.vb.viewRange()
    width = x1 - x0
    return vx0 <= x0 and vx1 >= x1 and vx1 - vx0 < 1.5 * max(width, 2 * 86400) and vy0 <= y0 and vy1 >= y1


def test_opening_another_file_fits_the_new_data(qtbot, window, tmp_path):
    first = write_parquet(
        tmp_path / "long.parquet",
        """
        SELECT TIMESTAMP '2023-01-01' + INTERVAL (i) DAY AS ts, 1 AS v FROM range(90) t(i)""",
    )
    second = write_parquet(
        tmp_path / "short.parquet",
        """
        SELECT TIMESTAMP '2025-06-01' + INTERVAL (i) HOUR AS ts, 1000 * i AS v FROM range(14 * 24) t(i)""",
    )
    open_and_wait(qtbot, window, first)
    explorer = window.explorer
    _wait_chart(qtbot, explorer, "long")
    open_and_wait(qtbot, window, second)
    explorer.set_table("short")
    explorer.set_measure("sum", "v")
    explorer.set_grain("hour")
    qtbot.waitUntil(
        lambda: (
            explorer.last_result is not None
            and explorer.last_result.spec.table == "short"
            and explorer.last_result.spec.grain == "hour"
        ),
        timeout=15000,
    )
    chart = explorer.chart
    s = chart.series()[0]
    assert _covers(chart, s.x.min(), s.x.max(), np.nanmin(s.y), np.nanmax(s.y)), chart.plot_item.vb.viewRange()
    # The date axis still labels the window it shows.
    (x0, x1), _ = chart.plot_item.vb.viewRange()
    chart.plot_widget.grab()
    ticks = [v for _spacing, values in chart.axis.tickValues(x0, x1, 800) for v in values]
    assert any(chart.axis.tickStrings([v], 1, 86400)[0] for v in ticks)


def test_a_user_zoom_survives_a_refresh_but_not_new_data_elsewhere(qtbot, explorer_on_events_chart):
    explorer = explorer_on_events_chart
    chart = explorer.chart
    s = chart.series()[0]
    # The user zooms in with the mouse wheel over the middle of the plot.
    centre = chart.plot_item.vb.mapViewToScene(QPointF(float(s.x[120]), float(np.nanmean(s.y))))
    vb = chart.plot_item.vb
    vb.scaleBy((0.25, 1.0), center=vb.mapSceneToView(centre))
    vb.sigRangeChangedManually.emit(vb.state["mouseEnabled"])
    assert chart.user_zoomed
    zoomed = vb.viewRange()[0]
    explorer.set_measure("sum", "views")
    qtbot.waitUntil(lambda: explorer.last_result.spec.measure.column == "views", timeout=15000)
    assert vb.viewRange()[0] == zoomed  # same data window: the user's zoom stays
    qtbot.mouseClick(chart.reset_button, Qt.MouseButton.LeftButton)
    assert not chart.user_zoomed
    (vx0, vx1), _ = vb.viewRange()
    assert vx0 <= s.x.min() and vx1 >= s.x.max()


def test_one_bucket_still_has_axis_labels(qtbot):
    from widgets.chart_view import ChartView, Series

    chart = ChartView()
    qtbot.addWidget(chart)
    chart.resize(800, 400)
    chart.show()
    x = np.array([_epoch("2024-03-01")])
    chart.set_series([Series("all", x, np.array([5.0]), "#336699")])
    (x0, x1), (y0, y1) = chart.plot_item.vb.viewRange()
    assert x0 < x[0] < x1 and y0 < 5 < y1
    chart.plot_widget.grab()  # paint once: the date axis measures its labels while painting
    ticks = [v for _spacing, values in chart.axis.tickValues(x0, x1, 800) for v in values]
    assert ticks


@pytest.fixture
def explorer_on_events_chart(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    explorer = window.explorer
    _wait_chart(qtbot, explorer, "events")
    explorer.set_grain("hour")
    qtbot.waitUntil(lambda: explorer.last_result.spec.grain == "hour", timeout=15000)
    return explorer


def test_value_axis_is_compact_and_the_grid_exact(qtbot, window, tmp_path):
    path = write_parquet(
        tmp_path / "big.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, 400000 AS v FROM range(24 * 20) t(i)""",
    )
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    _wait_chart(qtbot, explorer, "big")
    explorer.set_measure("sum", "v")
    qtbot.waitUntil(
        lambda: explorer.last_result.spec.measure.column == "v" and explorer.chart.is_showing_chart(), timeout=15000
    )
    chart = explorer.chart
    chart.plot_widget.grab()
    axis = chart.plot_item.getAxis("left")
    (_, _), (y0, y1) = chart.plot_item.vb.viewRange()
    labels = [t for spacing, values in axis.tickValues(y0, y1, 300) for t in axis.tickStrings(values, 1, spacing)]
    assert "9.6M" in labels or any(label.endswith("M") for label in labels), labels
    # The grid follows the chart one event-loop turn later: wait for the sum's column, not any rows.
    qtbot.waitUntil(
        lambda: (
            "sum(v)" in explorer.results.table_model().column_names() and explorer.results.table_model().rowCount() > 0
        ),
        timeout=15000,
    )
    model = explorer.results.table_model()
    assert model.data(model.index(0, 1)) == "9,600,000"


def test_date_axis_keeps_its_label_band(qtbot):
    """One paint with no room for labels (a narrow moment while the window lays out) used to shrink the x-axis
    to a blank 2 px band for good."""
    from widgets.chart_view import ChartView, Series

    chart = ChartView()
    qtbot.addWidget(chart)
    chart.show()
    x = np.arange(21) * 86400.0 + _epoch("2026-10-11")
    chart.set_series([Series("all", x, 5e5 + np.arange(21) * 1e3, "#336699")])
    for size in ((900, 400), (40, 400), (900, 400)):
        chart.resize(*size)
        qtbot.wait(50)
        chart.grab()
    assert chart.axis.height() >= 12
