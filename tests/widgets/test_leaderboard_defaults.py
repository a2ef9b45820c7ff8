"""The leaderboard ranks a grouping column by default, and only an active filter looks selected."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait


def _wait_board(qtbot, explorer, table):
    qtbot.waitUntil(
        lambda: explorer.last_result is not None and explorer.last_result.spec.table == table, timeout=15000
    )


def test_default_dimension_is_never_an_id_a_float_or_personal(qtbot, window, tmp_path):
    user_id = '"User ""ID"""'  # the CSV's quoted header, as DuckDB spells it
    path = write_parquet(
        tmp_path / "messy.parquet",
        "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, 'u' || i AS " + user_id + ", "
        "'p' || (i % 50) || '@example.com' AS email, i * 0.5 AS score, "
        "['BR', 'US'][1 + i % 2] AS country FROM range(300) t(i)",
    )
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    _wait_board(qtbot, explorer, "messy")
    assert explorer.leaderboard.current_dimension() == "country"


def test_nab_like_series_has_no_float_leaderboard(qtbot, window, tmp_path):
    path = write_parquet(
        tmp_path / "nab.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i * 5) MINUTE AS timestamp, 40 + (i % 17) * 0.25 AS value
        FROM range(500) t(i)""",
    )
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    _wait_board(qtbot, explorer, "nab")
    assert explorer.leaderboard.current_dimension() == ""
    assert explorer.leaderboard.table.rowCount() == 0


def test_only_the_filtered_row_is_marked(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    explorer = window.explorer
    _wait_board(qtbot, explorer, "events")
    board = explorer.leaderboard
    qtbot.waitUntil(lambda: board.table.rowCount() == 4, timeout=15000)
    assert board.active_rows() == [] and not board.table.selectedItems()
    value = board.row_values()[1]
    rect = board.table.visualItemRect(board.table.item(1, 0))
    qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: bool(explorer.last_result.spec.filters and board.active_rows()), timeout=15000)
    assert not board.table.selectedItems()
    rows = board.active_rows()
    assert [board.row_values()[r] for r in rows] == [value]


def test_second_click_adds_to_an_in_filter_and_others_stay_visible(qtbot, window, events_parquet):
    from workbench.metrics import Filter

    open_and_wait(qtbot, window, events_parquet)
    explorer = window.explorer
    _wait_board(qtbot, explorer, "events")
    board = explorer.leaderboard
    qtbot.waitUntil(lambda: board.table.rowCount() == 4, timeout=15000)
    first, second = board.row_values()[0], board.row_values()[2]

    def click(value):
        row = board.row_values().index(value)
        rect = board.table.visualItemRect(board.table.item(row, 0))
        qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    def board_for(filters):
        return bool(
            explorer.last_leaderboard_spec is not None
            and explorer.last_result.spec.filters == filters
            and explorer.last_leaderboard is not None
            and board.table.rowCount() == 4
        )

    click(first)
    qtbot.waitUntil(
        lambda: board_for((Filter("country", "=", first),)) and len(board.active_rows()) == 1, timeout=15000
    )
    assert len(board.row_values()) == 4  # the others stay, greyed, with their numbers
    click(second)
    assert explorer.filters() == [Filter("country", "in", (first, second))]
    qtbot.waitUntil(
        lambda: board_for((Filter("country", "in", (first, second)),)) and len(board.active_rows()) == 2, timeout=15000
    )
    assert sorted(board.row_values()[r] for r in board.active_rows()) == sorted([first, second])
    assert set(explorer.last_result.frame["series"]) <= {first, second, "all"}
    click(first)  # clicking a filtered value takes it out
    assert explorer.filters() == [Filter("country", "=", second)]


@pytest.mark.parametrize(
    "name,expected",
    [("user_id", True), ("UserID", True), ('User "ID"', True), ("uuid", True), ("country", False), ("valid", False)],
)
def test_id_like_names(name, expected):
    from widgets.leaderboard_default import is_id_like

    assert is_id_like(name) is expected
