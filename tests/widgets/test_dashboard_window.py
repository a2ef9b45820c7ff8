"""The Dashboard tab inside the main window: a tile opens in the Explorer with its settings, edits are
audited, and the workspace keeps the metrics file and the board."""

from __future__ import annotations

import shutil

from tests.widgets.conftest import open_and_wait
from tests.widgets.test_dashboard_panel import demo_events  # noqa: F401  (fixture)
from tests.workbench.dashboard.conftest import ISSUE_YAML
from workbench.metrics_layer.model import TileDef


def test_dashboard_tab_opens_tiles_in_the_explorer_and_is_kept_in_the_workspace(qtbot, window, tmp_path, demo_events):  # noqa: F811
    shutil.copy(demo_events, tmp_path / "events.parquet")
    (tmp_path / "metrics.yml").write_text(ISSUE_YAML)
    open_and_wait(qtbot, window, tmp_path / "events.parquet")
    panel = window.panels["Dashboard"]
    with qtbot.waitSignal(panel.board_computed, timeout=30000):
        panel.load_metrics_file(tmp_path / "metrics.yml")
    assert len(panel.plan.scans) == 1 and panel.plan.scans[0].table == "events"  # the table already open

    panel.frames[1].action_explorer.trigger()  # the chart: violation rate by country, top 5
    explorer = window.explorer
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.currentIndex()) == "Explorer", timeout=5000)
    spec = explorer.current_spec()
    assert (spec.table, spec.measure.agg, spec.measure.column, spec.breakdown, spec.top_n) == (
        "events",
        "ratio",
        "violations",
        "country",
        5,
    )
    assert spec.compare and [f.label for f in spec.filters] == ["platform != web"]

    with qtbot.waitSignal(panel.board_computed, timeout=30000):
        panel.add_tile(TileDef(type="kpi", metric="violation_rate"))
    qtbot.waitUntil(
        lambda: any(e["action"] == "dashboard_edited" for e in window.workspace.audit.entries()), timeout=10000
    )

    ws = window.workspace.collect()
    saved = ws.panels["dashboard"]
    assert saved["metrics_path"] == str(tmp_path / "metrics.yml") and saved["board"] == "Trust & safety weekly"


def test_small_cells_are_withheld_on_screen_when_the_workspace_asks(qtbot, window, tmp_path, demo_events):  # noqa: F811
    shutil.copy(demo_events, tmp_path / "events.parquet")
    (tmp_path / "metrics.yml").write_text(ISSUE_YAML)
    open_and_wait(qtbot, window, tmp_path / "events.parquet")
    window.workspace.apply_settings(1_000_000, True, True)
    panel = window.panels["Dashboard"]
    with qtbot.waitSignal(panel.board_computed, timeout=30000):
        panel.load_metrics_file(tmp_path / "metrics.yml")
    grid = panel.frames[2].body  # the leaderboard: every country has fewer than a million rows
    assert grid.item(0, 1).text() == "<1000000" and "withheld" in panel.frames[2].message.text()
    assert isinstance(panel.tiles[2]["rows"][0]["value"], float)  # exports apply their own rule to the numbers
