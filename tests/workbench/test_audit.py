"""Audit log: hash chain, every kind of tampering, CLI exit codes; fingerprints with progress and cancel."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from workbench import audit
from workbench.audit import AuditLog, verify
from workbench.cli import main as cli_main
from workbench.fingerprint import FingerprintCancelled, combined_sha256, fingerprint_files, sha256_file
from workbench.errors import SourceError


@pytest.fixture
def log(tmp_path):
    log = AuditLog(tmp_path / "a.wbk.audit.jsonl", user="ana", version="test")
    log.source_opened("views", [{"path": "/x/views.parquet", "sha256": "ab" * 32}], row_count=10)
    log.query_run("SELECT 1", rows=1)
    log.view_saved("daily", {"metric": "sum"})
    log.export_written(tmp_path / "out.csv", "cd" * 32, format="csv")
    log.pii_revealed("views", "email", "fraud investigation #12")
    return log


def lines(log):
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(log, rows):
    log.path.write_text("".join(rows), encoding="utf-8")


def test_intact_chain(log):
    result = verify(log.path)
    assert result.ok and result.entries == 6
    assert result.actions[audit.PII_REVEALED] == 1
    assert result.head == log.head()
    entries = log.entries()
    assert [e["seq"] for e in entries] == [0, 1, 2, 3, 4, 5]
    assert entries[0]["prev"] == audit.GENESIS
    assert entries[0]["action"] == audit.SIGNING_KEY  # the key's public half comes first
    assert all(entries[i]["prev"] == entries[i - 1]["hash"] for i in range(1, 6))
    assert entries[0]["user"] == "ana" and entries[0]["app_version"] == "test"
    assert entries[4]["details"]["path"].endswith("out.csv")
    assert {e["key"] for e in entries} == {log.key_fingerprint}


def test_hash_is_sha256_of_canonical_entry(log):
    entry = log.entries()[1]
    body = {k: v for k, v in entry.items() if k not in ("hash", "sig")}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert hashlib.sha256(raw).hexdigest() == entry["hash"]


def test_edited_line(log):
    rows = lines(log)
    rows[3] = rows[3].replace('"daily"', '"weekly"')
    write(log, rows)
    result = verify(log.path)
    assert not result.ok and result.problem.line == 4 and result.problem.kind == "edited"
    assert result.entries == 3


def test_deleted_line(log):
    rows = lines(log)
    del rows[1]
    write(log, rows)
    result = verify(log.path)
    assert (result.problem.line, result.problem.kind) == (2, "deleted")
    assert "expected entry 1" in result.problem.message


def test_deleted_first_line(log):
    write(log, lines(log)[1:])
    assert (verify(log.path).problem.line, verify(log.path).problem.kind) == (1, "deleted")


def test_reordered_lines(log):
    rows = lines(log)
    rows[1], rows[2] = rows[2], rows[1]
    write(log, rows)
    result = verify(log.path)
    assert (result.problem.line, result.problem.kind) == (2, "reordered")


def test_reordered_line_moved_far_back(log):
    rows = lines(log)
    moved = rows.pop(1)
    rows.append(moved)
    write(log, rows)
    assert verify(log.path).problem.kind == "reordered"


def test_inserted_forged_line_with_valid_hash(log):
    rows = lines(log)
    entries = log.entries()
    forged = {
        "seq": 2,
        "time": entries[2]["time"],
        "user": "mallory",
        "app_version": "test",
        "action": "query_run",
        "details": {"sql": "SELECT 2"},
        "prev": entries[1]["hash"],
    }
    forged["hash"] = audit.entry_hash(forged)
    rows.insert(2, json.dumps(forged) + "\n")
    write(log, rows)
    result = verify(log.path)
    # The forged line links correctly, but it cannot be signed without the key.
    assert (result.problem.line, result.problem.kind) == (3, "unsigned")
    del forged["hash"]
    forged["key"] = log.key_fingerprint
    forged["hash"] = audit.entry_hash(forged)
    forged["sig"] = entries[2]["sig"]  # a signature copied from another entry
    rows[2] = json.dumps(forged) + "\n"
    write(log, rows)
    assert (verify(log.path).problem.line, verify(log.path).problem.kind) == (3, "bad_signature")


def test_inserted_duplicate_line(log):
    rows = lines(log)
    rows.insert(2, rows[1])
    write(log, rows)
    result = verify(log.path)
    assert (result.problem.line, result.problem.kind) == (3, "inserted")


def test_inserted_line_without_valid_hash(log):
    rows = lines(log)
    rows.insert(2, rows[2].replace("SELECT 1", "SELECT 666"))
    write(log, rows)
    assert verify(log.path).problem.kind == "edited"


def test_broken_unparseable_line(log):
    rows = lines(log)
    rows[3] = rows[3][: len(rows[3]) // 2] + "\n"
    write(log, rows)
    result = verify(log.path)
    assert (result.problem.line, result.problem.kind) == (4, "unparseable")


def test_malformed_entry(log):
    rows = lines(log)
    rows[0] = json.dumps({"hello": "world"}) + "\n"
    write(log, rows)
    assert verify(log.path).problem.kind == "malformed"


def test_truncated_tail_needs_expected_head(log):
    head = log.head()
    write(log, lines(log)[:-2])
    assert verify(log.path).ok  # a chain alone cannot see a cut-off end
    result = verify(log.path, expected_head=head)
    assert result.problem.kind == "truncated"


def test_rewritten_tail_detected_by_head(log):
    head = log.head()
    rows = lines(log)[:-1]
    write(log, rows)
    AuditLog(log.path, user="mallory", version="test").append("query_run", sql="SELECT 'innocent'")
    assert verify(log.path).ok
    assert verify(log.path, expected_head=head).problem.kind == "head_mismatch"


def test_append_after_torn_line_keeps_appending(log):
    with open(log.path, "ab") as fh:
        fh.write(b'{"seq": 5, "time": "2026')  # crash mid-write: no newline
    log.query_run("SELECT 3")
    result = verify(log.path)
    assert result.problem.kind == "unparseable" and result.problem.line == 7
    assert json.loads(lines(log)[-1])["details"]["sql"] == "SELECT 3"


def test_concurrent_appends_form_one_chain(tmp_path):
    log = AuditLog(tmp_path / "c.jsonl", user="u", version="v")
    threads = [
        threading.Thread(target=lambda i=i: [log.query_run(f"SELECT {i}{j}") for j in range(10)]) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(log.path)
    assert result.ok and result.entries == 41


def test_pii_reveal_needs_reason(log):
    with pytest.raises(audit.AuditError):
        log.pii_revealed("views", "email", "  ")


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(audit.AuditError, match="no such audit log"):
        verify(tmp_path / "nope.jsonl")


def test_cli_verify_exit_codes(log, capsys):
    assert cli_main(["audit", "verify", str(log.path)]) == 0
    assert "chain intact" in capsys.readouterr().out
    rows = lines(log)
    rows[2] = rows[2].replace("SELECT 1", "SELECT 9")
    write(log, rows)
    assert cli_main(["audit", "verify", str(log.path)]) == 1
    err = capsys.readouterr().err
    assert "BROKEN at line 3 (edited)" in err
    assert cli_main(["audit", "verify", str(log.path), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["problem"]["line"] == 3


def test_cli_verify_expected_head(log, capsys):
    head = log.head()
    write(log, lines(log)[:-1])
    assert cli_main(["audit", "verify", str(log.path), "--expect-head", f"{head.hash}:{head.count}"]) == 1
    assert "truncated" in capsys.readouterr().err
    assert cli_main(["audit", "verify", str(log.path), "--expect-head", head.hash]) == 1


def test_cli_missing_log_exit_2(tmp_path, capsys):
    assert cli_main(["audit", "verify", str(tmp_path / "none.jsonl")]) == 2
    assert "no such audit log" in capsys.readouterr().err


def test_cli_show(log, capsys):
    assert cli_main(["audit", "show", str(log.path), "--action", "pii_revealed"]) == 0
    out = capsys.readouterr().out
    assert "fraud investigation" in out and "SELECT 1" not in out


# --- fingerprints -----------------------------------------------------------------------------------------


def test_sha256_file_matches_hashlib_with_progress(tmp_path):
    data = bytes(range(256)) * 9000  # > 2 chunks
    f = tmp_path / "x.bin"
    f.write_bytes(data)
    seen = []
    assert sha256_file(f, progress=lambda done, total: seen.append((done, total))) == hashlib.sha256(data).hexdigest()
    assert seen[-1] == (len(data), len(data)) and len(seen) >= 2
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_sha256_file_cancel(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"x" * (3 * 1024 * 1024))
    stop = threading.Event()
    with pytest.raises(FingerprintCancelled):
        sha256_file(f, progress=lambda d, t: stop.set(), cancel=stop)


def test_fingerprint_files_combined_progress(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"a" * 10)
    b.write_bytes(b"b" * 30)
    seen = []
    fps = fingerprint_files([a, b], progress=lambda d, t: seen.append((d, t)))
    assert [fp.size for fp in fps] == [10, 30]
    assert seen[-1] == (40, 40)
    assert combined_sha256(fps) == combined_sha256(list(reversed(fps)))


def test_fingerprint_missing_file(tmp_path):
    with pytest.raises(SourceError, match="no such file"):
        sha256_file(tmp_path / "missing.parquet")


def test_cli_fingerprint(tmp_path, capsys):
    f = tmp_path / "x.bin"
    f.write_bytes(b"hello")
    assert cli_main(["fingerprint", str(f)]) == 0
    assert hashlib.sha256(b"hello").hexdigest() in capsys.readouterr().out
