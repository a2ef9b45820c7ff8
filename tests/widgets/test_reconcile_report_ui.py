"""Reconcile and Checks into the workspace: "Add to report", the evidence report's reconciliation and
data-quality sections replay, a saved result restores, and the differences export is stamped and logged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_parquet
from tests.widgets.test_workspace_ui import _open, make_window  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]


def test_reconcile_and_checks_in_the_report(qtbot, make_window, tmp_path):  # noqa: F811
    from widgets.report_dialog import ReportRequest

    data = tmp_path / "data"
    data.mkdir()
    a = write_parquet(data / "vendor.parquet", "SELECT i AS id, i * 2 AS amount FROM range(1, 41) t(i)")
    b = write_parquet(
        data / "ours.parquet", "SELECT i AS id, CASE WHEN i = 5 THEN 11 ELSE i * 2 END AS amount FROM range(3, 45) t(i)"
    )
    w = make_window()
    ctl = w.workspace
    ctl.ask_result_name = lambda default: default
    ctl.exporter.confirm = lambda title, text: True
    _open(qtbot, w, a)
    _open(qtbot, w, b)
    rp, cp = w.panels["Reconcile"], w.panels["Checks"]
    qtbot.waitUntil(lambda: rp.b_combo.count() == 2, timeout=10000)
    rp.a_combo.setCurrentText("vendor")
    rp.b_combo.setCurrentText("ours")
    rp.set_checked(rp.key_list, ["id"])
    with qtbot.waitSignal(rp.result_ready, timeout=30000), qtbot.waitSignal(rp.rows_ready, timeout=30000):
        rp.run_button.click()
    rp.report_button.click()

    cp.table_combo.setCurrentText("ours")
    cp.rules_edit.setPlainText("unique(id)\nbetween(amount, 0, 50)")
    with qtbot.waitSignal(cp.result_ready, timeout=30000):
        cp.run_button.click()
    cp.report_button.click()
    names = [r["name"] for r in ctl.ws.saved_results]
    assert [r["kind"] for r in ctl.ws.saved_results] == ["reconcile", "checks"]

    out = tmp_path / "only_a.csv"
    assert rp.export_differences(out)
    assert out.exists() and (tmp_path / "only_a.csv.provenance.json").exists()
    assert "id" in out.read_text(encoding="utf-8").splitlines()[0]

    request = ReportRequest("Vendor reconciliation", [], tmp_path / "evidence.html", pdf=False, results=names)
    with qtbot.waitSignal(ctl.report_written, timeout=60000) as blocker:
        ctl.write_report(request)
    res = blocker.args[0]
    html = res.html_path.read_text(encoding="utf-8")
    for text in ("Changed values per column", "Data quality of ours", "FAIL: between(amount, 0, 50)"):
        assert text in html, text
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=180)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    cp.rules_edit.setPlainText("")
    with qtbot.waitSignal(cp.result_ready, timeout=30000):
        assert ctl.restore_result(names[1])
    assert cp.rules_edit.toPlainText() == "unique(id)\nbetween(amount, 0, 50)"
