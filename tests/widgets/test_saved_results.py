"""Report results ("Add to report") in the Data dock: listed under the saved views, click restores the
panel's settings, right-click renames or deletes, kept with the workspace."""

from __future__ import annotations

import pytest

from tests.conftest import write_parquet
from tests.widgets.test_anomaly_panel import _CUBE
from tests.widgets.test_workspace_ui import _open, make_window  # noqa: F401  (fixture)
from tests.workbench.experiments.conftest import make_users
from workbench.experiments import MetricSpec

pytestmark = pytest.mark.timeout(120)


def _action(menu, text):
    return next(a for a in menu.actions() if a.text() == text)


def test_results_listed_restored_renamed_deleted(qtbot, make_window, tmp_path):  # noqa: F811
    from workbench import workspace as wsm

    data = tmp_path / "data"
    data.mkdir()
    cube = write_parquet(data / "cube.parquet", _CUBE)
    users = data / "exp.parquet"
    make_users(n_per_arm=(300, 300)).to_parquet(users, index=False)
    w = make_window()
    ctl = w.workspace
    ctl.ask_result_name = lambda default: default
    lst = ctl.results_list
    assert lst.parent() is w.data_panel.splitter and lst.empty.isVisibleTo(lst) and lst.names() == []
    assert w.data_panel.splitter.indexOf(lst) == w.data_panel.splitter.indexOf(ctl.views_list) + 1
    _open(qtbot, w, cube)
    _open(qtbot, w, str(users))

    an = w.panels["Anomalies"]
    an.source_combo.setCurrentText("cube")
    an.measure_edit.setText("sum(views)")
    an.grain_combo.setCurrentText("hour")
    an.threshold_spin.setValue(5.5)
    with qtbot.waitSignal(an.detection_ready, timeout=30000):
        an.run_detection()
    an.report_button.click()
    ex = w.panels["Experiments"]
    ex.table_combo.setCurrentText("exp")
    qtbot.waitUntil(lambda: ex.control_combo.count() == 2, timeout=10000)
    ex.metrics.setRowCount(0)
    ex.metrics.add_metric(MetricSpec("metric", "mean", column="metric", covariate="pre_metric"))
    ex.metrics.add_metric(MetricSpec("converted", "proportion", column="converted"))
    with qtbot.waitSignal(ex.readout_ready, timeout=30000):
        ex.run_button.click()
    ex.report_button.click()
    names = [r["name"] for r in ctl.ws.saved_results]
    assert lst.names() == names and not lst.empty.isVisibleTo(lst)
    assert "sum(views)" in lst.item(names[0]).toolTip() and "2 metric(s)" in lst.item(names[1]).toolTip()

    # Click: the panel opens with the result's settings (the anomaly re-detects; the readout waits for Run).
    an.measure_edit.setText("count(*)")
    an.threshold_spin.setValue(0)
    w.show_panel("Explorer")
    with qtbot.waitSignal(an.detection_ready, timeout=30000):
        lst.list.itemClicked.emit(lst.item(names[0]))
    assert w.tabs.currentWidget() is an
    assert an.measure_edit.text() == "sum(views)" and an.grain_combo.currentText() == "hour"
    assert an.threshold_spin.value() == 5.5 and not an.follows_explorer
    ex.metrics.setRowCount(0)
    lst.list.itemClicked.emit(lst.item(names[1]))
    assert w.tabs.currentWidget() is ex
    assert [m.name for m in ex.metrics.metric_specs()] == ["metric", "converted"]
    assert ex.table_combo.currentText() == "exp" and ex.control_combo.currentText() == "control"

    # Right-click menu: rename (a taken name is refused), delete.
    ctl.ask_rename_result = lambda name: names[1]
    _action(lst.context_menu(names[0]), "Rename…").trigger()
    assert [r["name"] for r in ctl.ws.saved_results] == names  # refused: a result has that name
    ctl.ask_rename_result = lambda name: "BR spike"
    _action(lst.context_menu(names[0]), "Rename…").trigger()
    assert lst.names() == ["BR spike", names[1]] and ctl.ws.saved_results[0]["name"] == "BR spike"
    _action(lst.context_menu(names[1]), "Delete").trigger()
    assert lst.names() == ["BR spike"] and [r["name"] for r in ctl.ws.saved_results] == ["BR spike"]
    actions = [e["action"] for e in ctl.audit.entries()]
    assert "result_renamed" in actions and "result_deleted" in actions and ctl.dirty

    # Kept with the workspace: a new window lists it after Open.
    ctl.save_to(tmp_path / "analysis.wbk")
    assert [r["name"] for r in wsm.load(tmp_path / "analysis.wbk").saved_results] == ["BR spike"]
    w2 = make_window()
    with qtbot.waitSignal(w2.workspace.restored, timeout=20000):  # no restore left pending after the test
        w2.workspace.open_workspace(str(tmp_path / "analysis.wbk"))
    assert w2.workspace.results_list.names() == ["BR spike"]
