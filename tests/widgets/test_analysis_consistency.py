"""What the screen shows, what an export writes and what a report's replay recomputes are one analysis:
the tables agree exactly (they come from the same ``Analysis.run``)."""

from __future__ import annotations

import runpy

import pandas as pd
import pytest

from tests.conftest import write_parquet
from tests.widgets.test_anomaly_panel import _CUBE
from tests.widgets.test_workspace_ui import _open, _until_result, activity, make_window  # noqa: F401  (fixtures)
from workbench.analysis import Analysis, AnomalyDetection, MetricView
from workbench.report import compute_recipe

pytestmark = pytest.mark.timeout(180)


def _replay_payload(path):
    return runpy.run_path(str(path))["PAYLOAD"]  # the script only runs main() as __main__


def test_metric_view_on_screen_in_csv_export_and_in_replay_are_identical(
    qtbot,
    make_window,
    activity,  # noqa: F811
    tmp_path,
):
    from widgets.export_actions import display_frame
    from widgets.report_dialog import ReportRequest

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    ex = w.explorer
    ex.set_measure("sum", "views")
    ex.set_breakdown("country", top_n=3)
    ex.set_grain("day")
    ex.set_range("Last 7 days")
    screen = _until_result(
        qtbot,
        ex,
        lambda s: s.breakdown == "country" and s.measure.agg == "sum" and s.grain == "day" and s.start is not None,
    )
    assert (screen.end - screen.start).days == 7  # the relative range was resolved against the data

    # Export: the grid's table, as CSV, has the screen's numbers.
    out = tmp_path / "view.csv"
    assert ctl.exporter.export("csv", out) is not None
    exported = pd.read_csv(out)
    shown = display_frame(screen)
    assert list(exported.columns) == list(shown.columns)
    assert exported["sum(views)"].tolist() == shown["sum(views)"].tolist()
    assert pd.to_datetime(exported["bucket"]).tolist() == pd.to_datetime(shown["bucket"]).tolist()

    # Report and replay: the recipe is the screen's analysis, and recomputing it gives the screen's table.
    ctl.save_view("Views by country")
    with qtbot.waitSignal(ctl.report_written, timeout=60000) as blocker:
        ctl.write_report(ReportRequest("Consistency", ["Views by country"], tmp_path / "evidence.html", pdf=False))
    payload = _replay_payload(blocker.args[0].replay_path)
    item = payload["items"][0]
    assert Analysis.from_dict(item["recipe"]) == MetricView(screen.spec)
    replayed = compute_recipe(w.con, item["recipe"])
    pd.testing.assert_frame_equal(replayed, screen.frame)
    value_col = item["columns"].index("value")
    assert [row["values"][value_col] for row in item["rows"]] == screen.frame["value"].tolist()


def test_anomaly_detection_on_screen_and_in_replay_are_identical(qtbot, make_window, tmp_path):  # noqa: F811
    from widgets.report_dialog import ReportRequest

    cube = write_parquet(tmp_path / "cube.parquet", _CUBE)
    w = make_window()
    ctl = w.workspace
    ctl.ask_result_name = lambda default: default
    _open(qtbot, w, cube)
    an = w.panels["Anomalies"]
    an.source_combo.setCurrentText("cube")
    an.measure_edit.setText("sum(views)")
    an.grain_combo.setCurrentText("hour")
    with qtbot.waitSignal(an.detection_ready, timeout=30000):
        an.run_detection()
    screen = an.detection
    an.report_button.click()
    (saved,) = ctl.ws.saved_results
    analysis = Analysis.from_dict(saved["recipe"])
    assert isinstance(analysis, AnomalyDetection)

    with qtbot.waitSignal(ctl.report_written, timeout=60000) as blocker:
        ctl.write_report(ReportRequest("Incidents", [], tmp_path / "evidence.html", pdf=False, results=[saved["name"]]))
    payload = _replay_payload(blocker.args[0].replay_path)
    (item,) = [i for i in payload["items"] if i.get("part") == "incidents"]
    replayed = compute_recipe(w.con, item["recipe"])["incidents"]
    assert len(replayed) == len(screen.incidents) == len(item["rows"]) > 0
    assert replayed["start"].tolist() == [pd.Timestamp(i.start) for i in screen.incidents]
    assert replayed["impact"].tolist() == pytest.approx([float(i.impact) for i in screen.incidents], rel=1e-9)
