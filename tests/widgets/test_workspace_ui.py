"""Workspaces in the app: save → open → same state, crash recovery, source re-check, undo/redo, audit entries,
PII masking, stamped exports and the evidence report — driven as a user would, dialogs answered by hooks."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait
from workbench.engine import EngineSettings, connect

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def activity(tmp_path):
    """Ten days of hourly rows with a personal column (emails)."""
    data = tmp_path / "data"
    data.mkdir()
    return write_parquet(
        data / "activity.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
               ['BR','US','DE','IN'][1 + i % 4] AS country,
               'user' || (i % 20) || '@example.com' AS email,
               (i % 7) AS views
        FROM range(240) t(i)
        """,
    )


@pytest.fixture
def make_window(qtbot, tmp_path):
    """Factory: a MainWindow on its own connection and a shared temporary QSettings; dialogs never block."""
    from PySide6.QtCore import QSettings

    from widgets.main_window import MainWindow

    made = []

    def make():
        con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp_path / f"spill{len(made)}")))
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(con=con, settings=settings)
        qtbot.addWidget(w)
        ctl = w.workspace
        ctl.ask_save_changes = lambda: "discard"
        ctl.ask_recover = lambda rec: True
        ctl.masker.ask_reveal = lambda candidates: None
        ctl.exporter.confirm = lambda title, text: True
        ctl.exporter.ask_pii_reason = lambda message: None
        w.show()
        made.append((w, con))
        return w

    yield make
    for w, con in made:
        if not w._closed:
            w.close()
        con.close()


def _open(qtbot, w, path):
    source = open_and_wait(qtbot, w, path)
    qtbot.waitUntil(lambda: any(s.name == source.name for s in w.workspace.ws.sources), timeout=15000)
    return source


def _wait_result(qtbot, explorer, predicate, timeout=15000):
    with qtbot.waitSignal(
        explorer.result_ready, timeout=timeout, check_params_cb=lambda r: predicate(r.spec)
    ) as blocker:
        pass
    return blocker.args[0]


def _until_result(qtbot, explorer, predicate, timeout=15000):
    qtbot.waitUntil(
        lambda: (
            explorer.last_result is not None
            and predicate(explorer.last_result.spec)
            and not explorer._debounce.isActive()
        ),
        timeout=timeout,
    )
    return explorer.last_result


def _actions(w, action=None):
    return [e for e in w.workspace.audit.entries() if action is None or e["action"] == action]


def _setup_view(qtbot, w):
    ex = w.explorer
    ex.set_measure("sum", "views")
    ex.set_breakdown("country", top_n=3)
    ex.set_grain("day")
    return _until_result(qtbot, ex, lambda s: s.breakdown == "country" and s.measure.agg == "sum" and s.top_n == 3)


def test_save_then_open_gives_the_same_workspace(qtbot, make_window, activity, tmp_path):
    from workbench import workspace as wsm

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    _setup_view(qtbot, w)
    ctl.save_view("Views by country", "weekly check")
    ctl.notes.set_text("Spike on Jan 3 is a test account.")
    ctl.notes.editor.setPlainText("Spike on Jan 3 is a test account.")
    ctl.notes.flush()
    w.panels["Anomalies"].add_annotation("2024-01-03T00:00:00", "release 31.2")
    ctl.apply_settings(5, True, False)
    assert ctl.dirty and w.isWindowModified()
    path = tmp_path / "analysis.wbk"
    assert ctl.save_to(path)
    assert not ctl.dirty and path.exists() and (tmp_path / "analysis.wbk.audit.jsonl").exists()
    assert w.windowTitle().startswith("analysis")
    saved = wsm.load(path)
    assert [v.name for v in saved.views] == ["Views by country"]
    assert saved.sources[0].sha256 and saved.settings.suppression_k == 5

    w2 = make_window()
    ctl2 = w2.workspace
    w2.show_error("An earlier failure")  # e.g. a file that could not be opened before
    with qtbot.waitSignal(ctl2.restored, timeout=20000):
        assert ctl2.open_workspace(str(path))
    assert not w2.banner.isVisible()  # the workspace opened cleanly: the old error no longer applies
    assert ctl2.ws == saved
    assert [v.name for v in ctl2.ws.views] == ["Views by country"]
    assert ctl2.views_list.names() == ["Views by country"]
    assert ctl2.notes.text() == "Spike on Jan 3 is a test account."
    assert [a.label for a in w2.panels["Anomalies"].annotations] == ["release 31.2"]
    assert ctl2.ws.settings.suppression_k == 5
    assert "activity" in w2.catalog
    result = _until_result(qtbot, w2.explorer, lambda s: s.breakdown == "country" and s.top_n == 3)
    assert result.spec.measure.column == "views"
    assert not ctl2.dirty
    # Recent workspaces remember it; the audit log moved with the workspace and its chain holds.
    assert str(path.resolve()) in ctl2.recent_workspaces()
    from workbench.audit import verify

    assert verify(ctl2.audit.path, expected_head=saved.audit_head).ok
    actions = [e["action"] for e in ctl2.audit.entries()]
    assert actions[:2] == ["signing_key", "source_opened"] and "workspace_saved" in actions
    assert actions[actions.index("workspace_opened") + 1] == "source_opened"


def test_recover_after_crash(qtbot, make_window, activity, tmp_path):
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    _setup_view(qtbot, w)
    ctl.save_view("First")
    path = tmp_path / "crash.wbk"
    assert ctl.save_to(path)
    ctl.save_view("Second, never saved")
    ctl.notes.editor.setPlainText("typed after the save")
    ctl.notes.flush()
    recovery = ctl.autosave()
    assert recovery is not None and recovery.exists() and recovery.parent == tmp_path
    ctl.confirm_close = lambda: True  # simulate a crash: no clean shutdown, the recovery file stays
    w.close()
    assert recovery.exists()

    w2 = make_window()
    ctl2 = w2.workspace
    recs = ctl2.check_startup_recovery()
    assert recs and ctl2.action_recover.isVisible() and "recovered" in w2.banner.text()
    with qtbot.waitSignal(ctl2.restored, timeout=20000):
        assert ctl2.open_workspace(str(path))
    assert [v.name for v in ctl2.ws.views] == ["First", "Second, never saved"]
    assert ctl2.notes.text() == "typed after the save"
    assert ctl2.dirty  # recovered, not yet saved
    assert ctl2.save()
    assert not recovery.exists()


def test_recover_untitled_session(qtbot, make_window, activity):
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    _setup_view(qtbot, w)
    ctl.save_view("Untitled work")
    assert ctl.autosave() is not None
    ctl.confirm_close = lambda: True
    w.close()

    w2 = make_window()
    ctl2 = w2.workspace
    assert len(ctl2.available_recoveries()) == 1
    with qtbot.waitSignal(ctl2.restored, timeout=20000):
        assert ctl2.recover_unsaved()
    assert [v.name for v in ctl2.ws.views] == ["Untitled work"]
    assert "activity" in w2.catalog
    # Restoring a saved view puts its controls back.
    w2.explorer.set_grain("hour")
    _until_result(qtbot, w2.explorer, lambda s: s.grain == "hour")
    assert ctl2.restore_view("Untitled work")
    _until_result(qtbot, w2.explorer, lambda s: s.grain == "day" and s.breakdown == "country")


def test_changed_and_missing_sources_are_reported_and_relocated(qtbot, make_window, activity, tmp_path):
    w = make_window()
    _open(qtbot, w, activity)
    path = tmp_path / "check.wbk"
    assert w.workspace.save_to(path)
    w.close()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(activity, moved / "activity.parquet")

    w2 = make_window()
    ctl2 = w2.workspace
    with qtbot.waitSignal(ctl2.sources_checked, timeout=20000) as blocker:
        ctl2.open_workspace(str(path))
    checks = blocker.args[0]
    assert [c.status for c in checks] == ["missing"]
    assert "activity.parquet is missing" in w2.banner.text()
    assert ctl2.source_dialog is not None and ctl2.source_dialog.isVisible()
    qtbot.waitUntil(lambda: ctl2.restored is not None and not ctl2.session.restoring, timeout=15000)
    assert "activity" not in w2.catalog
    with qtbot.waitSignal(w2.sources_changed, timeout=20000):
        ctl2.relocate_source("activity", str(moved / "activity.parquet"))
    assert [c.status for c in ctl2.checks] == ["ok"]
    assert "activity" in w2.catalog and ctl2.dirty
    assert any(e["action"] == "source_relocated" for e in ctl2.audit.entries())

    # A changed file is reported as changed, and accepting it is logged.
    write_parquet(moved / "activity.parquet", "SELECT TIMESTAMP '2024-02-01' AS ts, 'BR' AS country, 1 AS views")
    assert ctl2.save()
    w3 = make_window()
    ctl3 = w3.workspace
    with qtbot.waitSignal(ctl3.sources_checked, timeout=20000) as blocker:
        ctl3.open_workspace(str(path))
    assert [c.status for c in blocker.args[0]] == ["changed"]
    assert "changed since this workspace was saved" in w3.banner.text()
    ctl3.accept_source("activity")
    assert [c.status for c in ctl3.checks] == ["ok"]
    assert any(e["action"] == "source_fingerprint_accepted" for e in ctl3.audit.entries())


def test_undo_redo_of_explorer_changes(qtbot, make_window, activity):
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    ex = w.explorer
    _until_result(qtbot, ex, lambda s: s.grain == "day")
    qtbot.waitUntil(lambda: ctl.history.current is not None and ctl.history.current.spec.grain == "day")
    ctl.history.stack.clear()  # start from the opened table's default view
    ex.set_grain("week")
    _until_result(qtbot, ex, lambda s: s.grain == "week")
    ex.set_breakdown("country")
    _until_result(qtbot, ex, lambda s: s.breakdown == "country")
    stack = ctl.history.stack
    assert stack.count() == 2
    assert ctl.action_undo.shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in ctl.action_redo.shortcuts()]
    ctl.action_undo.trigger()
    _until_result(qtbot, ex, lambda s: s.breakdown is None and s.grain == "week")
    ctl.action_undo.trigger()
    _until_result(qtbot, ex, lambda s: s.grain == "day")
    assert not stack.canUndo()
    ctl.action_redo.trigger()
    _until_result(qtbot, ex, lambda s: s.grain == "week" and s.breakdown is None)
    assert stack.count() == 2 and stack.index() == 1  # restoring did not record new steps
    ex.set_grain("hour")  # a new change drops the redo branch
    _until_result(qtbot, ex, lambda s: s.grain == "hour")
    assert stack.count() == 2 and not stack.canRedo()


def test_audit_records_open_query_export_and_verifies(qtbot, make_window, activity, tmp_path):
    from workbench.audit import verify
    from workbench.fingerprint import sha256_file

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    opened = _actions(w, "source_opened")
    assert opened and opened[0]["details"]["files"][0]["sha256"] == sha256_file(activity)

    console = w.sql_console
    console.set_sql("SELECT country, count(*) AS n FROM activity GROUP BY ALL")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    qtbot.waitUntil(lambda: any("GROUP BY ALL" in e["details"].get("sql", "") for e in _actions(w, "query_run")))
    _until_result(qtbot, w.explorer, lambda s: True)
    assert any(e["details"].get("origin") == "explorer" for e in _actions(w, "query_run"))
    out = tmp_path / "rows.csv"
    outcome = ctl.exporter.export("csv", out)
    assert outcome is not None and out.exists()
    entry = _actions(w, "export_written")[-1]
    assert entry["details"]["path"] == str(out) and entry["details"]["sha256"] == sha256_file(out)
    assert verify(ctl.audit.path).ok

    panel = ctl.audit_panel
    w.show_panel("Audit")
    assert panel.path == ctl.audit.path
    qtbot.waitUntil(lambda: len(panel.entries()) == len(ctl.audit.entries()), timeout=5000)  # follows the file
    panel.set_action_filter("export_written")
    assert [e["action"] for e in panel.visible_entries()] == ["export_written"]
    with qtbot.waitSignal(panel.verified, timeout=15000) as blocker:
        panel.verify_button.click()
    assert blocker.args[0].ok and "intact" in panel.result_label.text()


def test_pii_masked_in_grids_and_reveal_is_logged(qtbot, make_window, activity):
    from widgets.table_model import MASK

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    assert ctl.masker.kind("activity", "email") == "email"  # by name at once, values confirm
    console = w.sql_console
    console.set_sql("SELECT email, country FROM activity LIMIT 5")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    model = console.results.table_model()
    assert model.data(model.index(0, 0)) == MASK
    assert model.data(model.index(0, 1)) != MASK
    assert MASK in model.to_tsv()

    # Masked at the source: an alias or an expression reaches only tokens, never the raw value.
    console.set_sql("SELECT email AS x, upper(email) AS y, country FROM activity LIMIT 5")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    model = console.results.table_model()
    assert model.data(model.index(0, 0)) == MASK and "@example.com" not in str(model.raw_value(0, 0))
    assert "@EXAMPLE.COM" not in str(model.raw_value(0, 1)).upper()

    # Revealing needs a reason, which is logged; the view is re-created unmasked and the query re-run.
    assert not ctl.masker.reveal_in(console.results)  # the dialog was cancelled
    ctl.masker.ask_reveal = lambda candidates: (0, "fraud case 1234")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        assert ctl.masker.reveal_in(console.results)
    model = console.results.table_model()
    assert model.data(model.index(0, 0)).endswith("@example.com")
    entry = _actions(w, "pii_revealed")[-1]
    assert entry["details"] == {"source": "activity", "column": "email", "reason": "fraud case 1234"}

    # Explorer: a breakdown by a personal column masks the series column; exports of it warn first.
    ctl.masker.set_flags(ctl.masker.flags)  # reveals last one session: start masked again
    ex = w.explorer
    ex.set_breakdown("email", top_n=3)
    _until_result(qtbot, ex, lambda s: s.breakdown == "email")
    qtbot.waitUntil(lambda: "series" in ex.results.table_model()._masked)
    asked = []
    ctl.exporter.ask_pii_reason = lambda message: asked.append(message) or None
    assert ctl.exporter.export("csv", w.workspace.recovery_dir / "x.csv") is None
    assert asked and "personal data" in asked[0]


def test_exports_are_stamped_and_suppressed(qtbot, make_window, activity, tmp_path):
    from workbench.export import read_provenance, read_png_text

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    ex = w.explorer
    ex.set_breakdown("country")
    _until_result(qtbot, ex, lambda s: s.breakdown == "country" and s.measure.agg == "count")
    sha = ctl.ws.source("activity").sha256
    for fmt in ("csv", "parquet", "xlsx"):
        outcome = ctl.exporter.export(fmt, tmp_path / f"table.{fmt}")
        stamp = read_provenance(outcome.path)
        assert stamp["workspace"] == "Untitled" and stamp["sources"][0]["sha256"] == sha
        assert stamp["suppression"]["k"] == 10
        assert stamp["description"]["breakdown"] == "country"
    png = ctl.exporter.export("png", tmp_path / "chart.png")
    assert json.loads(read_png_text(png.path.read_bytes())["workbench.provenance"])["sources"][0]["sha256"] == sha
    svg = ctl.exporter.export("svg", tmp_path / "chart.svg").path.read_text(encoding="utf-8")
    assert "<metadata" in svg and sha in svg and "<path" in svg
    assert len(_actions(w, "export_written")) == 5

    # Optional on-screen suppression: 6 rows per country and day, all below k = 10.
    ctl.apply_settings(10, True, True)
    _until_result(qtbot, ex, lambda s: s.breakdown == "country")

    def shows_suppressed() -> bool:  # the grid is re-filled one event-loop turn after the chart: re-read it
        model = ex.results.table_model()
        return model is not None and model.rowCount() > 0 and model.data(model.index(0, 2)) == "<10"

    qtbot.waitUntil(shows_suppressed, timeout=5000)
    ctl.apply_settings(10, True, False)

    # A measure that is not a count cannot be suppressed: the user is asked, and it is logged.
    ex.set_measure("sum", "views")
    _until_result(qtbot, ex, lambda s: s.measure.agg == "sum")
    ctl.exporter.confirm = lambda title, text: False
    assert ctl.exporter.export("csv", tmp_path / "sum.csv") is None and not (tmp_path / "sum.csv").exists()
    ctl.exporter.confirm = lambda title, text: True
    assert ctl.exporter.export("csv", tmp_path / "sum.csv") is not None
    assert _actions(w, "suppression_skipped")


def test_evidence_report_of_saved_views(qtbot, make_window, activity, tmp_path):
    from widgets.report_dialog import ReportRequest

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    _setup_view(qtbot, w)
    ctl.save_view("Views by country")
    ctl.notes.editor.setPlainText("Analyst note for the report.")
    ctl.notes.flush()
    request = ReportRequest("Test report", ["Views by country"], tmp_path / "evidence.html", pdf=True)
    with qtbot.waitSignal(ctl.report_written, timeout=30000) as blocker:
        ctl.write_report(request)
    res = blocker.args[0]
    html = res.html_path.read_text(encoding="utf-8")
    assert "Views by country" in html and "data:image/png;base64," in html and "Analyst note" in html
    assert res.replay_path.exists() and (tmp_path / "evidence.pdf").stat().st_size > 1000
    actions = [e["action"] for e in ctl.audit.entries()]
    assert "report_written" in actions and _actions(w, "export_written")[-1]["details"]["format"] == "pdf"
    # The replay script recomputes the view from the extract and agrees with the report.
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2])}
    run = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_file_and_edit_menus(make_window):
    w = make_window()
    ctl = w.workspace
    texts = [a.text().replace("&", "") for a in w.file_menu.actions() if not a.isSeparator()]
    assert texts[:5] == [
        "New Workspace",
        "Open Workspace…",
        "Recent Workspaces",
        "Save Workspace",
        "Save Workspace As…",
    ]
    assert "Export" in texts and "Export Evidence Report…" in texts and texts[-1] == "Quit"
    assert [a.text().replace("&", "") for a in ctl.export_menu.actions() if not a.isSeparator()] == [
        "Table as CSV…",
        "Table as Parquet…",
        "Table as Excel…",
        "Chart as PNG…",
        "Chart as SVG…",
    ]
    assert ctl.action_save.shortcut().toString() == "Ctrl+S"
    assert ctl.action_save_as.shortcut().toString() == "Ctrl+Shift+S"
    ctl._rebuild_recent_menu()
    assert [a.text() for a in ctl.recent_ws_menu.actions()] == ["No recent workspaces"]
    assert "Audit" in [w.tabs.tabText(i) for i in range(w.tabs.count())]


def test_new_workspace_and_close_prompt(qtbot, make_window, activity, tmp_path):
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    _setup_view(qtbot, w)
    ctl.save_view("keep me")
    asked = []
    ctl.ask_save_changes = lambda: asked.append(1) or "cancel"
    assert not ctl.new_workspace()  # cancelled
    assert "activity" in w.catalog
    w.close()
    assert w.isVisible() and asked == [1, 1]  # the close was cancelled too
    ctl.ask_save_changes = lambda: "discard"
    assert ctl.new_workspace()
    assert ctl.ws.views == [] and "activity" not in w.catalog and w.windowTitle().startswith("Untitled")


def test_workspace_opens_from_the_command_line_and_by_drag_and_drop(qtbot, make_window, activity, tmp_path):
    """`workbench open analysis.wbk` (widgets.app hands argv paths to open_paths) and a dropped .wbk open the
    workspace instead of failing with "unsupported file type"."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    w = make_window()
    _open(qtbot, w, activity)
    path = tmp_path / "analysis.wbk"
    assert w.workspace.save_to(path)

    w2 = make_window()
    with qtbot.waitSignal(w2.workspace.restored, timeout=20000):
        w2.open_paths([str(path)])
    assert w2.workspace.ws.path == path.resolve() or str(w2.workspace.ws.path) == str(path)
    assert "activity" in w2.catalog and not w2.banner.isVisible()

    w3 = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(w3.workspace.restored, timeout=20000):
        w3.dropEvent(event)
    assert "activity" in w3.catalog and not w3.banner.isVisible()
