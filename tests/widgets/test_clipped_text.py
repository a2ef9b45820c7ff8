"""Text that must not be cut: the experiment decision columns at 1400 px and the chart's hover box."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt

from tests.widgets.conftest import open_and_wait
from widgets.experiments_columns import CI_ROLE


def _experiment_file(tmp_path):
    rng = np.random.default_rng(5)
    n = 2000
    df = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "arm": rng.choice(["control", "treatment_a", "treatment_b"], n),
            "reports_submitted_per_user": rng.poisson(3, n),
            "time_spent_minutes": rng.normal(30, 5, n),
            "reported_anything": (rng.random(n) < 0.1).astype("int32"),
            "app_crashes": rng.poisson(0.2, n),
        }
    )
    path = tmp_path / "experiment.parquet"
    df.to_parquet(path, index=False)
    return path


def test_experiment_decision_columns_fit_at_1400_px(qtbot, window, tmp_path):
    window.resize(1400, 900)
    open_and_wait(qtbot, window, _experiment_file(tmp_path))
    panel = window.panels["Experiments"]
    window.show_panel("Experiments")
    qtbot.waitUntil(lambda: panel.control_combo.currentText() == "control", timeout=10000)
    qtbot.mouseClick(panel.suggest_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.metrics.rowCount() == 4, timeout=10000)
    with qtbot.waitSignal(panel.readout_ready, timeout=30000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    table = panel.results
    qtbot.waitUntil(lambda: table.rowCount() == 8, timeout=5000)
    shown = panel.column_chooser.shown()
    for name in ("Metric", "Arm", "Verdict", "Δ %", "95% CI (Δ %)", "p", "p adj.", "Chance to beat"):
        assert name in shown, name
    # Every shown column is in view: no horizontal scrolling needed to read p or chance to beat.
    assert table.horizontalScrollBar().maximum() == 0
    assert (
        sum(table.columnWidth(i) for i in range(table.columnCount()) if not table.isColumnHidden(i))
        <= table.viewport().width() + 1
    )
    # The interval is drawn as a bar in its row.
    ci = table.item(0, 7).data(CI_ROLE)
    assert ci is not None and ci[0] <= ci[1] <= ci[2]
    # The columns left out are one right-click away.
    menu = panel.column_chooser.build_menu()
    control = next(a for a in menu.actions() if a.text() == "Control")
    assert not control.isChecked()
    control.trigger()
    assert "Control" in panel.column_chooser.shown()


def test_chart_hover_box_stays_inside_the_chart(qtbot):
    from widgets.chart_view import ChartView, Series

    chart = ChartView()
    qtbot.addWidget(chart)
    chart.resize(420, 300)
    chart.show()
    x = np.arange(10, dtype="float64") * 86400 + 1.7e9
    names = ["a segment with a rather long name that makes the hover box wide", "short"]
    chart.set_series([Series(n, x, np.arange(10.0) + i, "#1f77b4") for i, n in enumerate(names)])
    qtbot.waitUntil(lambda: chart.is_showing_chart(), timeout=5000)
    view = chart.plot_item.vb.sceneBoundingRect()
    for i in (0, 4, 5, 9):
        chart.show_readout_at(float(x[i]), 5.0)
        box = chart.readout.sceneBoundingRect()
        assert box.width() < view.width()
        assert view.left() - 1 <= box.left() and box.right() <= view.right() + 1, (i, box, view)


def test_incident_and_segment_text_is_whole_on_hover(qtbot, window, events_parquet):
    panel = window.panels["Anomalies"]
    header = panel.incident_view.horizontalHeader()
    col = panel.incident_model.HEADERS.index("Segment")
    assert header.sectionSizeHint(col) >= header.fontMetrics().horizontalAdvance("Segment")
    assert panel.segment_view.textElideMode() == Qt.TextElideMode.ElideMiddle


def test_segment_labels_keep_both_ends_when_elided(qtbot):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QStyleOptionViewItem, QTableView

    from widgets.elide_delegate import MiddleElideDelegate

    label = "country=BR & platform=android & app_version=5.4.0 & surface=feed"
    model = QStandardItemModel(1, 1)
    model.setItem(0, 0, QStandardItem(label))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    delegate = MiddleElideDelegate(view)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.rect = QRect(0, 0, 180, 24)
    delegate.initStyleOption(option, model.index(0, 0))
    shown = option.text
    assert shown != label and "…" in shown
    assert shown.startswith("country=") and shown.endswith("=feed")
    option.rect = QRect(0, 0, 2000, 24)
    delegate.initStyleOption(option, model.index(0, 0))
    assert option.text == label
