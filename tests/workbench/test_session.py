"""The Qt-free workspace session: dirty/autosave bookkeeping, saving (the audit log follows the workspace),
recovery files, source checks, and the guarded audit log."""

from __future__ import annotations

import pytest

from tests.conftest import write_parquet
from workbench import workspace as wsm
from workbench.catalog import Catalog
from workbench.engine import EngineSettings, connect
from workbench.session import CREATED, OPENED, GuardedAuditLog, WorkspaceSession, problems_of


@pytest.fixture
def session(tmp_path):
    return WorkspaceSession(tmp_path / "recovery")


def test_a_new_session_is_clean_and_logs_beside_the_recovery_files(session, tmp_path):
    assert not session.dirty and session.changes == 0 and session.ws.path is None
    assert session.audit.path.parent == tmp_path / "recovery"
    assert session.audit.path.name == f"untitled-{session.ws.session_id}.wbk.audit.jsonl"


def test_changes_make_it_dirty_except_while_restoring(session):
    session.restoring = True
    assert session.mark_changed() is False and not session.dirty
    session.restoring = False
    assert session.mark_changed() is True  # clean -> dirty
    assert session.mark_changed() is False and session.dirty and session.changes == 2
    assert session.needs_autosave()
    session.set_clean()
    assert not session.dirty and not session.needs_autosave()


def test_autosave_only_keeps_own_work(session):
    session.mark_changed()
    assert session.autosave(session.ws) is None  # nothing of the analyst's own yet
    path = session.autosave(session.ws, "some notes")
    assert path is not None and path.exists() and path.parent == session.recovery_dir
    assert not session.needs_autosave()
    assert session.available_recoveries() == []  # its own autosave is not offered back to it
    other = WorkspaceSession(session.recovery_dir)
    assert [r.path for r in other.available_recoveries()] == [path]


def test_save_moves_the_untitled_log_and_drops_the_autosave(session, tmp_path):
    session.audit.append("source_opened", source="x")
    session.mark_changed()
    recovery = session.autosave(session.ws, "notes")
    target = session.save(session.ws, tmp_path / "analysis")  # the suffix is added
    assert target == (tmp_path / "analysis.wbk").resolve() and target.exists()
    assert session.audit.path == tmp_path / "analysis.wbk.audit.jsonl"
    assert [e["action"] for e in session.audit.entries()][-2:] == ["source_opened", "workspace_saved"]
    assert not recovery.exists() and not session.dirty
    # Saved over another workspace's file: its log continues with a signed reference to this one's.
    session.ws.path = target
    GuardedAuditLog(tmp_path / "copy.wbk.audit.jsonl").append("source_opened", source="y")
    session.save(session.ws, tmp_path / "copy.wbk")
    assert session.audit.path == tmp_path / "copy.wbk.audit.jsonl"
    saved_as = [e for e in session.audit.entries() if e["action"] == "workspace_saved_as"]
    assert len(saved_as) == 1 and saved_as[0]["details"]["previous_log"] == str(tmp_path / "analysis.wbk.audit.jsonl")


def test_replace_starts_the_new_workspace_log(session, tmp_path):
    ws = wsm.Workspace(name="other")
    session.mark_changed()
    session.pending_fingerprints.add("t")
    session.replace(ws, dirty=False, how=OPENED)
    assert session.ws is ws and not session.dirty and session.changes == 0 and not session.pending_fingerprints
    assert session.audit.entries()[-1]["action"] == "workspace_opened"
    session.replace(wsm.Workspace(), dirty=False, how=CREATED)
    assert not session.audit.path.exists()  # a new workspace's log starts with its first entry


def test_sources_reopen_under_their_recorded_names_with_current_digests(session, tmp_path):
    path = write_parquet(tmp_path / "events.parquet", "SELECT range AS i FROM range(5)")
    con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp_path / "spill")))
    try:
        catalog = Catalog(con)
        record = wsm.SourceRecord.from_source(catalog.open(path, name="ev"))
        catalog.close("ev")
        session.ws.add_source(record)
        gone = wsm.SourceRecord(
            name="gone",
            kind="parquet",
            location=str(tmp_path / "gone.parquet"),
            files=[wsm.FileRecord(path=str(tmp_path / "gone.parquet"), size=1, sha256="0" * 64)],
        )
        session.ws.add_source(gone)
        checks = wsm.verify_sources(session.ws)
        session.checks = checks
        serious, moved = problems_of(checks)
        assert [c.source for c in serious] == ["gone"] and moved == []
        records = session.present_records(session.ws, checks)
        assert [r.name for r in records] == ["ev"]
        opened, failed = session.open_records(catalog, records + [gone])
        assert [s.name for s in opened] == ["ev"] and [name for name, _ in failed] == ["gone"]
        files = session.opened_files("ev")
        assert files[0]["sha256"] == files[0]["recorded_sha256"] == record.files[0].sha256
        assert session.opened_files("not recorded") is None
    finally:
        con.close()


def test_a_fingerprint_of_a_closed_source_is_dropped(session):
    record = wsm.SourceRecord(name="t", kind="parquet", location="/x", files=[])
    session.pending_fingerprints.add("t")
    assert session.fingerprinted("t", record, still_open=False) is False
    assert "t" not in session.pending_fingerprints and session.ws.sources == []
    session.pending_fingerprints.add("t")
    assert session.fingerprinted("t", record, still_open=True) is True
    assert [s.name for s in session.ws.sources] == ["t"]
    assert session.audit.entries()[-1]["action"] == "source_opened"


def test_guarded_log_falls_back_then_warns_once(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    errors = []
    log = GuardedAuditLog(blocker / "untitled-abc.wbk.audit.jsonl", on_error=errors.append)
    assert log.append("source_opened", source="x")["seq"] == 1  # moved to the temp folder (0: its key entry)
    assert log.path == tmp_path / "tmp" / "workbench-audit" / "untitled-abc.wbk.audit.jsonl" and not errors
    saved = GuardedAuditLog(blocker / "analysis.wbk.audit.jsonl", on_error=errors.append)
    assert saved.append("a") == {} and saved.append("b") == {}
    assert len(errors) == 1 and "not being recorded" in errors[0]
