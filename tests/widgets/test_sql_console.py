"""SQL console: run with the keyboard, results grid, inline errors, read-only, history."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.widgets.conftest import open_and_wait


def _run_and_wait(qtbot, console, text):
    console.set_sql(text)
    with qtbot.waitSignal(
        console._runner.finished, timeout=15000, check_params_cb=lambda _id, key, _s: key == console.KEY
    ):
        console.run()


def test_ctrl_enter_runs_the_query_and_fills_the_grid(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    console = window.sql_console
    window.show_panel("SQL")
    console.set_sql("SELECT country, sum(views) AS v FROM events GROUP BY ALL ORDER BY country")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        qtbot.keyClick(console.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    model = console.results.table_model()
    assert model.column_names() == ["country", "v"]
    assert [model.raw_value(r, 0) for r in range(model.rowCount())] == ["BR", "DE", "IN", "US"]
    assert not console.error_label.isVisible()
    assert console.history()[0].startswith("SELECT country")
    assert "4 rows" in console.footer.text()


def test_errors_show_inline_and_app_stays_usable(qtbot, window):
    console = window.sql_console
    window.show_panel("SQL")
    _run_and_wait(qtbot, console, "SELECT * FROM no_such_table")
    assert console.error_label.isVisible()
    assert "no_such_table" in console.error_label.text()
    assert not window.banner.isVisible()  # console errors are inline, not in the banner
    _run_and_wait(qtbot, console, "SELECT 41 + 1 AS answer")
    assert not console.error_label.isVisible()
    assert console.results.table_model().raw_value(0, 0) == 42


def test_console_is_read_only(qtbot, window):
    console = window.sql_console
    window.show_panel("SQL")
    for statement in (
        "CREATE TABLE t (a INTEGER)",
        "COPY (SELECT 1) TO 'x.csv'",
        "SET threads = 1",
        "SELECT 1; SELECT 2",
    ):
        _run_and_wait(qtbot, console, statement)
        assert console.error_label.isVisible(), statement
    assert "read-only" in console.error_label.text().lower() or "one statement" in console.error_label.text()


def test_selected_text_runs_alone(qtbot, window):
    console = window.sql_console
    console.set_sql("SELECT 1 AS a;\nSELECT 2 AS b")
    cursor = console.editor.textCursor()
    cursor.setPosition(15)
    cursor.setPosition(len(console.editor.toPlainText()), cursor.MoveMode.KeepAnchor)
    console.editor.setTextCursor(cursor)
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    assert console.results.table_model().column_names() == ["b"]


def test_big_results_are_capped(qcon):
    from widgets.sql_console import run_read_only

    table, truncated = run_read_only(qcon.cursor(), "SELECT * FROM range(5000)", max_rows=1000)
    assert truncated and table.num_rows == 1000
    table, truncated = run_read_only(qcon.cursor(), "SELECT * FROM range(10)", max_rows=1000)
    assert not truncated and table.num_rows == 10


def test_console_reads_only_the_opened_tables(qtbot, window, events_parquet, tmp_path):
    open_and_wait(qtbot, window, events_parquet)
    console = window.sql_console
    window.show_panel("SQL")
    for query in (
        "SELECT * FROM read_text('/etc/shadow')",
        "SELECT count(*) FROM glob('/**')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "SELECT * FROM read_text('/proc/self/environ')",
    ):
        _run_and_wait(qtbot, console, query)
        assert console.error_label.isVisible(), query
        assert "outside the opened sources" in console.error_label.text(), console.error_label.text()
    _run_and_wait(qtbot, console, "SELECT * FROM checkpoint()")
    assert "not allowed here" in console.error_label.text()
    _run_and_wait(qtbot, console, "SELECT count(*) AS n FROM events")
    assert not console.error_label.isVisible()
    assert console.results.table_model().raw_value(0, 0) == 240
    assert "events.parquet" in console.info_label.toolTip()  # what the console may read, for a reviewer


def test_a_table_opened_later_is_queryable_and_its_neighbours_are_not(qtbot, window, events_parquet, tmp_path):
    from tests.conftest import write_parquet

    open_and_wait(qtbot, window, events_parquet)
    console = window.sql_console
    _run_and_wait(qtbot, console, "SELECT count(*) FROM events")
    later = write_parquet(tmp_path / "later.parquet", "SELECT range AS k FROM range(7)")
    beside = write_parquet(tmp_path / "beside.parquet", "SELECT 1 AS secret")
    open_and_wait(qtbot, window, later)
    console.set_sql("SELECT count(*) AS n FROM later")  # typed at once: runs when the new database is ready
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    assert console.results.table_model().raw_value(0, 0) == 7
    _run_and_wait(qtbot, console, f"SELECT * FROM read_parquet('{beside}')")
    assert "outside the opened sources" in console.error_label.text()
    window.close_table("later")
    _run_and_wait(qtbot, console, f"SELECT * FROM read_parquet('{later}')")
    assert "outside the opened sources" in console.error_label.text()  # closed: no longer readable


def test_a_view_masked_after_opening_is_masked_in_the_console_too(qtbot, window, events_parquet):
    from workbench import sql

    open_and_wait(qtbot, window, events_parquet)
    console = window.sql_console
    _run_and_wait(qtbot, console, "SELECT DISTINCT country FROM events ORDER BY 1")
    assert console.results.table_model().raw_value(0, 0) == "BR"
    # What masking at the source does: the view is re-created and the catalog records the mask.
    source = window.catalog.get("events")
    window.con.execute(
        f"CREATE OR REPLACE VIEW events AS SELECT 'country#' || left(sha256(country), 8) AS country "
        f"FROM {sql.read_files('parquet', source.files)}"
    )
    window.catalog.view_masks = {"events": {"country": "country"}}
    console.set_sql("SELECT DISTINCT country AS alias FROM events")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    model = console.results.table_model()
    assert all(str(model.raw_value(r, 0)).startswith("country#") for r in range(model.rowCount()))


def test_console_cannot_read_the_files_around_masked_views(qtbot, window, tmp_path):
    """Masked at the source: the console's views hold tokens, and reading the file directly is refused."""
    from tests.conftest import write_parquet

    path = write_parquet(
        tmp_path / "people.parquet", "SELECT 'p' || i || '@example.com' AS email, i % 3 AS g FROM range(30) t(i)"
    )
    w = window
    open_and_wait(qtbot, w, path)
    qtbot.waitUntil(lambda: bool(w.workspace.catalog.view_masks.get("people")), timeout=15000)
    w.show_panel("SQL")
    console = w.sql_console
    _run_and_wait(qtbot, console, "SELECT email AS x FROM people LIMIT 3")
    assert not console.error_label.isVisible()
    assert "@example.com" not in str(console.results.table_model().raw_value(0, 0))
    _run_and_wait(qtbot, console, f"SELECT email FROM read_parquet('{path}')")
    assert console.error_label.isVisible() and "masked" in console.error_label.text()
