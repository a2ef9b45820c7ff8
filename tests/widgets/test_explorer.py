"""Explorer driven as a user would: choose measure / grain / breakdown, click the leaderboard, remove a chip.

Every number the chart shows is checked against the engine (``metric_series``) and against a plain DuckDB
query written here independently.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait
from workbench.metrics import Filter, Measure, metric_series


def _wait_result(qtbot, explorer, predicate, timeout=15000):
    qtbot.waitUntil(lambda: explorer.last_result is not None and predicate(explorer.last_result.spec), timeout=timeout)
    return explorer.last_result


def _epoch(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).astype("datetime64[us]").astype("int64").to_numpy() / 1e6


@pytest.fixture
def explorer_on_events(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    explorer = window.explorer
    assert explorer.current_table() == "events"
    _wait_result(qtbot, explorer, lambda s: s.table == "events")
    return explorer


def test_chart_equals_engine_and_plain_duckdb(qtbot, window, explorer_on_events, events_parquet, qcon):
    explorer = explorer_on_events
    explorer.set_measure("sum", "views")
    explorer.set_grain("day")
    explorer.set_breakdown("country", top_n=10)
    result = _wait_result(qtbot, explorer, lambda s: s.measure == Measure("sum", "views") and s.breakdown == "country")

    # The chart draws exactly the engine's result ...
    engine = metric_series(qcon.cursor(), result.spec).frame
    chart = explorer.chart
    assert sorted(s.name for s in chart.series()) == ["BR", "DE", "IN", "US"]
    independent = (
        duckdb.connect()
        .execute(
            f"SELECT date_trunc('day', ts) AS day, country, sum(views)::DOUBLE AS v FROM read_parquet('{events_parquet}') "
            "GROUP BY ALL ORDER BY country, day"
        )
        .df()
    )
    for country, part in independent.groupby("country"):
        x, y = chart.plotted_data(country)
        mine = engine[engine["series"] == country].sort_values("bucket")
        np.testing.assert_allclose(y, mine["value"].to_numpy())
        # ... and the engine agrees with a hand-written DuckDB query.
        np.testing.assert_allclose(x, _epoch(part["day"]))
        np.testing.assert_allclose(y, part["v"].to_numpy())
    # The results grid under the chart holds the same rows (it is filled one event-loop turn after the chart).
    qtbot.waitUntil(
        lambda: explorer.results.table_model() is not None and explorer.results.table_model().total_rows == len(engine),
        timeout=10000,
    )


def test_grain_and_count_distinct(qtbot, explorer_on_events, events_parquet):
    explorer = explorer_on_events
    explorer.set_measure("count_distinct", "country")
    explorer.set_grain("hour")
    explorer.set_breakdown(None)
    result = _wait_result(
        qtbot, explorer, lambda s: s.grain == "hour" and s.measure.agg == "count_distinct" and not s.breakdown
    )
    x, y = explorer.chart.plotted_data("all")
    assert len(x) == 240 and set(y) == {1.0}
    assert result.spec.grain == "hour"


def test_leaderboard_click_adds_filter_and_chip_removal_clears_it(qtbot, explorer_on_events, events_parquet):
    explorer = explorer_on_events
    explorer.set_measure("sum", "views")
    explorer.set_breakdown("country")
    _wait_result(qtbot, explorer, lambda s: s.breakdown == "country" and s.measure.agg == "sum")
    qtbot.waitUntil(
        lambda: (
            explorer.last_leaderboard_spec is not None
            and explorer.last_leaderboard_spec.measure == Measure("sum", "views")
        ),
        timeout=15000,
    )
    assert explorer.leaderboard.table.rowCount() == 4
    values = explorer.leaderboard.row_values()
    top = values[0]
    # Leaderboard ranks by the measure: the top row has the largest sum(views).
    totals = (
        duckdb.connect()
        .execute(f"SELECT country, sum(views) FROM read_parquet('{events_parquet}') GROUP BY ALL ORDER BY 2 DESC, 1")
        .fetchall()
    )
    assert top == totals[0][0]

    rect = explorer.leaderboard.table.visualItemRect(explorer.leaderboard.table.item(0, 0))
    qtbot.mouseClick(explorer.leaderboard.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert explorer.filters() == [Filter("country", "=", top)]
    assert len(explorer.filter_bar.chips()) == 1
    result = _wait_result(qtbot, explorer, lambda s: s.filters == (Filter("country", "=", top),))
    assert set(result.frame["series"]) == {top}
    assert [s.name for s in explorer.chart.series()] == [top]
    assert result.frame["value"].sum() == totals[0][1]

    qtbot.mouseClick(explorer.filter_bar.chips()[0].remove_button, Qt.MouseButton.LeftButton)
    assert explorer.filters() == []
    result = _wait_result(qtbot, explorer, lambda s: s.filters == () and s.breakdown == "country")
    assert set(result.frame["series"]) == {"BR", "DE", "IN", "US"}


def test_filter_editor_with_pick_list(qtbot, explorer_on_events):
    explorer = explorer_on_events
    bar = explorer.filter_bar
    qtbot.mouseClick(bar.add_button, Qt.MouseButton.LeftButton)
    editor = bar.editor
    editor.column.setCurrentText("country")
    qtbot.waitUntil(lambda: editor.value.count() == 4, timeout=15000)  # values come from the data
    editor.op.setCurrentIndex(editor.op.findData("in"))
    editor.value.setEditText("BR, US")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert explorer.filters() == [Filter("country", "in", ("BR", "US"))]
    result = _wait_result(qtbot, explorer, lambda s: len(s.filters) == 1)
    assert result.frame["value"].sum() == 120  # 240 hourly rows, half of them BR or US


def test_compare_draws_dashed_previous_period(qtbot, explorer_on_events):
    explorer = explorer_on_events
    explorer.set_measure("sum", "views")
    explorer.set_range("Last 7 days")
    explorer.set_compare(True)
    result = _wait_result(qtbot, explorer, lambda s: s.compare and s.start is not None)
    names = [s.name for s in explorer.chart.series()]
    assert names == ["all", "all (previous)"]
    dashed = [s for s in explorer.chart.series() if s.dashed]
    assert [s.name for s in dashed] == ["all (previous)"]
    _, y = explorer.chart.plotted_data("all (previous)")
    np.testing.assert_allclose(y, result.frame["comparison_value"].to_numpy(), equal_nan=True)


def test_legend_click_hides_series_and_exports(qtbot, tmp_path, explorer_on_events):
    explorer = explorer_on_events
    explorer.set_breakdown("country")
    _wait_result(qtbot, explorer, lambda s: s.breakdown == "country")
    chart = explorer.chart
    qtbot.mouseClick(chart.legend_button("BR"), Qt.MouseButton.LeftButton)
    assert "BR" not in chart.visible_series()
    chart.export_csv(str(tmp_path / "chart.csv"))
    exported = pd.read_csv(tmp_path / "chart.csv")
    assert set(exported["series"]) == {"DE", "IN", "US"}
    assert chart.export_png(str(tmp_path / "chart.png"))
    assert (tmp_path / "chart.png").stat().st_size > 1000
    bucket, values = chart.readout_text(chart.series()[0].x[3])
    assert bucket == chart.series()[0].x[3] and len(values) == 3


def test_view_sql_shows_the_query(qtbot, explorer_on_events):
    explorer = explorer_on_events
    qtbot.mouseClick(explorer.sql_button, Qt.MouseButton.LeftButton)
    text = explorer._sql_dialog.text.toPlainText()
    assert explorer.last_result.sql in text and '"events"' in text


def test_awkward_column_names_work(qtbot, explorer_on_events):
    explorer = explorer_on_events
    explorer.set_measure("sum", 'a "b"; drop')
    explorer.set_breakdown("空白 col")
    result = _wait_result(qtbot, explorer, lambda s: s.breakdown == "空白 col" and s.measure.column == 'a "b"; drop')
    assert set(result.frame["series"]) == {"v0", "v1"}
    assert result.frame["value"].sum() == sum(i % 3 for i in range(240))


def test_table_without_time_column_says_what_it_needs(qtbot, window, tmp_path):
    path = write_parquet(tmp_path / "plain.parquet", "SELECT i, 'x' || i AS label FROM range(10) t(i)")
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    qtbot.waitUntil(
        lambda: not explorer.chart.is_showing_chart() and "no date or time column" in explorer.chart.message.text(),
        timeout=5000,
    )
    assert not window.banner.isVisible()


def test_hover_shows_crosshair_with_exact_value(qtbot, explorer_on_events):
    from PySide6.QtCore import QPointF

    explorer = explorer_on_events
    chart = explorer.chart
    qtbot.waitUntil(chart.is_showing_chart, timeout=5000)
    s = chart.series()[0]
    scene_pt = chart.plot_item.vb.mapViewToScene(QPointF(float(s.x[5]), float(s.y[5])))
    view_pt = chart.plot_widget.mapFromScene(scene_pt)
    qtbot.mouseMove(chart.plot_widget.viewport(), view_pt)
    qtbot.waitUntil(chart.readout.isVisible, timeout=5000)  # through SignalProxy (rate-limited)
    assert chart.v_line.value() == s.x[5]
    assert f"{s.y[5]:,.0f}" in chart.readout.toPlainText()
