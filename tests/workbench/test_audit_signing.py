"""Signed audit entries: the per-user key (0600, passphrase), OS user vs $USER, forgeries without the key."""

from __future__ import annotations

import json
import os
import pwd

import pytest

from workbench import audit, audit_keys
from workbench.audit import AuditLog, verify
from workbench.cli import main as cli_main


def rows_of(path):
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_key_created_on_first_use_in_config_dir_mode_0600(tmp_path):
    key_path = audit_keys.default_key_path()
    assert str(key_path).startswith(os.environ["WORKBENCH_CONFIG_DIR"])
    assert not key_path.exists()
    log = AuditLog(tmp_path / "a.jsonl", version="t")
    assert not key_path.exists()  # reading or constructing a log creates no key
    log.query_run("SELECT 1")
    assert key_path.exists() and (key_path.stat().st_mode & 0o777) == 0o600
    assert key_path.parent != log.path.parent  # never beside the log
    first = log.entries()[0]
    assert first["action"] == audit.SIGNING_KEY
    assert first["details"]["fingerprint"] == log.key_fingerprint == first["key"]
    # Same key next time (another log, another AuditLog object).
    other = AuditLog(tmp_path / "b.jsonl", version="t")
    other.query_run("SELECT 2")
    assert other.key_fingerprint == log.key_fingerprint


def test_passphrase_encrypts_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_KEY_PASSPHRASE", "correct horse")
    key = audit_keys.load_or_create(tmp_path / "k.pem")
    pem = (tmp_path / "k.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert audit_keys.load_or_create(tmp_path / "k.pem").fingerprint == key.fingerprint
    with pytest.raises(audit_keys.SigningKeyError, match="wrong passphrase"):
        audit_keys.load_or_create(tmp_path / "k.pem", passphrase="wrong")
    monkeypatch.delenv("WORKBENCH_KEY_PASSPHRASE")
    with pytest.raises(audit_keys.SigningKeyError, match="protected by a passphrase"):
        audit_keys.load_or_create(tmp_path / "k.pem")


def test_user_is_the_os_account_and_user_env_only_a_claim(tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "mallory")
    log = AuditLog(tmp_path / "a.jsonl", version="t")
    entry = log.query_run("SELECT 1")
    real = pwd.getpwuid(os.getuid()).pw_name
    assert entry["user"] == real != "mallory"
    assert entry["claimed_user"] == "mallory"
    assert verify(log.path).ok
    monkeypatch.setenv("USER", real)
    assert "claimed_user" not in AuditLog(tmp_path / "b.jsonl", version="t").query_run("SELECT 1")


def test_empty_log_does_not_verify(tmp_path, capsys):
    empty = tmp_path / "e.jsonl"
    empty.write_text("")
    result = verify(empty)
    assert not result.ok and result.problem.kind == "empty"
    assert cli_main(["audit", "verify", str(empty)]) == 1


def _log(tmp_path):
    log = AuditLog(tmp_path / "w.wbk.audit.jsonl", version="t")
    log.source_opened("users", [{"path": "/x/users.parquet", "sha256": "ab" * 32}], row_count=10)
    log.pii_revealed("users", "email", "case 12")
    log.query_run("SELECT count(*) FROM users")
    return log


def test_appended_forged_entry_with_recomputed_hash_fails(tmp_path):
    log = _log(tmp_path)
    last = log.entries()[-1]
    forged = {
        "seq": last["seq"] + 1,
        "time": last["time"],
        "user": last["user"],
        "app_version": "t",
        "action": "query_run",
        "details": {"sql": "SELECT 1"},
        "prev": last["hash"],
        "key": last["key"],
    }
    forged["hash"] = audit.entry_hash(forged)
    forged["sig"] = last["sig"]
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(forged) + "\n")
    result = verify(log.path)
    assert result.problem.kind == "bad_signature" and result.problem.line == 5


def test_rewrite_with_a_new_key_is_visible(tmp_path):
    """Without the user's key a forger can only re-sign with another key: the log then names two keys."""
    log = _log(tmp_path)
    mallory = AuditLog(log.path, version="t", key=audit_keys.SigningKey.generate())
    mallory.query_run("SELECT 'innocent'")
    result = verify(log.path)
    assert result.ok
    assert set(result.keys) == {log.key_fingerprint, mallory.key_fingerprint}
    assert result.keys[mallory.key_fingerprint]["seq"] == 4  # introduced late, after the user's entries


def test_entry_signed_by_unknown_key(tmp_path):
    log = _log(tmp_path)
    stranger = audit_keys.SigningKey.generate()
    rows = rows_of(log.path)
    entry = json.loads(rows[2])
    del entry["hash"], entry["sig"]
    entry["key"] = stranger.fingerprint
    entry["hash"] = audit.entry_hash(entry)
    entry["sig"] = stranger.sign(entry["hash"].encode())
    rows[2] = json.dumps(entry) + "\n"
    log.path.write_text("".join(rows))
    result = verify(log.path)
    # The edited entry no longer links with the next one, but first: its key was never introduced.
    assert (result.problem.line, result.problem.kind) == (3, "unknown_key")


def test_log_from_before_signing_keeps_verifying_but_new_unsigned_lines_do_not(tmp_path):
    """A log written by an older version (hash chain only) still verifies, says so, and continues signed."""
    path = tmp_path / "old.jsonl"
    prev, rows = audit.GENESIS, []
    for seq, sql in enumerate(["SELECT 1", "SELECT 2"]):
        e = {
            "seq": seq,
            "time": "2026-01-01T00:00:00+00:00",
            "user": "ana",
            "app_version": "0.0",
            "action": "query_run",
            "details": {"sql": sql},
            "prev": prev,
        }
        e["hash"] = audit.entry_hash(e)
        prev = e["hash"]
        rows.append(json.dumps(e) + "\n")
    path.write_text("".join(rows))
    result = verify(path)
    assert result.ok and result.unsigned == 2 and "predate signing" in result.report()
    AuditLog(path, version="t").query_run("SELECT 3")
    result = verify(path)
    assert result.ok and result.unsigned == 2 and result.entries == 4
    from workbench.audit_checkpoint import verify_against

    assert not verify_against(path, trusted=[AuditLog(path).key_fingerprint]).ok  # nobody vouches for them
    rows = rows_of(path)
    e = json.loads(rows[1])
    last = json.loads(rows[-1])
    forged = {
        "seq": 4,
        "time": e["time"],
        "user": "ana",
        "app_version": "0.0",
        "action": "query_run",
        "details": {"sql": "SELECT 4"},
        "prev": last["hash"],
    }
    forged["hash"] = audit.entry_hash(forged)
    path.write_text("".join(rows) + json.dumps(forged) + "\n")
    assert verify(path).problem.kind == "unsigned"


def test_deeply_nested_line_is_reported_not_a_crash(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", version="t")
    log.query_run("SELECT 1")
    with open(log.path, "a") as fh:
        fh.write("[" * 100000 + "\n")
    result = verify(log.path)
    assert result.problem.kind == "unparseable" and result.problem.line == 3
    log.query_run("SELECT 2")  # appending after it still works


def test_show_marks_a_claimed_user(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("USER", "mallory")
    log = AuditLog(tmp_path / "a.jsonl", version="t")
    log.query_run("SELECT 1")
    assert cli_main(["audit", "show", str(log.path), "--action", "query_run"]) == 0
    assert "(claimed mallory)" in capsys.readouterr().out


def test_cli_key_prints_the_fingerprint_an_auditor_can_trust(tmp_path, capsys):
    assert cli_main(["audit", "key", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    log = AuditLog(tmp_path / "a.jsonl", version="t")
    log.query_run("SELECT 1")
    assert doc["fingerprint"] == log.key_fingerprint and doc["path"] == str(audit_keys.default_key_path())
    assert cli_main(["audit", "verify", str(log.path), "--trust", doc["fingerprint"][:16]]) == 0
