"""The Reconcile panel and the Checks view driven as a user would: pick, run, read the bars, drill in."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.conftest import write_parquet


@pytest.fixture
def two_tables(tmp_path, qcatalog):
    a = write_parquet(
        tmp_path / "month_a.parquet",
        """
        SELECT i AS id, 'user' || i AS name, i * 1.5 AS amount, DATE '2024-01-01' + (i % 20)::INT AS day
        FROM range(1, 101) t(i)""",
    )
    b = write_parquet(
        tmp_path / "month_b.parquet",
        """
        SELECT i AS id, CASE WHEN i = 7 THEN 'USER7' ELSE 'user' || i END AS name,
               CASE WHEN i % 10 = 0 THEN i * 1.5 + 1 ELSE i * 1.5 END AS amount,
               DATE '2024-01-01' + (i % 20)::INT AS day
        FROM range(4, 106) t(i) UNION ALL SELECT 50, 'dup', 0, DATE '2024-01-01'""",
    )
    return qcatalog.open(a).name, qcatalog.open(b).name


@pytest.fixture
def rpanel(qtbot, runner, qcatalog, two_tables):
    from widgets.reconcile_panel import ReconcilePanel

    p = ReconcilePanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.resize(1400, 900)
    p.show()
    p.set_sources(qcatalog.sources)
    return p


def test_reconcile_run_bars_and_drill_down(qtbot, rpanel, two_tables):
    assert (rpanel.a_combo.currentText(), rpanel.b_combo.currentText()) == two_tables
    assert rpanel.checked(rpanel.key_list) == ["id"]  # guessed
    with qtbot.waitSignal(rpanel.result_ready, timeout=20000), qtbot.waitSignal(rpanel.rows_ready, timeout=20000):
        qtbot.mouseClick(rpanel.run_button, Qt.MouseButton.LeftButton)
    value = rpanel.result.value
    # A 1..100, B 4..105 plus a second id 50: 50 is duplicated in B and left out
    assert (value.matched, value.only_a, value.only_b, value.duplicate_keys_b) == (96, 3, 5, 1)
    bars = {b[0]: b[2] for b in rpanel.bars.buckets}
    assert bars["only_a"] == 3 and bars["changed:amount"] == 9 and bars["changed:name"] == 1
    assert rpanel.verdict.text().startswith("DIFFER")
    assert rpanel.bucket == "only_a" and rpanel.rows.rowCount() == 3
    with qtbot.waitSignal(rpanel.rows_ready, timeout=20000):
        rpanel.show_bucket("changed:amount")
    assert rpanel.rows.rowCount() == 9
    headers = [rpanel.rows.horizontalHeaderItem(c).text() for c in range(rpanel.rows.columnCount())]
    amount_a, amount_b = headers.index("A: amount"), headers.index("B: amount")
    assert {(0, amount_a), (0, amount_b)} <= rpanel.rows.highlighted
    assert not any(c == headers.index("A: name") for r, c in rpanel.rows.highlighted if r == 0)


def test_reconcile_tolerance_and_bad_input(qtbot, rpanel):
    rpanel.abs_tol.setValue(2)
    rpanel.set_checked(rpanel.column_list, ["amount"])
    with qtbot.waitSignal(rpanel.result_ready, timeout=20000):
        rpanel.run()
    assert {c.name: c.changed for c in rpanel.result.value.columns} == {"amount": 0}
    rpanel.set_checked(rpanel.key_list, [])
    with qtbot.waitSignal(rpanel.error_occurred, timeout=5000) as blocker:
        rpanel.run()
    assert "key" in blocker.args[0]


def test_reconcile_totals_mode(qtbot, rpanel):
    rpanel.mode_combo.setCurrentText("Totals by dimensions")
    rpanel.set_checked(rpanel.key_list, ["day"])
    rpanel.set_checked(rpanel.column_list, ["amount"])
    with qtbot.waitSignal(rpanel.result_ready, timeout=20000):
        rpanel.run()
    value = rpanel.result.value
    assert value.groups == 20 and value.differs
    assert rpanel.rows.rowCount() == 20


@pytest.fixture
def cpanel(qtbot, runner, qcatalog, two_tables):
    from widgets.checks_panel import ChecksPanel

    p = ChecksPanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.resize(1400, 900)
    p.show()
    p.set_sources(qcatalog.sources)
    return p


def test_checks_view_pass_fail_and_failing_rows(qtbot, cpanel, two_tables):
    cpanel.table_combo.setCurrentText(two_tables[1])
    cpanel.rules_edit.setPlainText("row_count(1, )\nunique(id)\nnot_null(name)\nbetween(amount, 0, 100)")
    with qtbot.waitSignal(cpanel.result_ready, timeout=20000):
        qtbot.mouseClick(cpanel.run_button, Qt.MouseButton.LeftButton)
    statuses = [cpanel.results.item(r, 0).text() for r in range(cpanel.results.rowCount())]
    assert statuses == ["PASS", "FAIL", "PASS", "FAIL"]
    assert cpanel.verdict.text().endswith("2 passed, 0 warned, 2 failed")
    # amounts above 100: ids 67..105 (x 1.5), 39 rows
    with qtbot.waitSignal(cpanel.rows_ready, timeout=20000):
        rect = cpanel.results.visualItemRect(cpanel.results.item(3, 1))
        qtbot.mouseClick(cpanel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert cpanel.rows.rowCount() == cpanel.result.value[3].failing_rows == 39


def test_checks_view_suggests_and_reports_bad_rules(qtbot, cpanel):
    assert "unique(id)" in cpanel.rules_edit.toPlainText()  # suggested for the first table
    cpanel.rules_edit.setPlainText("not_null(id)\nbetween(amount, 0)")
    with qtbot.waitSignal(cpanel.error_occurred, timeout=5000) as blocker:
        cpanel.run()
    assert blocker.args[0].startswith("Line 2:")


def test_reconcile_cancel_stops_a_long_comparison(qtbot, runner, qcon, qcatalog):
    from widgets.reconcile_panel import ReconcilePanel
    from workbench.catalog import ColumnInfo, Source

    sources = []
    for name, shift in (("big_a", 0), ("big_b", 7)):
        qcon.execute(f"CREATE VIEW {name} AS SELECT i + {shift} AS id, i % 977 AS v FROM range(20000000) t(i)")
        sources.append(
            Source(name, "parquet", name, (), (ColumnInfo("id", "BIGINT"), ColumnInfo("v", "BIGINT")), None, 0)
        )
    p = ReconcilePanel(runner, qcatalog)
    qtbot.addWidget(p)
    p.set_sources(sources)
    assert p.checked(p.key_list) == ["id"]
    p.run()
    assert p.cancel_button.isEnabled() and not p.progress.isHidden()
    with qtbot.waitSignal(runner.cancelled, timeout=30000):
        qtbot.mouseClick(p.cancel_button, Qt.MouseButton.LeftButton)
    assert p.verdict.text() == "Reconciliation cancelled." and p.run_button.isEnabled()
    assert p.result is None
