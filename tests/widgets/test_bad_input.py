"""Awkward inputs from issue 2 through the GUI: each gives a clear message or a working chart, never a crash."""

from __future__ import annotations

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait


def _wait_chart(qtbot, explorer, predicate=lambda r: True, timeout=15000):
    qtbot.waitUntil(lambda: explorer.last_result is not None and predicate(explorer.last_result), timeout=timeout)
    return explorer.last_result


def test_zero_row_parquet_opens_and_says_no_data(qtbot, window, tmp_path):
    path = write_parquet(tmp_path / "empty_rows.parquet", "SELECT TIMESTAMP '2024-01-01' AS ts, 1 AS v FROM range(0)")
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    _wait_chart(qtbot, explorer, lambda r: r.spec.table == "empty_rows")
    assert not explorer.chart.is_showing_chart()
    assert "No data" in explorer.chart.message.text()
    assert window.data_panel.table_item("empty_rows").text(1) == "0 rows"


def test_folder_mixing_parquet_and_other_files_warns(qtbot, window, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_parquet(
        folder / "a.parquet", "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) DAY AS ts, i AS v FROM range(3) t(i)"
    )
    (folder / "notes.txt").write_text("not data")
    source = open_and_wait(qtbot, window, folder)
    assert source.skipped_files
    assert window.banner.isVisible() and window.banner.level == "warning"
    assert "notes.txt" in window.banner.text()


def test_two_thousand_columns(qtbot, window, tmp_path):
    cols = ", ".join(f"i + {k} AS c{k}" for k in range(2000))
    path = write_parquet(
        tmp_path / "wide.parquet",
        f"SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, {cols} FROM range(50) t(i)",
    )
    open_and_wait(qtbot, window, path, timeout=60000)
    item = window.data_panel.table_item("wide")
    assert item.childCount() == 2001
    panel = window.data_panel
    qtbot.keyClicks(panel.search, "c1999")
    qtbot.waitUntil(lambda: sum(not item.child(i).isHidden() for i in range(item.childCount())) == 1, timeout=5000)
    explorer = window.explorer
    explorer.set_measure("sum", "c1999")
    result = _wait_chart(qtbot, explorer, lambda r: r.spec.measure.column == "c1999")
    assert result.frame["value"].sum() == sum(i + 1999 for i in range(50))


def test_timestamps_with_time_zone(qtbot, window, tmp_path):
    path = write_parquet(
        tmp_path / "tz.parquet",
        "SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i) HOUR AS ts, 1 AS v FROM range(48) t(i)",
    )
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    _wait_chart(qtbot, explorer, lambda r: r.spec.table == "tz")
    x, y = explorer.chart.plotted_data("all")
    assert list(y) == [24.0, 24.0]


def test_dates_stored_as_strings(qtbot, window, tmp_path):
    path = write_parquet(
        tmp_path / "strdates.parquet",
        "SELECT strftime(DATE '2024-01-01' + INTERVAL (i % 5) DAY, '%Y-%m-%d') AS day, i AS v FROM range(20) t(i)",
    )
    open_and_wait(qtbot, window, path)
    explorer = window.explorer
    qtbot.waitUntil(lambda: "no date or time column" in explorer.chart.message.text(), timeout=15000)
    explorer.set_time_column("day")  # the pick list offers text columns as "ISO text"
    assert "ISO text" in explorer.time_combo.currentText()
    result = _wait_chart(qtbot, explorer, lambda r: r.spec.time_column == "day")
    assert list(result.frame["value"]) == [4.0] * 5


def test_open_demo_writes_it_once_then_opens_it(qtbot, qcon, settings, tmp_path, monkeypatch):
    from widgets.main_window import MainWindow
    from workbench import demo

    monkeypatch.setattr(demo, "default_demo_dir", lambda: tmp_path / "cache" / "demo")
    window = MainWindow(con=qcon, settings=settings, demo_rows=20_000)
    qtbot.addWidget(window)
    window.show()
    window.open_demo()
    qtbot.waitUntil(lambda: "events" in window.catalog and "experiment" in window.catalog, timeout=60000)
    assert (tmp_path / "cache" / "demo-20000" / "events.parquet").exists()
    qtbot.waitUntil(lambda: window.explorer.current_table() in ("events", "experiment"), timeout=10000)
    window.close()


def test_utf8_locale_is_forced_when_missing(monkeypatch):
    import os

    from widgets.app import ensure_utf8_locale

    monkeypatch.setenv("LANG", "C")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_CTYPE", raising=False)
    ensure_utf8_locale()
    assert os.environ["LC_ALL"] == "C.UTF-8"
