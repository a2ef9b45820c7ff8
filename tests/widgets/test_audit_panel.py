"""Audit panel: shows the log, filters by action and text, verifies the chain and points at a tampered line."""

from __future__ import annotations

import json

import pytest

from workbench.audit import AuditLog


@pytest.fixture
def log_path(tmp_path):
    log = AuditLog(tmp_path / "a.wbk.audit.jsonl", user="ana", version="test")
    log.source_opened("events", files=[{"path": "/data/events.parquet", "sha256": "ab" * 32}], row_count=1200)
    log.query_run("SELECT country, count(*) FROM events GROUP BY ALL", rows=4, source="events")
    log.view_saved("Daily reports", {"table": "events"})
    log.export_written("/tmp/out.csv", "cd" * 32, format="csv")
    log.pii_revealed("events", "email", "case 77")
    return log.path


@pytest.fixture
def panel(qtbot, runner):
    from widgets.audit_panel import AuditPanel

    p = AuditPanel(runner)
    qtbot.addWidget(p)
    p.resize(1000, 600)
    p.show()
    return p


def test_shows_entries_and_filters(panel, log_path):
    panel.set_log(log_path)
    assert panel.table.rowCount() == 6
    assert panel.table.item(0, 3).text() == "Signing key"  # the log carries its public key first
    from workbench.audit_keys import short_fingerprint

    fingerprint = AuditLog(log_path).entries()[0]["key"]
    assert f"signed by key {short_fingerprint(fingerprint)} (ana)" in panel.path_label.text()
    assert panel.table.item(1, 3).text() == "Source opened"
    assert "events" in panel.table.item(1, 4).text() and "1,200 rows" in panel.table.item(1, 4).text()
    assert panel.table.item(5, 4).text() == "events.email: “case 77”"
    panel.set_action_filter("query_run")
    assert [e["action"] for e in panel.visible_entries()] == ["query_run"]
    assert panel.count_label.text() == "1 of 6 entries"
    panel.set_action_filter(None)
    panel.text_filter.setText("out.csv")
    panel.apply_filters()
    assert [e["action"] for e in panel.visible_entries()] == ["export_written"]
    panel.table.selectRow(4)
    assert json.loads(panel.details.toPlainText())["details"]["sha256"] == "cd" * 32


def test_verify_intact_then_tampered(qtbot, panel, log_path):
    panel.set_log(log_path)
    with qtbot.waitSignal(panel.verified, timeout=10000) as blocker:
        panel.verify_button.click()
    assert blocker.args[0].ok and panel.result_label.text().startswith("✔")

    lines = log_path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[2])
    entry["details"]["view"] = "Something else"  # edited after the fact
    lines[2] = json.dumps(entry, separators=(",", ":"), sort_keys=True)
    log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    panel.reload()
    with qtbot.waitSignal(panel.verified, timeout=10000) as blocker:
        panel.verify_button.click()
    result = blocker.args[0]
    assert not result.ok and result.problem.line == 3 and result.problem.kind == "edited"
    assert panel.result_label.text().startswith("✘") and "line 3" in panel.result_label.text()
    assert {i.row() for i in panel.table.selectedIndexes()} == {2}


def test_truncated_tail_caught_with_the_workspace_head(qtbot, panel, log_path):
    head = AuditLog(log_path).head().to_dict()
    lines = log_path.read_text(encoding="utf-8").splitlines()
    log_path.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    panel.set_log(log_path, expected_head=head)
    with qtbot.waitSignal(panel.verified, timeout=10000) as blocker:
        panel.verify()
    assert not blocker.args[0].ok and blocker.args[0].problem.kind == "truncated"


def test_no_log_yet(panel, tmp_path):
    panel.set_log(tmp_path / "none.jsonl")
    assert panel.table.rowCount() == 0
    assert panel.verify() is None
    assert "nothing has been recorded" in panel.result_label.text()


def test_verify_uses_the_workspace_checkpoint_so_a_re_signed_rewrite_is_caught(qtbot, panel, log_path):
    # The key holder rewrites the log without the pii_revealed entry (re-signed, chain recomputed) and
    # edits the workspace's bare head to match: only the signed checkpoint saved with the workspace notices.
    checkpoint = AuditLog(log_path).checkpoint()
    kept = [e for e in AuditLog(log_path).entries() if e["action"] not in ("signing_key", "pii_revealed")]
    log_path.unlink()
    rewritten = AuditLog(log_path, user="ana", version="test")
    for e in kept:
        rewritten.append(e["action"], **e["details"])
    forged_head = rewritten.head().to_dict()

    panel.set_log(log_path, expected_head=forged_head)  # the bare head alone: fooled
    with qtbot.waitSignal(panel.verified, timeout=10000) as blocker:
        panel.verify_button.click()
    assert blocker.args[0].ok

    panel.set_log(log_path, expected_head=forged_head, checkpoint=checkpoint)
    with qtbot.waitSignal(panel.verified, timeout=10000) as blocker:
        panel.verify_button.click()
    assert not blocker.args[0].ok
    assert panel.result_label.text().startswith("✘") and "the saved workspace" in panel.result_label.text()
