"""The Experiments panel driven as a user would: pick columns, add metrics, run, read the table."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.workbench.experiments.conftest import make_users
from workbench.experiments import MetricSpec, run_experiment


@pytest.fixture
def panel(qtbot, runner, qcatalog, tmp_path):
    from widgets.experiment_panel import ExperimentPanel

    path = tmp_path / "exp.parquet"
    make_users(n_per_arm=(500, 480, 490), null_frac=0.02).to_parquet(path, index=False)
    qcatalog.open(str(path))
    p = ExperimentPanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.resize(1500, 900)
    p.show()
    p.set_sources(qcatalog.sources)
    qtbot.waitUntil(lambda: p.control_combo.count() == 3, timeout=10000)
    return p


def _add_metrics(p):
    p.metrics.add_metric(MetricSpec("metric", "mean", column="metric", covariate="pre_metric"))
    p.metrics.add_metric(MetricSpec("converted", "proportion", column="converted"))
    p.metrics.add_metric(
        MetricSpec(
            "ratio",
            "ratio",
            numerator="numerator",
            denominator="denominator",
            direction="lower",
            guardrail=True,
            margin=0.02,
        )
    )


def test_form_guesses_columns_and_control(panel):
    assert panel.unit_combo.currentText() == "user_id"
    assert panel.arm_combo.currentText() == "arm"
    assert panel.control_combo.currentText() == "control"
    assert panel.time_combo.currentText() == "assigned_at"


def test_run_shows_the_engine_numbers(qtbot, panel, qcon):
    _add_metrics(panel)
    panel.segment_combo.setCurrentText("country")
    with qtbot.waitSignal(panel.readout_ready, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    spec = panel.spec()
    expected = run_experiment(qcon.cursor(), spec).data
    assert panel.results.rowCount() == 3 * 2
    row = {
        (panel.results.item(r, 0).text(), panel.results.item(r, 1).text()): r for r in range(panel.results.rowCount())
    }
    r = row[("metric", "t1")]
    comp = expected["metrics"]["metric"]["comparisons"]["t1"]
    assert panel.results.item(r, 6).text() == f"{100 * comp['rel_lift']:+.2f}%"
    p = comp["p_value"]
    assert panel.results.item(r, 8).text() == ("< 0.001" if p < 0.001 else f"{p:.3f}")
    assert "CI" in panel.results.item(r, 7).toolTip()
    assert panel.results.horizontalHeaderItem(2).text() == "Verdict" and panel.results.item(r, 2).text()
    assert "CUPED" in panel.results.horizontalHeaderItem(11).text() and "[" in panel.results.item(r, 11).text()
    assert ("ratio (guardrail)", "t2") in row
    assert len(panel.forest.rows) == 6
    assert panel.seg_table.rowCount() == 5
    assert panel.cumulative.points and panel.cumulative.points[-1]["date"] == "2024-03-10"
    # the fixed-horizon CI is drawn and labelled next to the sequential band
    from widgets.experiments_cumulative import FIXED_LABEL, SEQ_LABEL

    labels = [label.text for _, label in panel.cumulative.legend.items]
    assert SEQ_LABEL in labels and FIXED_LABEL in labels
    assert "fixed-horizon" in panel.cum_note.text() and "always-valid" in panel.cum_note.text()
    assert "Split looks healthy" in panel.health.text() or "SAMPLE RATIO" in panel.health.text()


def test_export_and_copy(qtbot, panel, tmp_path):
    _add_metrics(panel)
    with qtbot.waitSignal(panel.readout_ready, timeout=20000):
        panel.run()
    panel.copy_readout()
    from PySide6.QtGui import QGuiApplication

    assert "metric (mean)" in QGuiApplication.clipboard().text()
    panel.export_csv(str(tmp_path / "r.csv"))
    assert (tmp_path / "r.csv").read_text().startswith("metric,type,arm")
    assert panel.export_png(str(tmp_path / "r.png"))
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_bad_input_shows_message_not_crash(qtbot, panel):
    panel.metrics.add_metric(MetricSpec("metric", "mean", column="metric"))
    with qtbot.waitSignal(panel.error_occurred, timeout=20000) as blocker:
        panel.control_combo.setEditable(True)
        panel.control_combo.setEditText("nope")
        panel.run()
    assert "not found" in blocker.args[0]
    assert panel.run_button.isEnabled()


def test_no_metrics_is_a_message(qtbot, panel):
    with qtbot.waitSignal(panel.error_occurred, timeout=5000) as blocker:
        panel.run()
    assert "at least one metric" in blocker.args[0]


def test_power_calculator_updates(panel):
    panel.power.set_baseline(10.0, 25.0, 1000)
    b = panel.power.recompute()
    assert b["mde_abs_two_tailed"] > 0 and "units per arm" in panel.power.result.text()


def test_every_tab_paints(qtbot, panel):
    """grab() paints each tab (a hidden tab is not painted by the other tests): the cumulative chart's
    legend once crashed the process on paint."""
    _add_metrics(panel)
    with qtbot.waitSignal(panel.readout_ready, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    for i in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(i)
        assert not panel.grab().isNull()
    panel.tabs.setCurrentIndex(1)
    for j in range(panel.cum_metric.count()):  # redraw the chart (and its legend) several times
        panel.cum_metric.setCurrentIndex(j)
        panel.cum_arm.setCurrentIndex(j % panel.cum_arm.count())
        assert not panel.grab().isNull()


def test_result_columns_capped_and_tints_follow_the_theme(qtbot, panel):
    from PySide6.QtWidgets import QApplication

    from widgets import experiment_panel as ep
    from widgets import theme

    _add_metrics(panel)
    with qtbot.waitSignal(panel.readout_ready, timeout=20000):
        panel.run_button.click()
    shown = [i for i in range(len(ep.RESULT_COLUMNS)) if not panel.results.isColumnHidden(i)]
    for i in shown[:-1]:  # the last shown section stretches to fill
        h = ep.RESULT_COLUMNS[i]
        assert panel.results.columnWidth(i) <= ep.COLUMN_MAX.get(h, ep.COLUMN_MAX_DEFAULT), h
    # Control, Treatment and Δ fit in a 1400 px window's results pane without scrolling.
    right = sum(panel.results.columnWidth(i) for i in range(ep.RESULT_COLUMNS.index("Δ") + 1))
    assert right <= 700
    tinted = [r for r in range(panel.results.rowCount()) if panel.results.item(r, 0).background().style()]
    app = QApplication.instance()
    try:
        for mode in ("light", "dark"):
            theme.apply_theme(app, mode)
            panel.refresh_theme()
            base = app.palette().color(app.palette().ColorRole.Base)
            if tinted:
                bg = panel.results.item(tinted[0], 0).background().color()
                fg = panel.results.item(tinted[0], 0).foreground().color()
                # tint close to the base colour (no glaring pale rows on dark) and text readable on it
                assert abs(bg.lightness() - base.lightness()) < 60
                assert abs(fg.lightness() - bg.lightness()) > 100
            assert theme.tint(panel._health_level)[0] in panel.health.styleSheet()
    finally:
        theme.apply_theme(app, "light")


def test_form_splitter_position_is_kept(qtbot, qcon, tmp_path):
    from PySide6.QtCore import QSettings

    from widgets.main_window import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(con=qcon, settings=settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    splitter = w.panels["Experiments"].splitter
    splitter.setSizes([250, 900])
    left = splitter.sizes()[0]
    w.save_settings()
    w.close()
    w2 = MainWindow(con=qcon, settings=settings)
    qtbot.addWidget(w2)
    assert w2.panels["Experiments"].splitter.sizes()[0] == left
    w2.close()


def test_guardrail_verdict_and_split_health_are_separate_lines(panel):
    """A harmed guardrail is a red verdict banner of its own; the split's health stays green (or amber for a
    data warning) beside it instead of sitting inside the red banner."""
    from widgets import theme

    data = {
        "srm": {"observed": {"control": 100, "t": 101}, "flag": False, "p_value": 0.9},
        "health": {"warnings": ["Guardrail crashes is harmed in t.", "2 units are in several arms."]},
    }
    panel._draw_health(data)
    assert panel.verdict_banner.isVisible() and panel.verdict_banner.text() == "⚠ Guardrail crashes is harmed in t."
    assert theme.tint("error")[0] in panel.verdict_banner.styleSheet()
    lines = panel.health.text().splitlines()
    assert lines[0].startswith("✓ Split looks healthy") and lines[1] == "• 2 units are in several arms."
    assert "Guardrail" not in panel.health.text() and panel._health_level == "warning"
    # Healthy and no harm: no verdict banner, a green health line.
    panel._draw_health(
        {"srm": {"observed": {"control": 100, "t": 101}, "flag": False, "p_value": 0.9}, "health": {"warnings": []}}
    )
    assert not panel.verdict_banner.isVisible() and panel._health_level == "ok"
    # A sample ratio mismatch is red health, whatever the verdicts.
    panel._draw_health(
        {
            "srm": {"observed": {"control": 100, "t": 160}, "flag": True, "p_value": 1e-5},
            "health": {"warnings": ["Sample ratio mismatch: p = 1e-05", "Guardrail x is harmed in t."]},
        }
    )
    assert panel._health_level == "error" and "SAMPLE RATIO MISMATCH" in panel.health.text()
    assert panel.verdict_banner.text() == "⚠ Guardrail x is harmed in t."


def test_opens_on_the_experiment_table_never_a_timestamp_as_unit_or_arm(qtbot, runner, qcatalog, tmp_path):
    """The events log is opened first (as the demo does); the panel still lands on the experiment table."""
    from tests.conftest import write_parquet
    from widgets.experiment_panel import ExperimentPanel

    qcatalog.open(
        write_parquet(
            tmp_path / "events.parquet",
            """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS event_time, ['BR','US'][1 + i % 2] AS country,
               i % 7 AS views FROM range(500) t(i)""",
        )
    )
    p = ExperimentPanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.show()
    p.set_sources(qcatalog.sources)
    assert p.unit_combo.currentText() != "event_time" and p.arm_combo.currentText() != "event_time"
    assert p.arm_combo.currentText() == ""  # nothing looks like an arm: the user is asked
    assert "no column that looks like an experiment arm" in p.health.text()

    path = tmp_path / "experiment.parquet"
    users = make_users(n_per_arm=(200, 210, 190), null_frac=0.0)
    users.to_parquet(path, index=False)
    qcatalog.open(str(path))
    p.set_sources(qcatalog.sources)
    assert p.table_combo.currentText() == "experiment"
    assert (p.unit_combo.currentText(), p.arm_combo.currentText()) == ("user_id", "arm")
    qtbot.waitUntil(lambda: p.control_combo.count() == 3, timeout=10000)

    # Once the user chooses a table themselves, a newly opened file does not move the panel.
    p.table_combo.setCurrentText("events")
    p.table_combo.activated.emit(p.table_combo.currentIndex())
    p.set_sources(qcatalog.sources)
    assert p.table_combo.currentText() == "events"


def test_workspace_policy_withholds_small_segments(qtbot, panel):
    # The panel applies the workspace's protection policy, as `workbench experiment --workspace` does.
    from workbench.protection.policy import ProtectionPolicy

    _add_metrics(panel)
    panel.segment_combo.setCurrentText("country")
    panel.policy_provider = lambda: ProtectionPolicy(k=60)  # IN and FR hold ~50 units an arm; arms ~500
    with qtbot.waitSignal(panel.readout_ready, timeout=20000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    seg = {v["segment"]: v for v in panel.readout["segments"]["values"]}
    assert seg["IN"]["hidden"] == "<60" and not seg["IN"]["metrics"] and seg["US"]["metrics"]
    rows = {panel.seg_table.item(r, 0).text(): r for r in range(panel.seg_table.rowCount())}
    assert panel.seg_table.item(rows["IN"], 1).text() == "<60"
    assert panel.seg_table.item(rows["US"], 1).text() not in ("<60", "0")
