"""A second events.parquet from another folder is named and shown with its folder, not as events_2."""

from __future__ import annotations

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait

SELECT = "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, i AS v FROM range(48) t(i)"


def test_second_events_parquet_carries_its_folder(qtbot, window, tmp_path):
    for folder in ("current", "archive 2023"):
        (tmp_path / folder).mkdir()
        write_parquet(tmp_path / folder / "events.parquet", SELECT)
    open_and_wait(qtbot, window, tmp_path / "current" / "events.parquet")
    open_and_wait(qtbot, window, tmp_path / "archive 2023" / "events.parquet")
    assert [s.name for s in window.catalog.sources] == ["events", "events_archive_2023"]
    tree = window.data_panel.tree
    labels = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert labels == ["current/events.parquet", "archive 2023/events.parquet"]
    combo = window.explorer.table_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["events", "events_archive_2023"]


def test_same_file_again_is_numbered(tmp_path, catalog):
    """Opening the same folder's file twice keeps the plain numbering (the folder tells nothing apart)."""
    path = write_parquet(tmp_path / "events.parquet", SELECT)
    assert catalog.open(path).name == "events"
    assert catalog.open(path).name == "events_2"
