"""Workspace tasks run on the QueryRunner's task contexts: a replaced workspace's late open adds nothing."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait
from workbench.catalog import Catalog
from workbench.engine import EngineSettings, connect

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def make_window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from widgets.main_window import MainWindow

    made = []

    def make():
        con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp_path / f"spill{len(made)}")))
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(con=con, settings=settings)
        qtbot.addWidget(w)
        w.workspace.ask_save_changes = lambda: "discard"
        w.workspace.ask_recover = lambda rec: True
        w.workspace.masker.ask_reveal = lambda candidates: None
        w.show()
        made.append((w, con))
        return w

    yield make
    for w, con in made:
        if not w._closed:
            w.close()
        con.close()


def _save_workspace_with(qtbot, w, path, data_file):
    assert w.workspace.new_workspace()
    source = open_and_wait(qtbot, w, data_file)
    qtbot.waitUntil(lambda: any(s.name == source.name for s in w.workspace.ws.sources), timeout=15000)
    assert w.workspace.save_to(path)


def test_a_replaced_workspaces_late_open_adds_no_table(qtbot, make_window, tmp_path, monkeypatch):
    first = write_parquet(tmp_path / "first.parquet", "SELECT range AS x FROM range(50)")
    second = write_parquet(tmp_path / "second.parquet", "SELECT range AS y FROM range(50)")
    w = make_window()
    _save_workspace_with(qtbot, w, tmp_path / "a.wbk", first)
    _save_workspace_with(qtbot, w, tmp_path / "b.wbk", second)

    w2 = make_window()
    reading, release = threading.Event(), threading.Event()
    real = Catalog._parquet_row_count

    def slow_for_first(cur, files):
        if any(f.endswith("first.parquet") for f in files):
            reading.set()
            release.wait(20)
        return real(cur, files)

    monkeypatch.setattr(Catalog, "_parquet_row_count", staticmethod(slow_for_first))
    ctl = w2.workspace
    ctl.open_workspace(str(tmp_path / "a.wbk"))
    qtbot.waitUntil(reading.is_set, timeout=20000)  # a.wbk's open task is reading first.parquet
    with qtbot.waitSignal(ctl.restored, timeout=20000):
        ctl.open_workspace(str(tmp_path / "b.wbk"))
        release.set()
    qtbot.waitUntil(lambda: not w2.runner._tasks, timeout=20000)
    assert [s.name for s in w2.catalog.sources] == ["second"]
    views = {r[0] for r in w2.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert "first" not in views
    assert [s.name for s in ctl.ws.sources] == ["second"]


def test_a_superseded_source_check_stops_hashing(qtbot, make_window, tmp_path, monkeypatch):
    """Relocating a source twice: the first check's hashing stops (its cancel is its task's), rather than
    hashing to the end for a result that is dropped."""
    import shutil

    import workbench.fingerprint as fp

    first = write_parquet(tmp_path / "first.parquet", "SELECT range AS x FROM range(5000)")
    w = make_window()
    _save_workspace_with(qtbot, w, tmp_path / "a.wbk", first)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(first, moved / "first.parquet")

    real = fp._cancelled
    entered, go, stopped = threading.Event(), threading.Event(), []

    def gated(cancel):  # the first hashing on a worker waits here until the second check was submitted
        if threading.current_thread() is not threading.main_thread() and not entered.is_set():
            entered.set()
            go.wait(10)
        result = real(cancel)
        if result:
            stopped.append(True)
        return result

    monkeypatch.setattr(fp, "_cancelled", gated)
    ctl = w.workspace
    ctl.relocate_source("first", str(moved / "first.parquet"))
    assert entered.wait(10)
    with qtbot.waitSignal(
        w.runner.result_ready, timeout=20000, check_params_cb=lambda rid, key, res: key == "workspace.relocate"
    ):
        ctl.relocate_source("first", str(moved / "first.parquet"))
        go.set()
    qtbot.waitUntil(lambda: not w.runner._tasks, timeout=20000)
    assert stopped == [True]


def test_esc_while_a_file_opens_adds_no_table(qtbot, make_window, tmp_path, monkeypatch):
    """Opening runs on the task's cursor with its cancel flag: Esc stops it and no table appears."""
    path = write_parquet(tmp_path / "slow.parquet", "SELECT range AS x FROM range(50)")
    w = make_window()
    reading, release = threading.Event(), threading.Event()
    real = Catalog._parquet_row_count

    def slow(cur, files):
        reading.set()
        release.wait(20)
        return real(cur, files)

    monkeypatch.setattr(Catalog, "_parquet_row_count", staticmethod(slow))
    cancelled = []
    w.runner.cancelled.connect(lambda rid, key: cancelled.append(key))
    w.open_paths([path])
    assert reading.wait(10)
    w.cancel_queries()  # what Esc does
    release.set()
    qtbot.waitUntil(lambda: not w.runner._tasks, timeout=20000)
    assert any(key.startswith("open:") for key in cancelled)
    assert w.catalog.sources == []
    views = {r[0] for r in w.con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert "slow" not in views
    # ... and opening it again works, under its own name.
    monkeypatch.setattr(Catalog, "_parquet_row_count", staticmethod(real))
    source = open_and_wait(qtbot, w, path)
    assert source.name == "slow"
