"""Drill to rows: right-click a leaderboard row, a chart point or a grid cell → "Show rows" runs the rows
behind it in the SQL console (its row cap, masking and audit entry)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
from PySide6.QtCore import QPoint

from tests.widgets.conftest import open_and_wait


def _explorer_by_country(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    explorer = window.explorer
    explorer.set_measure("sum", "views")
    explorer.set_breakdown("country")
    qtbot.waitUntil(
        lambda: (
            explorer.last_result is not None
            and explorer.last_result.spec.breakdown == "country"
            and explorer.last_leaderboard is not None
        ),
        timeout=15000,
    )
    return explorer


def _console_rows(qtbot, window, action) -> pd.DataFrame:
    console = window.sql_console
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        action.trigger()
    assert window.tabs.currentWidget() is console
    model = console.results.table_model()
    names = model.column_names()
    return pd.DataFrame({n: [model.raw_value(r, c) for r in range(model.total_rows)] for c, n in enumerate(names)})


def _action(menu, prefix: str):
    return next(a for a in menu.actions() if a.text().startswith(prefix))


def test_leaderboard_row_shows_its_rows(qtbot, window, events_parquet):
    explorer = _explorer_by_country(qtbot, window, events_parquet)
    board = explorer.leaderboard
    value = board.row_values()[0]
    rows = _console_rows(qtbot, window, _action(board.context_menu(0), "Show rows"))
    expected = (
        duckdb.connect()
        .execute(f"SELECT count(*), sum(views) FROM read_parquet('{events_parquet}') WHERE country = ?", [value])
        .fetchone()
    )
    assert set(rows["country"]) == {value}
    assert (len(rows), rows["views"].sum()) == expected
    # The console's query is the audit's "query_run" entry, as for any console query.
    sql_text = window.sql_console.editor.toPlainText()
    assert "rows behind country = " in sql_text

    def logged() -> bool:
        return any(
            e["action"] == "query_run"
            and e["details"].get("origin") == "sql console"
            and e["details"].get("sql") == sql_text.strip()
            for e in window.workspace.audit.entries()
        )

    qtbot.waitUntil(logged, timeout=10000)


def test_chart_point_shows_rows_of_that_bucket_and_series(qtbot, window, events_parquet):
    explorer = _explorer_by_country(qtbot, window, events_parquet)
    chart = explorer.chart
    x, y = chart.plotted_data("DE")
    with qtbot.waitSignal(chart.context_requested):
        chart.context_requested.emit(float(x[3]), float(y[3]), QPoint(10, 10))
    menu = explorer.drill.chart_menu
    action = _action(menu, "Show rows")
    assert "country = DE" in action.text()
    rows = _console_rows(qtbot, window, action)
    day = dt.datetime(2024, 1, 4)
    assert set(rows["country"]) == {"DE"}
    assert all(day <= pd.Timestamp(t) < day + dt.timedelta(days=1) for t in rows["ts"])
    assert rows["views"].sum() == y[3]


def test_grid_cell_shows_rows_of_its_row(qtbot, window, events_parquet):
    explorer = _explorer_by_country(qtbot, window, events_parquet)
    grid = explorer.results
    qtbot.waitUntil(lambda: grid.table_model().total_rows > 0, timeout=10000)
    model = grid.table_model()
    names = model.column_names()
    grid.setCurrentIndex(model.index(5, 0))
    bucket, series = model.raw_value(5, names.index("bucket")), model.raw_value(5, names.index("series"))
    action = next(a for a in grid.actions() if a.text() == "Show rows")
    rows = _console_rows(qtbot, window, action)
    assert set(rows["country"]) == {series}
    assert {pd.Timestamp(t).floor("D") for t in rows["ts"]} == {pd.Timestamp(bucket)}
