"""'Was this a launch?' on an explained anomaly opens Impact with the segment as the treated unit."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait
from tests.widgets.test_anomaly_panel import _CUBE

pytestmark = pytest.mark.timeout(180)


def test_launch_button_opens_impact_with_the_segment(qtbot, window, tmp_path):
    open_and_wait(qtbot, window, write_parquet(tmp_path / "cube.parquet", _CUBE))
    an, impact = window.panels["Anomalies"], window.panels["Impact"]
    an.source_combo.setCurrentText("cube")
    an.measure_edit.setText("sum(views)")
    an.grain_combo.setCurrentText("hour")
    with qtbot.waitSignal(an.detection_ready, timeout=30000):
        an.run_detection()
    an.select_incident(0)
    with qtbot.waitSignal(an.explanation_ready, timeout=30000):
        an.explain_selected()
    rows = [r for r in range(an.segment_model.rowCount()) if len(an.segment_model.segment(r).element or {}) == 1]
    assert rows, "expected a one-dimension segment"
    an.segment_view.selectRow(rows[0])
    seg = an.segment_model.segment(rows[0])
    assert an.launch_button.isEnabled()
    ((unit, value),) = seg.element.items()
    with qtbot.waitSignal(an.impact_requested, timeout=5000) as blocker:
        an.launch_button.click()
    request = blocker.args[0]
    assert request["unit"] == unit and request["treated"] == [str(value)] and request["table"] == "cube"
    qtbot.waitUntil(lambda: impact.treated_units() == [str(value)], timeout=10000)
    assert window.tabs.currentWidget() is impact
    assert impact.unit_combo.currentText() == unit and impact.measure_combo.currentText() == "sum(views)"
    start = pd.Timestamp(request["start"]).strftime("%Y-%m-%d")
    assert impact.start_edit.date().toString("yyyy-MM-dd") == start
    an.segment_view.selectRow(
        next(r for r in range(an.segment_model.rowCount()) if len(an.segment_model.segment(r).element or {}) == 2)
    )
    assert not an.launch_button.isEnabled()  # two dimensions: not one unit column
