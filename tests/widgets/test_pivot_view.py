"""The pivot beside the long results grid: buckets × series with totals, driven from its toggle."""

from __future__ import annotations

import duckdb
import pandas as pd
from PySide6.QtCore import Qt

from tests.widgets.conftest import open_and_wait


def _grid_frame(grid) -> pd.DataFrame:
    model = grid.table_model()
    names = model.column_names()
    return pd.DataFrame({n: [model.raw_value(r, c) for r in range(model.total_rows)] for c, n in enumerate(names)})


def test_pivot_toggle_shows_buckets_by_series_with_totals(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    explorer = window.explorer
    area = explorer.results_area
    qtbot.waitUntil(lambda: explorer.results.table_model().total_rows > 0, timeout=15000)
    assert not area.pivot_button.isEnabled()  # no breakdown yet: nothing to put across
    assert "Break down" in area.pivot_button.toolTip()

    explorer.set_measure("sum", "views")
    explorer.set_breakdown("country")
    qtbot.waitUntil(lambda: "series" in explorer.results.table_model().column_names(), timeout=15000)
    qtbot.mouseClick(area.pivot_button, Qt.MouseButton.LeftButton)
    assert area.is_pivot() and area.pivot.isVisible() and not explorer.results.isVisible()
    pivot = _grid_frame(area.pivot)
    raw = (
        duckdb.connect()
        .execute(
            f"SELECT strftime(date_trunc('day', ts), '%Y-%m-%d') AS day, country, sum(views)::DOUBLE AS v "
            f"FROM read_parquet('{events_parquet}') GROUP BY ALL"
        )
        .df()
    )
    expected = raw.pivot(index="day", columns="country", values="v")
    assert list(pivot.columns) == ["bucket", *sorted(expected.columns, key=list(pivot.columns).index), "Total"]
    assert len(pivot) == len(expected) + 1 and pivot["bucket"].iloc[-1] == "Total"
    body = pivot.iloc[:-1].set_index("bucket")
    for country in expected.columns:
        assert body[country].to_dict() == expected[country].to_dict()
    assert pivot["Total"].iloc[-1] == raw["v"].sum()

    # Series down instead of buckets down.
    area.rows_combo.setCurrentIndex(area.rows_combo.findData("series"))
    turned = _grid_frame(area.pivot)
    assert list(turned["series"]) == [c for c in pivot.columns[1:-1]] + ["Total"]

    # A mean has no meaningful total: cells stay, totals go, and the note says why.
    explorer.set_measure("mean", "views")
    qtbot.waitUntil(
        lambda: (
            "Total" not in _grid_frame(area.pivot).columns.tolist()
            and "mean(views)" in explorer.results.table_model().column_names()
        ),
        timeout=15000,
    )
    assert "No totals" in area.note.text()

    # Back to the long grid.
    qtbot.mouseClick(area.long_button, Qt.MouseButton.LeftButton)
    assert explorer.results.isVisible() and not area.pivot.isVisible()
