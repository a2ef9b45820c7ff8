"""The Dashboard tab driven as a user would: build a board by hand, cross-filter it, open a tile."""

from __future__ import annotations

import shutil

import pytest

from tests.workbench.dashboard.conftest import ISSUE_YAML
from workbench import demo
from workbench.metrics_layer.model import TileDef

BOARD = "Trust & safety weekly"
MINIMAL = """\
version: 1
metrics:
  - {name: violation_rate, label: Violations per 1k views, source: events, time: event_time,
     measure: "ratio(violations, views)", scale: 1000, good: down}
  - {name: reports, source: events, measure: sum(reports), good: down}
dashboards:
  - name: Mine
    range: {start: 2026-10-01, end: 2026-10-08}
    tiles: []
"""


@pytest.fixture(scope="module")
def demo_events(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashui")
    demo.write_demo(folder, rows=120_000, seed=7, users=1_000)
    return folder / "events.parquet"


@pytest.fixture
def board_folder(tmp_path, demo_events):
    shutil.copy(demo_events, tmp_path / "events.parquet")
    (tmp_path / "metrics.yml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "issue.yml").write_text(ISSUE_YAML, encoding="utf-8")
    return tmp_path


@pytest.fixture
def panel(qtbot, runner, qcatalog):
    from widgets.dashboard_panel import DashboardPanel

    p = DashboardPanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    yield p
    p.shutdown()


def _wait_board(qtbot, panel, trigger):
    with qtbot.waitSignal(panel.board_computed, timeout=30000) as blocker:
        trigger()
    return blocker.args[0]


def test_build_a_board_by_hand_and_cross_filter_it(qtbot, panel, board_folder, qcon):
    tiles = _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "metrics.yml"))
    assert tiles == [] and panel.board.name == "Mine"
    _wait_board(qtbot, panel, lambda: panel.add_tile(TileDef(type="kpi", metric="violation_rate")))
    _wait_board(qtbot, panel, lambda: panel.add_tile(TileDef(type="kpi", metric="reports")))
    tiles = _wait_board(
        qtbot, panel, lambda: panel.add_tile(TileDef(type="leaderboard", metric="reports", by="country"))
    )
    assert [t["type"] for t in tiles] == ["kpi", "kpi", "leaderboard"]
    assert len(panel.plan.scans) == 1  # three tiles, one table, one pass
    span = "event_time >= '2026-10-01' AND event_time < '2026-10-08'"
    total = qcon.execute(f"SELECT sum(reports) FROM events WHERE {span}").fetchone()[0]
    assert tiles[1]["value"] == total
    assert panel.frames[1].body.value.text() != "…"

    board = panel.frames[2].body  # the leaderboard: click its top country
    top = tiles[2]["rows"][0]["dimension_value"]
    assert board.item(0, 0).text() == top
    tiles = _wait_board(qtbot, panel, lambda: board.cellClicked.emit(0, 0))
    assert [f.label for f in panel.cross_filters] == [f"country = {top}"]
    br = qcon.execute(
        f"SELECT sum(reports), sum(violations) / sum(views) FROM events WHERE {span} AND country = '{top}'"
    ).fetchone()
    assert tiles[1]["value"] == br[0] and tiles[0]["value"] == br[1] * 1000
    assert [r["dimension_value"] for r in tiles[2]["rows"]] == [top]

    panel.move_tile(2, -1)  # reorder, resize, remove: the board keeps its tiles in the new order
    qtbot.waitUntil(lambda: all(t is not None for t in panel.tiles), timeout=30000)
    assert [t.type for t in panel.board.tiles] == ["kpi", "leaderboard", "kpi"]
    panel.resize_tile(1, 2)
    assert panel.board.tiles[1].width == 2
    tiles = _wait_board(qtbot, panel, lambda: panel.remove_tile(0))
    assert [t["type"] for t in tiles] == ["leaderboard", "kpi"]

    chip = panel.chips.itemAt(0).widget()  # removing the chip drops the cross-filter again
    tiles = _wait_board(qtbot, panel, chip.click)
    assert panel.cross_filters == [] and tiles[1]["value"] == total


def test_the_issue_board_draws_every_tile_and_pivot_clicks_cross_filter(qtbot, panel, board_folder):
    tiles = _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "issue.yml"))
    assert [t["type"] for t in tiles] == ["kpi", "chart", "leaderboard", "pivot", "text"]
    assert all(t["error"] is None for t in tiles)
    pivot = panel.frames[3].body
    row, column = tiles[3]["rows"][0], tiles[3]["columns"][0]
    assert pivot.horizontalHeaderItem(1).text() == column
    tiles = _wait_board(qtbot, panel, lambda: pivot.cellClicked.emit(0, 1))
    assert {f.column: f.value for f in panel.cross_filters} == {"country": row["country"], "platform": column}
    assert tiles[3]["columns"] == [column] and [r["country"] for r in tiles[3]["rows"]] == [row["country"], "Total"]


def test_open_a_tile_in_the_explorer_with_its_settings(qtbot, panel, board_folder):
    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "issue.yml"))
    with qtbot.waitSignal(panel.open_in_explorer) as blocker:
        panel.frames[1].action_explorer.trigger()
    spec = blocker.args[0]
    assert (spec.breakdown, spec.top_n, spec.compare, spec.start.isoformat()) == (
        "country",
        5,
        True,
        "2026-10-01T00:00:00",
    )
    assert [f.label for f in spec.filters] == ["platform != web"] and spec.measure.agg == "ratio"


def test_bar_range_and_comparison_apply_to_every_tile(qtbot, panel, board_folder):
    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "issue.yml"))
    panel.compare_combo.setCurrentText("none")
    tiles = _wait_board(qtbot, panel, lambda: panel.compare_combo.activated.emit(0))
    assert tiles[0]["comparison_value"] is None
    tiles = _wait_board(qtbot, panel, lambda: panel.range_combo.setCurrentText("Last 7 days"))
    assert panel.plan.window.end.isoformat() == "2026-11-01T00:00:00"


def test_a_watched_folder_refreshes_the_board(qtbot, panel, board_folder, tmp_path_factory):
    import duckdb

    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "metrics.yml"))
    _wait_board(qtbot, panel, lambda: panel.add_tile(TileDef(type="kpi", metric="reports")))
    panel._watch_timer.setInterval(50)
    panel.watch_folder(board_folder)
    raw = duckdb.connect()
    extra = board_folder / "events_late.parquet"
    raw.execute(f"COPY (SELECT * FROM '{board_folder / 'events.parquet'}' LIMIT 10) TO '{extra}' (FORMAT parquet)")
    raw.close()
    with qtbot.waitSignal(panel.board_computed, timeout=30000):
        pass  # the watcher sees the new file (after it settles) and refreshes
    panel.stop_watching()


def test_a_rule_naming_a_metric_badges_its_tile_and_raises_an_alert(qtbot, panel, board_folder):
    import json

    rules = {
        "rules": [
            {"name": "reports high", "metric": "reports", "conditions": [{"type": "threshold", "op": ">", "value": 1}]}
        ]
    }
    (board_folder / "rules.json").write_text(json.dumps(rules))
    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "metrics.yml"))
    _wait_board(qtbot, panel, lambda: panel.add_tile(TileDef(type="kpi", metric="reports")))
    with qtbot.waitSignal(panel.alert_fired, timeout=30000) as blocker:
        panel.set_rules_file(board_folder / "rules.json")
    title, alert = blocker.args
    assert alert["rules"] == ["reports high"] and "rule" in alert["source"]
    qtbot.waitUntil(lambda: panel.frames[0].badge.isVisible(), timeout=5000)


def test_export_board_html_is_stamped_and_audited(qtbot, panel, board_folder):
    from widgets.dashboard_export import export_board

    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "issue.yml"))
    events = []
    panel.audit_event.connect(lambda action, details: events.append((action, details)))
    done = []
    export_board(panel, "html", board_folder / "board.html", on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    page = (board_folder / "board.html").read_text()
    assert "sha256" in page and "Trust &amp; safety weekly" in page and "withheld" in page
    assert events[-1][0] == "export_written" and events[-1][1]["sources"] == ["events"]
    export_board(panel, "png", board_folder / "board.png", on_done=done.append)
    assert (board_folder / "board.png").stat().st_size > 1000
    export_board(panel, "pdf", board_folder / "board.pdf", on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=30000)
    assert (board_folder / "board.pdf").read_bytes()[:5] == b"%PDF-"
    assert [e[1]["format"] for e in events if e[0] == "export_written"] == ["html", "png", "pdf"]


def test_state_round_trip_keeps_the_arranged_board(qtbot, panel, board_folder, runner, qcatalog):
    from widgets.dashboard_panel import DashboardPanel

    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "metrics.yml"))
    _wait_board(qtbot, panel, lambda: panel.add_tile(TileDef(type="leaderboard", metric="reports", by="country")))
    tiles = _wait_board(qtbot, panel, lambda: panel.frames[0].body.cellClicked.emit(0, 0))
    state = panel.state()
    other = DashboardPanel(runner, qcatalog)
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.board_computed, timeout=30000) as blocker:
        other.restore(state)
    assert [t.type for t in other.board.tiles] == ["leaderboard"]  # never saved to the file, kept anyway
    assert other.cross_filters == panel.cross_filters and blocker.args[0][0]["rows"] == tiles[0]["rows"]
    other.shutdown()


@pytest.mark.parametrize(
    "template, first_metric", [("Trust & safety", "violation_rate"), ("Privacy & compliance", "dsar_volume")]
)
def test_templates_map_onto_the_columns_and_draw_a_board(qtbot, panel, board_folder, qcatalog, template, first_metric):
    from widgets.dashboard_dialogs import TemplateWizard

    qcatalog.open(str(board_folder / "events.parquet"))
    wizard = TemplateWizard(panel)
    qtbot.addWidget(wizard)
    wizard.template_combo.setCurrentText(template)
    mapping = wizard.mapping()
    assert mapping["time"] == "event_time" and mapping["country"] == "country"
    with qtbot.waitSignal(panel.board_computed, timeout=30000) as blocker:
        assert wizard.create(str(board_folder / "made.yml"))
    assert next(iter(panel.metrics_file.metrics)) == first_metric
    assert all(t["error"] is None for t in blocker.args[0]) and blocker.args[0]
    assert (board_folder / "made.yml").exists()


def test_metrics_editor_points_at_the_bad_line_and_saves_with_an_audit_entry(qtbot, panel, board_folder):
    from widgets.dashboard_dialogs import MetricsEditor

    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "metrics.yml"))
    editor = MetricsEditor(panel)
    qtbot.addWidget(editor)
    text = editor.text.toPlainText()
    editor.text.setPlainText(text.replace("good: down}", "good: sideways}", 1))
    editor.save()
    assert "metrics.yml:4" in editor.problems.text() and editor.text.textCursor().blockNumber() == 3
    assert (board_folder / "metrics.yml").read_text() == text  # nothing written
    events = []
    panel.audit_event.connect(lambda action, details: events.append((action, details)))
    editor.text.setPlainText(text.replace("sum(reports)", "sum(actions)"))
    with qtbot.waitSignal(panel.board_computed, timeout=30000):
        editor.save()
    assert "sum(actions)" in (board_folder / "metrics.yml").read_text()
    assert events[0][0] == "metrics_edited" and events[0][1]["metrics_changed"] == ["reports"]
    assert panel.metrics_file.metric("reports").measure_text == "sum(actions)"


def test_double_click_opens_a_tile(qtbot, panel, board_folder):
    from PySide6.QtCore import Qt

    _wait_board(qtbot, panel, lambda: panel.load_metrics_file(board_folder / "issue.yml"))
    opened = []
    panel.open_in_explorer.connect(lambda spec: opened.append(("explorer", spec)))
    panel.open_in_anomalies.connect(lambda spec: opened.append(("anomalies", spec)))
    qtbot.mouseDClick(panel.frames[0].title, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened), timeout=5000)
    where, spec = opened[0]
    assert where == ("anomalies" if panel.tiles[0]["alert"] else "explorer")
    assert spec.measure.agg == "ratio" and spec.breakdown is None
