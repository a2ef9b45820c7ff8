"""UI polish: the Anomalies form follows the Explorer, empty states instead of empty axes, Suggest metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.widgets.conftest import open_and_wait


def _explorer_result(qtbot, window):
    explorer = window.explorer
    qtbot.waitUntil(lambda: explorer.last_result is not None, timeout=15000)
    return explorer


def test_anomalies_form_follows_the_explorer_until_the_user_edits_it(qtbot, window, events_parquet):
    anomalies = window.panels["Anomalies"]
    open_and_wait(qtbot, window, events_parquet)
    explorer = _explorer_result(qtbot, window)
    with qtbot.waitSignal(explorer.result_ready, timeout=15000):
        explorer.set_measure("sum", "views")
        explorer.set_grain("hour")
    assert anomalies.measure_edit.text() != "sum(views)"  # applied when the tab is shown, not on every result
    window.show_panel("Anomalies")
    qtbot.waitUntil(lambda: anomalies.measure_edit.text() == "sum(views)", timeout=5000)
    assert anomalies.source_combo.currentText() == "events"
    assert anomalies.time_combo.currentText() == "ts"
    assert anomalies.grain_combo.currentText() == "hour"
    assert anomalies.follows_explorer
    assert anomalies.detection is None  # following fills the form; detecting is the user's call
    assert "sum(views)" in anomalies.empty_state.text()

    # A user's pick in the form: the Explorer no longer overrides it.
    anomalies.grain_combo.setCurrentText("day")
    anomalies.grain_combo.activated.emit(anomalies.grain_combo.currentIndex())
    assert not anomalies.follows_explorer
    with qtbot.waitSignal(explorer.result_ready, timeout=15000):
        explorer.set_measure("max", "views")
    window.show_panel("Explorer")
    window.show_panel("Anomalies")
    assert anomalies.measure_edit.text() == "sum(views)"
    assert anomalies.grain_combo.currentText() == "day"


def test_anomalies_empty_state_until_a_detection(qtbot, window, events_parquet):
    anomalies = window.panels["Anomalies"]
    window.show_panel("Anomalies")
    assert anomalies.preview.isHidden() and not anomalies.empty_state.isHidden()
    assert anomalies.bars.isHidden()
    open_and_wait(qtbot, window, events_parquet)
    _explorer_result(qtbot, window)
    qtbot.waitUntil(lambda: anomalies.source_combo.currentText() == "events", timeout=5000)
    with qtbot.waitSignal(anomalies.detection_ready, timeout=20000):
        anomalies.detect_button.click()
    assert not anomalies.preview.isHidden() and anomalies.empty_state.isHidden()
    assert anomalies.summary.text()


def test_experiment_plots_show_a_sentence_before_the_first_readout(qtbot, runner, qcatalog):
    from widgets.experiment_panel import ExperimentPanel

    panel = ExperimentPanel(runner, qcatalog)
    qtbot.addWidget(panel)
    panel.show()
    for plot in (panel.forest, panel.seg_forest, panel.cumulative):
        assert plot.placeholder.is_empty
        assert plot.placeholder.label.text()
        assert not plot.getPlotItem().getAxis("bottom").isVisible()
    panel.forest.set_rows([{"label": "m · t1", "est": 0.1, "lo": 0.0, "hi": 0.2, "verdict": "good"}])
    assert not panel.forest.placeholder.is_empty
    assert panel.forest.getPlotItem().getAxis("bottom").isVisible()
    # The long header is on two lines, never clipped to "PED Δ % [9".
    header = panel.results.horizontalHeaderItem(11).text()
    assert header.replace("\n", " ") == "CUPED Δ % [95% CI]"


@pytest.fixture
def experiment_table(qcatalog, tmp_path):
    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "arm": rng.choice(["control", "treatment"], n),
            "pre_reports": rng.poisson(2, n),
            "reported": (rng.random(n) < 0.1).astype("int32"),
            "time_spent": rng.normal(30, 5, n),
            "pre_time_spent": rng.normal(30, 5, n),
            "flagged": rng.random(n) < 0.2,
            "app_crashes": rng.poisson(0.2, n),
            "items_submitted": rng.poisson(3, n),
            "items_actioned": rng.poisson(1, n),
            "session_id": np.arange(n) * 7,
            "country": rng.choice(["US", "BR"], n),
        }
    )
    path = tmp_path / "exp.parquet"
    df.to_parquet(path, index=False)
    qcatalog.open(str(path))
    return qcatalog


def test_suggest_metrics_adds_outcomes_with_sensible_types(qtbot, runner, experiment_table):
    from widgets.experiment_panel import ExperimentPanel

    panel = ExperimentPanel(runner, experiment_table)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_sources(experiment_table.sources)
    qtbot.waitUntil(lambda: panel.control_combo.currentText() == "control", timeout=10000)
    assert panel.unit_combo.currentText() == "user_id" and panel.arm_combo.currentText() == "arm"
    panel.suggest_button.click()
    qtbot.waitUntil(lambda: panel.metrics.rowCount() > 0, timeout=10000)
    specs = {m.name: m for m in panel.metrics.metric_specs()}
    assert set(specs) == {"reported", "time_spent", "flagged", "app_crashes", "items_submitted", "items_actioned"}
    assert specs["reported"].type == "proportion" and specs["reported"].covariate == "pre_reports"
    assert specs["flagged"].type == "proportion"
    assert specs["time_spent"].type == "mean" and specs["time_spent"].covariate == "pre_time_spent"
    assert specs["app_crashes"].direction == "lower" and specs["app_crashes"].guardrail
    assert all(m.type != "ratio" for m in specs.values())  # x_submitted / x_actioned: the analyst's call
    # Suggesting again adds nothing twice.
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        panel.suggest_button.click()
    assert panel.metrics.rowCount() == len(specs)
