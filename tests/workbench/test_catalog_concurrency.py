"""Catalog opens from several worker threads: view names are unique, cancelled opens leave nothing behind."""

from __future__ import annotations

import threading

import pytest

from workbench.catalog import Catalog
from workbench.errors import QueryCancelled


def _views(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def test_two_concurrent_opens_of_one_file_get_two_names(con, events_parquet, monkeypatch):
    """Both threads pick a name before either registers it (a barrier holds them there): without the
    reservation both chose ``events`` and the second view silently replaced the first."""
    catalog = Catalog(con)
    barrier = threading.Barrier(2, timeout=10)
    real = Catalog._parquet_row_count

    def row_count_after_both_named(cur, files):
        barrier.wait()
        return real(cur, files)

    monkeypatch.setattr(Catalog, "_parquet_row_count", staticmethod(row_count_after_both_named))
    opened, errors = [], []

    def open_it():
        cur = con.cursor()
        try:
            opened.append(catalog.open(events_parquet, cursor=cur))
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            cur.close()

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    names = sorted(s.name for s in opened)
    assert names == ["events", "events_2"]
    assert sorted(s.name for s in catalog.sources) == names
    assert {"events", "events_2"} <= _views(con)


def test_cancelled_open_adds_no_table_and_drops_its_view(con, events_parquet):
    catalog = Catalog(con)
    with pytest.raises(QueryCancelled):
        catalog.open(events_parquet, cancelled=lambda: True)
    assert catalog.sources == [] and "events" not in _views(con)
    # The name is free again.
    assert catalog.open(events_parquet).name == "events"


def test_open_cancelled_while_running_cannot_add_a_table_after_the_catalog_was_cleared(
    con, events_parquet, monkeypatch
):
    """A previous workspace's open is cancelled and its catalog cleared while it is still reading: it must
    not add its table afterwards, and the next workspace's open of the same name gets that name."""
    catalog = Catalog(con)
    cancel, reading, resume = threading.Event(), threading.Event(), threading.Event()
    real = Catalog._parquet_row_count

    def slow_row_count(cur, files):
        if threading.current_thread().name == "old-open":
            reading.set()
            resume.wait(10)
        return real(cur, files)

    monkeypatch.setattr(Catalog, "_parquet_row_count", staticmethod(slow_row_count))
    outcome = {}

    def old_open():
        try:
            outcome["source"] = catalog.open(events_parquet, name="events", cancelled=cancel.is_set)
        except QueryCancelled:
            outcome["cancelled"] = True

    old = threading.Thread(target=old_open, name="old-open")
    old.start()
    assert reading.wait(10)
    cancel.set()  # the workspace is replaced: cancel first ...
    for source in catalog.sources:  # ... then clear the catalog
        catalog.close(source.name)
    threading.Timer(0.2, resume.set).start()
    new = catalog.open(events_parquet, name="events")  # waits for the cancelled open to let go of the name
    old.join(10)
    assert outcome == {"cancelled": True}
    assert new.name == "events"
    assert [s.name for s in catalog.sources] == ["events"]
    assert con.execute('SELECT count(*) FROM "events"').fetchone()[0] > 0
