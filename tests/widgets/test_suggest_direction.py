"""Suggest metrics infers from names whether higher is better, shows why, and asks when a name is ambiguous."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from widgets.experiments_suggest import infer_direction


@pytest.fixture
def tns_table(qcatalog, tmp_path):
    rng = np.random.default_rng(2)
    n = 400
    pd.DataFrame(
        {
            "user_id": np.arange(n),
            "arm": rng.choice(["control", "treatment"], n),
            "sessions": rng.poisson(5, n),
            "violations": rng.poisson(0.3, n),
            "deletions": rng.poisson(0.1, n),
            "latency_ms": rng.normal(200, 20, n),
            "reports_submitted": rng.poisson(1, n),
        }
    ).to_parquet(tmp_path / "tns.parquet", index=False)
    qcatalog.open(str(tmp_path / "tns.parquet"))
    return qcatalog


def test_directions_are_inferred_shown_and_asked(qtbot, runner, tns_table):
    from widgets.experiment_panel import ExperimentPanel
    from widgets.experiments_metrics import COLUMNS

    panel = ExperimentPanel(runner, tns_table)
    qtbot.addWidget(panel)
    panel.resize(1400, 900)
    panel.show()
    panel.set_sources(tns_table.sources)
    qtbot.waitUntil(lambda: panel.control_combo.currentText() == "control", timeout=10000)
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        panel.suggest_button.click()
    specs = {m.name: m for m in panel.metrics.metric_specs()}
    assert {n: m.direction for n, m in specs.items()} == {
        "sessions": "higher",
        "violations": "lower",
        "deletions": "lower",
        "latency_ms": "lower",
        "reports_submitted": "higher",
    }
    assert specs["violations"].guardrail and not specs["reports_submitted"].guardrail

    # The direction column sits right after the type, and says why.
    editor = panel.metrics
    direction_col = COLUMNS.index("Better when")
    assert editor.horizontalHeader().visualIndex(direction_col) == 2
    row = {editor.item(r, 0).text(): r for r in range(editor.rowCount())}
    assert "fewer is better" in editor.cellWidget(row["violations"], direction_col).toolTip()

    # reports could go either way: the form asks.
    assert panel.direction_hint.isVisible() and "reports_submitted" in panel.direction_hint.text()
    assert editor.asked_directions() == ["reports_submitted"]
    combo = editor.cellWidget(row["reports_submitted"], direction_col)
    combo.setCurrentText("lower")
    combo.activated.emit(combo.currentIndex())  # as a user picking it from the list
    assert not panel.direction_hint.isVisible() and editor.asked_directions() == []
    assert {m.name: m.direction for m in editor.metric_specs()}["reports_submitted"] == "lower"


@pytest.mark.parametrize(
    "name, direction, sure",
    [
        ("app_crashes", "lower", True),
        ("p95_latency", "lower", True),
        ("error_rate", "lower", True),
        ("policy_violations", "lower", True),
        ("account_deletions", "lower", True),
        ("spam_messages", "lower", True),
        ("reports", "higher", False),
        ("items_flagged", "higher", False),
        ("time_spent", "higher", True),
    ],
)
def test_infer_direction(name, direction, sure):
    guess = infer_direction(name)
    assert (guess.direction, guess.sure) == (direction, sure) and guess.reason
