"""Anomalies panel and chart overlay, driven as a user would (wiring, not statistics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
import pytest

from tests.conftest import write_parquet
from widgets.anomaly_overlay import Annotation, AnomalyOverlay
from workbench.anomaly import detect_series

# 40 days hourly x 3 countries x 2 platforms; BR/android views x5 on day 35, 10:00-13:00.
_CUBE = """
SELECT TIMESTAMP '2024-01-01' + INTERVAL (h) HOUR AS ts, c AS country, p AS platform,
       CAST(round((100 + 40 * sin(2 * pi() * h / 24)) * (CASE WHEN c = 'BR' THEN 1.5 ELSE 1 END)
             * (CASE WHEN c = 'BR' AND p = 'android' AND h BETWEEN 34*24+10 AND 34*24+13 THEN 5 ELSE 1 END)
             + 5 * sin(h * 12.9898 + length(c) * 78.233 + length(p))) AS BIGINT) AS views
FROM range(40 * 24) t(h), (VALUES ('BR'), ('US'), ('IN')) cs(c), (VALUES ('android'), ('ios')) ps(p)
"""


@pytest.fixture
def cube_source(tmp_path, qcatalog):
    return qcatalog.open(write_parquet(tmp_path / "cube.parquet", _CUBE))


@pytest.fixture
def panel(qtbot, runner, qcatalog, cube_source):
    from widgets.anomaly_panel import AnomalyPanel

    p = AnomalyPanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.resize(1400, 900)
    p.show()
    p.set_sources(qcatalog.sources)
    p.measure_edit.setText("sum(views)")
    p.grain_combo.setCurrentText("hour")
    return p


def _spiky_detection():
    ts = pd.date_range("2024-01-01", periods=24 * 30, freq="h")
    y = 100 + 30 * np.sin(2 * np.pi * np.arange(len(ts)) / 24)
    y[500:503] += 400
    return detect_series(ts, y, grain="hour")


def test_overlay_draws_and_clears(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    det = _spiky_detection()
    overlay = AnomalyOverlay(widget.getPlotItem())
    before = len(widget.getPlotItem().items)
    overlay.set_detection(det, {"all": "#ff0000"})
    assert overlay.item_count() >= 4  # band curves + fill, expected line, flagged points, incident region
    assert len(widget.getPlotItem().items) > before
    text = overlay.hover_text(float(pd.Timestamp(det.index[501]).value) / 1e9)
    assert "expected" in text and "score" in text and "⚑" in text
    overlay.set_annotations([Annotation.at("2024-01-10 12:00", "v31.2 release")])
    assert overlay.annotation_count() == 1
    overlay.clear()
    assert overlay.item_count() == 0 and overlay.annotation_count() == 1  # annotations survive new data
    assert len(widget.getPlotItem().items) == before + 1


def test_overlay_zoom_to_incident(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    det = _spiky_detection()
    overlay = AnomalyOverlay(widget.getPlotItem())
    overlay.set_detection(det)
    inc = det.incidents[0]
    lo, hi = overlay.zoom_to(inc)
    assert lo < pd.Timestamp(inc.start).value / 1e9 < pd.Timestamp(inc.end).value / 1e9 < hi


def test_panel_detects_zooms_explains_and_adds_filter(qtbot, panel):
    with qtbot.waitSignal(panel.detection_ready, timeout=20000) as blocker:
        panel.run_detection()
    det = blocker.args[0]
    assert panel.incident_model.rowCount() >= 1
    top = panel.incident_model.incident(0)
    assert pd.Timestamp(top.start) <= pd.Timestamp("2024-02-04 10:00") <= pd.Timestamp(top.end)
    assert top.direction == "up" and det.names == ["all"]

    with qtbot.waitSignal(panel.zoom_requested, timeout=5000) as zoom:
        panel.select_incident(0)
    x0, x1 = zoom.args
    assert x0 < pd.Timestamp(top.start).value / 1e9 < x1

    with qtbot.waitSignal(panel.explanation_ready, timeout=20000) as blocker:
        panel.explain_selected()
    rc = blocker.args[0]
    assert [c.element for c in rc.culprits] == [{"country": "BR", "platform": "android"}]
    assert panel.segment_model.rowCount() >= 1
    with qtbot.waitSignal(panel.filter_requested, timeout=5000) as blocker:
        panel.segment_view.selectRow(0)
        panel.filter_button.click()
    filters = blocker.args[0]
    assert {(f.column, f.value) for f in filters} == {("country", "BR"), ("platform", "android")}


def test_settings_edit_reruns_detection_debounced(qtbot, panel):
    with qtbot.waitSignal(panel.detection_ready, timeout=20000):
        panel.run_detection()
    with qtbot.waitSignal(panel.detection_ready, timeout=20000) as blocker:
        panel.threshold_spin.setValue(3.0)
        panel.direction_combo.setCurrentText("up")
    det = blocker.args[0]
    assert det.threshold == 3.0 and det.params.direction == "up"


def test_breakdown_and_bad_measure(qtbot, panel):
    panel.breakdown_combo.setCurrentText("country")
    with qtbot.waitSignal(panel.detection_ready, timeout=20000) as blocker:
        panel.run_detection()
    assert set(blocker.args[0].names) == {"BR", "US", "IN"}
    with qtbot.waitSignal(panel.error_occurred, timeout=5000) as blocker:
        panel.measure_edit.setText("sum(no_such_column")
        panel.run_detection()
    assert blocker.args[0]


def test_annotations(qtbot, panel):
    with qtbot.waitSignal(panel.annotations_changed, timeout=5000) as blocker:
        panel.add_annotation("2024-01-20 08:00", "v31.2 release")
    assert blocker.args[0][0].label == "v31.2 release"
    assert panel.annotation_list.count() == 1 and panel.overlay.annotation_count() == 1
    panel.annotation_list.setCurrentRow(0)
    with qtbot.waitSignal(panel.annotations_changed, timeout=5000):
        panel.annotation_remove.click()
    assert panel.annotation_list.count() == 0


def test_chart_view_anomalies_toggle(qtbot):
    from widgets.chart_view import ChartView, series_from_frame

    chart = ChartView()
    qtbot.addWidget(chart)
    det = _spiky_detection()
    frame = pd.DataFrame({"bucket": det.index, "series": "all", "value": det.actual[:, 0], "comparison_value": np.nan})
    chart.set_series(series_from_frame(frame, compare=False))
    chart.set_anomalies(det)
    assert chart.anomaly_overlay().item_count() == 0  # drawn only while the toggle is on
    with qtbot.waitSignal(chart.anomalies_toggled):
        chart.anomaly_button.setChecked(True)
    assert chart.anomaly_overlay().item_count() > 0
    chart.anomaly_button.setChecked(False)
    assert chart.anomaly_overlay().item_count() == 0
    chart.anomaly_button.setChecked(True)
    assert chart.anomaly_overlay().item_count() > 0
    chart.set_series(series_from_frame(frame, compare=False))  # new data: stale overlay removed
    assert chart.anomaly_overlay().item_count() == 0


def test_detects_on_explorer_result(qtbot, panel, qcon, cube_source):
    from workbench.metrics import Measure, MetricSpec, metric_series

    spec = MetricSpec(
        table=cube_source.name, measure=Measure.parse("sum(views)"), time_column="ts", grain="hour", breakdown="country"
    )
    result = metric_series(qcon.cursor(), spec)
    with qtbot.waitSignal(panel.detection_ready, timeout=20000) as blocker:
        panel.set_metric_result(result)
    det = blocker.args[0]
    assert set(det.names) == set(result.frame["series"]) and panel.breakdown_combo.currentText() == "country"
    assert any(i.series == "BR" for i in det.incidents)


def test_incident_and_segment_tables_fit_without_horizontal_scrolling(qtbot, panel):
    with qtbot.waitSignal(panel.detection_ready, timeout=20000):
        panel.run_detection()
    model = panel.incident_model
    assert "Metric" not in model.HEADERS  # the heading names the metric; details are in the tooltip
    tip = model.data(model.index(0, 0), pg.QtCore.Qt.ItemDataRole.ToolTipRole)
    assert "sum(views)" in tip and "[" in tip and "flagged" in tip
    assert "sum(views)" in panel.incidents_label.text()
    panel.select_incident(0)
    with qtbot.waitSignal(panel.explanation_ready, timeout=20000):
        panel.explain_selected()
    qtbot.waitUntil(lambda: panel.segment_view.horizontalScrollBar().maximum() == 0, timeout=5000)
    assert panel.incident_view.horizontalScrollBar().maximum() == 0
    # Bar labels are whole segment names (not cut to a narrow axis).
    labels = [i.textItem.toPlainText() for i in panel.bars_item.items if isinstance(i, pg.TextItem)]
    assert labels and labels[0] == panel.explanation.ranked[0].label


def test_panel_says_which_model_and_grain_auto_chose(qtbot, panel):
    panel.grain_combo.setCurrentText("auto")
    with qtbot.waitSignal(panel.detection_ready, timeout=20000):
        panel.run_detection()
    text = panel.model_label.text()
    assert panel.model_label.isVisible()
    assert text.startswith("Model: ")
    assert "of hourly data" in text  # the event cube (6 rows per hour) is bucketed hourly under auto
    assert "Grain: finest grain" in text
    for grain in ("5min", "15min", "30min", "quarter", "year"):
        assert panel.grain_combo.findText(grain) >= 0


def test_switching_table_clears_old_results_and_picks_a_measure_that_fits(qtbot, panel, tmp_path, qcatalog):
    """A root cause of one table never sits beside another table's series; the new table runs with a valid measure."""
    qcatalog.open(
        write_parquet(
            tmp_path / "nab.parquet",
            """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS timestamp, 50 + (i % 24) * 1.5 AS value
        FROM range(24 * 30) t(i)""",
        )
    )
    panel.set_sources(qcatalog.sources)
    with qtbot.waitSignal(panel.detection_ready, timeout=20000):
        panel.run_detection()
    panel.select_incident(0)
    with qtbot.waitSignal(panel.explanation_ready, timeout=20000):
        panel.explain_selected()
    assert panel.segment_model.rowCount() >= 1 and "BR" in panel.verdict.text() + str(
        panel.segment_model.segment(0).label
    )

    errors = []
    panel.error_occurred.connect(errors.append)
    with qtbot.waitSignal(panel.detection_ready, timeout=20000) as blocker:
        panel.source_combo.setCurrentText("nab")  # as a user picks it in the combo
        assert panel.segment_model.rowCount() == 0 and panel.verdict.text() == ""
        assert panel.incident_model.rowCount() == 0
    assert errors == []
    assert panel.measure_edit.text() == "count(*)"  # sum(views) has no column in nab
    assert blocker.args[0].names == ["all"]
    assert panel.segment_model.rowCount() == 0 and not panel.bars.isVisible()
