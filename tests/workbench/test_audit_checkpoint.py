"""Signed checkpoints travel in exports, reports and workspaces; `audit verify LOG --against FILE...` catches
rewrites before any of them — even by the user who holds the key."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.conftest import write_parquet
from workbench import audit, audit_keys
from workbench.audit import AuditLog, verify
from workbench.audit_checkpoint import checkpoints_in, verify_against
from workbench.cli import main as cli_main
from workbench.export import Provenance, export_table, stamp_png, stamp_svg
from workbench.fingerprint import sha256_file
from workbench.report import EvidenceReport, ReportSection, write_report
from workbench.workspace import FileRecord, SourceRecord, Workspace, load, save

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def project(tmp_path):
    """A workspace, its log with a PII reveal, and what left the machine at different times."""
    data = write_parquet(tmp_path / "users.parquet", "SELECT range AS id, 'IS' AS country FROM range(30)")
    digest = sha256_file(data)  # the real fingerprint: write_report re-checks it before writing
    ws = Workspace(name="case")
    ws.add_source(
        SourceRecord(
            name="users",
            kind="parquet",
            location=data,
            files=[FileRecord(path=data, size=1, sha256=digest)],
            row_count=30,
        )
    )
    wbk = tmp_path / "case.wbk"
    log = AuditLog(str(wbk) + ".audit.jsonl", version="t")
    log.source_opened("users", [{"path": data, "sha256": digest}], row_count=30)
    frame = pd.DataFrame({"country": ["IS"], "users": [30]})
    early = export_table(frame, tmp_path / "early.csv", provenance=Provenance.from_workspace(ws), audit=log)
    log.pii_revealed("users", "email", "case 12")
    log.query_run("SELECT email FROM users", rows=30)
    late = export_table(
        frame, tmp_path / "late.parquet", provenance=Provenance.from_workspace(ws), audit=log, sidecar=True
    )
    report = EvidenceReport.for_workspace(ws)
    report.sections.append(ReportSection(title="Users", data=frame, recipe=None))
    rep = write_report(report, tmp_path / "report.html", audit=log)
    save(ws, wbk, audit=log)
    return {"ws": ws, "wbk": wbk, "log": log, "early": early, "late": late, "report": rep, "dir": tmp_path}


def rewrite(log_path, entries, key):
    """What a user holding the key can do: rebuild the chain from ``entries`` and re-sign every line."""
    prev, lines = audit.GENESIS, []
    for seq, e in enumerate(entries):
        e = {k: v for k, v in e.items() if k not in ("hash", "sig")}
        e.update(seq=seq, prev=prev, key=key.fingerprint)
        e["hash"] = audit.entry_hash(e)
        e["sig"] = key.sign(e["hash"].encode())
        prev = e["hash"]
        lines.append(audit.canonical_json(e).decode() + "\n")
    log_path.write_text("".join(lines), encoding="utf-8")


def test_every_file_carries_a_checkpoint_with_the_key_fingerprint(project):
    fp = project["log"].key_fingerprint
    d = project["dir"]
    files = [
        project["early"].path,
        d / "early.csv.provenance.json",
        project["late"].path,
        d / "late.parquet.provenance.json",
        project["report"].html_path,
        project["report"].replay_path,
        project["wbk"],
    ]
    for f in files:
        found = checkpoints_in(f)
        assert found and all(cp["key"] == fp for cp in found), f
    assert json.loads((d / "early.csv.provenance.json").read_text())["audit_key"] == fp
    assert json.loads(project["wbk"].read_text())["audit_key"] == fp
    assert audit_keys.short_fingerprint(fp) in project["report"].html_path.read_text()
    # The CSV sidecar is written after the export entry: its checkpoint covers the export itself.
    sidecar_cp = checkpoints_in(d / "early.csv.provenance.json")[0]
    assert project["log"].entries()[sidecar_cp["entries"] - 1]["action"] == "export_written"
    result = verify_against(project["log"].path, files)
    assert result.ok, result.report()


def test_png_and_svg_stamps_carry_a_checkpoint(project, tmp_path):
    prov = Provenance.from_workspace(project["ws"])
    png = tmp_path / "chart.png"
    png.write_bytes(stamp_png(PNG_1X1, prov, audit=project["log"]))
    svg = tmp_path / "chart.svg"
    svg.write_text(stamp_svg('<svg xmlns="http://www.w3.org/2000/svg"></svg>', prov, audit=project["log"]))
    assert len(checkpoints_in(png)) == 1 and len(checkpoints_in(svg)) == 1
    assert verify_against(project["log"].path, [png, svg]).ok


def test_removed_pii_entry_rewritten_and_resigned_is_caught_by_checkpoints_that_left(project, capsys):
    """The probe's attack: drop the pii_revealed entry, recompute the chain (re-signing with one's own key)
    and fix the workspace's head and checkpoint. The log verifies on its own and against the re-signed
    workspace; it fails against the report and export that left the machine after the reveal."""
    log, wbk = project["log"], project["wbk"]
    kept = [e for e in log.entries() if e["action"] != audit.PII_REVEALED]
    rewrite(log.path, kept, log.key)
    doc = json.loads(wbk.read_text())
    doc["audit_head"] = log.head().to_dict()
    doc["audit_checkpoint"] = log.checkpoint()  # the key holder can re-sign what is on her own disk
    wbk.write_text(json.dumps(doc))
    assert verify(log.path).ok
    assert cli_main(["audit", "verify", str(log.path), "--workspace", str(wbk)]) == 0
    capsys.readouterr()

    early, late, rep = project["early"], project["late"], project["report"]
    args = [
        "audit",
        "verify",
        str(log.path),
        "--against",
        str(early.path),
        str(late.path),
        str(rep.html_path),
        str(rep.replay_path),
    ]
    assert cli_main(args) == 1
    err = capsys.readouterr().err
    assert "MISMATCH" in err and "RESULT: INCONSISTENT" in err
    assert "Issued before the change (consistent with the log as it is): " + str(early.path) in err
    assert str(rep.html_path) in err.split("Issued after the entry that was changed")[1]
    result = verify_against(log.path, [early.path, late.path, rep.html_path])
    assert {c.file: c.status for c in result.checks} == {
        str(early.path): "ok",
        str(late.path): "mismatch",
        str(rep.html_path): "mismatch",
    }
    assert result.changed_by is not None and result.changed_after == checkpoints_in(early.path)[0]["entries"]


def test_deleting_the_last_entry_is_caught(project, capsys):
    log = project["log"]
    rows = log.path.read_text().splitlines(keepends=True)
    log.path.write_text("".join(rows[:-1]))
    assert verify(log.path).ok  # the chain alone cannot tell
    assert cli_main(["audit", "verify", str(log.path), "--against", str(project["wbk"])]) == 1
    assert "TRUNCATED" in capsys.readouterr().err


def test_appended_entries_under_a_new_key_are_unvouched(project, capsys):
    log = project["log"]
    AuditLog(log.path, version="t", key=audit_keys.SigningKey.generate()).query_run("SELECT 'innocent'")
    assert verify(log.path).ok
    result = verify_against(log.path, [project["wbk"]])
    assert not result.ok and len(result.unvouched) == 1
    assert cli_main(["audit", "verify", str(log.path), "--against", str(project["wbk"])]) == 1
    assert "UNVOUCHED" in capsys.readouterr().err
    # The auditor who knows the second key (a colleague's) can trust it.
    other = next(iter(result.unvouched))
    assert verify_against(log.path, [project["wbk"]], trusted=[other]).ok


def test_edited_checkpoint_is_forged(project):
    sidecar = project["dir"] / "early.csv.provenance.json"
    doc = json.loads(sidecar.read_text())
    doc["audit_checkpoint"]["entries"] -= 1
    sidecar.write_text(json.dumps(doc))
    result = verify_against(project["log"].path, [sidecar])
    assert [c.status for c in result.checks] == ["forged"] and not result.ok


def test_log_replaced_by_another_is_caught(project, tmp_path):
    other = AuditLog(tmp_path / "other.jsonl", version="t")
    other.query_run("SELECT 1")
    result = verify_against(other.path, [project["wbk"]])
    assert [c.status for c in result.checks] == ["other_log"]


def test_file_without_checkpoint_and_missing_file(project, tmp_path, capsys):
    plain = tmp_path / "plain.csv"
    plain.write_text("a\n1\n")
    assert cli_main(["audit", "verify", str(project["log"].path), "--against", str(plain)]) == 1
    assert "carries no audit checkpoint" in capsys.readouterr().err
    assert cli_main(["audit", "verify", str(project["log"].path), "--against", str(tmp_path / "nope.csv")]) == 2


def test_all_good_exits_0_with_json(project, capsys):
    d = project["dir"]
    assert (
        cli_main(
            [
                "audit",
                "verify",
                str(project["log"].path),
                "--json",
                "--against",
                str(d / "early.csv"),
                str(project["wbk"]),
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] and [c["status"] for c in doc["checkpoints"]] == ["ok", "ok"]
    assert list(doc["keys"]) == [project["log"].key_fingerprint]


def test_workspace_round_trip_keeps_the_checkpoint(project):
    ws = load(project["wbk"])
    assert ws.audit_checkpoint["key"] == project["log"].key_fingerprint
    assert ws.audit_checkpoint["entries"] == ws.audit_head["count"]


def test_workspace_from_before_checkpoints_is_checked_by_its_unsigned_head(project):
    wbk = project["wbk"]
    doc = json.loads(wbk.read_text())
    del doc["audit_checkpoint"], doc["audit_key"]
    wbk.write_text(json.dumps(doc))
    result = verify_against(project["log"].path, [wbk])
    assert result.ok and "unsigned head" in result.checks[0].message
    rows = project["log"].path.read_text().splitlines(keepends=True)
    project["log"].path.write_text("".join(rows[:-1]))
    assert [c.status for c in verify_against(project["log"].path, [wbk]).checks] == ["truncated"]


def test_checkpoints_taken_during_concurrent_appends_all_match(tmp_path):
    import threading

    from workbench.audit_checkpoint import check_checkpoint

    log = AuditLog(tmp_path / "busy.jsonl", version="t")
    writers = [
        threading.Thread(target=lambda i=i: [log.query_run(f"SELECT {i}{j}") for j in range(15)]) for i in range(3)
    ]
    cps = []
    for t in writers:
        t.start()
    while any(t.is_alive() for t in writers):
        cps.append(AuditLog(log.path, version="t").checkpoint())  # another writer object, like another process
    for t in writers:
        t.join()
    result = verify(log.path)
    assert result.ok and cps
    assert all(check_checkpoint(result, cp, "x").ok for cp in cps)
