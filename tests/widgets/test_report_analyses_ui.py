"""Anomaly incidents and experiment readouts in the evidence report, driven from the panels: detect and
explain, run a readout, "Add to report", export the report, and the replay script reproduces it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_parquet
from tests.widgets.test_anomaly_panel import _CUBE
from tests.widgets.test_workspace_ui import _open, make_window  # noqa: F401  (fixture)
from tests.workbench.experiments.conftest import make_users
from workbench.experiments import MetricSpec

pytestmark = pytest.mark.timeout(180)
REPO = Path(__file__).resolve().parents[2]


def test_panels_add_results_and_the_report_replays(qtbot, make_window, tmp_path):  # noqa: F811
    from widgets.report_dialog import ReportRequest
    from workbench import workspace as wsm

    data = tmp_path / "data"
    data.mkdir()
    cube = write_parquet(data / "cube.parquet", _CUBE)
    users = data / "exp.parquet"
    make_users(n_per_arm=(500, 480, 6)).to_parquet(users, index=False)  # arm t2: 6 units, below k = 10
    w = make_window()
    ctl = w.workspace
    ctl.ask_result_name = lambda default: default
    _open(qtbot, w, cube)
    _open(qtbot, w, str(users))

    an = w.panels["Anomalies"]
    an.source_combo.setCurrentText("cube")
    an.measure_edit.setText("sum(views)")
    an.grain_combo.setCurrentText("hour")
    with qtbot.waitSignal(an.detection_ready, timeout=30000):
        an.run_detection()
    an.select_incident(0)
    with qtbot.waitSignal(an.explanation_ready, timeout=30000):
        an.explain_selected()
    an.report_button.click()
    assert [r["kind"] for r in ctl.ws.saved_results] == ["anomaly"]
    assert ctl.ws.saved_results[0]["recipe"]["root_cause"]["baseline"] == "expected"

    ex = w.panels["Experiments"]
    ex.table_combo.setCurrentText("exp")
    qtbot.waitUntil(lambda: ex.control_combo.count() == 3, timeout=10000)
    ex.metrics.add_metric(MetricSpec("metric", "mean", column="metric", covariate="pre_metric"))
    ex.metrics.add_metric(MetricSpec("converted", "proportion", column="converted"))
    with qtbot.waitSignal(ex.readout_ready, timeout=30000):
        ex.run_button.click()
    ex.report_button.click()
    names = [r["name"] for r in ctl.ws.saved_results]
    assert len(names) == 2 and names[1].startswith("Experiment:")
    assert [e["action"] for e in ctl.audit.entries()].count("result_saved") == 2

    # Saved with the workspace, listed by the report dialog.
    ctl.save_to(tmp_path / "analysis.wbk")
    assert [r["name"] for r in wsm.load(tmp_path / "analysis.wbk").saved_results] == names
    from widgets.report_dialog import ReportDialog

    dialog = ReportDialog([], "t", str(tmp_path / "x.html"), 10, results=ctl.ws.saved_results)
    assert dialog.selected_results() == names and dialog.request().results == names
    dialog.deleteLater()

    request = ReportRequest("Incident and experiment", [], tmp_path / "evidence.html", pdf=True, results=names)
    with qtbot.waitSignal(ctl.report_written, timeout=60000) as blocker:
        ctl.write_report(request)
    res = blocker.args[0]
    html = res.html_path.read_text(encoding="utf-8")
    for text in (
        "Incidents",
        "Root cause — segments",
        "country=BR",
        "Sensitivity",
        "Root-cause baseline",
        "Test per metric",
        "Welch t-test",
        "CUPED",
        "on, covariate pre_metric",
        "Sequential testing",
        "SRM check",
        "Correction",
        "Small-cell suppression was applied with k = 10",
        "&lt;10",
    ):
        assert text in html, text
    assert html.count("data:image/png;base64,") == 2  # anomaly chart with overlay, forest plot
    assert (tmp_path / "evidence.pdf").stat().st_size > 1000
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Root cause — segments" in run.stdout and "Results" in run.stdout
