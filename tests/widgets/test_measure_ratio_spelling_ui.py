"""The Anomalies panel's typed measure box reads ``sum(a) / sum(b)`` as ``ratio(a, b)``."""

from __future__ import annotations

from tests.conftest import write_parquet

_CUBE = """
SELECT TIMESTAMP '2024-01-01' + INTERVAL (h) HOUR AS ts, c AS country,
       CAST(100 + h % 7 AS BIGINT) AS views, CAST(3 + h % 3 AS BIGINT) AS violations
FROM range(10 * 24) t(h), (VALUES ('BR'), ('US')) cs(c)
"""


def test_panel_measure_box_reads_division_as_ratio(qtbot, runner, qcatalog, tmp_path):
    from widgets.anomaly_panel import AnomalyPanel

    qcatalog.open(write_parquet(tmp_path / "cube.parquet", _CUBE))
    panel = AnomalyPanel(runner, qcatalog)
    qtbot.addWidget(panel)
    panel.set_sources(qcatalog.sources)
    panel.measure_edit.setText("sum(violations) / sum(views)")
    spec = panel.current_spec()
    assert spec.measure.agg == "ratio" and spec.measure.label == "ratio(violations, views)"
    with qtbot.waitSignal(panel.detection_ready, timeout=20000):
        panel.run_detection()
