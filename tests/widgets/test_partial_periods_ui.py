"""Incomplete periods in the Explorer: hatched and dotted on the chart, flagged in the grid, and left out of
the leaderboard's comparison unless the user unticks "Complete periods"."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from PySide6.QtCore import Qt

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait


@pytest.fixture
def cut_parquet(tmp_path):
    # every 10 minutes from Jan 1 06:00 to Jan 8 04:30: the first and last days are partial
    return write_parquet(
        tmp_path / "cut.parquet",
        "SELECT TIMESTAMP '2024-01-01 06:00' + INTERVAL (i * 10) MINUTE "
        "AS ts, ['a', 'b'][1 + i % 2] AS k FROM range(1000) t(i)",
    )


def test_partial_days_are_marked_and_left_out_of_comparisons(qtbot, window, cut_parquet):
    open_and_wait(qtbot, window, cut_parquet)
    explorer = window.explorer
    qtbot.waitUntil(lambda: explorer.last_result is not None and explorer.chart.is_showing_chart(), timeout=15000)
    result = explorer.last_result
    assert result.incomplete == (dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 8))

    # The chart hatches both days and draws the line into them dotted; the solid line skips those segments.
    chart = explorer.chart
    assert len(chart.partial_marks.spans) == 2
    solid = chart._items["all"]
    connect = solid.opts["connect"]
    assert isinstance(connect, np.ndarray) and not connect[0] and not connect[-2] and connect[1:-2].all()
    dotted = chart.partial_marks.dotted_item("all")
    assert dotted is not None and np.isfinite(dotted.yData).sum() == 4  # two partial days and their neighbours
    x, _y = chart.plotted_data("all")
    assert "incomplete period" in chart.readout_html(float(x[-1]), [("all", 1.0)])

    # The grid flags the same rows.
    qtbot.waitUntil(lambda: explorer.results.table_model().total_rows == 8, timeout=10000)
    model = explorer.results.table_model()
    col = model.column_names().index("period")
    flags = [model.raw_value(r, col) for r in range(model.total_rows)]
    assert flags == ["incomplete"] + [""] * 6 + ["incomplete"]

    # With a comparison the leaderboard uses the complete days, and says so ...
    explorer.set_range("Last 7 days")
    explorer.set_compare(True, "day")
    qtbot.waitUntil(
        lambda: explorer.last_leaderboard_spec is not None and explorer.last_leaderboard_spec.compare, timeout=15000
    )
    board_spec = explorer.last_leaderboard_spec
    assert (board_spec.start, board_spec.end) == (dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 8))
    assert "Complete periods" in explorer.leaderboard.hint.text()

    # ... and unticking the box brings the partial last day back.
    qtbot.mouseClick(explorer.complete_check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: explorer.last_leaderboard_spec.end == dt.datetime(2024, 1, 9), timeout=15000)
    assert explorer.last_leaderboard_spec.start == dt.datetime(2024, 1, 2)
