"""Opening a workspace restores each panel through its state()/restore(), driven by the Explorer's
``sources_ready`` signal (no polling, no sleeps) — including a workspace written before panel states existed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.engine import EngineSettings, connect
from workbench.panel_state import AnomaliesState, ExperimentsState, read_panel_states

pytestmark = pytest.mark.timeout(120)

LEGACY_DIR = Path(__file__).resolve().parent / "data" / "legacy_v2"


@pytest.fixture
def window(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from widgets.main_window import MainWindow

    con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp_path / "spill")))
    w = MainWindow(con=con, settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    w.workspace.ask_save_changes = lambda: "discard"
    w.show()
    yield w
    w.close()
    con.close()


@pytest.fixture
def legacy(tmp_path):
    """The format-2 workspace fixture with its data file and audit log, copied so opening it can log."""
    target = tmp_path / "legacy"
    shutil.copytree(LEGACY_DIR, target)
    return target / "analysis.wbk"


def test_a_workspace_saved_before_panel_states_restores_every_panel(qtbot, window, legacy):
    ctl = window.workspace
    with qtbot.waitSignal(ctl.restored, timeout=30000):
        assert ctl.open_workspace(str(legacy))
    # Applied when restored fires, not some event-loop turns later.
    state = window.explorer.state()
    assert (state.spec.table, state.spec.measure.agg, state.spec.measure.column) == ("trial", "sum", "views")
    assert (state.spec.breakdown, state.spec.top_n, state.spec.grain, state.range) == ("country", 3, "day", "All data")
    anomalies = window.panels["Anomalies"]
    assert (anomalies.state().method, anomalies.state().threshold) == ("level_shift", 4.5)
    assert [a.label for a in anomalies.annotations] == ["release 31.2"]
    assert window.tabs.tabText(window.tabs.currentIndex()) == "Anomalies"
    experiments = window.panels["Experiments"]
    qtbot.waitUntil(lambda: experiments.state() is not None and experiments.state().arm == "arm", timeout=10000)
    assert experiments.state() == ExperimentsState(
        table="trial",
        unit="user_id",
        arm="arm",
        control="control",
        metrics=("views:mean",),
        segment="(none)",
        time_column="ts",
        correction="bh",
        sequential_tuning=5000.0,
    )
    assert ctl.notes.text() == "legacy notes"
    assert not ctl.dirty  # restoring is not an edit
    # The first result the restored Explorer draws is the saved view.
    qtbot.waitUntil(lambda: window.explorer.last_result is not None, timeout=20000)
    assert window.explorer.last_result.spec == state.spec


def test_restore_waits_for_the_explorer_sources_ready_signal(qtbot, window, legacy):
    """The panels are restored by the signal that hands the Explorer its tables, synchronously: no timer."""
    ctl, explorer = window.workspace, window.explorer
    with qtbot.waitSignal(ctl.restored, timeout=30000):
        ctl.open_workspace(str(legacy))
    source = window.catalog.sources[0]
    saved = read_panel_states(ctl.ws).explorer
    explorer.set_sources([])  # as if MainWindow had not handed the tables over yet
    explorer.set_grain("hour")
    restored = []
    ctl.restored.connect(lambda: restored.append(explorer.state()))
    ctl.session.restoring = True  # as _install leaves it while the sources open
    ctl.panel_states.restore_when_explorer_has([source])
    assert restored == []  # the Explorer cannot show the table yet: nothing is applied
    explorer.set_sources(window.catalog.sources)  # emits sources_ready
    assert len(restored) == 1 and restored[0].spec == saved.spec
    explorer.set_sources(window.catalog.sources)
    assert len(restored) == 1  # one restore per open: the waiter is gone


def test_a_saved_workspace_stores_versioned_panel_states(qtbot, window, legacy, tmp_path):
    import json

    ctl = window.workspace
    with qtbot.waitSignal(ctl.restored, timeout=30000):
        ctl.open_workspace(str(legacy))
    anomalies = window.panels["Anomalies"]
    anomalies.restore(AnomaliesState(method=anomalies.state().method, threshold=2.5))
    assert ctl.save_to(tmp_path / "now.wbk")
    doc = json.loads((tmp_path / "now.wbk").read_text())
    assert doc["schema_version"] == 3
    assert doc["panels"]["anomalies"]["version"] == 1 and doc["panels"]["anomalies"]["threshold"] == 2.5
    assert doc["panels"]["explorer"]["spec"]["breakdown"] == "country"
    assert doc["panels"]["window"] == {"version": 1, "current_tab": "Anomalies"}
    assert "explorer" not in doc["settings"]


def test_console_queries_are_logged_from_the_console_signal(qtbot, window, legacy):
    ctl, console = window.workspace, window.sql_console
    with qtbot.waitSignal(ctl.restored, timeout=30000):
        ctl.open_workspace(str(legacy))
    console.set_sql("SELECT count(*) AS n FROM trial")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()

    def logged():
        return [
            e["details"]
            for e in ctl.audit.entries()
            if e["action"] == "query_run" and e["details"].get("origin") == "sql console"
        ]

    qtbot.waitUntil(lambda: len(logged()) == 1, timeout=10000)
    assert logged()[0]["sql"] == "SELECT count(*) AS n FROM trial" and logged()[0]["rows"] == 1


def test_sources_ready_follows_even_a_failed_refill(qtbot, window, monkeypatch):
    """A workspace waiting for the Explorer's tables must not wait forever on a panel bug."""
    explorer = window.explorer

    def broken():
        raise RuntimeError("a bug in a panel")

    monkeypatch.setattr(explorer, "_update_enabled", broken)
    with qtbot.waitSignal(explorer.sources_ready, timeout=1000), pytest.raises(RuntimeError):
        explorer.set_sources([])
