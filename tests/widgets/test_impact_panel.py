"""The Impact panel driven as a user would: pick the unit, tick treated units, run, read the charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from workbench.causal.impact import run_impact


@pytest.fixture
def panel(qtbot, runner, qcatalog, tmp_path):
    from widgets.impact_panel import ImpactPanel

    rng = np.random.default_rng(4)
    days = pd.date_range("2025-03-01", periods=60, freq="D")
    common = np.cumsum(rng.normal(0, 0.001, len(days)))
    rows = []
    for i, c in enumerate(["BR", "MX", "US", "DE", "FR", "IN", "JP", "GB"]):
        base = 0.02 + 0.002 * i
        for t, d in enumerate(days):
            rate = (base + common[t] * (0.5 + 0.2 * i)) * (0.85 if c in ("BR", "MX") and t >= 40 else 1.0)
            for h in (2, 14):
                views = 5000 + 100 * i
                rows.append(
                    {
                        "ts": d + pd.Timedelta(hours=h, minutes=13),
                        "country": c,
                        "views": views,
                        "violations": int(rng.binomial(views, max(rate, 0.001))),
                    }
                )
    path = tmp_path / "moderation.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    qcatalog.open(str(path))
    p = ImpactPanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.resize(1400, 900)
    p.show()
    p.set_sources(qcatalog.sources)
    qtbot.waitUntil(lambda: p.treated_list.count() == 8, timeout=10000)
    return p


def test_form_guesses_unit_and_lists_sizes(panel):
    assert panel.unit_combo.currentText() == "country"
    assert panel.time_combo.currentText() == "ts"
    assert panel.measure_combo.findText("ratio(violations, views)") >= 0
    assert "(120 rows)" in panel.treated_list.item(0).text()
    assert panel.start_edit.date().toString("yyyy-MM-dd") == "2025-03-30"  # the middle of the data


def test_run_draws_the_engine_numbers(qtbot, panel, qcon):
    panel.measure_combo.setCurrentText("ratio(violations, views)")
    panel.set_treated(["BR", "MX"], start="2025-04-10")
    with qtbot.waitSignal(panel.result_ready, timeout=30000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    expected = run_impact(qcon.cursor(), panel.spec()).doc
    doc = panel.result.doc
    assert doc["did"]["att"] == pytest.approx(expected["did"]["att"], rel=1e-12)
    assert panel.verdict.text().startswith(expected["verdict"]) and "see Diagnostics" in panel.verdict.text()
    assert set(panel.main_chart.lines) == {"treated", "synthetic control"}
    assert len(panel.main_chart.lines["treated"]) == 60
    assert len(panel.event_chart.rows) == len(expected["event_study"])
    assert panel.weights_table.rowCount() == 6
    top = panel.weights_table.item(0, 1).text()
    assert float(top) == pytest.approx(max(expected["synthetic"]["weights"].values()), abs=5e-4)
    assert "8 units: standard errors clustered" in panel.diagnostics.toPlainText()  # the few-clusters warning
    assert not panel.placebo_chart.placeholder.is_empty


def test_bad_form_shows_a_message(qtbot, panel):
    messages = []
    panel.error_occurred.connect(messages.append)
    panel.set_treated([])
    panel.run()
    assert messages == ["Tick at least one treated unit"]
    panel.set_treated(["BR"], start="2025-03-01")  # the first day: no pre-period
    with qtbot.waitSignal(panel.runner.failed, timeout=30000):
        panel.run()
    qtbot.waitUntil(lambda: len(messages) == 2)
    assert "no period before the change" in messages[1]
    assert panel.run_button.isEnabled()


def test_open_for_prefills_the_form_from_an_incident(qtbot, panel):
    panel.treated_list.clear()
    panel.open_for(
        panel.table_combo.currentText(), "country", ["DE"], "2025-04-02", time_column="ts", measure="sum(views)"
    )
    qtbot.waitUntil(lambda: panel.treated_units() == ["DE"], timeout=10000)
    assert panel.start_edit.date().toString("yyyy-MM-dd") == "2025-04-02"
    assert panel.measure_combo.currentText() == "sum(views)"
    spec = panel.spec()
    assert spec.treated == ("DE",) and spec.unit == "country"
