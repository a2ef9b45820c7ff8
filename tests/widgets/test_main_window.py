"""Main window: opening files (menu, drag and drop), bad input in the banner, cancel, settings, profile."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait

LONG_SQL = "SELECT sum(a.range * b.range) FROM range(3000000) a, range(100000) b"


def _open_expect_error(qtbot, window, path):
    with qtbot.waitSignal(window.open_failed, timeout=15000) as blocker:
        window.open_paths([str(path)])
    return blocker.args[0]


def test_starts_with_panels_and_empty_state(window):
    assert window.tabs.tabText(0) == "Explorer" and window.tabs.tabText(1) == "SQL"
    assert window.data_panel.empty.isVisible()
    assert window.width() >= 1000 and window.height() >= 700
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Edit", "View", "Help"]


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("text.parquet", b"this is not parquet at all\n", "not a Parquet file"),
        ("empty.parquet", b"", "empty"),
        ("truncated.parquet", None, "truncated"),
    ],
)
def test_bad_file_shows_banner_and_app_stays_alive(qtbot, window, tmp_path, events_parquet, name, content, expected):
    path = tmp_path / name
    if content is None:
        data = open(events_parquet, "rb").read()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    message = _open_expect_error(qtbot, window, path)
    assert expected in message
    assert window.banner.isVisible() and expected in window.banner.text()
    assert path.read_bytes() == before  # files are never modified
    # Still alive: a good file opens afterwards and the banner can be dismissed.
    open_and_wait(qtbot, window, events_parquet)
    qtbot.mouseClick(window.banner._close, Qt.MouseButton.LeftButton)
    assert not window.banner.isVisible()


def test_drop_files_and_folder_opens_them(qtbot, window, tmp_path, events_parquet):
    folder = tmp_path / "parts"
    (folder / "country=BR").mkdir(parents=True)
    write_parquet(
        folder / "country=BR" / "a.parquet",
        "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, i AS v FROM range(5) t(i)",
    )
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(events_parquet)])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(event)
    qtbot.waitUntil(
        lambda: (
            window.data_panel.table_item("parts") is not None and window.data_panel.table_item("events") is not None
        ),
        timeout=15000,
    )
    names = sorted(s.name for s in window.catalog.sources)
    assert names == ["events", "parts"]
    assert "country" in window.catalog.get("parts").column_names  # hive partition column


def test_recent_files_and_geometry_persist(qtbot, qcon, settings, events_parquet):
    from widgets.main_window import MainWindow

    first = MainWindow(con=qcon, settings=settings)
    qtbot.addWidget(first)
    first.show()
    open_and_wait(qtbot, first, events_parquet)
    first.move(20, 30)
    first.close()
    assert json.loads(settings.value("recent/files"))[0] == [events_parquet]

    second = MainWindow(con=qcon, settings=settings)
    qtbot.addWidget(second)
    assert second.recent_files()[0] == [events_parquet]
    # (offscreen clamps restored sizes to its 800 px screen, so check that a valid geometry and state were saved)
    assert second.restoreGeometry(settings.value("window/geometry"))
    assert second.restoreState(settings.value("window/state"))
    second._rebuild_recent_menu()
    action = second.recent_menu.actions()[0]
    assert "events.parquet" in action.text()
    with qtbot.waitSignal(second.source_opened, timeout=15000):
        action.trigger()
    second.close()


def test_long_query_shows_progress_and_escape_cancels(qtbot, window):
    console = window.sql_console
    window.show_panel("SQL")
    console.set_sql(LONG_SQL)
    console.run()
    qtbot.waitUntil(window.progress_widget.isVisible, timeout=10000)  # after ~300 ms
    assert window.busy_label.text() != "Ready"
    window.activateWindow()
    with qtbot.waitSignal(window.runner.cancelled, timeout=10000):
        qtbot.mouseClick(window.progress_cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.progress_widget.isVisible(), timeout=5000)
    assert console.footer.text() == "Query cancelled"
    assert not window.banner.isVisible()
    # The escape shortcut does the same.
    console.run()
    qtbot.waitUntil(lambda: window.runner.is_busy(), timeout=5000)
    with qtbot.waitSignal(window.runner.cancelled, timeout=10000):
        window._cancel_shortcut.activated.emit()
    qtbot.waitUntil(lambda: not window.runner._tasks, timeout=10000)


def test_column_profile_on_selection(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    panel = window.data_panel
    with qtbot.waitSignal(panel.profile_ready, timeout=15000) as blocker:
        assert panel.select_column("events", "country")
    profile = blocker.args[0]
    assert profile.column == "country" and profile.distinct_count == 4
    assert panel.profile.field_text("Rows") == "240"
    assert panel.profile.field_text("Distinct") == "4"
    assert [label for label, _ in panel.profile.top_values.items()] == ["BR", "DE", "IN", "US"]
    with qtbot.waitSignal(panel.profile_ready, timeout=15000):
        panel.select_column("events", "all_null")
    assert "NULL" in panel.profile.message.text()


def test_data_panel_shows_rows_sizes_and_type_icons(qtbot, window, events_parquet):
    source = open_and_wait(qtbot, window, events_parquet)
    item = window.data_panel.table_item("events")
    assert item.text(1) == "240 rows"
    assert item.childCount() == len(source.columns)
    assert item.parent().text(1).endswith(("KB", "B"))
    assert not item.child(0).icon(0).isNull()


def test_excepthook_shows_banner_instead_of_dying(qtbot, window, monkeypatch):
    from widgets.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook(lambda: window)
    try:
        raise ValueError("something broke\nmore")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert window.banner.isVisible()
    assert "ValueError" in window.banner.text() and "something broke" in window.banner.text()


def test_data_panel_context_actions_route_to_panels(qtbot, window, events_parquet):
    open_and_wait(qtbot, window, events_parquet)
    window.data_panel.sql_requested.emit('SELECT * FROM "events" LIMIT 5')
    assert window.tabs.currentWidget() is window.sql_console
    assert "LIMIT 5" in window.sql_console.editor.toPlainText()
    window.data_panel.table_activated.emit("events")
    assert window.tabs.currentWidget() is window.explorer
    window.close_table("events")
    assert window.catalog.sources == []
    assert window.data_panel.empty.isVisible()


def test_vanished_file_gives_clear_error(qtbot, window, tmp_path, events_parquet):
    copy = tmp_path / "gone.parquet"
    shutil.copy(events_parquet, copy)
    open_and_wait(qtbot, window, copy)
    copy.unlink()
    console = window.sql_console
    console.set_sql('SELECT count(*) FROM "gone"')
    window.show_panel("SQL")
    console.run()
    qtbot.waitUntil(console.error_label.isVisible, timeout=15000)
    assert "gone.parquet" in console.error_label.text()
